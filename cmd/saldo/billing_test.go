package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/sqlite"
)

// creditDB is an SQLite database with a partner that has composite balances, and a
// service on it whose clock the test sets.
type creditDB struct {
	store   *sqlite.Store
	svc     *saldo.Service
	clock   *saldo.ManualClock
	partner *saldo.Partner
	ext     int
}

// newCreditDB migrates the SQLite file at path and registers a partner with settings n, as
// of the instant at.
func newCreditDB(t testing.TB, path string, at time.Time, n saldo.NewPartner) *creditDB {
	t.Helper()
	store, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	db := &creditDB{store: store, clock: saldo.NewManualClock(at)}
	db.svc = saldo.NewService(store, db.clock)
	n.Name, n.CompositeBalances = "tienda", true
	if db.partner, _, err = db.svc.CreatePartner(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	return db
}

// child creates a customer with a parent of 100,000 cents and a child of 50,000 on it.
func (db *creditDB) child(t testing.TB, seq uint64) *saldo.ChildView {
	t.Helper()
	ctx := context.Background()
	req := gen.Customer("", seq)
	req.CompositeCreditLine = "100000"
	owner, err := db.svc.CreateCustomer(ctx, db.partner, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.svc.CreateChild(ctx, db.partner, saldo.NewChild{ParentID: owner.Parent.ID, CreditLine: 50_000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// charge posts a charge (capture) or places an authorization on child, with an idempotency
// key when key is not empty.
func (db *creditDB) charge(t testing.TB, child, amount int64, capture bool, key string) {
	t.Helper()
	var idem *saldo.Idempotency[*saldo.CreditMovement]
	if key != "" {
		idem = &saldo.Idempotency[*saldo.CreditMovement]{
			IdempotencyKey: saldo.IdempotencyKey{Key: key, Digest: sha256.Sum256([]byte(key))},
			Render:         func(*saldo.CreditMovement, error) saldo.Answer { return saldo.Answer{Status: 200, Body: []byte("{}")} },
		}
	}
	db.ext++
	_, err := db.svc.Charge(context.Background(), db.partner, saldo.ChargeRequest{ChildID: child, Amount: amount,
		ExternalTransactionID: fmt.Sprintf("ext-%d", db.ext), Description: "compra",
		Merchant: saldo.Merchant{Name: "OXXO", MCC: "5411"}, Capture: capture}, idem)
	if err != nil {
		t.Fatal(err)
	}
}

func (db *creditDB) held(t testing.TB, child int64) int64 {
	t.Helper()
	v, err := db.svc.CompositeChild(context.Background(), db.partner, child)
	if err != nil {
		t.Fatal(err)
	}
	return v.Child.Held
}

// billing run --date does the work due at 00:00 Mexico City of that day, prints what it did,
// and never does a piece of work twice: a second run of the same day writes nothing.
func TestBillingRunDoesTheWorkDueOnItsDateOnce(t *testing.T) {
	path := testdb.SQLitePath(t)
	// Billing day 10, due 10 days later, holds of 3 days: on 3 March 2025 a charge (with an
	// idempotency key) and an authorization, which expires on the 6th.
	db := newCreditDB(t, path, time.Date(2025, 3, 3, 12, 0, 0, 0, saldo.MexicoCity),
		saldo.NewPartner{BillingDay: 10, PaymentDueDays: 10, AuthorizationHoldDays: ptr(3)})
	c := db.child(t, 1)
	db.charge(t, c.Child.ID, 30_000, true, "charge-1")
	db.charge(t, c.Child.ID, 1_000, false, "")
	db.store.Close()

	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + path}
	for _, step := range []struct {
		name string
		date string
		want map[string]int64
	}{
		{"the day before the cut-off releases the hold and purges the key", "2025-03-09",
			map[string]int64{"holds_expired": 1, "statements": 0, "overdue": 0, "idempotency_purged": 1}},
		{"the cut-off writes the statement", "2025-03-10",
			map[string]int64{"holds_expired": 0, "statements": 1, "overdue": 0, "idempotency_purged": 0}},
		{"the cut-off again writes none", "2025-03-10",
			map[string]int64{"holds_expired": 0, "statements": 0, "overdue": 0, "idempotency_purged": 0}},
		{"the day after the due date makes the parent overdue", "2025-03-21",
			map[string]int64{"holds_expired": 0, "statements": 0, "overdue": 1, "idempotency_purged": 0}},
		{"that day again does nothing", "2025-03-21",
			map[string]int64{"holds_expired": 0, "statements": 0, "overdue": 0, "idempotency_purged": 0}},
		{"two cut-offs later, one run writes both statements", "2025-05-10",
			map[string]int64{"holds_expired": 0, "statements": 2, "overdue": 0, "idempotency_purged": 0}},
	} {
		stdout, stderr, code := cliOutput(env, "billing", "run", "--date", step.date)
		var got map[string]int64
		if code != 0 || json.Unmarshal([]byte(stdout), &got) != nil || !maps.Equal(got, step.want) {
			t.Fatalf("%s: billing run --date %s: exit %d, stdout %q, stderr %q; want exit 0 and %v",
				step.name, step.date, code, stdout, stderr, step.want)
		}
	}

	store, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rows := testdb.Query(t, store, "SELECT parent_id, cutoff_date, payment_due_date, charges, closing_balance FROM statements ORDER BY cutoff_date")
	if len(rows) != 3 || rows[0][0] != c.Child.ParentID || rows[0][1] != "2025-03-10" || rows[0][2] != "2025-03-20" ||
		rows[0][3] != int64(30_000) || rows[0][4] != int64(30_000) || rows[1][1] != "2025-04-10" || rows[2][1] != "2025-05-10" {
		t.Errorf("statements %v, want the parent's of 2025-03-10 (due 2025-03-20, with the 30000 charge), 2025-04-10 and 2025-05-10", rows)
	}
	if out, code := cli(t, env, "ledger", "verify"); code != 0 {
		t.Errorf("ledger verify after the runs: exit %d\n%s", code, out)
	}
}

// Without --date, billing run does what is due now, on a database it migrates first.
func TestBillingRunWithoutADateRunsNowAndMigrates(t *testing.T) {
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
	out, code := cli(t, env, "billing", "run")
	if code != 0 || out != `{"holds_expired":0,"statements":0,"overdue":0,"idempotency_purged":0}`+"\n" {
		t.Errorf("billing run on a new database: exit %d, %q; want 0 and zero counts", code, out)
	}
	if out, code := cli(t, env, "ledger", "verify"); code != 0 || !strings.Contains(out, "ledger OK") {
		t.Errorf("ledger verify after it: exit %d, %q; want the schema billing run migrated", code, out)
	}
}

// serve runs the scheduled work every --billing-interval, not only at start: an
// authorization whose hold ran out after the first run is released by a later one.
func TestServeRunsTheBillingSchedule(t *testing.T) {
	path := testdb.SQLitePath(t)
	r := start(t, map[string]string{"SALDO_DATABASE_URL": "sqlite:" + path}, "--billing-interval", "50ms")
	runs := func() float64 { return metric(t, r.addr, "saldo_billing_runs_total") }
	waitFor(t, "the run at start", func() bool { return runs() >= 1 })

	// A hold placed 8 days ago, of 1 day: long expired, and placed after the first run.
	db := newCreditDB(t, path, time.Now().Add(-8*24*time.Hour), saldo.NewPartner{AuthorizationHoldDays: ptr(1)})
	c := db.child(t, 1)
	// The next run may release it at once: the metric, not a read of held, shows it was held.
	db.charge(t, c.Child.ID, 2_500, false, "")
	waitFor(t, "the hold's release", func() bool { return db.held(t, c.Child.ID) == 0 })
	waitFor(t, "the released hold in the metrics", func() bool { return metric(t, r.addr, "saldo_billing_holds_expired_total") == 1 })
	if code := r.shutdown(t); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
	logged := regexp.MustCompile(`(?m)msg="billing run" holds_expired=1 statements=0 overdue=0 idempotency_purged=0 `)
	if n := len(logged.FindAllString(r.stderr.String(), -1)); n != 1 {
		t.Errorf("%d log lines of a billing run that released the hold, want 1:\n%s", n, r.stderr)
	}
	if strings.Contains(r.stderr.String(), "billing run failed") {
		t.Errorf("a billing run failed:\n%s", r.stderr)
	}
}

// waitFor polls done until it holds, for up to 10 seconds.
func waitFor(t testing.TB, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// metric reads a series without labels from serve's /metrics.
func metric(t testing.TB, addr, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("/metrics has no %s", name)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

// A --date is a day written YYYY-MM-DD, which becomes its 00:00 in Mexico City; nothing else
// is one.
func TestParseBillingDate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // RFC 3339; "" for a refusal
	}{
		{"2026-12-15", "2026-12-15T00:00:00-06:00"},
		{"2024-02-29", "2024-02-29T00:00:00-06:00"},
		{"2025-02-29", ""},
		{"2026-12-1", ""},
		{"15/12/2026", ""},
		{"2026-12-15T00:00:00Z", ""},
		{" 2026-12-15", ""},
		{"", ""},
	} {
		got, ok := parseBillingDate(tt.in)
		if ok != (tt.want != "") || ok && got.Format(time.RFC3339) != tt.want {
			t.Errorf("parseBillingDate(%q) = %v, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func FuzzParseBillingDate(f *testing.F) {
	for _, s := range []string{"2026-12-15", "2025-02-29", "0000-01-01", "9999-12-31", "15/12/2026"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, ok := parseBillingDate(s)
		if !ok {
			return
		}
		local := at.In(saldo.MexicoCity)
		if local.Format(time.DateOnly) != s || local.Hour() != 0 || local.Minute() != 0 || local.Second() != 0 {
			t.Errorf("parseBillingDate(%q) = %v, not 00:00 of that day in Mexico City", s, local)
		}
	})
}

// serve's billing interval comes from --billing-interval, else SALDO_BILLING_INTERVAL, else
// a minute.
func TestBillingIntervalFlagEnvironmentAndDefault(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  string
		args []string
		want time.Duration
	}{
		{"the default", "", nil, time.Minute},
		{"the environment", "5m", nil, 5 * time.Minute},
		{"the flag wins", "5m", []string{"--billing-interval", "30s"}, 30 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := Env{Getenv: func(k string) string {
				if k == "SALDO_BILLING_INTERVAL" {
					return tt.env
				}
				return ""
			}, Stdout: io.Discard, Stderr: io.Discard}
			cfg, err := parse(env, "serve", tt.args, true, nil)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.BillingInterval != tt.want {
				t.Errorf("billing interval %v, want %v", cfg.BillingInterval, tt.want)
			}
		})
	}
}
