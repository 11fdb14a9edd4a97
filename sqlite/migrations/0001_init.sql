-- SQLite form of the PostgreSQL schema. Instants are INTEGER microseconds since the Unix epoch,
-- so they compare and sort; booleans are 0 or 1; tables are STRICT so types are enforced.
-- Partners (tenants). Tokens are stored as SHA-256 hashes only.
CREATE TABLE ecommerces (
    id                        INTEGER PRIMARY KEY,
    name                      TEXT     NOT NULL,
    token_hash                BLOB    NOT NULL UNIQUE,
    composite_balances        INTEGER  NOT NULL,
    max_credit_line           INTEGER   NOT NULL CHECK (max_credit_line >= 0),
    strict_rfc                INTEGER  NOT NULL,
    max_kyc_level             INTEGER NOT NULL CHECK (max_kyc_level BETWEEN 1 AND 3),
    oauth_token_ttl_seconds   INTEGER   NOT NULL CHECK (oauth_token_ttl_seconds > 0),
    refresh_token_ttl_seconds INTEGER   NOT NULL CHECK (refresh_token_ttl_seconds > 0),
    billing_day               INTEGER NOT NULL CHECK (billing_day BETWEEN 0 AND 28),
    payment_due_days          INTEGER NOT NULL CHECK (payment_due_days >= 0),
    overlimit                 INTEGER   NOT NULL CHECK (overlimit >= 0),
    created_at                INTEGER NOT NULL
) STRICT;

-- The Mexican deposit-account levels; limits in UDIs, NULL meaning no limit. Enforced once
-- money moves.
CREATE TABLE kyc_levels (
    level                      INTEGER PRIMARY KEY,
    monthly_deposit_limit_udis INTEGER,
    balance_cap_udis           INTEGER
) STRICT;
INSERT INTO kyc_levels VALUES (1, 750, 1000), (2, 3000, NULL), (3, 10000, NULL), (4, NULL, NULL);

CREATE TABLE customers (
    id                            INTEGER PRIMARY KEY,
    ecommerce_id                  INTEGER   NOT NULL REFERENCES ecommerces (id),
    email                         TEXT     NOT NULL,
    email_key                     TEXT     NOT NULL,
    mobile_country_code           TEXT     NOT NULL,
    mobile                        TEXT     NOT NULL,
    first_name                    TEXT     NOT NULL,
    middle_name                   TEXT     NOT NULL,
    last_name                     TEXT     NOT NULL,
    second_last_name              TEXT     NOT NULL,
    gender                        INTEGER NOT NULL CHECK (gender BETWEEN 1 AND 3),
    rfc                           TEXT     NOT NULL,
    curp                          TEXT     NOT NULL,
    date_of_birth                 TEXT     NOT NULL,
    password_hash                 TEXT     NOT NULL,
    account_level                 INTEGER NOT NULL REFERENCES kyc_levels (level),
    account_status                INTEGER NOT NULL,
    risk_level                    INTEGER NOT NULL,
    telephone                     TEXT     NOT NULL,
    address                       TEXT     NOT NULL,
    correspondence_address        TEXT     NOT NULL,
    street                        TEXT     NOT NULL,
    exterior                      TEXT     NOT NULL,
    interior                      TEXT     NOT NULL,
    colony                        TEXT     NOT NULL,
    city                          TEXT     NOT NULL,
    country_of_birth              TEXT     NOT NULL,
    zipcode                       TEXT     NOT NULL,
    state_id                      INTEGER   NOT NULL,
    nationality_id                INTEGER   NOT NULL,
    occupation_id                 INTEGER   NOT NULL,
    identification_document_front TEXT     NOT NULL,
    identification_document_back  TEXT     NOT NULL,
    identification_document_type  INTEGER   NOT NULL,
    address_document_front        TEXT     NOT NULL,
    address_document_back         TEXT     NOT NULL,
    address_document_type         INTEGER   NOT NULL,
    selfie                        TEXT     NOT NULL,
    business_name                 TEXT     NOT NULL,
    business_purpose              TEXT     NOT NULL,
    constitution_date             TEXT     NOT NULL,
    society_type                  INTEGER   NOT NULL,
    campaign_id                   TEXT     NOT NULL,
    created_at                    INTEGER NOT NULL
) STRICT;
-- Uniqueness is per partner: the same person may be a customer of two partners.
CREATE UNIQUE INDEX customers_email_key ON customers (ecommerce_id, email_key);
CREATE UNIQUE INDEX customers_mobile_key ON customers (ecommerce_id, mobile_country_code, mobile);
CREATE UNIQUE INDEX customers_rfc_key ON customers (ecommerce_id, rfc)
    WHERE rfc <> '' AND rfc NOT IN ('XAXX010101000', 'XEXX010101000');
CREATE UNIQUE INDEX customers_curp_key ON customers (ecommerce_id, curp) WHERE curp <> '';

CREATE TABLE balances (
    id           INTEGER PRIMARY KEY,
    ecommerce_id INTEGER   NOT NULL REFERENCES ecommerces (id),
    customer_id  INTEGER   NOT NULL REFERENCES customers (id),
    kind         TEXT     NOT NULL CHECK (kind IN ('wallet', 'composite_parent', 'composite_child')),
    amount       INTEGER   NOT NULL,
    status       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX balances_customer ON balances (customer_id);
CREATE UNIQUE INDEX balances_one_wallet ON balances (customer_id) WHERE kind = 'wallet';

-- allocated = Σ children's credit lines, so one conditional UPDATE keeps it within the line.
CREATE TABLE composite_parents (
    id           TEXT     PRIMARY KEY CHECK (length(id) = 32),
    ecommerce_id INTEGER   NOT NULL REFERENCES ecommerces (id),
    customer_id  INTEGER   NOT NULL REFERENCES customers (id),
    balance_id   INTEGER   NOT NULL UNIQUE REFERENCES balances (id),
    credit_line  INTEGER   NOT NULL CHECK (credit_line >= 0),
    allocated    INTEGER   NOT NULL CHECK (allocated >= 0 AND allocated <= credit_line),
    billing_day  INTEGER NOT NULL CHECK (billing_day BETWEEN 1 AND 28),
    status       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX composite_parents_customer ON composite_parents (customer_id);

-- Customer credentials, hashed. Revoked rows stay as tombstones so that a reused refresh
-- token is told apart from an unknown one.
CREATE TABLE customer_tokens (
    id            INTEGER PRIMARY KEY,
    ecommerce_id  INTEGER NOT NULL REFERENCES ecommerces (id),
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    kind          TEXT   NOT NULL CHECK (kind IN ('oauth', 'refresh', 'private_key')),
    hash          BLOB  NOT NULL UNIQUE,
    device_id     TEXT   NOT NULL,
    issued_at     INTEGER NOT NULL,
    expires_at    INTEGER,
    revoked_at    INTEGER,
    revoke_reason TEXT   NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX customer_tokens_customer ON customer_tokens (customer_id);

-- An append-only record of changes, written in the transaction of the change.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    ecommerce_id INTEGER NOT NULL REFERENCES ecommerces (id),
    type         TEXT   NOT NULL,
    subject_id   TEXT   NOT NULL,
    payload      TEXT  NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX events_ecommerce ON events (ecommerce_id, id);
