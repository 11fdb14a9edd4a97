package storetest

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

// testFeed is the event feed of the contract's §10 on an engine.
func testFeed(t *testing.T, h Harness) {
	t.Run("TheFeedPagesThroughAPartnersEventsInOrder", func(t *testing.T) { testFeedPages(t, h) })
	t.Run("ACursorNeverSkipsAnEventCommittedLate", func(t *testing.T) { testFeedCommitOrder(t, h) })
}

// settled waits until partner e's feed after after holds want events, and returns them: on
// PostgreSQL the feed holds back events while any transaction older than them still runs on
// the server, even one of another test. It fails t after a bound.
func settled(t *testing.T, f *ledgerFixture, e *saldo.Partner, after int64, want int) []saldo.Event {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		page, err := f.Service.EventFeed(context.Background(), e, after, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) >= want || time.Now().After(deadline) {
			return page.Events
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testFeedPages(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newLedgerFixture(t, h)
	var want []int64
	for range 3 {
		c := f.customer(t)
		want = append(want, c.Customer.ID)
	}
	other := f.Partner(t, saldo.NewPartner{Name: "otra"})
	if _, err := f.Service.CreateCustomer(ctx, other, gen.Customer("o", 1), nil); err != nil {
		t.Fatal(err)
	}
	settled(t, f, f.partner, 0, len(want))
	var (
		got   []saldo.Event
		after int64
	)
	for pages := 0; ; pages++ {
		page, err := f.Service.EventFeed(ctx, f.partner, after, 2)
		if err != nil || pages > 5 {
			t.Fatalf("page %d: %v", pages, err)
		}
		if len(page.Events) == 0 {
			if page.NextAfter != after {
				t.Errorf("an empty page moved the cursor from %d to %d", after, page.NextAfter)
			}
			break
		}
		got = append(got, page.Events...)
		after = page.NextAfter
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	for i, ev := range got {
		if ev.Type != saldo.EventCustomerCreated || ev.SubjectID != formatInt(want[i]) || ev.PartnerID != f.partner.ID || len(ev.Payload) == 0 {
			t.Errorf("event %d = %+v, want customer.created of %d", i, ev, want[i])
		}
	}
	if stranger := settled(t, f, other, 0, 1); len(stranger) != 1 {
		t.Errorf("the other partner's feed: %+v", stranger)
	}
	_, err := f.Service.EventFeed(ctx, other, got[0].ID, 10)
	wantCode(t, err, saldo.ENOTFOUND, "after:not_found")
	_, err = f.Service.EventFeed(ctx, f.partner, 0, 101)
	wantCode(t, err, saldo.EINVALID, "limit:invalid")
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

// pauseStore holds a write's transaction open, its rows sent, until released: a transaction
// that inserted its event early and commits late.
type pauseStore struct {
	saldo.Store
	sent, release chan struct{}
}

func (s *pauseStore) Update(ctx context.Context, fn func(saldo.Tx) error) error {
	return s.Store.Update(ctx, func(tx saldo.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if f, ok := tx.(interface{ Flush(context.Context) error }); ok {
			if err := f.Flush(ctx); err != nil {
				return err
			}
		}
		close(s.sent)
		<-s.release
		return nil
	})
}

// A write that inserted its event first and commits last must not be skipped by a cursor taken
// while it was in flight: whatever the feed served then, reading on from its cursor serves
// every event not yet served.
func testFeedCommitOrder(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newLedgerFixture(t, h)
	f.customer(t)
	start := &saldo.EventPage{NextAfter: settled(t, f, f.partner, 0, 1)[0].ID}
	slow := &pauseStore{Store: f.Store, sent: make(chan struct{}), release: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := saldo.NewService(slow, f.Clock).CreateCustomer(ctx, f.partner, gen.Customer("", 100), nil); err != nil {
			t.Errorf("the slow create: %v", err)
		}
	})
	<-slow.sent
	wg.Go(func() {
		if _, err := f.Service.CreateCustomer(ctx, f.partner, gen.Customer("", 101), nil); err != nil {
			t.Errorf("the quick create: %v", err)
		}
	})
	time.Sleep(200 * time.Millisecond) // the quick create commits, where the engine lets it
	during, err := f.Service.EventFeed(ctx, f.partner, start.NextAfter, 100)
	if err != nil {
		t.Fatal(err)
	}
	close(slow.release)
	wg.Wait()
	// Every event not served yet is served from the cursor taken then, once nothing older runs.
	rest := settled(t, f, f.partner, during.NextAfter, 2-len(during.Events))
	if n := len(during.Events) + len(rest); n != 2 {
		t.Errorf("served %d events while the slow create was in flight and %d after, want 2 in all", len(during.Events), len(rest))
	}
}
