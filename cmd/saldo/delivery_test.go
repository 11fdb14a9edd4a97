package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/postgres"
	"github.com/saldo-mx/saldo/sqlite"
)

// buildSaldo builds the binary into a temporary directory.
func buildSaldo(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "saldo")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = wd
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// hookReceiver counts the webhook-ids it gets; block, when set, decides whether to hold a
// request until the client goes away.
type hookReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	ids   []string
	block func(n int) bool
	got   chan string
}

func newHookReceiver(t *testing.T, block func(n int) bool) *hookReceiver {
	t.Helper()
	rc := &hookReceiver{block: block, got: make(chan string, 1000)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		id := r.Header.Get("webhook-id")
		rc.mu.Lock()
		rc.ids = append(rc.ids, id)
		n := len(rc.ids)
		rc.mu.Unlock()
		rc.got <- id
		if rc.block != nil && rc.block(n) {
			<-r.Context().Done() // held until the sender dies
			return
		}
		time.Sleep(2 * time.Millisecond)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Server.Close)
	return rc
}

func (rc *hookReceiver) counts() map[string]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[string]int{}
	for _, id := range rc.ids {
		out[id]++
	}
	return out
}

// hookSetup registers a partner and an endpoint to url on store, queues n test sends and
// creates customers customers, and returns how many events there are to deliver.
func hookSetup(t *testing.T, store saldo.Store, key [32]byte, url string, n, customers int) int {
	t.Helper()
	ctx := context.Background()
	svc := saldo.NewService(store, nil, saldo.WithSecretKey(key), saldo.WithWebhookPolicy(saldo.WebhookPolicy{AllowInsecure: true}))
	e, _, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "Hooks"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := svc.CreateWebhookEndpoint(ctx, e, saldo.NewWebhookEndpoint{URL: url, Events: []string{"*"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if _, err := svc.TestWebhookEndpoint(ctx, e, w.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range customers {
		if _, err := svc.CreateCustomer(ctx, e, gen.Customer("hook", uint64(i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	rows := testdb.Query(t, store, "SELECT count(*) FROM events WHERE ecommerce_id = $1", e.ID)
	switch v := rows[0][0].(type) {
	case int64:
		return int(v)
	default:
		t.Fatalf("count: %T", v)
		return 0
	}
}

// A SIGKILL while a webhook is out loses no event: after a restart on the same database the
// lease runs out and the event is sent again, with the same webhook-id; whether it was a
// delivery of the retry queue (a test send) or a new event past the endpoint's cursor.
func TestSIGKILLMidDeliveryLosesNoEvent(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		testSends, customers int
	}{
		{"a test send", 1, 0},
		{"a new event", 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) { testSIGKILLMidDelivery(t, tt.testSends, tt.customers) })
	}
}

func testSIGKILLMidDelivery(t *testing.T, testSends, customers int) {
	path := testdb.SQLitePath(t)
	keyHex := strings.Repeat("7c", 32)
	key, _ := parseKey(keyHex)
	rc := newHookReceiver(t, func(n int) bool { return n == 1 })
	store, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	hookSetup(t, store, key, rc.URL+"/hook", testSends, customers)
	store.Close()

	bin := buildSaldo(t)
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + path, "SALDO_SECRET_KEY": keyHex, "SALDO_WEBHOOKS_LEASE": "4s"}
	c := startChild(t, bin, env)
	var first string
	select {
	case first = <-rc.got:
	case <-time.After(20 * time.Second):
		t.Fatalf("the webhook was not sent within 20s: %s", c.stderr)
	}
	_ = c.cmd.Process.Kill() // SIGKILL, the request still out
	c.kill(t)

	c = startChild(t, bin, env)
	select {
	case again := <-rc.got:
		if again != first {
			t.Errorf("after the restart webhook-id %q was sent, want %q again", again, first)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the event was not delivered within 30s of the restart: %s", c.stderr)
	}
	time.Sleep(500 * time.Millisecond)
	if got := rc.counts(); len(got) != 1 || got[first] != 2 {
		t.Errorf("requests by webhook-id: %v, want %s twice (the killed one and the one after)", got, first)
	}
}

// Two serve processes on one PostgreSQL deliver every event once between them.
func TestTwoServesDeliverEachEventOnce(t *testing.T) {
	dbURL := testdb.PostgresURL(t)
	keyHex := strings.Repeat("8d", 32)
	key, _ := parseKey(keyHex)
	rc := newHookReceiver(t, nil)
	store, err := postgres.Open(context.Background(), dbURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := hookSetup(t, store, key, rc.URL+"/hook", 60, 30)
	store.Close()

	bin := buildSaldo(t)
	env := map[string]string{"SALDO_DATABASE_URL": dbURL, "SALDO_SECRET_KEY": keyHex, "SALDO_WEBHOOKS_ALLOW_INSECURE": "true"}
	a, b := startChild(t, bin, env), startChild(t, bin, env)
	// Well within the 60 s lease: none may have waited for one to run out.
	deadline := time.Now().Add(30 * time.Second)
	for len(rc.counts()) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events delivered within 30s; logs:\n%s\n%s", len(rc.counts()), want, a.stderr, b.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second) // any second sending would have come by now
	twice := 0
	for id, n := range rc.counts() {
		if n != 1 {
			twice++
			t.Errorf("webhook-id %s sent %d times", id, n)
		}
	}
	t.Logf("%d events delivered by two serve processes, %d of them more than once", len(rc.counts()), twice)
}

// serve on the embedded sandbox allows insecure webhooks unless told otherwise, and says so.
func TestServeAllowsInsecureWebhooksOnlyOnTheSandbox(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "allow_insecure=true"},
		{[]string{"--webhooks-allow-insecure=false"}, "allow_insecure=false"},
	} {
		r := start(t, map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}, tt.args...)
		if log := r.stderr.String(); !strings.Contains(log, "webhook delivery") || !strings.Contains(log, tt.want) {
			t.Errorf("serve %v logged:\n%s\nwant the webhook delivery line with %s", tt.args, log, tt.want)
		}
		r.shutdown(t)
	}
	cfg, err := parse(Env{Getenv: func(k string) string {
		return map[string]string{"SALDO_DATABASE_URL": "postgres://x@localhost/db"}[k]
	}}, "serve", nil, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if allow, _ := cfg.webhooksInsecure(); allow {
		t.Error("insecure webhooks allowed on PostgreSQL by default")
	}
	_, err = parse(Env{Getenv: func(k string) string { return map[string]string{"SALDO_WEBHOOKS_LEASE": "1s"}[k] }, Stdout: io.Discard}, "serve", nil, true, nil)
	if err == nil || !strings.Contains(err.Error(), "lease") {
		t.Errorf("a 1s lease: %v, want refused", err)
	}
}
