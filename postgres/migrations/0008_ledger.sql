-- The ledger (saldo.Ledger; docs/decisions.md, "The ledger"). Every balance is a ledger account
-- whose amount is kept beside it, in the row a movement updates with one conditional UPDATE;
-- the CHECK constraints below hold the same rules as a last line, whatever the code does.

-- Partner settings of money movement and credit.
ALTER TABLE ecommerces ADD COLUMN clabe_prefix text NOT NULL DEFAULT ''
    CHECK (clabe_prefix = '' OR clabe_prefix ~ '^[0-9]{6}$');
ALTER TABLE ecommerces ADD COLUMN authorization_hold_days smallint NOT NULL DEFAULT 7
    CHECK (authorization_hold_days BETWEEN 1 AND 30);
ALTER TABLE ecommerces ADD COLUMN min_payment_percent smallint NOT NULL DEFAULT 10
    CHECK (min_payment_percent BETWEEN 0 AND 100);
ALTER TABLE ecommerces ADD COLUMN min_payment_floor bigint NOT NULL DEFAULT 20000
    CHECK (min_payment_floor >= 0);

-- held: money set aside (authorizations, §9). A wallet never goes below what it holds.
ALTER TABLE balances ADD COLUMN held bigint NOT NULL DEFAULT 0;
ALTER TABLE balances ADD CONSTRAINT balances_held_floor
    CHECK (held >= 0 AND (kind <> 'wallet' OR amount >= held));

-- A movement of money: two or more entries that sum to zero. Its status is the only thing that
-- changes (a pending SPEI cash-out completes or fails); entries never do. A partner's own id
-- for it (externalTransactionId, trackingKey) is unique per partner and kind of id, and
-- request_hash is what it was first sent with, so that the same id sent again is told apart
-- from a different request reusing it.
CREATE TABLE ledger_transactions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ecommerce_id   bigint   NOT NULL REFERENCES ecommerces (id),
    kind           text     NOT NULL,
    status         smallint NOT NULL CHECK (status BETWEEN 1 AND 4),
    amount         bigint   NOT NULL CHECK (amount > 0),
    reference_kind text     NOT NULL CHECK (reference_kind IN ('', 'external', 'tracking')),
    reference_id   text     NOT NULL,
    request_hash   bytea    NOT NULL,
    reverses_id    bigint,
    description    text     NOT NULL,
    clabe          text     NOT NULL,
    counterparty   text     NOT NULL,
    reason         text     NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX ledger_transactions_reference ON ledger_transactions (ecommerce_id, reference_kind, reference_id)
    WHERE reference_kind <> '';

-- One side of a transaction: a customer balance (balance_id, customer_id) or one of the
-- partner's system accounts (system_account). amount > 0 credits the account, < 0 debits
-- it; type is the transaction as the customer sees it (1 top-up, 2 transfer out, …).
-- balance_after is the balance's amount once the entry applied. No foreign keys to
-- ledger_transactions or balances: a transaction and its entries are written together and
-- never deleted, and at SERIALIZABLE such checks abort concurrent movements (see 0005).
CREATE TABLE ledger_entries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id bigint   NOT NULL,
    ecommerce_id   bigint   NOT NULL,
    balance_id     bigint,
    customer_id    bigint,
    system_account text     CHECK (system_account IN ('funding', 'spei_in', 'spei_out', 'card_network', 'repayments')),
    type           smallint NOT NULL CHECK (type BETWEEN 1 AND 9),
    amount         bigint   NOT NULL CHECK (amount <> 0),
    balance_after  bigint,
    created_at     timestamptz NOT NULL,
    CHECK ((balance_id IS NULL) = (system_account IS NOT NULL)),
    CHECK ((balance_id IS NULL) = (customer_id IS NULL)),
    CHECK ((balance_id IS NULL) = (balance_after IS NULL))
);
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_customer ON ledger_entries (customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX ledger_entries_balance ON ledger_entries (balance_id) WHERE balance_id IS NOT NULL;

-- What a wallet was credited in a calendar month of Mexico City ('2026-11'), kept so that
-- one conditional upsert holds the monthly deposit limit under any concurrency.
CREATE TABLE wallet_deposits (
    balance_id bigint NOT NULL,
    month      text   NOT NULL,
    amount     bigint NOT NULL CHECK (amount > 0),
    PRIMARY KEY (balance_id, month)
);

-- The UDI's value in pesos by day, as Banco de México publishes it, in millionths of a peso:
-- 8.245227 is 8245227, exact.
CREATE TABLE udi_values (
    day          text   PRIMARY KEY CHECK (length(day) = 10),
    value_micros bigint NOT NULL CHECK (value_micros > 0)
);
