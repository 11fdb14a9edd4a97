package storetest

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

// testWebhooks is the webhook state of the contract's §10 on an engine: endpoints, the
// endpoints' cursors over the events, leases and the retry schedule. Sending is package
// webhooks'.
func testWebhooks(t *testing.T, h Harness) {
	t.Run("EndpointsKeepTheirSecretsSealedAndShownOnce", func(t *testing.T) { testEndpoints(t, h) })
	t.Run("EndpointURLsMustBePublicHTTPS", func(t *testing.T) { testEndpointPolicy(t, h) })
	t.Run("EventsGoOnceToTheEndpointsThatWantThem", func(t *testing.T) { testDispatch(t, h) })
	t.Run("Cursors", func(t *testing.T) { testCursors(t, h) })
	t.Run("ALeasedDeliveryIsClaimedOnce", func(t *testing.T) { testClaims(t, h) })
	t.Run("FailuresFollowTheScheduleAndGoneDisables", func(t *testing.T) { testSchedule(t, h) })
}

// webhookFixture is a ledger fixture whose service resolves every name to a public address.
type webhookFixture struct {
	*ledgerFixture
}

func newWebhookFixture(t testing.TB, h Harness) *webhookFixture {
	t.Helper()
	lf := newLedgerFixture(t, h)
	lf.Service = saldo.NewService(lf.Store, lf.Clock, saldo.WithWebhookPolicy(saldo.WebhookPolicy{Resolve: resolveTo("93.184.216.34")}))
	return &webhookFixture{lf}
}

func resolveTo(addrs ...string) func(context.Context, string) ([]netip.Addr, error) {
	return func(context.Context, string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range addrs {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
}

func (f *webhookFixture) endpoint(t testing.TB, events ...string) *saldo.WebhookEndpoint {
	t.Helper()
	w, err := f.Service.CreateWebhookEndpoint(context.Background(), f.partner, saldo.NewWebhookEndpoint{
		URL: "https://hooks.example.com/saldo", Events: events, Description: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func testEndpoints(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newWebhookFixture(t, h)
	w := f.endpoint(t, "*")
	if !strings.HasPrefix(w.Secret, saldo.WebhookSecretPrefix) || len(w.Secret) != len(saldo.WebhookSecretPrefix)+44 {
		t.Errorf("secret %q is not whsec_ + base64 of 32 bytes", w.Secret)
	}
	for _, row := range f.h.Query(t, f.Store, "SELECT secret FROM webhook_endpoints") {
		if strings.Contains(fmt.Sprintf("%s", row[0]), strings.TrimPrefix(w.Secret, saldo.WebhookSecretPrefix)) {
			t.Error("the secret is stored in clear")
		}
	}
	got, err := f.Service.WebhookEndpoint(ctx, f.partner, w.ID)
	if err != nil || got.Secret != "" || got.URL != w.URL || !got.Enabled() {
		t.Errorf("read back: %+v, %v; want the endpoint without its secret", got, err)
	}
	rotated, err := f.Service.RotateWebhookSecret(ctx, f.partner, w.ID, nil)
	if err != nil || rotated.Secret == w.Secret || !strings.HasPrefix(rotated.Secret, saldo.WebhookSecretPrefix) {
		t.Fatalf("rotate: %+v, %v", rotated, err)
	}
	// The old secret signs beside the new one for a day.
	f.Fixture.Service = f.Service
	claimed := f.claimTest(t, w.ID)
	if s := claimed.Endpoint.SigningSecrets(f.Clock.Now()); len(s) != 2 || s[0] != rotated.Secret || s[1] != w.Secret {
		t.Errorf("signing secrets after a rotation: %d", len(s))
	}
	if s := claimed.Endpoint.SigningSecrets(f.Clock.Now().Add(25 * time.Hour)); len(s) != 1 {
		t.Errorf("signing secrets a day after the rotation: %d, want 1", len(s))
	}
	off := false
	if u, err := f.Service.UpdateWebhookEndpoint(ctx, f.partner, w.ID, saldo.WebhookEndpointChange{Enabled: &off, Events: &[]string{saldo.EventCustomerCreated}}, nil); err != nil || u.Enabled() || u.Events[0] != saldo.EventCustomerCreated {
		t.Errorf("update: %+v, %v", u, err)
	}
	stranger := f.Partner(t, saldo.NewPartner{Name: "otra"})
	_, err = f.Service.WebhookEndpoint(ctx, stranger, w.ID)
	wantCode(t, err, saldo.ENOTFOUND, "endpoint_id:not_found")
	if _, err := f.Service.DeleteWebhookEndpoint(ctx, f.partner, w.ID, nil); err != nil {
		t.Fatal(err)
	}
	list, err := f.Service.WebhookEndpoints(ctx, f.partner)
	if err != nil || len(list) != 0 {
		t.Errorf("after delete: %v, %v", list, err)
	}
}

// claimTest queues a test send to endpoint id and claims it.
func (f *webhookFixture) claimTest(t testing.TB, id int64) saldo.ClaimedDelivery {
	t.Helper()
	if _, err := f.Service.TestWebhookEndpoint(context.Background(), f.partner, id, nil); err != nil {
		t.Fatal(err)
	}
	claimed, err := f.Service.ClaimDeliveries(context.Background(), time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim the test send: %v, %v", claimed, err)
	}
	if claimed[0].Event.Type != saldo.EventWebhookTest || claimed[0].MessageID() == "" {
		t.Errorf("claimed %+v", claimed[0])
	}
	return claimed[0]
}

func testEndpointPolicy(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	for _, tt := range []struct {
		name, url string
		resolve   []string
		hint      string
	}{
		{"plain http", "http://hooks.example.com/", []string{"93.184.216.34"}, "url:https_required"},
		{"loopback", "https://127.0.0.1/hook", nil, "url:address_not_allowed"},
		{"private", "https://10.0.0.1/hook", nil, "url:address_not_allowed"},
		{"metadata", "https://169.254.169.254/latest/meta-data", nil, "url:address_not_allowed"},
		{"IPv6 loopback", "https://[::1]/hook", nil, "url:address_not_allowed"},
		{"a name that resolves to a private address", "https://internal.example.com/", []string{"93.184.216.34", "192.168.1.5"}, "url:address_not_allowed"},
		{"credentials in the URL", "https://user:pass@hooks.example.com/", []string{"93.184.216.34"}, "url:invalid"},
	} {
		svc := saldo.NewService(f.Store, f.Clock, saldo.WithWebhookPolicy(saldo.WebhookPolicy{Resolve: resolveTo(tt.resolve...)}))
		_, err := svc.CreateWebhookEndpoint(ctx, e, saldo.NewWebhookEndpoint{URL: tt.url, Events: []string{"*"}}, nil)
		if saldo.ErrorCode(err) != saldo.EINVALID || !containsAll(strings.Join(saldo.ErrorHints(err), " "), tt.hint) {
			t.Errorf("%s (%s): %v, want %s", tt.name, tt.url, err, tt.hint)
		}
	}
	insecure := saldo.NewService(f.Store, f.Clock, saldo.WithWebhookPolicy(saldo.WebhookPolicy{AllowInsecure: true}))
	if _, err := insecure.CreateWebhookEndpoint(ctx, e, saldo.NewWebhookEndpoint{URL: "http://127.0.0.1:9999/", Events: []string{"*"}}, nil); err != nil {
		t.Errorf("a local http endpoint with insecure allowed: %v", err)
	}
	_, err := insecure.CreateWebhookEndpoint(ctx, e, saldo.NewWebhookEndpoint{URL: "http://127.0.0.1:9999/", Events: []string{"no.such_type"}}, nil)
	wantCode(t, err, saldo.EINVALID, "events:unknown_type")
}

func testDispatch(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newWebhookFixture(t, h)
	every := f.endpoint(t, "*")
	creates := f.endpoint(t, saldo.EventCustomerCreated)
	f.endpoint(t, saldo.EventTransactionCreated)
	f.customers(t, 10)
	// Two deliverers at once, as two processes would run, in small batches: each event once
	// to each endpoint that wants it.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				batches, err := f.Service.ClaimEventBatches(ctx, time.Minute, 2, 3, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if len(batches) == 0 {
					return
				}
				for i := range batches {
					f.record(t, &batches[i], 204)
				}
			}
		})
	}
	wg.Wait()
	counts := map[int64]int64{}
	for _, row := range f.h.Query(t, f.Store, "SELECT endpoint_id, count(*) FROM webhook_attempts GROUP BY endpoint_id") {
		counts[toInt64(t, row[0])] = toInt64(t, row[1])
	}
	if counts[every.ID] != 10 || counts[creates.ID] != 10 || len(counts) != 2 {
		t.Errorf("attempts by endpoint: %v, want 10 to each of %d and %d", counts, every.ID, creates.ID)
	}
	if n := f.count(t, "SELECT count(*) FROM (SELECT 1 FROM webhook_attempts GROUP BY endpoint_id, event_id HAVING count(*) > 1) twice"); n != 0 {
		t.Errorf("an event was sent twice to an endpoint")
	}
	if n := f.count(t, "SELECT count(DISTINCT delivery_id) FROM webhook_attempts"); n != 20 {
		t.Errorf("%d distinct delivery ids among 20 deliveries", n)
	}
	if n := f.deliveries(t); n != 0 {
		t.Errorf("%d delivery rows after deliveries that all succeeded, want none", n)
	}
	if batches, err := f.Service.ClaimEventBatches(ctx, time.Minute, 10, 10, nil); err != nil || len(batches) != 0 {
		t.Errorf("after every event was sent: %d batches, %v", len(batches), err)
	}
}

// record records a batch with every attempt answered status.
func (f *webhookFixture) record(t testing.TB, b *saldo.EventBatch, status int) {
	t.Helper()
	attempts := make([]*saldo.WebhookAttempt, len(b.Events))
	for i := range attempts {
		attempts[i] = &saldo.WebhookAttempt{AttemptedAt: f.Clock.Now(), StatusCode: status}
	}
	if err := f.Service.RecordEventBatch(context.Background(), b, attempts); err != nil {
		t.Fatal(err)
	}
}

// customers creates n customers and returns the ids of their customer.created events.
func (f *webhookFixture) customers(t testing.TB, n int) []int64 {
	t.Helper()
	var ids []int64
	for range n {
		if _, err := f.Service.CreateCustomer(context.Background(), f.partner, gen.Customer("c", f.seq.Add(1)), nil); err != nil {
			t.Fatal(err)
		}
		rows := f.h.Query(t, f.Store, "SELECT max(id) FROM events WHERE type = 'customer.created'")
		ids = append(ids, toInt64(t, rows[0][0]))
	}
	f.settle(t, ids[len(ids)-1])
	return ids
}

// settle waits until the feed serves event id: on PostgreSQL the feed, and the cursors, hold
// back events while any transaction older than them still runs on the server, even one of
// another test. It fails t after a bound.
func (f *webhookFixture) settle(t testing.TB, id int64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		page, err := f.Service.EventFeed(context.Background(), f.partner, 0, saldo.MaxEventsLimit)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(page.Events, func(ev saldo.Event) bool { return ev.ID == id }) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %d not in the feed after 15s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// claimBatch claims the batches of up to 10 endpoints and wants one, of events.
func (f *webhookFixture) claimBatch(t testing.TB, events ...int64) saldo.EventBatch {
	t.Helper()
	batches, err := f.Service.ClaimEventBatches(context.Background(), time.Minute, 10, 100, nil)
	if err != nil || len(batches) != 1 {
		t.Fatalf("claim: %d batches, %v; want 1", len(batches), err)
	}
	var got []int64
	for _, ev := range batches[0].Events {
		got = append(got, ev.ID)
	}
	if fmt.Sprint(got) != fmt.Sprint(events) {
		t.Fatalf("batch of events %v, want %v", got, events)
	}
	return batches[0]
}

func (f *webhookFixture) noBatch(t testing.TB, why string) {
	t.Helper()
	if batches, err := f.Service.ClaimEventBatches(context.Background(), time.Minute, 10, 100, nil); err != nil || len(batches) != 0 {
		t.Errorf("%s: %d batches, %v; want none", why, len(batches), err)
	}
}

func testCursors(t *testing.T, h Harness) {
	ctx := context.Background()
	t.Run("AnEndpointIsSentOnlyTheEventsAfterItsCreation", func(t *testing.T) {
		f := newWebhookFixture(t, h)
		f.customers(t, 2)
		w := f.endpoint(t, "*")
		f.noBatch(t, "before any new event")
		after := f.customers(t, 2)
		b := f.claimBatch(t, after...)
		if b.Endpoint.ID != w.ID || b.Endpoint.Secret != w.Secret {
			t.Errorf("batch of endpoint %d, want %d with its secret open", b.Endpoint.ID, w.ID)
		}
	})
	t.Run("AnEndpointIsNotSentWhatCommittedBeforeItWhileTheFeedHeldItBack", func(t *testing.T) { testCursorStart(t, h) })
	t.Run("AFailedEventIsRetriedWhileTheCursorMovesOn", func(t *testing.T) {
		f := newWebhookFixture(t, h)
		w := f.endpoint(t, "*")
		ev := f.customers(t, 3)
		b := f.claimBatch(t, ev...)
		f.noBatch(t, "while the cursor is leased")
		// The first succeeded, the second failed, the third was not attempted.
		err := f.Service.RecordEventBatch(ctx, &b, []*saldo.WebhookAttempt{
			{AttemptedAt: f.Clock.Now(), StatusCode: 200}, {AttemptedAt: f.Clock.Now(), StatusCode: 500, Response: strings.Repeat("x", 5000)}, nil})
		if err != nil {
			t.Fatal(err)
		}
		f.claimBatch(t, ev[2]) // not the failed one: it waits in the retry queue
		if early, _ := f.Service.ClaimDeliveries(ctx, time.Minute, 10); len(early) != 0 {
			t.Fatalf("the retry was claimed before its wait")
		}
		f.Clock.Advance(saldo.RetrySchedule[0])
		retries, err := f.Service.ClaimDeliveries(ctx, time.Minute, 10)
		if err != nil || len(retries) != 1 || retries[0].Event.ID != ev[1] || retries[0].Delivery.Attempts != 1 {
			t.Fatalf("retries after %v: %+v, %v; want the failed event's, 1 attempt made", saldo.RetrySchedule[0], retries, err)
		}
		if err := f.Service.RecordAttempt(ctx, &retries[0], saldo.WebhookAttempt{AttemptedAt: f.Clock.Now(), StatusCode: 204}); err != nil {
			t.Fatal(err)
		}
		attempts, _, err := f.Service.WebhookAttempts(ctx, f.partner, w.ID, 0, 10)
		if err != nil || len(attempts) != 3 {
			t.Fatalf("attempts: %d, %v; want 3", len(attempts), err)
		}
		retry, failed, first := attempts[0], attempts[1], attempts[2]
		if retry.EventID != ev[1] || failed.EventID != ev[1] || retry.DeliveryID != failed.DeliveryID || retries[0].Delivery.ID != failed.DeliveryID {
			t.Errorf("the failed attempt and its retry: %+v and %+v, want one delivery, the retry's", failed, retry)
		}
		if first.EventID != ev[0] || first.DeliveryID == 0 || first.DeliveryID == failed.DeliveryID || len(failed.Response) != saldo.MaxWebhookResponse {
			t.Errorf("the first attempt %+v, the failed one %+v: want a delivery id of its own, answers cut to 1 KiB", first, failed)
		}
		if got, _ := f.Service.WebhookEndpoint(ctx, f.partner, w.ID); !got.FailingSince.IsZero() {
			t.Errorf("failing since %v after a success", got.FailingSince)
		}
	})
	t.Run("ABatchNotRecordedIsSentAgainAfterItsLease", func(t *testing.T) {
		f := newWebhookFixture(t, h)
		f.endpoint(t, "*")
		ev := f.customers(t, 2)
		stale := f.claimBatch(t, ev...) // and the process dies
		f.noBatch(t, "under the lease")
		f.Clock.Advance(2 * time.Minute)
		again := f.claimBatch(t, ev...)
		// The first process was only slow: its record comes late, and moves nothing nor queues
		// a retry; its attempt is in the log all the same.
		if err := f.Service.RecordEventBatch(ctx, &stale, []*saldo.WebhookAttempt{{AttemptedAt: f.Clock.Now(), StatusCode: 500}, nil}); err != nil {
			t.Fatal(err)
		}
		f.record(t, &again, 204)
		f.noBatch(t, "after the second record")
		if n := f.count(t, "SELECT count(*) FROM webhook_attempts"); n != 3 {
			t.Errorf("%d attempts, want the 3 made", n)
		}
		if n := f.deliveries(t); n != 0 {
			t.Errorf("%d delivery rows, want none: the failure was recorded without its lease", n)
		}
	})
	t.Run("SubscriptionsAndDisablingFilterTheEvents", func(t *testing.T) {
		f := newWebhookFixture(t, h)
		w := f.endpoint(t, saldo.EventTransactionCreated)
		f.customers(t, 2)
		f.noBatch(t, "events the endpoint does not want") // and its cursor moves past them
		if n := f.count(t, "SELECT count(*) FROM webhook_cursors WHERE after_event_id = (SELECT max(id) FROM events)"); n != 1 {
			t.Errorf("the cursor did not move past the events not wanted")
		}
		every := []string{"*"}
		off, on := false, true
		if _, err := f.Service.UpdateWebhookEndpoint(ctx, f.partner, w.ID, saldo.WebhookEndpointChange{Events: &every, Enabled: &off}, nil); err != nil {
			t.Fatal(err)
		}
		f.customers(t, 1)
		f.noBatch(t, "a disabled endpoint")
		if _, err := f.Service.UpdateWebhookEndpoint(ctx, f.partner, w.ID, saldo.WebhookEndpointChange{Enabled: &on}, nil); err != nil {
			t.Fatal(err)
		}
		f.noBatch(t, "the events of while it was disabled")
		if _, err := f.Service.TestWebhookEndpoint(ctx, f.partner, w.ID, nil); err != nil {
			t.Fatal(err)
		}
		ev := f.customers(t, 1)
		f.claimBatch(t, ev...) // not the test send's event, which is a delivery of its own
	})
	t.Run("GoneInABatchDisablesTheEndpoint", func(t *testing.T) {
		f := newWebhookFixture(t, h)
		w := f.endpoint(t, "*")
		ev := f.customers(t, 2)
		b := f.claimBatch(t, ev...)
		if err := f.Service.RecordEventBatch(ctx, &b, []*saldo.WebhookAttempt{{AttemptedAt: f.Clock.Now(), StatusCode: 410}, nil}); err != nil {
			t.Fatal(err)
		}
		got, _ := f.Service.WebhookEndpoint(ctx, f.partner, w.ID)
		if got.Enabled() || got.DisabledReason != "gone" {
			t.Errorf("after a 410: %+v", got)
		}
		if n := f.count(t, "SELECT count(*) FROM webhook_deliveries WHERE status = 'failed'"); n != 1 {
			t.Errorf("%d failed deliveries, want the one answered 410", n)
		}
		if n := f.count(t, "SELECT count(*) FROM events WHERE type = 'endpoint.disabled'"); n != 1 {
			t.Errorf("%d endpoint.disabled events, want 1", n)
		}
		f.noBatch(t, "a disabled endpoint")
	})
}

func (f *webhookFixture) deliveries(t testing.TB) int64 {
	return f.count(t, "SELECT count(*) FROM webhook_deliveries")
}

func testClaims(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newWebhookFixture(t, h)
	w := f.endpoint(t, "*")
	for range 20 {
		if _, err := f.Service.TestWebhookEndpoint(ctx, f.partner, w.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for range 4 {
		wg.Go(func() {
			for {
				claimed, err := f.Service.ClaimDeliveries(ctx, time.Minute, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(claimed) == 0 {
					return
				}
				mu.Lock()
				for _, c := range claimed {
					seen[c.Delivery.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 20 {
		t.Errorf("%d deliveries claimed, want 20", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %d claimed %d times under one lease", id, n)
		}
	}
	// A lease that runs out (its worker died) lets the delivery be claimed again.
	f.Clock.Advance(2 * time.Minute)
	again, err := f.Service.ClaimDeliveries(ctx, time.Minute, 100)
	if err != nil || len(again) != 20 {
		t.Errorf("after the leases ran out: %d claimed, %v; want 20", len(again), err)
	}
}

func testSchedule(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newWebhookFixture(t, h)
	w := f.endpoint(t, "*")
	fail := func(c *saldo.ClaimedDelivery, status int) {
		t.Helper()
		if err := f.Service.RecordAttempt(ctx, c, saldo.WebhookAttempt{AttemptedAt: f.Clock.Now(), StatusCode: status, Duration: 12 * time.Millisecond, Response: strings.Repeat("x", 5000)}); err != nil {
			t.Fatal(err)
		}
	}
	c := f.claimTest(t, w.ID)
	// Three failures, each retried after its wait, then a success: four attempts.
	for i, wait := range saldo.RetrySchedule[:3] {
		fail(&c, 500)
		if early, _ := f.Service.ClaimDeliveries(ctx, time.Minute, 10); len(early) != 0 {
			t.Fatalf("retry %d claimed before its wait", i)
		}
		f.Clock.Advance(wait)
		claimed, err := f.Service.ClaimDeliveries(ctx, time.Minute, 10)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("retry %d after %v: %v, %v", i, wait, claimed, err)
		}
		c = claimed[0]
	}
	fail(&c, 204)
	attempts, next, err := f.Service.WebhookAttempts(ctx, f.partner, w.ID, 0, 10)
	if err != nil || len(attempts) != 4 || next != 0 || attempts[0].StatusCode != 204 || len(attempts[1].Response) != saldo.MaxWebhookResponse || attempts[1].Duration != 12*time.Millisecond {
		t.Errorf("attempts: %d, %v; want 4, newest first, answers cut to 1 KiB", len(attempts), err)
	}
	if n := f.count(t, "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'"); n != 1 {
		t.Errorf("%d succeeded deliveries, want 1", n)
	}
	// 410 disables the endpoint at once.
	c = f.claimTest(t, w.ID)
	fail(&c, 410)
	got, _ := f.Service.WebhookEndpoint(ctx, f.partner, w.ID)
	if got.Enabled() || got.DisabledReason != "gone" {
		t.Errorf("after a 410: %+v", got)
	}
	if n := f.count(t, "SELECT count(*) FROM events WHERE type = 'endpoint.disabled'"); n != 1 {
		t.Errorf("%d endpoint.disabled events, want 1", n)
	}
	// An endpoint failing everything for 5 days is disabled; a delivery out of retries fails.
	on := true
	if _, err := f.Service.UpdateWebhookEndpoint(ctx, f.partner, w.ID, saldo.WebhookEndpointChange{Enabled: &on}, nil); err != nil {
		t.Fatal(err)
	}
	c = f.claimTest(t, w.ID)
	for range saldo.RetrySchedule {
		fail(&c, 503)
		f.Clock.Advance(11 * time.Hour)
		claimed, _ := f.Service.ClaimDeliveries(ctx, time.Minute, 10)
		if len(claimed) != 1 {
			break
		}
		c = claimed[0]
	}
	fail(&c, 503)
	if n := f.count(t, "SELECT count(*) FROM webhook_deliveries WHERE status = 'failed'"); n != 2 {
		t.Errorf("%d failed deliveries after a schedule ran out, want 2 (with the one answered 410)", n)
	}
	got, _ = f.Service.WebhookEndpoint(ctx, f.partner, w.ID)
	if !got.Enabled() {
		t.Fatalf("disabled after %v of failures: %+v", f.Clock.Now().Sub(got.FailingSince), got)
	}
	// Five days after its first failure, the next failure disables it.
	f.Clock.Set(got.FailingSince.Add(saldo.DisableAfter))
	c = f.claimTest(t, w.ID)
	fail(&c, 503)
	got, _ = f.Service.WebhookEndpoint(ctx, f.partner, w.ID)
	if got.Enabled() || got.DisabledReason != "failing" {
		t.Errorf("after more than 5 days of failures: %+v", got)
	}
}

// On PostgreSQL the feed holds back an event while an older transaction runs; an endpoint
// created then starts at the end of what the feed serves, and must still not be sent the
// events that committed before it, nor miss those that commit after.
func testCursorStart(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newWebhookFixture(t, h)
	f.customers(t, 1)
	slow := &pauseStore{Store: f.Store, sent: make(chan struct{}), release: make(chan struct{})}
	var wg sync.WaitGroup
	slowDone := make(chan struct{})
	wg.Go(func() {
		defer close(slowDone)
		if _, err := saldo.NewService(slow, f.Clock).CreateCustomer(ctx, f.partner, gen.Customer("slow", f.seq.Add(1)), nil); err != nil {
			t.Errorf("the slow create: %v", err)
		}
	})
	select {
	case <-slow.sent:
	case <-slowDone:
		t.FailNow()
	}
	quick := make(chan struct{})
	wg.Go(func() {
		defer close(quick)
		if _, err := f.Service.CreateCustomer(ctx, f.partner, gen.Customer("quick", f.seq.Add(1)), nil); err != nil {
			t.Errorf("the quick create: %v", err)
		}
	})
	select {
	case <-quick:
	case <-time.After(time.Second):
		close(slow.release)
		wg.Wait()
		t.Skip("this engine serializes its writers: an event's id follows the commits, and the end of the feed is exact")
	}
	// The quick create has committed, and the feed holds its event back behind the slow one.
	f.endpoint(t, "*")
	close(slow.release)
	wg.Wait()
	next := f.customers(t, 1)
	created := f.h.Query(t, f.Store, "SELECT id FROM events WHERE type = 'customer.created' ORDER BY id")
	if len(created) != 4 {
		t.Fatalf("%d customer.created events, want 4", len(created))
	}
	slowEvent := toInt64(t, created[1][0]) // inserted before the quick one's
	f.claimBatch(t, slowEvent, next[0])
}
