package saldo

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// WebhookEndpointRow is an endpoint as stored: its secrets sealed under the server secret key.
type WebhookEndpointRow struct {
	WebhookEndpoint
	SealedSecret    []byte
	SealedOldSecret []byte // nil: none
}

// WebhookTx is what a transaction can do with webhooks.
type WebhookTx interface {
	InsertWebhookEndpoint(ctx context.Context, w *WebhookEndpointRow) error
	// WebhookEndpoint returns partner partnerID's endpoint id, or ENOTFOUND; with lock, locked
	// until the transaction ends.
	WebhookEndpoint(ctx context.Context, partnerID, id int64, lock bool) (*WebhookEndpointRow, error)
	// WebhookEndpoints returns a partner's endpoints in id order.
	WebhookEndpoints(ctx context.Context, partnerID int64) ([]WebhookEndpointRow, error)
	UpdateWebhookEndpoint(ctx context.Context, w *WebhookEndpointRow) error
	// DeleteWebhookEndpoint deletes an endpoint and fails its pending deliveries.
	DeleteWebhookEndpoint(ctx context.Context, partnerID, id int64, now time.Time) error

	// StartWebhookCursor sets an endpoint's cursor at the end of its partner's feed, as of
	// now, and gives up any lease on it.
	StartWebhookCursor(ctx context.Context, partnerID, endpointID int64, now time.Time) error
	// ClaimWebhookCursors leases until leaseUntil up to limit cursors of enabled endpoints, but
	// those of skip, with events past them and no lease running at now, skipping those
	// another transaction holds.
	ClaimWebhookCursors(ctx context.Context, now, leaseUntil time.Time, limit int, skip []int64) ([]WebhookCursor, error)
	// MoveWebhookCursor moves a leased cursor to after and ends its lease at now; false, and
	// nothing changed, when the lease is no longer c's.
	MoveWebhookCursor(ctx context.Context, c *WebhookCursor, after int64, now time.Time) (bool, error)
	// WebhookCursorEvents returns up to limit events past cursor c in the feed's order, less
	// those committed before the cursor started, and the last event read (c.After if none).
	WebhookCursorEvents(ctx context.Context, c *WebhookCursor, limit int) ([]Event, int64, error)
	// WebhookEndpointsByID returns the endpoints of ids in id order, those deleted left out.
	WebhookEndpointsByID(ctx context.Context, ids []int64) ([]WebhookEndpointRow, error)
	// ReserveDeliveryIDs hands out n delivery ids that no delivery row will take.
	ReserveDeliveryIDs(ctx context.Context, n int) ([]int64, error)
	InsertDeliveries(ctx context.Context, deliveries []WebhookDelivery) error
	// ClaimDeliveries leases up to limit pending deliveries due at now whose lease, if any,
	// ran out, until leaseUntil, skipping those another transaction holds, and returns them.
	ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]WebhookDelivery, error)
	UpdateDelivery(ctx context.Context, d *WebhookDelivery) error
	InsertAttempt(ctx context.Context, a *WebhookAttempt) error
	InsertAttempts(ctx context.Context, attempts []WebhookAttempt) error
	// WebhookAttempts returns up to limit attempts of an endpoint with ids below beforeID (0:
	// from the newest), newest first.
	WebhookAttempts(ctx context.Context, endpointID, beforeID int64, limit int) ([]WebhookAttempt, error)
}

// NewWebhookEndpoint is the input of CreateWebhookEndpoint.
type NewWebhookEndpoint struct {
	URL         string
	Events      []string
	Description string
}

// WebhookEndpointChange is the input of UpdateWebhookEndpoint: nil fields stay as they are.
type WebhookEndpointChange struct {
	URL         *string
	Events      *[]string
	Description *string
	Enabled     *bool
}

// sealing context of the endpoints' secrets.
const webhookSecretContext = "webhook endpoint secret"

func (s *Service) sealSecret(partnerID int64, secret string) []byte {
	return s.sealer.seal(partnerID, webhookSecretContext, []byte(secret))
}

// openEndpoint opens a stored endpoint's secrets.
func (s *Service) openEndpoint(row *WebhookEndpointRow) (WebhookEndpoint, error) {
	w := row.WebhookEndpoint
	secret, err := s.sealer.open(row.PartnerID, webhookSecretContext, row.SealedSecret)
	if err != nil {
		return w, WrapError(EINTERNAL, err, "webhook endpoint %d: secret sealed under a key not held", row.ID)
	}
	w.Secret = string(secret)
	if row.SealedOldSecret != nil {
		old, err := s.sealer.open(row.PartnerID, webhookSecretContext, row.SealedOldSecret)
		if err != nil {
			return w, WrapError(EINTERNAL, err, "webhook endpoint %d: old secret sealed under a key not held", row.ID)
		}
		w.OldSecret = string(old)
	}
	return w, nil
}

// withoutSecrets is w as reads show it.
func withoutSecrets(w WebhookEndpoint) WebhookEndpoint {
	w.Secret, w.OldSecret = "", ""
	return w
}

// checkEndpoint checks an endpoint's fields against their rules and the URL policy.
func (s *Service) checkEndpoint(ctx context.Context, url string, events []string, description string) error {
	var h Hints
	s.checkURL(ctx, &h, url)
	checkEvents(&h, events)
	checkLength(&h, "description", description, 255)
	return h.Err(EINVALID)
}

// checkChange checks the fields an update gives, as a create would; the stored ones passed
// when they were set.
func (s *Service) checkChange(ctx context.Context, c WebhookEndpointChange) error {
	var h Hints
	if c.URL != nil {
		s.checkURL(ctx, &h, *c.URL)
	}
	if c.Events != nil {
		checkEvents(&h, *c.Events)
	}
	if c.Description != nil {
		checkLength(&h, "description", *c.Description, 255)
	}
	return h.Err(EINVALID)
}

func (s *Service) checkURL(ctx context.Context, h *Hints, url string) {
	if url == "" {
		h.Add("url", "required")
		return
	}
	if err := s.webhooks.CheckURL(ctx, url); err != nil {
		*h = append(*h, ErrorHints(err)...)
	}
}

func checkEvents(h *Hints, events []string) {
	if len(events) == 0 {
		h.Add("events", "required")
	}
	for _, typ := range events {
		if typ != "*" && !slices.Contains(webhookTypes, typ) {
			h.Add("events", "unknown_type")
		}
	}
}

// CreateWebhookEndpoint registers an endpoint for partner e's events and returns it with its
// signing secret, shown this once.
func (s *Service) CreateWebhookEndpoint(ctx context.Context, e *Partner, n NewWebhookEndpoint, idem *Idempotency[*WebhookEndpoint]) (*WebhookEndpoint, error) {
	if err := s.checkEndpoint(ctx, n.URL, n.Events, n.Description); err != nil {
		return nil, err
	}
	secret := newWebhookSecret()
	return write(ctx, s, nil, e, idem, s.clock.Now(), func(w writeTx) (*WebhookEndpoint, error) {
		row := &WebhookEndpointRow{
			WebhookEndpoint: WebhookEndpoint{PartnerID: e.ID, URL: n.URL, Events: n.Events, Description: n.Description,
				CreatedAt: w.now, UpdatedAt: w.now},
			SealedSecret: s.sealSecret(e.ID, secret),
		}
		if err := w.InsertWebhookEndpoint(ctx, row); err != nil {
			return nil, err
		}
		if err := w.StartWebhookCursor(ctx, e.ID, row.ID, w.now); err != nil {
			return nil, err
		}
		out := row.WebhookEndpoint
		out.Secret = secret
		return &out, nil
	})
}

// WebhookEndpoints lists partner e's endpoints, without their secrets.
func (s *Service) WebhookEndpoints(ctx context.Context, e *Partner) ([]WebhookEndpoint, error) {
	var out []WebhookEndpoint
	err := s.store.View(ctx, func(tx Tx) error {
		rows, err := tx.WebhookEndpoints(ctx, e.ID)
		out = make([]WebhookEndpoint, len(rows))
		for i := range rows {
			out[i] = withoutSecrets(rows[i].WebhookEndpoint)
		}
		return err
	})
	return out, err
}

// WebhookEndpoint returns partner e's endpoint id, without its secrets.
func (s *Service) WebhookEndpoint(ctx context.Context, e *Partner, id int64) (*WebhookEndpoint, error) {
	var out WebhookEndpoint
	err := s.store.View(ctx, func(tx Tx) error {
		row, err := tx.WebhookEndpoint(ctx, e.ID, id, false)
		if err == nil {
			out = withoutSecrets(row.WebhookEndpoint)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateWebhookEndpoint changes an endpoint's URL, events, description, or enables or
// disables it. Enabling it again forgets its failures.
func (s *Service) UpdateWebhookEndpoint(ctx context.Context, e *Partner, id int64, c WebhookEndpointChange, idem *Idempotency[*WebhookEndpoint]) (*WebhookEndpoint, error) {
	// The fields given are checked before the transaction: a URL's check resolves its host,
	// which must not hold the endpoint's lock.
	if err := s.checkChange(ctx, c); err != nil {
		return nil, err
	}
	return write(ctx, s, nil, e, idem, s.clock.Now(), func(w writeTx) (*WebhookEndpoint, error) {
		row, err := w.WebhookEndpoint(ctx, e.ID, id, true)
		if err != nil {
			return nil, err
		}
		ep := &row.WebhookEndpoint
		if c.URL != nil {
			ep.URL = *c.URL
		}
		if c.Events != nil {
			ep.Events = *c.Events
		}
		if c.Description != nil {
			ep.Description = *c.Description
		}
		switch {
		case c.Enabled == nil:
		case *c.Enabled && !ep.Enabled():
			// The events of while it was disabled are not sent: it goes on from now.
			if err := w.StartWebhookCursor(ctx, e.ID, id, w.now); err != nil {
				return nil, err
			}
			ep.DisabledAt, ep.DisabledReason, ep.FailingSince = time.Time{}, "", time.Time{}
		case *c.Enabled:
			ep.FailingSince = time.Time{}
		case ep.Enabled():
			ep.DisabledAt, ep.DisabledReason = w.now, "disabled"
		}
		ep.UpdatedAt = w.now
		if err := w.UpdateWebhookEndpoint(ctx, row); err != nil {
			return nil, err
		}
		out := withoutSecrets(*ep)
		return &out, nil
	})
}

// Deleted is what DeleteWebhookEndpoint returns.
type Deleted struct{}

// DeleteWebhookEndpoint deletes an endpoint; its pending deliveries fail.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, e *Partner, id int64, idem *Idempotency[Deleted]) (Deleted, error) {
	return write(ctx, s, nil, e, idem, s.clock.Now(), func(w writeTx) (Deleted, error) {
		return Deleted{}, w.DeleteWebhookEndpoint(ctx, e.ID, id, w.now)
	})
}

// SecretOverlap is how long an old signing secret keeps signing beside a new one.
const SecretOverlap = 24 * time.Hour

// RotateWebhookSecret gives an endpoint a new signing secret, shown this once; the old one
// signs beside it for SecretOverlap.
func (s *Service) RotateWebhookSecret(ctx context.Context, e *Partner, id int64, idem *Idempotency[*WebhookEndpoint]) (*WebhookEndpoint, error) {
	secret := newWebhookSecret()
	return write(ctx, s, nil, e, idem, s.clock.Now(), func(w writeTx) (*WebhookEndpoint, error) {
		row, err := w.WebhookEndpoint(ctx, e.ID, id, true)
		if err != nil {
			return nil, err
		}
		row.SealedOldSecret, row.OldSecretUntil = row.SealedSecret, w.now.Add(SecretOverlap)
		row.SealedSecret, row.UpdatedAt = s.sealSecret(e.ID, secret), w.now
		if err := w.UpdateWebhookEndpoint(ctx, row); err != nil {
			return nil, err
		}
		out := withoutSecrets(row.WebhookEndpoint)
		out.Secret = secret
		return &out, nil
	})
}

// TestWebhookEndpoint records a webhook.test event and queues its delivery to this endpoint
// alone, whatever the endpoint subscribes to.
func (s *Service) TestWebhookEndpoint(ctx context.Context, e *Partner, id int64, idem *Idempotency[*WebhookDelivery]) (*WebhookDelivery, error) {
	return write(ctx, s, nil, e, idem, s.clock.Now(), func(w writeTx) (*WebhookDelivery, error) {
		if _, err := w.WebhookEndpoint(ctx, e.ID, id, false); err != nil {
			return nil, err
		}
		ev := newEvent(e, w.now, WebhookTest{EndpointID: id})
		ev.dispatched = true // delivered here, to this endpoint only
		if err := w.InsertEvent(ctx, &ev); err != nil {
			return nil, err
		}
		return queueDelivery(ctx, w, e.ID, id, ev.ID)
	})
}

// queueDelivery queues the delivery of event eventID to endpoint endpointID at once.
func queueDelivery(ctx context.Context, w writeTx, partnerID, endpointID, eventID int64) (*WebhookDelivery, error) {
	d := []WebhookDelivery{{PartnerID: partnerID, EndpointID: endpointID, EventID: eventID, Status: DeliveryPending,
		NextAttemptAt: w.now, CreatedAt: w.now, UpdatedAt: w.now}}
	if err := w.InsertDeliveries(ctx, d); err != nil {
		return nil, err
	}
	return &d[0], nil
}

// RedeliverEvent queues partner e's event eventID again to every enabled endpoint that wants
// it, and returns the deliveries queued.
func (s *Service) RedeliverEvent(ctx context.Context, e *Partner, eventID int64, idem *Idempotency[[]WebhookDelivery]) ([]WebhookDelivery, error) {
	return write(ctx, s, nil, e, idem, s.clock.Now(), func(w writeTx) ([]WebhookDelivery, error) {
		ev, err := w.Event(ctx, e.ID, eventID)
		if ErrorCode(err) == ENOTFOUND {
			return nil, Errorf(ENOTFOUND, "event_id:not_found")
		}
		if err != nil {
			return nil, err
		}
		endpoints, err := w.WebhookEndpoints(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		out := []WebhookDelivery{}
		for _, ep := range endpoints {
			if ep.Enabled() && ep.Wants(ev.Type) {
				out = append(out, WebhookDelivery{PartnerID: e.ID, EndpointID: ep.ID, EventID: ev.ID, Status: DeliveryPending,
					NextAttemptAt: w.now, CreatedAt: w.now, UpdatedAt: w.now})
			}
		}
		if len(out) > 0 {
			err = w.InsertDeliveries(ctx, out)
		}
		return out, err
	})
}

// WebhookAttempts returns a page of an endpoint's attempts, newest first, before attempt
// beforeID (0: from the newest), and the id to continue before (0 on the last page).
func (s *Service) WebhookAttempts(ctx context.Context, e *Partner, endpointID, beforeID int64, limit int) ([]WebhookAttempt, int64, error) {
	if limit < 1 || limit > MaxChildrenLimit {
		return nil, 0, Errorf(EINVALID, "limit:invalid")
	}
	var out []WebhookAttempt
	err := s.store.View(ctx, func(tx Tx) error {
		if _, err := tx.WebhookEndpoint(ctx, e.ID, endpointID, false); err != nil {
			return err
		}
		var err error
		out, err = tx.WebhookAttempts(ctx, endpointID, beforeID, limit+1)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// ClaimedDelivery is a delivery a worker leased, with what it needs to send it.
type ClaimedDelivery struct {
	Delivery WebhookDelivery
	Endpoint WebhookEndpoint // its secrets open, to sign with
	Event    Event
}

// WebhookBody is the body of a delivery, per Standard Webhooks: the event's type, when it
// happened, and its payload.
func (c *ClaimedDelivery) WebhookBody() []byte {
	body, err := json.Marshal(struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{c.Event.Type, c.Event.CreatedAt.UTC().Format(time.RFC3339Nano), c.Event.Payload})
	if err != nil {
		panic(err) // a stored payload is JSON
	}
	return body
}

// MessageID is the webhook-id of a delivery: the event's id, the same on every retry and
// every redelivery, so that the receiver can tell a repeat.
func (c *ClaimedDelivery) MessageID() string { return "evt_" + formatID(c.Event.ID) }

// ClaimDeliveries leases up to limit due deliveries for lease, with their endpoints and
// events. A delivery whose endpoint is gone or disabled is failed instead. Each endpoint of a
// batch is read and its secrets opened once, however many of its deliveries the batch holds.
func (s *Service) ClaimDeliveries(ctx context.Context, lease time.Duration, limit int) ([]ClaimedDelivery, error) {
	now := s.clock.Now()
	var out []ClaimedDelivery
	err := s.store.Update(ctx, func(tx Tx) error {
		out = out[:0]
		due, err := tx.ClaimDeliveries(ctx, now, now.Add(lease), limit)
		if err != nil {
			return err
		}
		endpoints := map[int64]*WebhookEndpoint{} // nil: gone or disabled
		for _, d := range due {
			ep, seen := endpoints[d.EndpointID]
			if !seen {
				if ep, err = s.deliverableEndpoint(ctx, tx, d.PartnerID, d.EndpointID); err != nil {
					return err
				}
				endpoints[d.EndpointID] = ep
			}
			if ep == nil {
				d.Status, d.UpdatedAt = DeliveryFailed, now
				if err := tx.UpdateDelivery(ctx, &d); err != nil {
					return err
				}
				continue
			}
			ev, err := tx.Event(ctx, d.PartnerID, d.EventID)
			if err != nil {
				return err
			}
			out = append(out, ClaimedDelivery{Delivery: d, Endpoint: *ep, Event: *ev})
		}
		return nil
	})
	return out, err
}

// deliverableEndpoint returns an endpoint with its secrets open, or nil when it is gone or
// disabled.
func (s *Service) deliverableEndpoint(ctx context.Context, tx Tx, partnerID, id int64) (*WebhookEndpoint, error) {
	row, err := tx.WebhookEndpoint(ctx, partnerID, id, false)
	if ErrorCode(err) == ENOTFOUND || err == nil && !row.Enabled() {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ep, err := s.openEndpoint(row)
	return &ep, err
}

// ErrEndpointGone marks an attempt answered 410 Gone: the endpoint is disabled at once.
var ErrEndpointGone = errors.New("endpoint answered 410 Gone")

// RecordAttempt records an attempt of a claimed delivery and what follows from it: success
// ends the delivery; a failure schedules the next attempt (RetrySchedule) or, after the last,
// fails it; 410 Gone disables the endpoint at once, and an endpoint that has failed every
// attempt for DisableAfter is disabled, each with an endpoint.disabled event.
func (s *Service) RecordAttempt(ctx context.Context, c *ClaimedDelivery, a WebhookAttempt) error {
	now := s.clock.Now()
	return s.store.Update(ctx, func(tx Tx) error {
		d := c.Delivery
		a.DeliveryID, a.EndpointID, a.EventID = d.ID, d.EndpointID, d.EventID
		if len(a.Response) > MaxWebhookResponse {
			a.Response = a.Response[:MaxWebhookResponse]
		}
		if err := tx.InsertAttempt(ctx, &a); err != nil {
			return err
		}
		succeeded := a.Succeeded()
		if succeeded && c.Endpoint.FailingSince.IsZero() {
			// The common case: a success to an endpoint that was not failing changes nothing of
			// the endpoint, so it is neither locked nor written.
			d.Attempts++
			d.Status = DeliverySucceeded
			return finishAttempt(ctx, tx, &d, now)
		}
		row, err := tx.WebhookEndpoint(ctx, d.PartnerID, d.EndpointID, true)
		if ErrorCode(err) == ENOTFOUND {
			d.Status = DeliveryFailed
			return finishAttempt(ctx, tx, &d, now)
		}
		if err != nil {
			return err
		}
		d.Attempts++
		switch {
		case succeeded:
			d.Status = DeliverySucceeded
			row.FailingSince = time.Time{}
		case d.Attempts > len(RetrySchedule) || a.StatusCode == 410:
			// Out of retries, or told the endpoint is gone: no use trying again.
			d.Status = DeliveryFailed
		default:
			d.NextAttemptAt = now.Add(RetrySchedule[d.Attempts-1])
		}
		if !succeeded && row.FailingSince.IsZero() {
			row.FailingSince = a.AttemptedAt
		}
		if err := disableIfDead(ctx, tx, row, a.StatusCode, now); err != nil {
			return err
		}
		if err := tx.UpdateWebhookEndpoint(ctx, row); err != nil {
			return err
		}
		return finishAttempt(ctx, tx, &d, now)
	})
}

// finishAttempt stores a delivery after an attempt, its lease given up.
func finishAttempt(ctx context.Context, tx Tx, d *WebhookDelivery, now time.Time) error {
	d.LeaseUntil, d.UpdatedAt = time.Time{}, now
	return tx.UpdateDelivery(ctx, d)
}

// disableIfDead disables an enabled endpoint that answered 410 Gone or has failed every
// attempt for DisableAfter, with an endpoint.disabled event.
func disableIfDead(ctx context.Context, tx Tx, row *WebhookEndpointRow, status int, now time.Time) error {
	reason := ""
	switch {
	case !row.Enabled():
		return nil
	case status == 410:
		reason = "gone"
	case !row.FailingSince.IsZero() && now.Sub(row.FailingSince) >= DisableAfter:
		reason = "failing"
	default:
		return nil
	}
	row.DisabledAt, row.DisabledReason, row.UpdatedAt = now, reason, now
	e := &Partner{ID: row.PartnerID}
	return tx.InsertEvents(ctx, []Event{newEvent(e, now, EndpointDisabled{EndpointID: row.ID, Reason: reason})})
}
