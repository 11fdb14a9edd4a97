-- The operator console (docs/decisions.md, "Operator console"). Operators are the people who
-- run saldo, not partners' customers: their own table, sessions and audit log. Instants that
-- may be absent (locked_until, disabled_at) store the zero instant rather than NULL.
CREATE TABLE operators (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text     NOT NULL,
    email_key     text     NOT NULL UNIQUE,
    role          text     NOT NULL CHECK (role IN ('admin', 'viewer')),
    password_hash text     NOT NULL,
    failed_logins integer  NOT NULL,
    locked_until  timestamptz NOT NULL,
    disabled_at   timestamptz NOT NULL,
    created_at    timestamptz NOT NULL
);

-- A session is known by the hash of its cookie's secret; its CSRF token goes in every form.
CREATE TABLE operator_sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id  bigint NOT NULL REFERENCES operators (id),
    hash         bytea  NOT NULL UNIQUE,
    csrf_token   text   NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);

-- Every operator action: who (kept as an email too, should the operator go), what, when.
CREATE TABLE operator_audit (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id    bigint NOT NULL,
    operator_email text   NOT NULL,
    action         text   NOT NULL,
    target         text   NOT NULL,
    detail         text   NOT NULL,
    created_at     timestamptz NOT NULL
);

-- The console's charts count by day, and a customer's page lists its events.
CREATE INDEX customers_created ON customers (created_at);
CREATE INDEX events_subject ON events (ecommerce_id, subject_id, id);
CREATE INDEX webhook_attempts_attempted ON webhook_attempts (attempted_at);
