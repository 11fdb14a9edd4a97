package sqlstore

import (
	"context"
	"time"

	"github.com/saldo-mx/saldo"
)

// Each endpoint's cursor over its partner's events (migration 0014): the deliverer leases it,
// sends the events past it, and moves it on when it records their attempts.

// feedEndByID is the id of partner $1's last event, on an engine whose event ids follow the
// order of the commits.
const feedEndByID = "SELECT max(id) FROM events WHERE ecommerce_id = $1"

// FeedEndByXID is the id of partner $1's last event the feed serves on PostgreSQL (migration
// 0011): a cursor there never passes an event that the feed would serve later.
const FeedEndByXID = "SELECT id FROM events WHERE ecommerce_id = $1 AND xid < pg_snapshot_xmin(pg_current_snapshot())" +
	" ORDER BY xid DESC, id DESC LIMIT 1"

// eventsPastCursorByID holds for a cursor c with events past it, ids following commits.
const eventsPastCursorByID = "EXISTS (SELECT 1 FROM events e WHERE e.ecommerce_id = c.ecommerce_id AND e.id > c.after_event_id)"

// EventsPastCursorByXID holds for a cursor c with events past it that the feed serves, on
// PostgreSQL: a range of the index events_feed, from the cursor's (xid, id) to the feed's end.
const EventsPastCursorByXID = "EXISTS (SELECT 1 FROM events e WHERE e.ecommerce_id = c.ecommerce_id" +
	" AND (e.xid, e.id) > (c.after_xid, c.after_event_id) AND e.xid < pg_snapshot_xmin(pg_current_snapshot()))"

// CursorXIDOfEvent is the xid of event $3 on PostgreSQL, '0' for none, kept with a cursor
// moved to it.
const CursorXIDOfEvent = "COALESCE((SELECT xid FROM events WHERE id = $3), '0')"

// cursorEventsByID are up to $3 of partner $1's events past cursor $2, ids following commits,
// each with whether it committed before the cursor started: never, here ($4, the snapshot of
// PostgreSQL, is NULL).
var cursorEventsByID = "SELECT " + eventRead.names + ", $4 IS NOT NULL FROM events WHERE ecommerce_id = $1 AND id > $2 ORDER BY id LIMIT $3"

// CursorEventsByXID are the same on PostgreSQL, in the feed's order, an event committed before
// the cursor started being one that $4, the snapshot of that moment, sees.
var CursorEventsByXID = "SELECT " + eventRead.names + ", COALESCE(pg_visible_in_snapshot(xid, CAST($4 AS text)::pg_snapshot), false)" +
	" FROM events WHERE ecommerce_id = $1 AND xid < pg_snapshot_xmin(pg_current_snapshot())" +
	" AND ($2::bigint = 0 OR (xid, id) > (SELECT c.xid, c.id FROM events c WHERE c.id = $2::bigint))" +
	" ORDER BY xid, id LIMIT $3"

// CursorSinceSnapshot is the snapshot a cursor starts with on PostgreSQL.
const CursorSinceSnapshot = "pg_current_snapshot()::text"

// ReserveDeliveryIDsBySequence hands out $1 ids of webhook_deliveries' sequence on
// PostgreSQL, one a row.
const ReserveDeliveryIDsBySequence = "SELECT nextval(pg_get_serial_sequence('webhook_deliveries', 'id')) FROM generate_series(1, $1)"

// StartWebhookCursor sets endpoint endpointID's cursor at the end of its partner's feed, so
// that it is sent only what comes after, and gives up any lease on it: a process that held it
// can no longer move it.
func (t *tx) StartWebhookCursor(ctx context.Context, partnerID, endpointID int64, now time.Time) error {
	end, since := feedEndByID, "NULL"
	if t.d.FeedEnd != "" {
		end, since = t.d.FeedEnd, t.d.CursorSince
	}
	var last *int64
	if err := t.conn.QueryRow(ctx, end, partnerID).Scan(&last); err != nil && !t.d.IsNoRows(err) {
		return t.d.Translate(err)
	}
	after := int64(0)
	if last != nil {
		after = *last
	}
	_, err := t.conn.Exec(ctx, "INSERT INTO webhook_cursors (endpoint_id, ecommerce_id, after_event_id, after_xid, lease_until, since)"+
		" VALUES ($1, $2, $3, "+t.cursorXID()+", $4, "+since+")"+
		" ON CONFLICT (endpoint_id) DO UPDATE SET after_event_id = excluded.after_event_id, after_xid = excluded.after_xid,"+
		" lease_until = excluded.lease_until, since = excluded.since",
		endpointID, partnerID, after, t.d.Times.Arg(now))
	return t.d.Translate(err)
}

// cursorXID is the expression of the after_xid of a cursor moved to event $3.
func (t *tx) cursorXID() string {
	if t.d.CursorXID != "" {
		return t.d.CursorXID
	}
	return "0"
}

// ClaimWebhookCursors leases until leaseUntil up to limit cursors of enabled endpoints, but
// those of skip, that have events past them and no lease running at now, longest waiting
// first, skipping those another transaction holds.
func (t *tx) ClaimWebhookCursors(ctx context.Context, now, leaseUntil time.Time, limit int, skip []int64) ([]saldo.WebhookCursor, error) {
	past := eventsPastCursorByID
	if t.d.EventsPastCursor != "" {
		past = t.d.EventsPastCursor
	}
	q := "SELECT c.endpoint_id, c.ecommerce_id, c.after_event_id, c.since FROM webhook_cursors c WHERE c.lease_until <= $1" +
		" AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = c.endpoint_id AND w.disabled_at IS NULL) AND " + past
	args := []any{t.d.Times.Arg(now), limit}
	if len(skip) > 0 {
		q += " AND c.endpoint_id NOT IN (" + inList(3, len(skip)) + ")"
		for _, id := range skip {
			args = append(args, id)
		}
	}
	q += " ORDER BY c.lease_until LIMIT $2" + t.d.SkipLocked
	cursors, err := queryAll(ctx, t, func(rows Rows) (saldo.WebhookCursor, error) {
		var c saldo.WebhookCursor
		var since *string
		err := rows.Scan(&c.EndpointID, &c.PartnerID, &c.After, &since)
		if since != nil {
			c.Since = *since
		}
		return c, err
	}, q, args...)
	if err != nil || len(cursors) == 0 {
		return cursors, err
	}
	args = []any{t.d.Times.Arg(leaseUntil)}
	for i := range cursors {
		cursors[i].LeaseUntil = leaseUntil
		args = append(args, cursors[i].EndpointID)
	}
	_, err = t.conn.Exec(ctx, "UPDATE webhook_cursors SET lease_until = $1 WHERE endpoint_id IN ("+inList(2, len(cursors))+")", args...)
	return cursors, t.d.Translate(err)
}

// WebhookCursorEvents returns up to limit events past cursor c, in the feed's order, less
// those that committed before the cursor started, and the last event read (c.After if none).
func (t *tx) WebhookCursorEvents(ctx context.Context, c *saldo.WebhookCursor, limit int) ([]saldo.Event, int64, error) {
	q := cursorEventsByID
	if t.d.CursorEvents != "" {
		q = t.d.CursorEvents
	}
	var since *string
	if c.Since != "" {
		since = &c.Since
	}
	type read struct {
		ev  saldo.Event
		old bool
	}
	rows, err := queryAll(ctx, t, func(rows Rows) (read, error) {
		var r read
		err := rows.Scan(append(eventRead.dests(&r.ev, t.d.Times), &r.old)...)
		return r, err
	}, q, c.PartnerID, c.After, limit, since)
	if err != nil || len(rows) == 0 {
		return nil, c.After, err
	}
	var events []saldo.Event
	for _, r := range rows {
		if !r.old {
			events = append(events, r.ev)
		}
	}
	return events, rows[len(rows)-1].ev.ID, nil
}

// MoveWebhookCursor moves a leased cursor to after and gives the lease back at now; it
// reports false, and changes nothing, when the lease is no longer c's (it ran out and another
// process took the cursor, or the endpoint was deleted, enabled again or started afresh).
func (t *tx) MoveWebhookCursor(ctx context.Context, c *saldo.WebhookCursor, after int64, now time.Time) (bool, error) {
	n, err := t.conn.Exec(ctx, "UPDATE webhook_cursors SET after_event_id = $3, after_xid = "+t.cursorXID()+", lease_until = $4"+
		" WHERE endpoint_id = $1 AND lease_until = $2",
		c.EndpointID, t.d.Times.Arg(c.LeaseUntil), after, t.d.Times.Arg(now))
	return n == 1, t.d.Translate(err)
}

// ReserveDeliveryIDs hands out n delivery ids that no webhook_deliveries row will take.
func (t *tx) ReserveDeliveryIDs(ctx context.Context, n int) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	if t.d.ReserveDeliveryIDs != "" {
		return queryAll(ctx, t, scanValue[int64], t.d.ReserveDeliveryIDs, n)
	}
	// SQLite: webhook_deliveries is AUTOINCREMENT (migration 0014), so its rows take ids past
	// the sequence's, and the writers are serialized.
	var last int64
	err := t.conn.QueryRow(ctx, "UPDATE sqlite_sequence SET seq = seq + $1 WHERE name = 'webhook_deliveries' RETURNING seq", n).Scan(&last)
	if err != nil {
		return nil, t.d.Translate(err)
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = last - int64(n) + 1 + int64(i)
	}
	return ids, nil
}

// WebhookEndpointsByID returns the endpoints of ids, in id order, those deleted left out.
func (t *tx) WebhookEndpointsByID(ctx context.Context, ids []int64) ([]saldo.WebhookEndpointRow, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return queryAll(ctx, t, t.scanEndpoint, endpointColumns.selectWhere("id IN ("+inList(1, len(ids))+") ORDER BY id"), args...)
}
