-- Webhooks (docs/decisions.md, "Webhooks"). An endpoint's signing secrets are kept sealed
-- under the server secret key (saldo must sign with them, so a hash will not do); during a
-- rotation the old one signs beside the new until old_secret_until.
CREATE TABLE webhook_endpoints (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ecommerce_id     bigint NOT NULL REFERENCES ecommerces (id),
    url              text   NOT NULL,
    events           text   NOT NULL,
    description      text   NOT NULL,
    secret           bytea  NOT NULL,
    old_secret       bytea,
    old_secret_until timestamptz,
    disabled_at      timestamptz,
    disabled_reason  text   NOT NULL,
    failing_since    timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_ecommerce ON webhook_endpoints (ecommerce_id, id);

-- Events are fanned out to the endpoints that want them once, by whichever process gets to
-- them first. The events stored before this migration are history, not to be delivered.
ALTER TABLE events ADD COLUMN dispatched boolean NOT NULL DEFAULT true;
CREATE INDEX events_undispatched ON events (id) WHERE NOT dispatched;

-- One event to one endpoint, tried until it succeeds or its schedule runs out. A worker
-- leases it (lease_until) while its request is out, so that a process killed mid-delivery
-- leaves it to be tried again, and no two workers send it at once.
CREATE TABLE webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ecommerce_id    bigint   NOT NULL,
    endpoint_id     bigint   NOT NULL,
    event_id        bigint   NOT NULL,
    status          text     NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        integer  NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

-- Every attempt, for the partner to see: when, the answer's status (0: none), how long, the
-- first KiB of the answer, and what went wrong.
CREATE TABLE webhook_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  bigint  NOT NULL,
    endpoint_id  bigint  NOT NULL,
    event_id     bigint  NOT NULL,
    attempted_at timestamptz NOT NULL,
    status_code  integer NOT NULL,
    duration_ms  integer NOT NULL,
    response     text    NOT NULL,
    error        text    NOT NULL
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
