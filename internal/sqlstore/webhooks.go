package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/saldo-mx/saldo"
)

// nullInstant is a column holding an instant of T whose zero value is stored as NULL.
func nullInstant[T any](name string, at func(*T) *time.Time) column[T] {
	return column[T]{
		name: name,
		arg: func(r *T, tm Times) any {
			if at(r).IsZero() {
				return nil
			}
			return tm.Arg(*at(r))
		},
		dest: func(r *T, tm Times) any { return &nullTime{t: at(r), tm: tm} },
	}
}

// nullTime scans an instant that may be NULL, leaving the zero time for NULL.
type nullTime struct {
	t  *time.Time
	tm Times
}

func (n *nullTime) Scan(src any) error {
	if src == nil {
		*n.t = time.Time{}
		return nil
	}
	if t, ok := src.(time.Time); ok {
		*n.t = t
		return nil
	}
	d := n.tm.Dest(n.t)
	if s, ok := d.(interface{ Scan(any) error }); ok {
		return s.Scan(src)
	}
	*n.t = time.Time{}
	return nil
}

// endpointColumns are the webhook_endpoints columns, the id first.
var (
	endpointColumns = newColumns("webhook_endpoints", []column[saldo.WebhookEndpointRow]{
		field("id", func(w *saldo.WebhookEndpointRow) *int64 { return &w.ID }),
		field("ecommerce_id", func(w *saldo.WebhookEndpointRow) *int64 { return &w.PartnerID }),
		field("url", func(w *saldo.WebhookEndpointRow) *string { return &w.URL }),
		{
			name: "events",
			arg: func(w *saldo.WebhookEndpointRow, _ Times) any {
				b, _ := json.Marshal(w.Events)
				return string(b)
			},
			dest: func(w *saldo.WebhookEndpointRow, _ Times) any { return (*jsonStrings)(&w.Events) },
		},
		field("description", func(w *saldo.WebhookEndpointRow) *string { return &w.Description }),
		field("secret", func(w *saldo.WebhookEndpointRow) *[]byte { return &w.SealedSecret }),
		field("old_secret", func(w *saldo.WebhookEndpointRow) *[]byte { return &w.SealedOldSecret }),
		nullInstant("old_secret_until", func(w *saldo.WebhookEndpointRow) *time.Time { return &w.OldSecretUntil }),
		nullInstant("disabled_at", func(w *saldo.WebhookEndpointRow) *time.Time { return &w.DisabledAt }),
		field("disabled_reason", func(w *saldo.WebhookEndpointRow) *string { return &w.DisabledReason }),
		nullInstant("failing_since", func(w *saldo.WebhookEndpointRow) *time.Time { return &w.FailingSince }),
		instant("created_at", func(w *saldo.WebhookEndpointRow) *time.Time { return &w.CreatedAt }),
		instant("updated_at", func(w *saldo.WebhookEndpointRow) *time.Time { return &w.UpdatedAt }),
	})
	endpointColumnsNoID = endpointColumns.withoutFirst()
)

// jsonStrings scans a JSON array of strings stored as text.
type jsonStrings []string

func (j *jsonStrings) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	}
	return json.Unmarshal(b, (*[]string)(j))
}

// deliveryColumns are the webhook_deliveries columns, the id first.
var (
	deliveryColumns = newColumns("webhook_deliveries", []column[saldo.WebhookDelivery]{
		field("id", func(d *saldo.WebhookDelivery) *int64 { return &d.ID }),
		field("ecommerce_id", func(d *saldo.WebhookDelivery) *int64 { return &d.PartnerID }),
		field("endpoint_id", func(d *saldo.WebhookDelivery) *int64 { return &d.EndpointID }),
		field("event_id", func(d *saldo.WebhookDelivery) *int64 { return &d.EventID }),
		field("status", func(d *saldo.WebhookDelivery) *string { return &d.Status }),
		field("attempts", func(d *saldo.WebhookDelivery) *int { return &d.Attempts }),
		instant("next_attempt_at", func(d *saldo.WebhookDelivery) *time.Time { return &d.NextAttemptAt }),
		nullInstant("lease_until", func(d *saldo.WebhookDelivery) *time.Time { return &d.LeaseUntil }),
		instant("created_at", func(d *saldo.WebhookDelivery) *time.Time { return &d.CreatedAt }),
		instant("updated_at", func(d *saldo.WebhookDelivery) *time.Time { return &d.UpdatedAt }),
	})
	deliveryColumnsNoID = deliveryColumns.withoutFirst()
)

// attemptColumns are the webhook_attempts columns, the id first.
var (
	attemptColumns = newColumns("webhook_attempts", []column[saldo.WebhookAttempt]{
		field("id", func(a *saldo.WebhookAttempt) *int64 { return &a.ID }),
		field("delivery_id", func(a *saldo.WebhookAttempt) *int64 { return &a.DeliveryID }),
		field("endpoint_id", func(a *saldo.WebhookAttempt) *int64 { return &a.EndpointID }),
		field("event_id", func(a *saldo.WebhookAttempt) *int64 { return &a.EventID }),
		instant("attempted_at", func(a *saldo.WebhookAttempt) *time.Time { return &a.AttemptedAt }),
		field("status_code", func(a *saldo.WebhookAttempt) *int { return &a.StatusCode }),
		{
			name: "duration_ms",
			arg:  func(a *saldo.WebhookAttempt, _ Times) any { return int64(a.Duration / time.Millisecond) },
			dest: func(a *saldo.WebhookAttempt, _ Times) any { return (*millis)(&a.Duration) },
		},
		field("response", func(a *saldo.WebhookAttempt) *string { return &a.Response }),
		field("error", func(a *saldo.WebhookAttempt) *string { return &a.Error }),
	})
	attemptColumnsNoID = attemptColumns.withoutFirst()
)

// millis scans whole milliseconds into a duration.
type millis time.Duration

func (m *millis) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*m = millis(time.Duration(v) * time.Millisecond)
	case int32:
		*m = millis(time.Duration(v) * time.Millisecond)
	}
	return nil
}

func (t *tx) scanEndpoint(rows Rows) (saldo.WebhookEndpointRow, error) {
	var w saldo.WebhookEndpointRow
	err := rows.Scan(endpointColumns.dests(&w, t.d.Times)...)
	return w, err
}

func (t *tx) scanDelivery(rows Rows) (saldo.WebhookDelivery, error) {
	var d saldo.WebhookDelivery
	err := rows.Scan(deliveryColumns.dests(&d, t.d.Times)...)
	return d, err
}

func (t *tx) InsertWebhookEndpoint(ctx context.Context, w *saldo.WebhookEndpointRow) error {
	err := t.conn.QueryRow(ctx, endpointColumnsNoID.insert(1)+" RETURNING id", endpointColumnsNoID.args(w, t.d.Times)...).Scan(&w.ID)
	return t.d.Translate(err)
}

func (t *tx) WebhookEndpoint(ctx context.Context, partnerID, id int64, lock bool) (*saldo.WebhookEndpointRow, error) {
	q := endpointColumns.selectWhere("id = $1 AND ecommerce_id = $2")
	if lock {
		q += t.d.ForUpdate
	}
	var w saldo.WebhookEndpointRow
	if err := t.conn.QueryRow(ctx, q, id, partnerID).Scan(endpointColumns.dests(&w, t.d.Times)...); err != nil {
		return nil, t.notFound(err, "endpoint_id")
	}
	return &w, nil
}

func (t *tx) WebhookEndpoints(ctx context.Context, partnerID int64) ([]saldo.WebhookEndpointRow, error) {
	return queryAll(ctx, t, t.scanEndpoint, endpointColumns.selectWhere("ecommerce_id = $1 ORDER BY id"), partnerID)
}

var (
	updateEndpoint = endpointColumns.update("id = $1", 1, "id", "ecommerce_id", "created_at")
	updateDelivery = deliveryColumns.update("id = $1", 1, "id", "ecommerce_id", "endpoint_id", "event_id", "created_at")
)

func (t *tx) UpdateWebhookEndpoint(ctx context.Context, w *saldo.WebhookEndpointRow) error {
	_, err := t.conn.Exec(ctx, updateEndpoint.sql, updateEndpoint.args(w, t.d.Times, w.ID)...)
	return t.d.Translate(err)
}

func (t *tx) DeleteWebhookEndpoint(ctx context.Context, partnerID, id int64, now time.Time) error {
	n, err := t.conn.Exec(ctx, "DELETE FROM webhook_endpoints WHERE id = $1 AND ecommerce_id = $2", id, partnerID)
	if err != nil {
		return t.d.Translate(err)
	}
	if n == 0 {
		return saldo.Errorf(saldo.ENOTFOUND, "endpoint_id:not_found")
	}
	_, err = t.conn.Exec(ctx, "UPDATE webhook_deliveries SET status = 'failed', updated_at = $2 WHERE endpoint_id = $1 AND status = 'pending'",
		id, t.d.Times.Arg(now))
	if err != nil {
		return t.d.Translate(err)
	}
	_, err = t.conn.Exec(ctx, "DELETE FROM webhook_cursors WHERE endpoint_id = $1", id)
	return t.d.Translate(err)
}

func (t *tx) InsertEvent(ctx context.Context, ev *saldo.Event) error {
	err := t.conn.QueryRow(ctx, eventColumns.insert(1)+" RETURNING id", eventColumns.args(ev, t.d.Times)...).Scan(&ev.ID)
	return t.d.Translate(err)
}

// deliveryBatch is how many deliveries one INSERT stores: 10 columns each, well within the
// engines' limits on a statement's parameters.
const deliveryBatch = 500

// InsertDeliveries stores deliveries a batch a statement and sets their ids. The ids come back
// with the (endpoint, event) each belongs to, which is unique within one call, so their order
// does not matter.
func (t *tx) InsertDeliveries(ctx context.Context, deliveries []saldo.WebhookDelivery) error {
	type key struct{ endpoint, event int64 }
	for start := 0; start < len(deliveries); start += deliveryBatch {
		batch := deliveries[start:min(len(deliveries), start+deliveryBatch)]
		at := make(map[key]*saldo.WebhookDelivery, len(batch))
		args := make([]any, 0, len(batch)*len(deliveryColumnsNoID.list))
		for i := range batch {
			at[key{batch[i].EndpointID, batch[i].EventID}] = &batch[i]
			args = deliveryColumnsNoID.appendArgs(args, &batch[i], t.d.Times)
		}
		type returned struct{ id, endpoint, event int64 }
		rows, err := queryAll(ctx, t, func(rows Rows) (returned, error) {
			var r returned
			err := rows.Scan(&r.id, &r.endpoint, &r.event)
			return r, err
		}, deliveryColumnsNoID.insert(len(batch))+" RETURNING id, endpoint_id, event_id", args...)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if d := at[key{r.endpoint, r.event}]; d != nil {
				d.ID = r.id
			}
		}
	}
	return nil
}

func (t *tx) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]saldo.WebhookDelivery, error) {
	q := deliveryColumns.selectWhere("status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)"+
		" ORDER BY next_attempt_at, id LIMIT $2") + t.d.SkipLocked
	due, err := queryAll(ctx, t, t.scanDelivery, q, t.d.Times.Arg(now), limit)
	if err != nil || len(due) == 0 {
		return due, err
	}
	args := []any{t.d.Times.Arg(leaseUntil)}
	for _, d := range due {
		args = append(args, d.ID)
	}
	if _, err := t.conn.Exec(ctx, "UPDATE webhook_deliveries SET lease_until = $1 WHERE id IN ("+inList(2, len(due))+")", args...); err != nil {
		return nil, t.d.Translate(err)
	}
	for i := range due {
		due[i].LeaseUntil = leaseUntil
	}
	return due, nil
}

func (t *tx) UpdateDelivery(ctx context.Context, d *saldo.WebhookDelivery) error {
	err := t.conn.Send(ctx, updateDelivery.sql, updateDelivery.args(d, t.d.Times, d.ID)...)
	return t.d.Translate(err)
}

// attemptBatch is how many attempts one INSERT stores: 8 columns each.
const attemptBatch = 500

// InsertAttempts stores attempts a batch a statement, without waiting for them (their ids
// are not needed): a batch of outcomes is recorded in one round trip with the COMMIT.
func (t *tx) InsertAttempts(ctx context.Context, attempts []saldo.WebhookAttempt) error {
	for start := 0; start < len(attempts); start += attemptBatch {
		batch := attempts[start:min(len(attempts), start+attemptBatch)]
		args := make([]any, 0, len(batch)*len(attemptColumnsNoID.list))
		for i := range batch {
			args = attemptColumnsNoID.appendArgs(args, &batch[i], t.d.Times)
		}
		if err := t.conn.Send(ctx, attemptColumnsNoID.insert(len(batch)), args...); err != nil {
			return t.d.Translate(err)
		}
	}
	return nil
}

// InsertAttempt stores an attempt without waiting for it (its id is not needed), so that a
// success is recorded in one round trip with its delivery's update and the COMMIT.
func (t *tx) InsertAttempt(ctx context.Context, a *saldo.WebhookAttempt) error {
	return t.d.Translate(t.conn.Send(ctx, attemptColumnsNoID.insert(1), attemptColumnsNoID.args(a, t.d.Times)...))
}

func (t *tx) WebhookAttempts(ctx context.Context, endpointID, beforeID int64, limit int) ([]saldo.WebhookAttempt, error) {
	q := attemptColumns.selectWhere("endpoint_id = $1 AND (CAST($2 AS BIGINT) = 0 OR id < CAST($2 AS BIGINT)) ORDER BY id DESC LIMIT $3")
	return queryAll(ctx, t, func(rows Rows) (saldo.WebhookAttempt, error) {
		var a saldo.WebhookAttempt
		err := rows.Scan(attemptColumns.dests(&a, t.d.Times)...)
		return a, err
	}, q, endpointID, beforeID, limit)
}
