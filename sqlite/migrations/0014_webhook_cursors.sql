-- Webhooks without a row per delivery: see the PostgreSQL migration of the same number. Here
-- the feed follows event ids (migration 0011), instants are Unix microseconds, and
-- webhook_deliveries is rebuilt with AUTOINCREMENT so that delivery ids can be reserved
-- ahead through sqlite_sequence for the attempts that succeed at the first try and get no
-- row: a row inserted later never takes an id handed out so.
CREATE TABLE webhook_cursors (
    endpoint_id    INTEGER PRIMARY KEY,
    ecommerce_id   INTEGER NOT NULL,
    after_event_id INTEGER NOT NULL,
    after_xid      INTEGER NOT NULL DEFAULT 0, -- PostgreSQL's; ids follow the commits here
    lease_until    INTEGER NOT NULL,
    since          TEXT -- PostgreSQL's; here the feed's end is exact
) STRICT;
CREATE INDEX webhook_cursors_claim ON webhook_cursors (lease_until);

INSERT INTO webhook_cursors (endpoint_id, ecommerce_id, after_event_id, lease_until)
SELECT w.id, w.ecommerce_id, COALESCE((
    SELECT e.id FROM events e
    WHERE e.ecommerce_id = w.ecommerce_id
      AND NOT EXISTS (SELECT 1 FROM events u WHERE u.ecommerce_id = e.ecommerce_id AND u.dispatched = 0 AND u.id <= e.id)
    ORDER BY e.id DESC LIMIT 1), 0), 0
FROM webhook_endpoints w;

DROP INDEX events_undispatched;

CREATE TABLE webhook_deliveries_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO webhook_deliveries_new SELECT * FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_new RENAME TO webhook_deliveries;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'webhook_deliveries', COALESCE((SELECT max(id) FROM webhook_deliveries), 0)
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'webhook_deliveries');
