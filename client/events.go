package client

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Event is one of the partner's events, as GET /events/v1 answers it.
type Event struct {
	// ID is the event's id: the cursor to pass as after to read on from it.
	ID int64 `json:"id"`
	// Type is what happened: "customer.created", "transaction.created" and so on (see the
	// API reference). New types may be added: skip those you do not know.
	Type string `json:"type"`
	// Created is when the change was made (the answer says it in RFC 3339 with nanoseconds,
	// Mexico City time). Order events by the feed, not by Created.
	Created time.Time `json:"created"`
	// Data is the type's payload, a JSON object: ids, amounts and states. Unmarshal it into
	// a struct of the fields you need, chosen by Type.
	Data json.RawMessage `json:"data"`
}

// EventPage is one page of the event feed, in the order the writes committed.
type EventPage struct {
	Events []Event `json:"events"`
	// NextAfter is the after of the next page: the last event's id, or the after given when
	// the page is empty (nothing new yet: poll again later with it).
	NextAfter int64 `json:"next_after"`
}

// EventFeed returns up to limit of the partner's events after event after, in the order
// their writes committed. after 0 reads from the first event; limit 0 asks for the server's
// default, 20 (at most 100). A cursor never skips an event, so reading on from each page's
// NextAfter reads every event once. An after that is not one of the partner's events is a
// 4404 *Error with the hint "after:not_found" (IsNotFound).
func (c *Client) EventFeed(ctx context.Context, after int64, limit int, opts ...CallOption) (*EventPage, error) {
	q := query{}
	q.number("after", after)
	q.number("limit", int64(limit))
	path := q.on("/events/v1")
	return call[EventPage](ctx, c, &request{method: http.MethodGet, path: path, style: styleB}, opts)
}
