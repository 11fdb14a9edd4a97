-- The ledger (saldo.Ledger; docs/decisions.md, "The ledger"). Every balance is a ledger account
-- whose amount is kept beside it, in the row a movement updates with one conditional UPDATE;
-- the CHECK constraints below hold the same rules as a last line, whatever the code does.

-- Partner settings of money movement and credit.
ALTER TABLE ecommerces ADD COLUMN clabe_prefix TEXT NOT NULL DEFAULT ''
    CHECK (clabe_prefix = '' OR (length(clabe_prefix) = 6 AND clabe_prefix NOT GLOB '*[^0-9]*'));
ALTER TABLE ecommerces ADD COLUMN authorization_hold_days INTEGER NOT NULL DEFAULT 7
    CHECK (authorization_hold_days BETWEEN 1 AND 30);
ALTER TABLE ecommerces ADD COLUMN min_payment_percent INTEGER NOT NULL DEFAULT 10
    CHECK (min_payment_percent BETWEEN 0 AND 100);
ALTER TABLE ecommerces ADD COLUMN min_payment_floor INTEGER NOT NULL DEFAULT 20000
    CHECK (min_payment_floor >= 0);

-- held: money set aside (authorizations, §9). A wallet never goes below what it holds.
ALTER TABLE balances ADD COLUMN held INTEGER NOT NULL DEFAULT 0
    CHECK (held >= 0 AND (kind <> 'wallet' OR amount >= held));

-- A movement of money: two or more entries that sum to zero. Its status is the only thing that
-- changes (a pending SPEI cash-out completes or fails); entries never do. A partner's own id
-- for it (externalTransactionId, trackingKey) is unique per partner and kind of id, and
-- request_hash is what it was first sent with, so that the same id sent again is told apart
-- from a different request reusing it.
CREATE TABLE ledger_transactions (
    id             INTEGER PRIMARY KEY,
    ecommerce_id   INTEGER   NOT NULL REFERENCES ecommerces (id),
    kind           TEXT     NOT NULL,
    status         INTEGER NOT NULL CHECK (status BETWEEN 1 AND 4),
    amount         INTEGER   NOT NULL CHECK (amount > 0),
    reference_kind TEXT     NOT NULL CHECK (reference_kind IN ('', 'external', 'tracking')),
    reference_id   TEXT     NOT NULL,
    request_hash   BLOB    NOT NULL,
    reverses_id    INTEGER,
    description    TEXT     NOT NULL,
    clabe          TEXT     NOT NULL,
    counterparty   TEXT     NOT NULL,
    reason         TEXT     NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX ledger_transactions_reference ON ledger_transactions (ecommerce_id, reference_kind, reference_id)
    WHERE reference_kind <> '';

-- One side of a transaction: a customer balance (balance_id, customer_id) or one of the
-- partner's system accounts (system_account). amount > 0 credits the account, < 0 debits
-- it; type is the transaction as the customer sees it (1 top-up, 2 transfer out, …).
-- balance_after is the balance's amount once the entry applied. No foreign keys to
-- ledger_transactions or balances, as on PostgreSQL, where at SERIALIZABLE such checks abort
-- concurrent movements (its 0005): a transaction and its entries are written together and never
-- deleted.
CREATE TABLE ledger_entries (
    id             INTEGER PRIMARY KEY,
    transaction_id INTEGER   NOT NULL,
    ecommerce_id   INTEGER   NOT NULL,
    balance_id     INTEGER,
    customer_id    INTEGER,
    system_account TEXT     CHECK (system_account IN ('funding', 'spei_in', 'spei_out', 'card_network', 'repayments')),
    type           INTEGER NOT NULL CHECK (type BETWEEN 1 AND 9),
    amount         INTEGER   NOT NULL CHECK (amount <> 0),
    balance_after  INTEGER,
    created_at     INTEGER NOT NULL,
    CHECK ((balance_id IS NULL) = (system_account IS NOT NULL)),
    CHECK ((balance_id IS NULL) = (customer_id IS NULL)),
    CHECK ((balance_id IS NULL) = (balance_after IS NULL))
) STRICT;
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_customer ON ledger_entries (customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX ledger_entries_balance ON ledger_entries (balance_id) WHERE balance_id IS NOT NULL;

-- What a wallet was credited in a calendar month of Mexico City ('2026-11'), kept so that
-- one conditional upsert holds the monthly deposit limit under any concurrency.
CREATE TABLE wallet_deposits (
    balance_id INTEGER NOT NULL,
    month      TEXT   NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    PRIMARY KEY (balance_id, month)
) STRICT;

-- The UDI's value in pesos by day, as Banco de México publishes it, in millionths of a peso:
-- 8.245227 is 8245227, exact.
CREATE TABLE udi_values (
    day          TEXT   PRIMARY KEY CHECK (length(day) = 10),
    value_micros INTEGER NOT NULL CHECK (value_micros > 0)
) STRICT;
