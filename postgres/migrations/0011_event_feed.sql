-- The event feed (GET /events/v1) pages through a partner's events in the order their
-- transactions committed, which ids do not give on PostgreSQL: a sequence hands out ids at
-- insert, and a transaction that inserted early may commit late, behind a cursor that has
-- moved on. Each event keeps the id of the transaction that wrote it; the feed orders by
-- (xid, id) and serves only events whose transaction is older than every transaction still
-- running (pg_snapshot_xmin of the current snapshot), so no event can later appear before the
-- cursor. Adding a column with a volatile default rewrites the table once; the rows stored
-- before all get this migration's id, and are older than anything written after it.
ALTER TABLE events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_feed ON events (ecommerce_id, xid, id);
