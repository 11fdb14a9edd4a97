package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/saldo-mx/saldo"
)

// The event feed: a partner's events in the order their writes committed, read with a cursor
// (the id of the last event read). It answers in the wallet envelope, as everything under
// /events/ does.

// eventJSON is an event as the feed shows it. Data is the event's stored payload, the JSON
// of its type's payload struct (saldo.EventPayload), embedded as it is.
type eventJSON struct {
	ID      int64           `json:"id"`
	Type    string          `json:"type"`
	Created string          `json:"created"`
	Data    json.RawMessage `json:"data"`
}

type eventPageJSON struct {
	Events    []eventJSON `json:"events"`
	NextAfter int64       `json:"next_after"`
}

// feedQuery reads the query of GET /events/v1: after (default 0, from the first event) and
// limit (default saldo.DefaultEventsLimit), naming every bad one.
func feedQuery(r *http.Request) (after int64, limit int, err error) {
	query := r.URL.Query()
	limit = saldo.DefaultEventsLimit
	var h saldo.Hints
	if text := query.Get("after"); text != "" {
		// An event id, or 0 (the same as none); no sign, no leading zeros.
		if id, ok := parseID(text); ok {
			after = id
		} else if text != "0" {
			h.Add("after", "invalid")
		}
	}
	if text := query.Get("limit"); text != "" {
		n, err := strconv.Atoi(text)
		if err != nil || n < 1 || n > saldo.MaxEventsLimit {
			h.Add("limit", "invalid")
		}
		limit = n
	}
	return after, limit, h.Err(saldo.EINVALID)
}

// getEvents is GET /events/v1: the partner's events after the cursor.
func (s *Server) getEvents(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticate(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	after, limit, err := feedQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.svc.EventFeed(r.Context(), e, after, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := eventPageJSON{Events: make([]eventJSON, 0, len(page.Events)), NextAfter: page.NextAfter}
	for _, ev := range page.Events {
		if !json.Valid(ev.Payload) {
			s.fail(w, r, fmt.Errorf("event %d: the stored payload is not JSON", ev.ID))
			return
		}
		out.Events = append(out.Events, eventJSON{
			ID: ev.ID, Type: ev.Type, Created: ev.CreatedAt.In(saldo.MexicoCity).Format(timestampLayout), Data: ev.Payload,
		})
	}
	s.ok(w, r, out)
}
