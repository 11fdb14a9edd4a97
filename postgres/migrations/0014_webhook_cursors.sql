-- Webhooks without a row per delivery (docs/decisions.md, "Webhooks"). Each endpoint keeps a
-- cursor over its partner's events in feed order (migration 0011): a process leases the
-- cursor (lease_until in the future; SKIP LOCKED on the claim), sends the events past it, and
-- moves it on in the transaction that records the attempts. Only an event whose attempt
-- failed gets a row in webhook_deliveries, the retry queue. lease_until is also when the
-- cursor was last claimed or given back, so the claims take the longest-waiting first.
-- A cursor starts at the end of the feed; since is the snapshot (pg_current_snapshot) of that
-- moment: an event past the cursor that the snapshot sees committed before the endpoint was
-- created (or enabled again), and is passed over, not sent. after_xid is the xid of the
-- event after_event_id ('0' before the first), so that the claim finds the events past a
-- cursor with a range of the index events_feed, (xid, id) > (after_xid, after_event_id),
-- rather than looking the cursor's event up for every event of the partner.
CREATE TABLE webhook_cursors (
    endpoint_id    bigint PRIMARY KEY,
    ecommerce_id   bigint NOT NULL,
    after_event_id bigint NOT NULL,
    after_xid      xid8   NOT NULL DEFAULT '0',
    lease_until    timestamptz NOT NULL,
    since          text
);
CREATE INDEX webhook_cursors_claim ON webhook_cursors (lease_until);

-- An existing endpoint goes on from the last event before its partner's first event not yet
-- fanned out, or from the end of the feed when every event was: nothing the fan-out still
-- owed is lost (an event fanned out but after that one is sent again: at least once).
INSERT INTO webhook_cursors (endpoint_id, ecommerce_id, after_event_id, lease_until)
SELECT w.id, w.ecommerce_id, COALESCE((
    SELECT e.id FROM events e
    WHERE e.ecommerce_id = w.ecommerce_id
      AND NOT EXISTS (SELECT 1 FROM events u WHERE u.ecommerce_id = e.ecommerce_id AND NOT u.dispatched
                      AND (u.xid, u.id) <= (e.xid, e.id))
    ORDER BY e.xid DESC, e.id DESC LIMIT 1), 0), '-infinity'
FROM webhook_endpoints w;
UPDATE webhook_cursors c SET after_xid = e.xid FROM events e WHERE e.id = c.after_event_id;

-- Events are no longer fanned out, so no event waits in this index; every new one would
-- still be added to it. (The dispatched column stays: a test send's event is marked so.)
DROP INDEX events_undispatched;

