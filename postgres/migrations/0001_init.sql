-- Partners (tenants). Tokens are stored as SHA-256 hashes only.
CREATE TABLE ecommerces (
    id                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                      text     NOT NULL,
    token_hash                bytea    NOT NULL UNIQUE,
    composite_balances        boolean  NOT NULL,
    max_credit_line           bigint   NOT NULL CHECK (max_credit_line >= 0),
    strict_rfc                boolean  NOT NULL,
    max_kyc_level             smallint NOT NULL CHECK (max_kyc_level BETWEEN 1 AND 3),
    oauth_token_ttl_seconds   bigint   NOT NULL CHECK (oauth_token_ttl_seconds > 0),
    refresh_token_ttl_seconds bigint   NOT NULL CHECK (refresh_token_ttl_seconds > 0),
    billing_day               smallint NOT NULL CHECK (billing_day BETWEEN 0 AND 28),
    payment_due_days          smallint NOT NULL CHECK (payment_due_days >= 0),
    overlimit                 bigint   NOT NULL CHECK (overlimit >= 0),
    created_at                timestamptz NOT NULL
);

-- The Mexican deposit-account levels; limits in UDIs, NULL meaning no limit. Enforced once
-- money moves.
CREATE TABLE kyc_levels (
    level                      smallint PRIMARY KEY,
    monthly_deposit_limit_udis bigint,
    balance_cap_udis           bigint
);
INSERT INTO kyc_levels VALUES (1, 750, 1000), (2, 3000, NULL), (3, 10000, NULL), (4, NULL, NULL);

CREATE TABLE customers (
    id                            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ecommerce_id                  bigint   NOT NULL REFERENCES ecommerces (id),
    email                         text     NOT NULL,
    email_key                     text     NOT NULL,
    mobile_country_code           text     NOT NULL,
    mobile                        text     NOT NULL,
    first_name                    text     NOT NULL,
    middle_name                   text     NOT NULL,
    last_name                     text     NOT NULL,
    second_last_name              text     NOT NULL,
    gender                        smallint NOT NULL CHECK (gender BETWEEN 1 AND 3),
    rfc                           text     NOT NULL,
    curp                          text     NOT NULL,
    date_of_birth                 text     NOT NULL,
    password_hash                 text     NOT NULL,
    account_level                 smallint NOT NULL REFERENCES kyc_levels (level),
    account_status                smallint NOT NULL,
    risk_level                    smallint NOT NULL,
    telephone                     text     NOT NULL,
    address                       text     NOT NULL,
    correspondence_address        text     NOT NULL,
    street                        text     NOT NULL,
    exterior                      text     NOT NULL,
    interior                      text     NOT NULL,
    colony                        text     NOT NULL,
    city                          text     NOT NULL,
    country_of_birth              text     NOT NULL,
    zipcode                       text     NOT NULL,
    state_id                      bigint   NOT NULL,
    nationality_id                bigint   NOT NULL,
    occupation_id                 bigint   NOT NULL,
    identification_document_front text     NOT NULL,
    identification_document_back  text     NOT NULL,
    identification_document_type  bigint   NOT NULL,
    address_document_front        text     NOT NULL,
    address_document_back         text     NOT NULL,
    address_document_type         bigint   NOT NULL,
    selfie                        text     NOT NULL,
    business_name                 text     NOT NULL,
    business_purpose              text     NOT NULL,
    constitution_date             text     NOT NULL,
    society_type                  bigint   NOT NULL,
    campaign_id                   text     NOT NULL,
    created_at                    timestamptz NOT NULL
);
-- Uniqueness is per partner: the same person may be a customer of two partners.
CREATE UNIQUE INDEX customers_email_key ON customers (ecommerce_id, email_key);
CREATE UNIQUE INDEX customers_mobile_key ON customers (ecommerce_id, mobile_country_code, mobile);
CREATE UNIQUE INDEX customers_rfc_key ON customers (ecommerce_id, rfc)
    WHERE rfc <> '' AND rfc NOT IN ('XAXX010101000', 'XEXX010101000');
CREATE UNIQUE INDEX customers_curp_key ON customers (ecommerce_id, curp) WHERE curp <> '';

CREATE TABLE balances (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ecommerce_id bigint   NOT NULL REFERENCES ecommerces (id),
    customer_id  bigint   NOT NULL REFERENCES customers (id),
    kind         text     NOT NULL CHECK (kind IN ('wallet', 'composite_parent', 'composite_child')),
    amount       bigint   NOT NULL,
    status       smallint NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX balances_customer ON balances (customer_id);
CREATE UNIQUE INDEX balances_one_wallet ON balances (customer_id) WHERE kind = 'wallet';

-- allocated = Σ children's credit lines, so one conditional UPDATE keeps it within the line.
CREATE TABLE composite_parents (
    id           text     PRIMARY KEY CHECK (length(id) = 32),
    ecommerce_id bigint   NOT NULL REFERENCES ecommerces (id),
    customer_id  bigint   NOT NULL REFERENCES customers (id),
    balance_id   bigint   NOT NULL UNIQUE REFERENCES balances (id),
    credit_line  bigint   NOT NULL CHECK (credit_line >= 0),
    allocated    bigint   NOT NULL CHECK (allocated >= 0 AND allocated <= credit_line),
    billing_day  smallint NOT NULL CHECK (billing_day BETWEEN 1 AND 28),
    status       smallint NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX composite_parents_customer ON composite_parents (customer_id);

-- Customer credentials, hashed. Revoked rows stay as tombstones so that a reused refresh
-- token is told apart from an unknown one.
CREATE TABLE customer_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ecommerce_id  bigint NOT NULL REFERENCES ecommerces (id),
    customer_id   bigint NOT NULL REFERENCES customers (id),
    kind          text   NOT NULL CHECK (kind IN ('oauth', 'refresh', 'private_key')),
    hash          bytea  NOT NULL UNIQUE,
    device_id     text   NOT NULL,
    issued_at     timestamptz NOT NULL,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    revoke_reason text   NOT NULL DEFAULT ''
);
CREATE INDEX customer_tokens_customer ON customer_tokens (customer_id);

-- An append-only record of changes, written in the transaction of the change.
CREATE TABLE events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ecommerce_id bigint NOT NULL REFERENCES ecommerces (id),
    type         text   NOT NULL,
    subject_id   text   NOT NULL,
    payload      jsonb  NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX events_ecommerce ON events (ecommerce_id, id);
