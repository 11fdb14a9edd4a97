-- Webhooks (docs/decisions.md, "Webhooks"). An endpoint's signing secrets are kept sealed
-- under the server secret key (saldo must sign with them, so a hash will not do); during a
-- rotation the old one signs beside the new until old_secret_until.
CREATE TABLE webhook_endpoints (
    id               INTEGER PRIMARY KEY,
    ecommerce_id     INTEGER NOT NULL REFERENCES ecommerces (id),
    url              TEXT   NOT NULL,
    events           TEXT   NOT NULL,
    description      TEXT   NOT NULL,
    secret           BLOB  NOT NULL,
    old_secret       BLOB,
    old_secret_until INTEGER,
    disabled_at      INTEGER,
    disabled_reason  TEXT   NOT NULL,
    failing_since    INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_ecommerce ON webhook_endpoints (ecommerce_id, id);

-- Events are fanned out to the endpoints that want them once, by whichever process gets to
-- them first. The events stored before this migration are history, not to be delivered.
ALTER TABLE events ADD COLUMN dispatched INTEGER NOT NULL DEFAULT 1;
CREATE INDEX events_undispatched ON events (id) WHERE dispatched = 0;

-- One event to one endpoint, tried until it succeeds or its schedule runs out. A worker
-- leases it (lease_until) while its request is out, so that a process killed mid-delivery
-- leaves it to be tried again, and no two workers send it at once.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    ecommerce_id    INTEGER   NOT NULL,
    endpoint_id     INTEGER   NOT NULL,
    event_id        INTEGER   NOT NULL,
    status          TEXT     NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        INTEGER  NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

-- Every attempt, for the partner to see: when, the answer's status (0: none), how long, the
-- first KiB of the answer, and what went wrong.
CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY,
    delivery_id  INTEGER  NOT NULL,
    endpoint_id  INTEGER  NOT NULL,
    event_id     INTEGER  NOT NULL,
    attempted_at INTEGER NOT NULL,
    status_code  INTEGER NOT NULL,
    duration_ms  INTEGER NOT NULL,
    response     TEXT    NOT NULL,
    error        TEXT    NOT NULL
) STRICT;
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
