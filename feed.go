package saldo

import "context"

// The event feed: a partner's events, the outbox written in each change's transaction, in the
// order their transactions committed. A cursor is the id of the last event read; no event
// can later appear before it.

// Event feed page sizes.
const (
	DefaultEventsLimit = 20
	MaxEventsLimit     = 100
)

// EventPage is a page of the feed and the cursor to read on from: the last event's id, or
// the cursor given when the page is empty.
type EventPage struct {
	Events    []Event
	NextAfter int64
}

// EventFeed returns up to limit of partner e's events after event after (0: from the first).
// An after that is not one of e's events is ENOTFOUND.
func (s *Service) EventFeed(ctx context.Context, e *Partner, after int64, limit int) (*EventPage, error) {
	var h Hints
	if limit < 1 || limit > MaxEventsLimit {
		h.Add("limit", "invalid")
	}
	if after < 0 {
		h.Add("after", "invalid")
	}
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	page := &EventPage{NextAfter: after}
	err := s.store.View(ctx, func(tx Tx) error {
		if after != 0 {
			if _, err := tx.Event(ctx, e.ID, after); err != nil {
				return err
			}
		}
		var err error
		page.Events, err = tx.EventsAfter(ctx, e.ID, after, limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	if n := len(page.Events); n > 0 {
		page.NextAfter = page.Events[n-1].ID
	}
	return page, nil
}
