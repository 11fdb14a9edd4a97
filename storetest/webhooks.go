package storetest

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

// testWebhooks is the webhook state of the contract's §10 on an engine: endpoints, the
// fan-out of events, leases and the retry schedule. Sending is package webhooks'.
func testWebhooks(t *testing.T, h Harness) {
	t.Run("EndpointsKeepTheirSecretsSealedAndShownOnce", func(t *testing.T) { testEndpoints(t, h) })
	t.Run("EndpointURLsMustBePublicHTTPS", func(t *testing.T) { testEndpointPolicy(t, h) })
	t.Run("EventsFanOutOnceToTheEndpointsThatWantThem", func(t *testing.T) { testDispatch(t, h) })
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
	for i := range 10 {
		if _, err := f.Service.CreateCustomer(ctx, f.partner, gen.Customer("w", uint64(i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	// Two dispatchers at once, as two processes would run: each event once.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				n, err := f.Service.DispatchEvents(ctx, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	counts := map[int64]int64{}
	for _, row := range f.h.Query(t, f.Store, "SELECT endpoint_id, count(*) FROM webhook_deliveries GROUP BY endpoint_id") {
		counts[toInt64(t, row[0])] = toInt64(t, row[1])
	}
	if counts[every.ID] != 10 || counts[creates.ID] != 10 || len(counts) != 2 {
		t.Errorf("deliveries by endpoint: %v, want 10 to each of %d and %d", counts, every.ID, creates.ID)
	}
	if n := f.count(t, "SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries GROUP BY endpoint_id, event_id HAVING count(*) > 1) twice"); n != 0 {
		t.Errorf("an event was fanned out twice")
	}
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
