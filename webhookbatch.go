package saldo

import (
	"context"
	"time"
)

// Fan-out without a row per delivery: each endpoint keeps a cursor over its partner's events
// in the feed's order. A process leases the cursor, sends the events past it, and records
// their attempts and moves the cursor on in one transaction. Only an event whose attempt
// failed gets a delivery row, and is retried from there on the schedule, so that it holds up
// none of the endpoint's later events.

// WebhookCursor is where an endpoint is in its partner's events: After is the last event it
// has been passed (sent, queued for a retry, or not wanted); 0 is before the first.
type WebhookCursor struct {
	EndpointID int64
	PartnerID  int64
	After      int64
	LeaseUntil time.Time // the lease of the process that claimed it
	// Since is the engine's mark of the moment the cursor started, to pass over events that
	// committed before it but come after After in the feed's order.
	Since string
}

// EventBatch is the next events past one endpoint's cursor, leased to this process.
type EventBatch struct {
	Cursor   WebhookCursor
	Endpoint WebhookEndpoint // its secrets open, to sign with
	// Events are those the endpoint wants, in the feed's order.
	Events []Event
	// through[i] is where the cursor goes once Events[:i] have been passed: past the events
	// before Events[i] that the endpoint does not want; through[len(Events)] is past the
	// whole batch.
	through []int64
}

// Claimed returns the event i of the batch as a delivery to send.
func (b *EventBatch) Claimed(i int) ClaimedDelivery {
	return ClaimedDelivery{Endpoint: b.Endpoint, Event: b.Events[i]}
}

// newEventBatch keeps of events, read past c up to last, those the endpoint wants. A test
// send's event is not among them: it was queued to its endpoint alone when it was recorded.
func newEventBatch(c WebhookCursor, ep WebhookEndpoint, events []Event, last int64) EventBatch {
	b := EventBatch{Cursor: c, Endpoint: ep}
	passed := c.After
	for _, ev := range events {
		if ev.Type != EventWebhookTest && ep.Wants(ev.Type) {
			b.Events = append(b.Events, ev)
			b.through = append(b.through, passed)
		}
		passed = ev.ID
	}
	b.through = append(b.through, last)
	return b
}

// ClaimEventBatches leases the cursors of up to endpoints enabled endpoints, but those of
// skip, with events past them, and returns up to events of each one's next events. A cursor
// with none the endpoint wants is moved past them at once, and returned as no batch.
func (s *Service) ClaimEventBatches(ctx context.Context, lease time.Duration, endpoints, events int, skip []int64) ([]EventBatch, error) {
	now := s.clock.Now()
	var out []EventBatch
	err := s.store.Update(ctx, func(tx Tx) error {
		out = out[:0]
		cursors, err := tx.ClaimWebhookCursors(ctx, now, now.Add(lease), endpoints, skip)
		if err != nil || len(cursors) == 0 {
			return err
		}
		rows, err := endpointsOf(ctx, tx, cursors)
		if err != nil {
			return err
		}
		for _, c := range cursors {
			row, ok := rows[c.EndpointID]
			if !ok {
				continue // deleted since: its cursor went with it
			}
			ep, err := s.openEndpoint(row)
			if err != nil {
				return err
			}
			evs, last, err := tx.WebhookCursorEvents(ctx, &c, events)
			if err != nil {
				return err
			}
			b := newEventBatch(c, ep, evs, last)
			if len(b.Events) == 0 {
				if _, err := tx.MoveWebhookCursor(ctx, &c, b.through[0], now); err != nil {
					return err
				}
				continue
			}
			out = append(out, b)
		}
		return nil
	})
	return out, err
}

// endpointsOf reads the endpoints of cursors.
func endpointsOf(ctx context.Context, tx Tx, cursors []WebhookCursor) (map[int64]*WebhookEndpointRow, error) {
	ids := make([]int64, len(cursors))
	for i, c := range cursors {
		ids[i] = c.EndpointID
	}
	rows, err := tx.WebhookEndpointsByID(ctx, ids)
	out := make(map[int64]*WebhookEndpointRow, len(rows))
	for i := range rows {
		out[rows[i].ID] = &rows[i]
	}
	return out, err
}

// RecordEventBatch records the attempts made of a batch, attempts[i] of b.Events[i] (nil:
// not made, or cut off), in one transaction, and moves the cursor past the events before the
// first not attempted. Each of those whose attempt failed gets a delivery row, retried on the
// schedule, failed at once after a 410; the endpoint's failures are counted as RecordAttempt
// counts them. If the lease is no longer b's, the attempts are recorded and nothing else: the
// process that holds the cursor now sends those events again.
func (s *Service) RecordEventBatch(ctx context.Context, b *EventBatch, attempts []*WebhookAttempt) error {
	now := s.clock.Now()
	passed := 0
	for passed < len(attempts) && attempts[passed] != nil {
		passed++
	}
	return s.store.Update(ctx, func(tx Tx) error {
		// The endpoint before the cursor: the order of UpdateWebhookEndpoint's locks.
		row, err := lockFailingEndpoint(ctx, tx, b, attempts[:passed])
		if err != nil {
			return err
		}
		moved, err := tx.MoveWebhookCursor(ctx, &b.Cursor, b.through[passed], now)
		if err != nil {
			return err
		}
		var retries []WebhookDelivery
		retryOf := map[int]int{} // event index: retry index
		if moved {
			if row != nil {
				if err := noteOutcomes(ctx, tx, row, attempts[:passed], now); err != nil {
					return err
				}
			}
			retries, retryOf = batchRetries(b, attempts[:passed], now)
			if len(retries) > 0 {
				if err := tx.InsertDeliveries(ctx, retries); err != nil {
					return err
				}
			}
		}
		return insertBatchAttempts(ctx, tx, b, attempts, retries, retryOf)
	})
}

// batchRetries are the delivery rows of the failed attempts, by the index of their event.
func batchRetries(b *EventBatch, attempts []*WebhookAttempt, now time.Time) ([]WebhookDelivery, map[int]int) {
	var retries []WebhookDelivery
	retryOf := map[int]int{}
	for i, a := range attempts {
		if a.Succeeded() {
			continue
		}
		d := WebhookDelivery{PartnerID: b.Cursor.PartnerID, EndpointID: b.Endpoint.ID, EventID: b.Events[i].ID,
			Status: DeliveryPending, Attempts: 1, NextAttemptAt: now.Add(RetrySchedule[0]), CreatedAt: now, UpdatedAt: now}
		if a.StatusCode == 410 {
			d.Status = DeliveryFailed // told the endpoint is gone: no use trying again
		}
		retryOf[i] = len(retries)
		retries = append(retries, d)
	}
	return retries, retryOf
}

// insertBatchAttempts stores the attempts made, each with its delivery's id: its retry row's,
// or one reserved for a delivery that needs no row.
func insertBatchAttempts(ctx context.Context, tx Tx, b *EventBatch, attempts []*WebhookAttempt, retries []WebhookDelivery, retryOf map[int]int) error {
	made := 0
	for _, a := range attempts {
		if a != nil {
			made++
		}
	}
	ids, err := tx.ReserveDeliveryIDs(ctx, made-len(retries))
	if err != nil {
		return err
	}
	rows := make([]WebhookAttempt, 0, made)
	for i, a := range attempts {
		if a == nil {
			continue
		}
		row := *a
		row.EndpointID, row.EventID = b.Endpoint.ID, b.Events[i].ID
		if r, ok := retryOf[i]; ok {
			row.DeliveryID = retries[r].ID
		} else {
			row.DeliveryID, ids = ids[0], ids[1:]
		}
		if len(row.Response) > MaxWebhookResponse {
			row.Response = row.Response[:MaxWebhookResponse]
		}
		rows = append(rows, row)
	}
	return tx.InsertAttempts(ctx, rows)
}

// lockFailingEndpoint locks and returns the batch's endpoint when the attempts change its
// failures: one failed, or it was failing. An endpoint that was not failing and had only
// successes is neither locked nor written: nil. Nil too when it is gone.
func lockFailingEndpoint(ctx context.Context, tx Tx, b *EventBatch, attempts []*WebhookAttempt) (*WebhookEndpointRow, error) {
	allOK := true
	for _, a := range attempts {
		allOK = allOK && a.Succeeded()
	}
	if allOK && b.Endpoint.FailingSince.IsZero() {
		return nil, nil
	}
	row, err := tx.WebhookEndpoint(ctx, b.Cursor.PartnerID, b.Endpoint.ID, true)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	}
	return row, err
}

// noteOutcomes keeps the endpoint's failures as RecordAttempt does, attempt after attempt: a
// success forgets them, a failure starts them; a 410 or DisableAfter of failures disables it.
func noteOutcomes(ctx context.Context, tx Tx, row *WebhookEndpointRow, attempts []*WebhookAttempt, now time.Time) error {
	status := 0
	for _, a := range attempts {
		switch {
		case a.Succeeded():
			row.FailingSince = time.Time{}
		case row.FailingSince.IsZero():
			row.FailingSince = a.AttemptedAt
		}
		if status != 410 {
			status = a.StatusCode
		}
	}
	if err := disableIfDead(ctx, tx, row, status, now); err != nil {
		return err
	}
	return tx.UpdateWebhookEndpoint(ctx, row)
}
