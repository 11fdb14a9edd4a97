-- Credit on composite balances (docs/decisions.md, "Credit"); the PostgreSQL migration of the
-- same number says why each piece is there.
ALTER TABLE composite_children DROP COLUMN debt;

ALTER TABLE ledger_transactions ADD COLUMN balance_id INTEGER;
ALTER TABLE ledger_transactions ADD COLUMN captured INTEGER NOT NULL DEFAULT 0 CHECK (captured >= 0 AND captured <= amount);
ALTER TABLE ledger_transactions ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= captured);
ALTER TABLE ledger_transactions ADD COLUMN expires_at INTEGER;
ALTER TABLE ledger_transactions ADD COLUMN merchant_name TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_transactions ADD COLUMN mcc TEXT NOT NULL DEFAULT '';
CREATE INDEX ledger_transactions_balance ON ledger_transactions (balance_id, id) WHERE balance_id IS NOT NULL;
CREATE INDEX ledger_transactions_holds ON ledger_transactions (expires_at) WHERE kind = 'charge' AND status = 1;

CREATE INDEX ledger_entries_balance_time ON ledger_entries (balance_id, created_at) WHERE balance_id IS NOT NULL;
DROP INDEX ledger_entries_balance;

-- created_at is microseconds since 1970 UTC; Mexico City has kept UTC-6 all year since 2022.
ALTER TABLE composite_parents ADD COLUMN period_start TEXT NOT NULL DEFAULT '';
UPDATE composite_parents SET period_start = strftime('%Y-%m-%d', created_at / 1000000 - 6 * 3600, 'unixepoch');
ALTER TABLE composite_parents ADD COLUMN due_total INTEGER NOT NULL DEFAULT 0 CHECK (due_total >= 0);
ALTER TABLE composite_parents ADD COLUMN due_min INTEGER NOT NULL DEFAULT 0 CHECK (due_min >= 0 AND due_min <= due_total);
ALTER TABLE composite_parents ADD COLUMN due_date TEXT NOT NULL DEFAULT '';
CREATE INDEX composite_parents_cutoff ON composite_parents (billing_day, period_start);
CREATE INDEX composite_parents_due ON composite_parents (due_date) WHERE status = 1 AND due_min > 0;

CREATE TABLE statements (
    id               INTEGER PRIMARY KEY,
    parent_id        TEXT    NOT NULL REFERENCES composite_parents (id),
    ecommerce_id     INTEGER NOT NULL,
    period_start     TEXT    NOT NULL,
    cutoff_date      TEXT    NOT NULL,
    payment_due_date TEXT    NOT NULL,
    opening_balance  INTEGER NOT NULL,
    charges          INTEGER NOT NULL,
    refunds          INTEGER NOT NULL,
    payments         INTEGER NOT NULL,
    closing_balance  INTEGER NOT NULL,
    total_due        INTEGER NOT NULL,
    min_due          INTEGER NOT NULL,
    details          TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (parent_id, cutoff_date),
    CHECK (closing_balance = opening_balance + charges - refunds - payments)
) STRICT;
