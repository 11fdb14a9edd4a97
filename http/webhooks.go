package http

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/saldo-mx/saldo"
)

// Webhooks: a partner's endpoints, their signing secrets, test sends, the attempts of their
// deliveries and the redelivery of an event. Everything under /webhooks/ answers in the
// wallet envelope. Sending is package webhooks'.

// endpointJSON is an endpoint as every answer shows it.
type endpointJSON struct {
	ID             int64    `json:"id"`
	URL            string   `json:"url"`
	Events         []string `json:"events"`
	Description    string   `json:"description"`
	Enabled        bool     `json:"enabled"`
	DisabledReason string   `json:"disabled_reason"`
	Created        string   `json:"created"`
	Updated        string   `json:"updated"`
}

// endpointWithSecretJSON is an endpoint with its signing secret: only the answers of create
// and rotate-secret show it, once.
type endpointWithSecretJSON struct {
	endpointJSON
	Secret string `json:"secret"`
}

type endpointsJSON struct {
	Endpoints []endpointJSON `json:"endpoints"`
}

// testDeliveryJSON is the delivery a test send queued.
type testDeliveryJSON struct {
	DeliveryID int64  `json:"delivery_id"`
	EventID    int64  `json:"event_id"`
	Status     string `json:"status"`
}

type redeliveryJSON struct {
	DeliveryID int64  `json:"delivery_id"`
	EndpointID int64  `json:"endpoint_id"`
	Status     string `json:"status"`
}

type redeliveriesJSON struct {
	Deliveries []redeliveryJSON `json:"deliveries"`
}

// attemptJSON is one try of a delivery. StatusCode is null when no answer came.
type attemptJSON struct {
	ID          int64  `json:"id"`
	DeliveryID  int64  `json:"delivery_id"`
	EventID     int64  `json:"event_id"`
	AttemptedAt string `json:"attempted_at"`
	StatusCode  *int   `json:"status_code"`
	DurationMS  int64  `json:"duration_ms"`
	Response    string `json:"response"`
	Error       string `json:"error"`
}

type attemptsJSON struct {
	Attempts   []attemptJSON `json:"attempts"`
	NextCursor *string       `json:"next_cursor"`
}

// attemptCursor pages through an endpoint's attempts, newest first: the id to continue before.
const attemptCursor cursorKind = "attempt"

func newEndpointJSON(w *saldo.WebhookEndpoint) endpointJSON {
	events := w.Events
	if events == nil {
		events = []string{}
	}
	return endpointJSON{ID: w.ID, URL: w.URL, Events: events, Description: w.Description, Enabled: w.Enabled(),
		DisabledReason: w.DisabledReason, Created: w.CreatedAt.In(saldo.MexicoCity).Format(timestampLayout),
		Updated: w.UpdatedAt.In(saldo.MexicoCity).Format(timestampLayout)}
}

func renderEndpointWithSecret(_ *saldo.Partner, w *saldo.WebhookEndpoint) any {
	return endpointWithSecretJSON{endpointJSON: newEndpointJSON(w), Secret: w.Secret}
}

func renderEndpoint(_ *saldo.Partner, w *saldo.WebhookEndpoint) any { return newEndpointJSON(w) }

// endpointID reads the {id} path value; a malformed one is an unknown endpoint.
func endpointID(r *http.Request) (int64, error) {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return 0, saldo.Errorf(saldo.ENOTFOUND, "endpoint_id:not_found")
	}
	return id, nil
}

// endpointFields are what a create or an update reads: url, events, description and, for an
// update, enabled. Each is nil when the body does not send it.
type endpointFields struct {
	url, description *string
	events           *[]string
	enabled          *bool
}

// decodeEndpointFields reads an endpoint's fields from a JSON object or a form. In JSON,
// events is an array of strings and enabled a boolean; in a form, events is repeated or a
// comma-separated list (or both), and enabled is "true" or "false". Null is absent. Wrong
// JSON types are 4400; a form's enabled that is neither is 5000 enabled:invalid.
func decodeEndpointFields(r *http.Request, withEnabled bool) (endpointFields, error) {
	var f endpointFields
	b, err := readBody(r)
	if err != nil {
		return f, err
	}
	if b.form == nil {
		obj, err := b.jsonObject()
		if err != nil {
			return f, err
		}
		return jsonEndpointFields(obj, withEnabled)
	}
	names := []string{"url", "events", "description"}
	if withEnabled {
		names = append(names, "enabled")
	}
	err = b.filesUnder(func(yield func(string) bool) {
		for _, n := range names {
			if !yield(n) {
				return
			}
		}
	})
	if err != nil {
		return f, err
	}
	return formEndpointFields(b.form, withEnabled)
}

func jsonEndpointFields(obj map[string]json.RawMessage, withEnabled bool) (endpointFields, error) {
	var f endpointFields
	var h saldo.Hints
	for _, name := range []string{"url", "description"} {
		raw, ok := obj[name]
		if !ok || isNull(raw) {
			continue
		}
		text, reason := jsonScalar(raw, fieldString)
		if reason != "" {
			h.Add(name, reason)
			continue
		}
		if name == "url" {
			f.url = &text
		} else {
			f.description = &text
		}
	}
	if raw, ok := obj["events"]; ok && !isNull(raw) {
		events, reason := jsonEvents(raw)
		if reason != "" {
			h.Add("events", reason)
		} else {
			f.events = &events
		}
	}
	if raw, ok := obj["enabled"]; withEnabled && ok && !isNull(raw) {
		switch string(bytes.TrimSpace(raw)) {
		case "true":
			f.enabled = new(bool)
			*f.enabled = true
		case "false":
			f.enabled = new(bool)
		default:
			h.Add("enabled", "must_be_boolean")
		}
	}
	return f, h.Err(saldo.EBADREQUEST)
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// maxEvents bounds the event types one endpoint lists: there are fewer types than that.
const maxEvents = 64

// jsonEvents reads events, a JSON array of strings, or the reason it is not one.
func jsonEvents(raw json.RawMessage) ([]string, string) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, "must_be_array"
	}
	if len(items) > maxEvents {
		return nil, "too_many"
	}
	events := make([]string, 0, len(items))
	for _, item := range items {
		item = bytes.TrimSpace(item)
		if len(item) == 0 || item[0] != '"' {
			return nil, "must_be_array_of_strings"
		}
		text, reason := jsonScalar(item, fieldString)
		if reason != "" {
			return nil, reason
		}
		events = append(events, text)
	}
	return events, ""
}

// formEvents reads events from a form: every value of the field, each split at commas, spaces
// trimmed and empty items dropped.
func formEvents(values []string) ([]string, string) {
	events := []string{}
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				events = append(events, item)
			}
		}
	}
	if len(events) > maxEvents {
		return nil, "too_many"
	}
	return events, ""
}

func formEndpointFields(form url.Values, withEnabled bool) (endpointFields, error) {
	var f endpointFields
	if v, ok := form["url"]; ok && len(v) > 0 {
		f.url = &v[0]
	}
	if v, ok := form["description"]; ok && len(v) > 0 {
		f.description = &v[0]
	}
	if v, ok := form["events"]; ok {
		events, reason := formEvents(v)
		if reason != "" {
			return f, saldo.Errorf(saldo.EBADREQUEST, "events:"+reason)
		}
		f.events = &events
	}
	if v, ok := form["enabled"]; withEnabled && ok && len(v) > 0 && v[0] != "" {
		switch strings.TrimSpace(v[0]) {
		case "true":
			f.enabled = new(bool)
			*f.enabled = true
		case "false":
			f.enabled = new(bool)
		default:
			return f, saldo.Errorf(saldo.EINVALID, "enabled:invalid")
		}
	}
	return f, nil
}

// createWebhookEndpoint is POST /webhooks/v1/endpoints.
func (s *Server) createWebhookEndpoint() writeRoute[saldo.NewWebhookEndpoint, *saldo.WebhookEndpoint] {
	return writeRoute[saldo.NewWebhookEndpoint, *saldo.WebhookEndpoint]{
		decode: decodeCreateEndpoint, call: s.svc.CreateWebhookEndpoint, render: renderEndpointWithSecret, credentials: true,
	}
}

func decodeCreateEndpoint(r *http.Request) (saldo.NewWebhookEndpoint, error) {
	f, err := decodeEndpointFields(r, false)
	var n saldo.NewWebhookEndpoint
	if err != nil {
		return n, err
	}
	if f.url != nil {
		n.URL = *f.url
	}
	if f.events != nil {
		n.Events = *f.events
	}
	if f.description != nil {
		n.Description = *f.description
	}
	return n, nil
}

// endpointUpdate is the input of PATCH /webhooks/v1/endpoints/{id}.
type endpointUpdate struct {
	id     int64
	change saldo.WebhookEndpointChange
}

// updateWebhookEndpoint is PATCH /webhooks/v1/endpoints/{id}.
func (s *Server) updateWebhookEndpoint() writeRoute[endpointUpdate, *saldo.WebhookEndpoint] {
	return writeRoute[endpointUpdate, *saldo.WebhookEndpoint]{
		decode: decodeUpdateEndpoint,
		call: func(ctx context.Context, e *saldo.Partner, u endpointUpdate, idem *saldo.Idempotency[*saldo.WebhookEndpoint]) (*saldo.WebhookEndpoint, error) {
			return s.svc.UpdateWebhookEndpoint(ctx, e, u.id, u.change, idem)
		},
		render: renderEndpoint,
	}
}

func decodeUpdateEndpoint(r *http.Request) (endpointUpdate, error) {
	id, err := endpointID(r)
	if err != nil {
		return endpointUpdate{}, err
	}
	u := endpointUpdate{id: id}
	if !hasBody(r) {
		return u, nil
	}
	f, err := decodeEndpointFields(r, true)
	if err != nil {
		return u, err
	}
	u.change = saldo.WebhookEndpointChange{URL: f.url, Events: f.events, Description: f.description, Enabled: f.enabled}
	return u, nil
}

// decodeEndpointPath reads the {id} of a write that has no body to read.
func decodeEndpointPath(r *http.Request) (int64, error) { return endpointID(r) }

// deleteWebhookEndpoint is DELETE /webhooks/v1/endpoints/{id}: answered with the empty object.
func (s *Server) deleteWebhookEndpoint() writeRoute[int64, saldo.Deleted] {
	return writeRoute[int64, saldo.Deleted]{
		decode: decodeEndpointPath, call: s.svc.DeleteWebhookEndpoint,
		render: func(*saldo.Partner, saldo.Deleted) any { return emptyObject },
	}
}

// rotateWebhookSecret is POST /webhooks/v1/endpoints/{id}/rotate-secret.
func (s *Server) rotateWebhookSecret() writeRoute[int64, *saldo.WebhookEndpoint] {
	return writeRoute[int64, *saldo.WebhookEndpoint]{
		decode: decodeEndpointPath, call: s.svc.RotateWebhookSecret, render: renderEndpointWithSecret, credentials: true,
	}
}

// testWebhookEndpoint is POST /webhooks/v1/endpoints/{id}/test.
func (s *Server) testWebhookEndpoint() writeRoute[int64, *saldo.WebhookDelivery] {
	return writeRoute[int64, *saldo.WebhookDelivery]{
		decode: decodeEndpointPath, call: s.svc.TestWebhookEndpoint,
		render: func(_ *saldo.Partner, d *saldo.WebhookDelivery) any {
			return testDeliveryJSON{DeliveryID: d.ID, EventID: d.EventID, Status: d.Status}
		},
	}
}

// redeliverEvent is POST /webhooks/v1/events/{event_id}/redeliver.
func (s *Server) redeliverEvent() writeRoute[int64, []saldo.WebhookDelivery] {
	return writeRoute[int64, []saldo.WebhookDelivery]{
		decode: func(r *http.Request) (int64, error) {
			id, ok := parseID(r.PathValue("event_id"))
			if !ok {
				return 0, saldo.Errorf(saldo.ENOTFOUND, "event_id:not_found")
			}
			return id, nil
		},
		call: s.svc.RedeliverEvent,
		render: func(_ *saldo.Partner, ds []saldo.WebhookDelivery) any {
			out := redeliveriesJSON{Deliveries: make([]redeliveryJSON, 0, len(ds))}
			for _, d := range ds {
				out.Deliveries = append(out.Deliveries, redeliveryJSON{DeliveryID: d.ID, EndpointID: d.EndpointID, Status: d.Status})
			}
			return out
		},
	}
}

// listWebhookEndpoints is GET /webhooks/v1/endpoints.
func (s *Server) listWebhookEndpoints(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticate(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.svc.WebhookEndpoints(r.Context(), e)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := endpointsJSON{Endpoints: make([]endpointJSON, 0, len(list))}
	for i := range list {
		out.Endpoints = append(out.Endpoints, newEndpointJSON(&list[i]))
	}
	s.ok(w, r, out)
}

// getWebhookEndpoint is GET /webhooks/v1/endpoints/{id}.
func (s *Server) getWebhookEndpoint(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticate(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := endpointID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ep, err := s.svc.WebhookEndpoint(r.Context(), e, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.ok(w, r, newEndpointJSON(ep))
}

// attemptsQuery reads limit (1 to 100, default 20) and the cursor of the attempts list.
func attemptsQuery(q url.Values) (beforeID int64, limit int, err error) {
	var h saldo.Hints
	beforeID, limit = pageParams(q, attemptCursor, &h)
	return beforeID, limit, h.Err(saldo.EINVALID)
}

// listWebhookAttempts is GET /webhooks/v1/endpoints/{id}/attempts?limit=&cursor=.
func (s *Server) listWebhookAttempts(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticate(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := endpointID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	beforeID, limit, err := attemptsQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	attempts, next, err := s.svc.WebhookAttempts(r.Context(), e, id, beforeID, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := attemptsJSON{Attempts: make([]attemptJSON, 0, len(attempts))}
	for _, a := range attempts {
		j := attemptJSON{ID: a.ID, DeliveryID: a.DeliveryID, EventID: a.EventID,
			AttemptedAt: a.AttemptedAt.In(saldo.MexicoCity).Format(timestampLayout),
			DurationMS:  a.Duration.Milliseconds(), Response: validText(a.Response), Error: validText(a.Error)}
		if a.StatusCode != 0 {
			code := a.StatusCode
			j.StatusCode = &code
		}
		out.Attempts = append(out.Attempts, j)
	}
	if next != 0 {
		cursor := encodeCursor(attemptCursor, next)
		out.NextCursor = &cursor
	}
	s.ok(w, r, out)
}

// validText is s with anything that is not UTF-8 replaced: an endpoint's answer is whatever
// it sent, cut at 1 KiB, perhaps inside a character.
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
