-- The operator console (docs/decisions.md, "Operator console"). Operators are the people who
-- run saldo, not partners' customers: their own table, sessions and audit log. Instants that
-- may be absent (locked_until, disabled_at) store the zero instant rather than NULL.
CREATE TABLE operators (
    id            INTEGER PRIMARY KEY,
    email         TEXT     NOT NULL,
    email_key     TEXT     NOT NULL UNIQUE,
    role          TEXT     NOT NULL CHECK (role IN ('admin', 'viewer')),
    password_hash TEXT     NOT NULL,
    failed_logins INTEGER  NOT NULL,
    locked_until  INTEGER NOT NULL,
    disabled_at   INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

-- A session is known by the hash of its cookie's secret; its CSRF token goes in every form.
CREATE TABLE operator_sessions (
    id           INTEGER PRIMARY KEY,
    operator_id  INTEGER NOT NULL REFERENCES operators (id),
    hash         BLOB  NOT NULL UNIQUE,
    csrf_token   TEXT   NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);

-- Every operator action: who (kept as an email too, should the operator go), what, when.
CREATE TABLE operator_audit (
    id             INTEGER PRIMARY KEY,
    operator_id    INTEGER NOT NULL,
    operator_email TEXT   NOT NULL,
    action         TEXT   NOT NULL,
    target         TEXT   NOT NULL,
    detail         TEXT   NOT NULL,
    created_at     INTEGER NOT NULL
) STRICT;

-- The console's charts count by day, and a customer's page lists its events.
CREATE INDEX customers_created ON customers (created_at);
CREATE INDEX events_subject ON events (ecommerce_id, subject_id, id);
CREATE INDEX webhook_attempts_attempted ON webhook_attempts (attempted_at);
