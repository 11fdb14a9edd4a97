package webhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/webhooks"
)

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is a real HTTP server on loopback that records what it gets and answers with
// answer(n), n counting from 1.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []received
	inFlight atomic.Int32
	maxIn    atomic.Int32
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in := rc.inFlight.Add(1)
		defer rc.inFlight.Add(-1)
		for {
			m := rc.maxIn.Load()
			if in <= m || rc.maxIn.CompareAndSwap(m, in) {
				break
			}
		}
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{header: r.Header.Clone(), body: body, at: time.Now()})
		n := len(rc.got)
		rc.mu.Unlock()
		answer(n, w, r)
	}))
	t.Cleanup(rc.Server.Close)
	return rc
}

func ok(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// fixture is a service on a new SQLite database with a manual clock and a partner.
type fixture struct {
	svc     *saldo.Service
	clock   *saldo.ManualClock
	partner *saldo.Partner
	store   saldo.Store
}

func newFixture(t *testing.T, policy saldo.WebhookPolicy) *fixture {
	t.Helper()
	store := testdb.OpenSQLite(t)
	clock := saldo.NewManualClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	svc := saldo.NewService(store, clock, saldo.WithWebhookPolicy(policy))
	e, _, err := svc.CreatePartner(context.Background(), saldo.NewPartner{Name: "Tienda"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, clock: clock, partner: e, store: store}
}

func insecure(t *testing.T) *fixture { return newFixture(t, saldo.WebhookPolicy{AllowInsecure: true}) }

func (f *fixture) endpoint(t *testing.T, url string, events ...string) *saldo.WebhookEndpoint {
	t.Helper()
	if len(events) == 0 {
		events = []string{"*"}
	}
	w, err := f.svc.CreateWebhookEndpoint(context.Background(), f.partner, saldo.NewWebhookEndpoint{URL: url, Events: events}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (f *fixture) testSend(t *testing.T, endpointID int64) {
	t.Helper()
	if _, err := f.svc.TestWebhookEndpoint(context.Background(), f.partner, endpointID, nil); err != nil {
		t.Fatal(err)
	}
}

// run runs a Deliverer of f's service until the test ends.
func (f *fixture) run(t *testing.T, o webhooks.Options) {
	t.Helper()
	if o.PollInterval == 0 {
		o.PollInterval = 20 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	d := webhooks.NewDeliverer(f.svc, slog.New(slog.NewTextHandler(io.Discard, nil)), o)
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("the Deliverer did not stop within 20s of its context ending")
		}
	})
}

// attempts waits until endpoint id has at least n attempts and returns them, oldest first.
func (f *fixture) attempts(t *testing.T, id int64, n int) []saldo.WebhookAttempt {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _, err := f.svc.WebhookAttempts(context.Background(), f.partner, id, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) >= n {
			for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
				got[i], got[j] = got[j], got[i]
			}
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("endpoint %d: %d attempts within 10s, want %d", id, len(got), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// verify checks a webhook's signature header as the Standard Webhooks spec says a receiver
// does, written here from the spec and not with saldo.SignWebhook: the key is the base64
// after "whsec_"; the signed content is "id.timestamp.body"; the header lists
// space-separated "v1,<base64 HMAC-SHA256>" signatures, any of which may match.
func verify(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(body)))
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		version, b64, found := strings.Cut(sig, ",")
		if !found || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

func TestDeliveriesAreSignedPerStandardWebhooks(t *testing.T) {
	ctx := context.Background()
	f := insecure(t)
	rc := newReceiver(t, ok)
	w := f.endpoint(t, rc.URL+"/hooks?x=1", saldo.EventCustomerCreated)
	f.run(t, webhooks.Options{AllowInsecure: true})

	// An event of the outbox is fanned out and delivered.
	c, err := f.svc.CreateCustomer(ctx, f.partner, gen.Customer("wh", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.attempts(t, w.ID, 1)
	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	r := got[0]
	if !verify(w.Secret, r.header, r.body) {
		t.Errorf("the signature %q does not verify with the endpoint's secret", r.header.Get("webhook-signature"))
	}
	if verify("whsec_"+base64.StdEncoding.EncodeToString(make([]byte, 32)), r.header, r.body) {
		t.Error("the signature verifies with another secret")
	}
	if ct := r.header.Get("content-type"); ct != "application/json" {
		t.Errorf("content-type %q", ct)
	}
	if ts, err := strconv.ParseInt(r.header.Get("webhook-timestamp"), 10, 64); err != nil || ts != f.clock.Now().Unix() {
		t.Errorf("webhook-timestamp %q, want the Unix seconds of the attempt, %d", r.header.Get("webhook-timestamp"), f.clock.Now().Unix())
	}
	if id := r.header.Get("webhook-id"); !strings.HasPrefix(id, "evt_") {
		t.Errorf("webhook-id %q", id)
	}
	var body struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.Type != saldo.EventCustomerCreated || body.Timestamp == "" ||
		!strings.Contains(string(body.Data), strconv.FormatInt(c.Customer.ID, 10)) {
		t.Errorf("body %s (%v)", r.body, err)
	}

	// During a rotation both secrets sign, each verifying on its own.
	rotated, err := f.svc.RotateWebhookSecret(ctx, f.partner, w.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.testSend(t, w.ID)
	f.attempts(t, w.ID, 2)
	r = rc.requests()[1]
	sigs := strings.Fields(r.header.Get("webhook-signature"))
	if len(sigs) != 2 {
		t.Fatalf("during a rotation: %d signatures, want 2", len(sigs))
	}
	for _, s := range []string{rotated.Secret, w.Secret} {
		if !verify(s, r.header, r.body) {
			t.Error("during a rotation a secret does not verify")
		}
	}
	// Each signature on its own matches exactly one of the secrets.
	for i, sig := range sigs {
		h := r.header.Clone()
		h.Set("webhook-signature", sig)
		if verify(rotated.Secret, h, r.body) == verify(w.Secret, h, r.body) {
			t.Errorf("signature %d verifies with both secrets or neither", i)
		}
	}
}

func TestFailuresAreRetriedWithOneMessageID(t *testing.T) {
	f := insecure(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n <= 3 {
			http.Error(w, "not now", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	w := f.endpoint(t, rc.URL)
	f.run(t, webhooks.Options{AllowInsecure: true})
	f.testSend(t, w.ID)
	for i, wait := range saldo.RetrySchedule[:3] {
		f.attempts(t, w.ID, i+1)
		// Not before its wait.
		time.Sleep(100 * time.Millisecond)
		if n := len(rc.requests()); n != i+1 {
			t.Fatalf("%d requests before the wait of retry %d, want %d", n, i+1, i+1)
		}
		f.clock.Advance(wait)
	}
	attempts := f.attempts(t, w.ID, 4)
	time.Sleep(200 * time.Millisecond)
	got := rc.requests()
	if len(got) != 4 {
		t.Fatalf("%d requests, want 4", len(got))
	}
	for i, r := range got {
		if r.header.Get("webhook-id") != got[0].header.Get("webhook-id") {
			t.Errorf("request %d has webhook-id %q, the first %q", i+1, r.header.Get("webhook-id"), got[0].header.Get("webhook-id"))
		}
		if !verify(w.Secret, r.header, r.body) {
			t.Errorf("request %d does not verify", i+1)
		}
	}
	for i, a := range attempts {
		want := 500
		if i == 3 {
			want = 200
		}
		if a.StatusCode != want || (want == 500 && (a.Response != "not now\n" || a.Error == "")) {
			t.Errorf("attempt %d: %d %q %q, want %d", i+1, a.StatusCode, a.Response, a.Error, want)
		}
	}
}

func TestAHangingEndpointDoesNotDelayAnother(t *testing.T) {
	f := insecure(t)
	release := make(chan struct{})
	hang := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	fast := newReceiver(t, ok)
	slow := f.endpoint(t, hang.URL)
	other := f.endpoint(t, fast.URL)
	// The hanging endpoint's deliveries come first, more than its slots.
	for range 6 {
		f.testSend(t, slow.ID)
	}
	f.run(t, webhooks.Options{AllowInsecure: true, Workers: 3, PerEndpoint: 2})
	deadline := time.Now().Add(5 * time.Second)
	for hang.inFlight.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the hanging endpoint never got its two requests")
		}
		time.Sleep(5 * time.Millisecond)
	}
	sent := time.Now()
	f.testSend(t, other.ID)
	f.attempts(t, other.ID, 1)
	if took := time.Since(sent); took > time.Second {
		t.Errorf("the other endpoint's delivery took %v while one hung, want under 1s", took)
	}
	if m := hang.maxIn.Load(); m > 2 {
		t.Errorf("the hanging endpoint had %d requests at once, want at most its 2 slots", m)
	}
}

func TestEndpointSlotsQueueWithoutLosingTheLease(t *testing.T) {
	f := insecure(t)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		time.Sleep(5 * time.Millisecond)
		w.WriteHeader(http.StatusOK)
	})
	w := f.endpoint(t, rc.URL)
	// A burst far beyond the workers and the endpoint's queue: none may wait for its lease.
	const n = 90
	for range n {
		f.testSend(t, w.ID)
	}
	begin := time.Now()
	f.run(t, webhooks.Options{AllowInsecure: true, Workers: 4, PerEndpoint: 2})
	f.attempts(t, w.ID, n)
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("%d deliveries to one endpoint took %v: those waiting for its slots must not wait for their lease", n, took)
	}
	if m := rc.maxIn.Load(); m > 2 {
		t.Errorf("%d requests at once to one endpoint, want at most 2", m)
	}
	ids := map[string]bool{}
	for _, r := range rc.requests() {
		ids[r.header.Get("webhook-id")] = true
	}
	if len(ids) != n {
		t.Errorf("%d distinct webhook-ids, want %d", len(ids), n)
	}
}

func TestGoneDisablesTheEndpoint(t *testing.T) {
	f := insecure(t)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) })
	w := f.endpoint(t, rc.URL)
	f.run(t, webhooks.Options{AllowInsecure: true})
	f.testSend(t, w.ID)
	a := f.attempts(t, w.ID, 1)
	if a[0].StatusCode != http.StatusGone {
		t.Errorf("attempt %+v", a[0])
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := f.svc.WebhookEndpoint(context.Background(), f.partner, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Enabled() {
			if got.DisabledReason != "gone" {
				t.Errorf("disabled for %q, want gone", got.DisabledReason)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the endpoint is still enabled 5s after a 410")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Nothing more goes to it.
	f.testSend(t, w.ID)
	time.Sleep(300 * time.Millisecond)
	if n := len(rc.requests()); n != 1 {
		t.Errorf("%d requests to a disabled endpoint, want the 1 before", n)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	f := insecure(t)
	target := newReceiver(t, ok)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	})
	w := f.endpoint(t, rc.URL)
	f.run(t, webhooks.Options{AllowInsecure: true})
	f.testSend(t, w.ID)
	a := f.attempts(t, w.ID, 1)
	if a[0].StatusCode != http.StatusTemporaryRedirect || a[0].Error == "" {
		t.Errorf("attempt %+v, want a 307 recorded as a failure", a[0])
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(target.requests()); n != 0 {
		t.Errorf("the redirect was followed: its target got %d requests", n)
	}
	// A failure: the delivery waits for its retry.
	rows := testdb.Query(t, f.store, "SELECT status, attempts FROM webhook_deliveries")
	if len(rows) != 1 || rows[0][0] != saldo.DeliveryPending || toInt(rows[0][1]) != 1 {
		t.Errorf("delivery after a redirect: %v, want pending with 1 attempt", rows)
	}
}

func toInt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	case int:
		return int64(v)
	}
	return -1
}

// With insecure webhooks not allowed, the dialer refuses a name that resolves to a local
// address when the connection is made, whatever it resolved to when the endpoint was saved.
func TestLocalAddressesAreRefusedAtConnectTime(t *testing.T) {
	// The endpoint is saved while "localhost" resolves to a public address (as a rebinding
	// name would), then delivered by a Deliverer that resolves it for real: to loopback.
	f := newFixture(t, saldo.WebhookPolicy{Resolve: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
	}})
	rc := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the receiver on loopback got a request: %s %s", r.Method, r.URL)
	}))
	defer rc.Close()
	port := rc.Listener.Addr().(interface{ String() string }).String()
	port = port[strings.LastIndex(port, ":")+1:]
	w := f.endpoint(t, "https://localhost:"+port+"/hook")
	f.run(t, webhooks.Options{})
	f.testSend(t, w.ID)
	a := f.attempts(t, w.ID, 1)
	if a[0].StatusCode != 0 || !strings.Contains(a[0].Error, "refused") {
		t.Errorf("attempt %+v, want refused by the dialer", a[0])
	}

	// The client itself refuses IP literals too, and the metadata address.
	client := webhooks.NewClient(false, 2*time.Second, 2)
	for _, u := range []string{rc.URL, "http://169.254.169.254/latest/meta-data", "http://[::1]:" + port + "/"} {
		resp, err := client.Get(u)
		if err == nil {
			resp.Body.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "not allowed") {
			t.Errorf("GET %s: %v, want refused", u, err)
		}
	}
}

// With insecure webhooks not allowed, an http:// endpoint (saved while they were) is not sent.
func TestPlainHTTPIsNotSentUnlessInsecureIsAllowed(t *testing.T) {
	f := insecure(t)
	rc := newReceiver(t, ok)
	w := f.endpoint(t, rc.URL)
	f.run(t, webhooks.Options{AllowInsecure: false})
	f.testSend(t, w.ID)
	a := f.attempts(t, w.ID, 1)
	if a[0].StatusCode != 0 || !strings.Contains(a[0].Error, "https required") {
		t.Errorf("attempt %+v", a[0])
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("%d requests over http", n)
	}
}

// customers creates n customers of f's partner, each recording a customer.created event.
func (f *fixture) customers(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		if _, err := f.svc.CreateCustomer(context.Background(), f.partner, gen.Customer("c", uint64(i+1)), nil); err != nil {
			t.Fatal(err)
		}
	}
}

// An event whose attempt fails goes to the retry queue; the endpoint's later events go out
// meanwhile, and the retry carries the same webhook-id.
func TestAFailedEventDoesNotHoldUpTheLaterOnes(t *testing.T) {
	f := insecure(t)
	var failOnce sync.Once
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		failed := false
		failOnce.Do(func() { failed = true })
		if failed {
			http.Error(w, "not now", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	w := f.endpoint(t, rc.URL, saldo.EventCustomerCreated)
	f.run(t, webhooks.Options{AllowInsecure: true})
	f.customers(t, 3)
	// The clock stands still: the failed one's retry is not due, the two others go out.
	attempts := f.attempts(t, w.ID, 3)
	var failed []saldo.WebhookAttempt
	for _, a := range attempts {
		if a.StatusCode != 204 {
			failed = append(failed, a)
		}
	}
	if len(failed) != 1 || failed[0].StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("attempts %+v, want one 503 and two 204", attempts)
	}
	f.clock.Advance(saldo.RetrySchedule[0])
	retry := f.attempts(t, w.ID, 4)[3]
	if retry.StatusCode != 204 || retry.EventID != failed[0].EventID || retry.DeliveryID != failed[0].DeliveryID {
		t.Errorf("the retry %+v, want a success of the failed attempt's delivery %+v", retry, failed[0])
	}
	got := rc.requests()
	ids := map[string]int{}
	for _, r := range got {
		ids[r.header.Get("webhook-id")]++
	}
	if len(got) != 4 || len(ids) != 3 || ids["evt_"+strconv.FormatInt(failed[0].EventID, 10)] != 2 {
		t.Errorf("requests by webhook-id %v, want the failed event's twice and two others once", ids)
	}
}

// The events of a partner with a hanging endpoint reach its other endpoint at once, and a
// burst to one endpoint never has more than its slots out at once.
func TestAHangingEndpointDoesNotDelayAnotherEndpointsEvents(t *testing.T) {
	f := insecure(t)
	release := make(chan struct{})
	hang := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	fast := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		time.Sleep(2 * time.Millisecond)
		w.WriteHeader(http.StatusNoContent)
	})
	f.endpoint(t, hang.URL)
	other := f.endpoint(t, fast.URL)
	f.run(t, webhooks.Options{AllowInsecure: true, Workers: 4, PerEndpoint: 2})
	const n = 40
	begin := time.Now()
	f.customers(t, n)
	f.attempts(t, other.ID, n)
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("%d events to the other endpoint took %v while one hung", n, took)
	}
	if m := hang.maxIn.Load(); m > 2 {
		t.Errorf("the hanging endpoint had %d requests at once, want at most its 2 slots", m)
	}
	if m := fast.maxIn.Load(); m > 2 {
		t.Errorf("the other endpoint had %d requests at once, want at most its 2 slots", m)
	}
	ids := map[string]bool{}
	for _, r := range fast.requests() {
		ids[r.header.Get("webhook-id")] = true
	}
	if len(ids) != n || len(fast.requests()) != n {
		t.Errorf("%d requests, %d distinct webhook-ids; want %d of each", len(fast.requests()), len(ids), n)
	}
}

// Once Run's context ends, a batch lets its attempts out finish but starts no more: the rest
// stay past the cursor for the next process.
func TestAStoppingDelivererStartsNoMoreOfABatch(t *testing.T) {
	f := insecure(t)
	release := make(chan struct{})
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		<-release
		w.WriteHeader(http.StatusNoContent)
	})
	w := f.endpoint(t, rc.URL)
	f.customers(t, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	d := webhooks.NewDeliverer(f.svc, slog.New(slog.NewTextHandler(io.Discard, nil)),
		webhooks.Options{AllowInsecure: true, PollInterval: 20 * time.Millisecond, Drain: 10 * time.Second})
	go func() { d.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for rc.inFlight.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the first two attempts never came")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	close(release)
	<-done
	if n := len(rc.requests()); n != 2 {
		t.Errorf("%d requests, want the 2 out when Run's context ended", n)
	}
	if got := f.attempts(t, w.ID, 2); len(got) != 2 {
		t.Errorf("%d attempts recorded, want 2", len(got))
	}
}

// While the API is busy, attempts start at most BusyRate a second; when it is not, they are
// not held back at all.
func TestDeliveryYieldsToABusyAPI(t *testing.T) {
	f := insecure(t)
	rc := newReceiver(t, ok)
	f.endpoint(t, rc.URL, saldo.EventCustomerCreated)
	var busy atomic.Bool
	busy.Store(true)
	const rate = 20 // an attempt every 50 ms
	d := webhooks.NewDeliverer(f.svc, slog.New(slog.NewTextHandler(io.Discard, nil)), webhooks.Options{
		AllowInsecure: true, PollInterval: 20 * time.Millisecond, Busy: busy.Load, BusyRate: rate})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	f.customers(t, 10)
	got := waitRequests(t, rc, 10)
	if span := got[9].at.Sub(got[0].at); span < 400*time.Millisecond {
		t.Errorf("10 attempts while busy at %d a second arrived within %v, want at least 400ms", rate, span)
	}
	yielded := d.Stats().Yielded()
	if yielded <= 0 || d.Stats().Attempts() != 10 {
		t.Errorf("yielded %v over %d attempts, want some over 10", yielded, d.Stats().Attempts())
	}

	busy.Store(false)
	for i := range 20 {
		if _, err := f.svc.CreateCustomer(context.Background(), f.partner, gen.Customer("idle", uint64(i+100)), nil); err != nil {
			t.Fatal(err)
		}
	}
	waitRequests(t, rc, 30)
	if after := d.Stats().Yielded(); after != yielded {
		t.Errorf("attempts waited %v more while the API was not busy, want none", after-yielded)
	}
}

// waitRequests waits up to 20 s for rc to have received n requests, and returns them.
func waitRequests(t *testing.T, rc *receiver, n int) []received {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := rc.requests()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests received in 20s, want %d", len(got), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
