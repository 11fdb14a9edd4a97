-- Credit on composite balances (docs/decisions.md, "Credit"). A child's money lives in its
-- balance like any ledger account's: amount is minus its debt (a refund beyond the debt leaves
-- it above zero, a credit in the customer's favour) and held is what its open authorizations
-- hold. The rule debt + held <= credit line + overlimit is the condition of the UPDATE that
-- charges it, under the lock of its composite_children row, where its credit line is.
ALTER TABLE composite_children DROP COLUMN debt;

-- What a transaction of credit is about, and where a card charge stands: balance_id is the
-- child of a charge, a refund or a child's payment, the parent's balance for a parent's
-- payment; amount is what was authorized, captured what was posted (all of it for a charge
-- posted at once), refunded what came back; an authorization still pending expires at
-- expires_at.
ALTER TABLE ledger_transactions ADD COLUMN balance_id bigint;
ALTER TABLE ledger_transactions ADD COLUMN captured bigint NOT NULL DEFAULT 0;
ALTER TABLE ledger_transactions ADD COLUMN refunded bigint NOT NULL DEFAULT 0;
ALTER TABLE ledger_transactions ADD COLUMN expires_at timestamptz;
ALTER TABLE ledger_transactions ADD COLUMN merchant_name text NOT NULL DEFAULT '';
ALTER TABLE ledger_transactions ADD COLUMN mcc text NOT NULL DEFAULT '';
ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_captured
    CHECK (captured >= 0 AND captured <= amount AND refunded >= 0 AND refunded <= captured);
CREATE INDEX ledger_transactions_balance ON ledger_transactions (balance_id, id) WHERE balance_id IS NOT NULL;
CREATE INDEX ledger_transactions_holds ON ledger_transactions (expires_at) WHERE kind = 'charge' AND status = 1;

-- A statement reads one period of a child's entries.
CREATE INDEX ledger_entries_balance_time ON ledger_entries (balance_id, created_at) WHERE balance_id IS NOT NULL;
DROP INDEX ledger_entries_balance;

-- A parent's billing: period_start is the first day of the period the next statement closes
-- (the day of creation, then each cut-off date); due_total and due_min are what remains due of
-- the latest statement, by due_date; status 2 is overdue.
ALTER TABLE composite_parents ADD COLUMN period_start text NOT NULL DEFAULT '';
UPDATE composite_parents SET period_start = to_char(created_at AT TIME ZONE 'America/Mexico_City', 'YYYY-MM-DD');
ALTER TABLE composite_parents ADD COLUMN due_total bigint NOT NULL DEFAULT 0 CHECK (due_total >= 0);
ALTER TABLE composite_parents ADD COLUMN due_min bigint NOT NULL DEFAULT 0 CHECK (due_min >= 0 AND due_min <= due_total);
ALTER TABLE composite_parents ADD COLUMN due_date text NOT NULL DEFAULT '';
CREATE INDEX composite_parents_cutoff ON composite_parents (billing_day, period_start);
CREATE INDEX composite_parents_due ON composite_parents (due_date) WHERE status = 1 AND due_min > 0;

-- A statement: immutable once written, one per parent and cut-off date. details holds its
-- per-child rows and its transactions (JSON).
CREATE TABLE statements (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id        text   NOT NULL REFERENCES composite_parents (id),
    ecommerce_id     bigint NOT NULL,
    period_start     text   NOT NULL,
    cutoff_date      text   NOT NULL,
    payment_due_date text   NOT NULL,
    opening_balance  bigint NOT NULL,
    charges          bigint NOT NULL,
    refunds          bigint NOT NULL,
    payments         bigint NOT NULL,
    closing_balance  bigint NOT NULL,
    total_due        bigint NOT NULL,
    min_due          bigint NOT NULL,
    details          text   NOT NULL,
    created_at       timestamptz NOT NULL,
    UNIQUE (parent_id, cutoff_date),
    CHECK (closing_balance = opening_balance + charges - refunds - payments)
);
