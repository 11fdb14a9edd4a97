package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// server is a real saldo HTTP server over a fresh SQLite database, with one partner.
type server struct {
	url   string
	token string
	store saldo.Store
}

func newServer(t *testing.T, composite bool, wrap func(http.Handler) http.Handler) *server {
	t.Helper()
	store := testdb.OpenSQLite(t)
	svc := saldo.NewService(store, nil)
	var h http.Handler = saldohttp.NewServer(svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	_, token, err := svc.CreatePartner(context.Background(), saldo.NewPartner{Name: "load", CompositeBalances: composite})
	if err != nil {
		t.Fatal(err)
	}
	return &server{url: srv.URL, token: token, store: store}
}

// runJSON runs the command with --json and returns its report and error.
func runJSON(t *testing.T, args ...string) (*report, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append(args, "--json"), &stdout, &stderr)
	var rep report
	if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil {
		t.Fatalf("report is not JSON (%v): %q; stderr %q; run error %v", jerr, stdout.String(), stderr.String(), err)
	}
	return &rep, err
}

func TestRunCreatesAndVerifies(t *testing.T) {
	s := newServer(t, true, nil)
	rep, err := runJSON(t, "--url", s.url, "--token", s.token, "--count", "200", "--concurrency", "8", "--composite", "--verify")
	if err != nil {
		t.Fatalf("run: %v (errors %v)", err, rep.ErrorsBy)
	}
	if rep.Sent != 200 || rep.OK != 200 || rep.Errors != 0 || len(rep.ErrorsBy) != 0 {
		t.Errorf("sent %d, ok %d, errors %d %v; want 200, 200, 0", rep.Sent, rep.OK, rep.Errors, rep.ErrorsBy)
	}
	if v := rep.Verify; v == nil || v.Expected != 200 || v.Checked != 200 || v.Missing != 0 || v.Mismatched != 0 || v.Errors != 0 {
		t.Errorf("verify = %+v, want 200 of 200 read back, none missing or mismatched", v)
	}
	if rep.CreatesPerSecond <= 0 || rep.Latency.P50 <= 0 || rep.Latency.P50 > rep.Latency.P99 || rep.Latency.P99 > rep.Latency.Max {
		t.Errorf("rate %v, latency %+v: want a positive rate and p50 ≤ p99 ≤ max", rep.CreatesPerSecond, rep.Latency)
	}
	if rep.SeqEnd != (rep.SeqStart+200)%seqSpace {
		t.Errorf("seq %d–%d, want 200 apart", rep.SeqStart, rep.SeqEnd)
	}
	for table, want := range map[string]int{"customers": 200, "composite_parents": 200, "customer_tokens": 600, "events": 400} {
		if n := len(testdb.Rows(t, s.store, table)); n != want {
			t.Errorf("%s has %d rows, want %d", table, n, want)
		}
	}
}

func TestRunTextReport(t *testing.T) {
	s := newServer(t, false, nil)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--url", s.url, "--token", s.token, "--count", "20", "--concurrency", "3", "--verify"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stdout.String())
	}
	for _, want := range []string{"20 creates sent", "ok          20", "p99", "errors      0", "verify      20 of 20 read back: 0 missing, 0 mismatched, 0 errors"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
}

// Runs with the default prefix and sequence offset never collide in the same database.
func TestRunsDoNotCollide(t *testing.T) {
	s := newServer(t, true, nil)
	for range 3 {
		rep, err := runJSON(t, "--url", s.url, "--token", s.token, "--count", "30", "--concurrency", "4", "--composite")
		if err != nil {
			t.Fatalf("run: %v (errors %v)", err, rep.ErrorsBy)
		}
	}
	if n := len(testdb.Rows(t, s.store, "customers")); n != 90 {
		t.Errorf("customers has %d rows, want 90", n)
	}
}

// Chaining --seq-offset from the last run's seq_end keeps even a shared prefix apart.
func TestRunSeqOffsetChains(t *testing.T) {
	s := newServer(t, false, nil)
	offset := strconv.FormatUint(seqSpace-5, 10) // the second run wraps around the space
	for range 2 {
		rep, err := runJSON(t, "--url", s.url, "--token", s.token, "--count", "10", "--prefix", "same.", "--seq-offset", offset)
		if err != nil {
			t.Fatalf("run: %v (errors %v)", err, rep.ErrorsBy)
		}
		offset = strconv.FormatUint(rep.SeqEnd, 10)
	}
	if n := len(testdb.Rows(t, s.store, "customers")); n != 20 {
		t.Errorf("customers has %d rows, want 20", n)
	}
}

func TestRunDuration(t *testing.T) {
	s := newServer(t, false, nil)
	rep, err := runJSON(t, "--url", s.url, "--token", s.token, "--duration", "300ms", "--concurrency", "4", "--verify")
	if err != nil {
		t.Fatalf("run: %v (errors %v)", err, rep.ErrorsBy)
	}
	if rep.OK == 0 || rep.OK != rep.Sent || rep.ElapsedSeconds < 0.3 {
		t.Errorf("ok %d of %d in %vs, want all of some in at least 0.3s", rep.OK, rep.Sent, rep.ElapsedSeconds)
	}
	if n := len(testdb.Rows(t, s.store, "customers")); int64(n) != rep.OK {
		t.Errorf("customers has %d rows, want %d", n, rep.OK)
	}
}

func TestRunCountsErrorsByStatusAndCode(t *testing.T) {
	s := newServer(t, true, nil)
	args := []string{"--url", s.url, "--token", s.token, "--count", "10", "--composite", "--prefix", "dup.", "--seq-offset", "77"}
	if _, err := runJSON(t, args...); err != nil {
		t.Fatal(err)
	}
	// The same customers again: every one is a duplicate.
	rep, err := runJSON(t, args...)
	if err == nil {
		t.Error("a run of duplicates succeeded, want an error")
	}
	want := map[string]int64{"409/4409 email:duplicate,mobile:duplicate,rfc:duplicate,curp:duplicate": 10}
	if rep.OK != 0 || rep.Errors != 10 || !maps.Equal(rep.ErrorsBy, want) {
		t.Errorf("ok %d, errors %d %v; want 0, 10 %v", rep.OK, rep.Errors, rep.ErrorsBy, want)
	}

	// A credit line the partner without composite balances refuses.
	plain := newServer(t, false, nil)
	rep, err = runJSON(t, "--url", plain.url, "--token", plain.token, "--count", "3", "--composite")
	if err == nil || !maps.Equal(rep.ErrorsBy, map[string]int64{"400/5000 composite_balance:not_enabled": 3}) {
		t.Errorf("composite on a plain partner: err %v, errors %v", err, rep.ErrorsBy)
	}

	// Nobody listening.
	rep, err = runJSON(t, "--url", "http://127.0.0.1:1", "--token", s.token, "--count", "2")
	if err == nil || !maps.Equal(rep.ErrorsBy, map[string]int64{"transport/connection_refused": 2}) {
		t.Errorf("no server: err %v, errors %v", err, rep.ErrorsBy)
	}
}

// A token the server refuses stops the whole run at the first 401, with no report and an
// error that names the token, rather than sending every request of the run to be refused.
func TestRunStopsAtTheFirstRefusedToken(t *testing.T) {
	for _, tt := range []struct {
		name        string
		concurrency int
		args        []string
	}{
		{"one worker, text report", 1, nil},
		{"eight workers, JSON report", 8, []string{"--json"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int64
			s := newServer(t, false, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					h.ServeHTTP(w, r)
				})
			})
			var stdout, stderr bytes.Buffer
			args := append([]string{"--url", s.url, "--token", saldo.NewSecret(saldo.PartnerTokenPrefix),
				"--count", "2000", "--concurrency", strconv.Itoa(tt.concurrency), "--progress=false"}, tt.args...)
			err := run(context.Background(), args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), "refused the partner token (401/4401") || !strings.Contains(err.Error(), "check --token or SALDO_LOAD_TOKEN") {
				t.Errorf("run error = %v, want the refused token named", err)
			}
			// Each worker stops at its own first answer, if no other worker stopped it before.
			if n := requests.Load(); n < 1 || n > int64(tt.concurrency) {
				t.Errorf("the server got %d requests, want 1 to %d (one a worker at most)", n, tt.concurrency)
			}
			if stdout.Len() != 0 {
				t.Errorf("a refused run printed a report: %q", stdout.String())
			}
		})
	}
}

// Answers that are not the contract's count by status, never as a success.
func TestRunCountsAnswersOutsideTheContract(t *testing.T) {
	// Creates take turns: a proxy's error page, a 200 that is not JSON, another customer.
	var creates int
	s := newServer(t, false, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			creates++
			switch creates % 3 {
			case 1:
				w.WriteHeader(http.StatusBadGateway)
				_, _ = io.WriteString(w, "<html>Bad Gateway</html>")
			case 2:
				_, _ = io.WriteString(w, "OK")
			default:
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				w.WriteHeader(rec.Code)
				_, _ = w.Write(bytes.Replace(rec.Body.Bytes(), []byte("@example.com"), []byte("@example.org"), 1))
			}
		})
	})
	// Concurrency 1, so the handler's counter needs no lock.
	rep, err := runJSON(t, "--url", s.url, "--token", s.token, "--count", "6", "--concurrency", "1")
	want := map[string]int64{"502/unparseable_body": 2, "200/unparseable_body": 2, "200/unexpected_customer": 2}
	if err == nil || rep.OK != 0 || !maps.Equal(rep.ErrorsBy, want) {
		t.Errorf("err %v, ok %d, errors %v; want a failed run with %v", err, rep.OK, rep.ErrorsBy, want)
	}
}

// --verify fails the run when a created customer cannot be read back, or differs.
func TestRunVerifyFindsMissingAndMismatched(t *testing.T) {
	// Every third read answers 404; every fifth answers another customer's email.
	var reads int
	s := newServer(t, false, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet {
				h.ServeHTTP(w, r)
				return
			}
			reads++
			switch {
			case reads%3 == 0:
				http.Error(w, `{"rs":null,"err":{"code":4404}}`, http.StatusNotFound)
			case reads%5 == 0:
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				w.WriteHeader(rec.Code)
				_, _ = w.Write(bytes.Replace(rec.Body.Bytes(), []byte("@example.com"), []byte("@example.org"), 1))
			default:
				h.ServeHTTP(w, r)
			}
		})
	})
	// Concurrency 1, so the handler's counter needs no lock.
	rep, err := runJSON(t, "--url", s.url, "--token", s.token, "--count", "30", "--concurrency", "1", "--verify")
	if err == nil || !strings.Contains(err.Error(), "verify") {
		t.Errorf("run error = %v, want a verify failure", err)
	}
	if v := rep.Verify; v == nil || v.Checked != 30 || v.Missing != 10 || v.Mismatched != 4 || v.Errors != 0 || len(v.Samples) == 0 {
		t.Errorf("verify = %+v, want 10 missing and 4 mismatched of 30", v)
	}
}

// --verify counts a read answered outside the contract as an error, named by its status.
func TestRunVerifyCountsAnswersOutsideTheContract(t *testing.T) {
	// Reads take turns: a proxy's error page, a 200 that is not JSON, a contract 503.
	var reads int
	s := newServer(t, false, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet {
				h.ServeHTTP(w, r)
				return
			}
			reads++
			switch reads % 3 {
			case 1:
				w.WriteHeader(http.StatusBadGateway)
				_, _ = io.WriteString(w, "<html>Bad Gateway</html>")
			case 2:
				_, _ = io.WriteString(w, "OK")
			default:
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, `{"rs":null,"err":{"code":7003,"text":"Service Unavailable","hints":["later"]}}`)
			}
		})
	})
	// Concurrency 1, so the handler's counter needs no lock.
	rep, err := runJSON(t, "--url", s.url, "--token", s.token, "--count", "3", "--concurrency", "1", "--verify")
	if err == nil || !strings.Contains(err.Error(), "verify") {
		t.Errorf("run error = %v, want a verify failure", err)
	}
	v := rep.Verify
	if v == nil || v.Checked != 3 || v.Errors != 3 || v.Missing+v.Mismatched != 0 {
		t.Fatalf("verify = %+v, want 3 errors of 3", v)
	}
	for i, want := range []string{"HTTP 502", "HTTP 200", "HTTP 503"} {
		if !strings.HasSuffix(v.Samples[i], ": "+want) {
			t.Errorf("sample %d = %q, want it to end %q", i, v.Samples[i], want)
		}
	}
}

var testNow = time.Date(2026, 11, 24, 10, 30, 0, 123e6, time.UTC)

func TestParseFlags(t *testing.T) {
	t.Setenv("SALDO_LOAD_TOKEN", "")
	for _, args := range [][]string{
		{}, // no token
		{"--token", "t", "--count", "1", "--duration", "1s"}, // both
		{"--token", "t", "--concurrency", "0"},
		{"--token", "t", "--prefix", "a b"},
		{"--token", "t", "--prefix", `a"b`},
		{"--token", "t", "--count", "-1"},
		{"--token", "t", "extra"},
	} {
		if _, err := parseFlags(args, io.Discard, testNow); err == nil {
			t.Errorf("parseFlags(%q) succeeded, want an error", args)
		}
	}

	t.Setenv("SALDO_LOAD_TOKEN", "ek_env")
	c, err := parseFlags(nil, io.Discard, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "ek_env" || c.duration.Seconds() != 10 || c.count != 0 || c.concurrency != 8 || c.url != "http://127.0.0.1:8080" {
		t.Errorf("defaults = %+v", c)
	}
	if c.prefix != "load20261124T103000.123." || c.seqOffset != defaultSeqOffset(testNow) {
		t.Errorf("prefix %q, offset %d: want them from the time", c.prefix, c.seqOffset)
	}
	// Offsets move 10 per millisecond, so back-to-back runs start far enough apart.
	if d := defaultSeqOffset(testNow.Add(time.Second)) - defaultSeqOffset(testNow); d != 10_000 {
		t.Errorf("offset moves %d a second, want 10000", d)
	}
}

func TestCreateBody(t *testing.T) {
	r := gen.Customer(`we"ird\`, 42)
	body := appendCreateBody(nil, &r, true, 123)
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	want := map[string]any{
		"email": r.Email, "mobile": float64(5000000042), "first_name": "Juan", "last_name": "Pérez",
		"second_last_name": "Gómez", "gender": float64(2), "rfc": r.RFC, "curp": r.CURP, "date_of_birth": gen.BirthDate,
		"composite_balance": map[string]any{"parent": map[string]any{"credit_line": float64(123)}},
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("body\n got %s\nwant %s", gotJSON, wantJSON)
	}
	if plain := appendCreateBody(nil, &r, false, 123); bytes.Contains(plain, []byte("composite")) {
		t.Errorf("body without --composite has a credit line: %s", plain)
	}
}

// --help prints the flags with two dashes on stdout; a flag error is one line that names the
// flag with two dashes and where to look, and prints nothing else.
func TestHelpAndFlagErrorsUseTwoDashes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, &stdout, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: err = %v, want flag.ErrHelp", err)
	}
	if out := stdout.String(); !strings.Contains(out, "  --concurrency") || strings.Contains(out, "\n  -concurrency") || stderr.Len() != 0 {
		t.Errorf("--help printed %q on stdout and %q on stderr, want the flags with two dashes on stdout alone", out, stderr.String())
	}
	stdout.Reset()
	err := run(context.Background(), []string{"--bogus"}, &stdout, &stderr)
	if err == nil || err.Error() != "flag provided but not defined: --bogus; run 'saldo-load --help' for its flags" {
		t.Errorf("--bogus: err = %v", err)
	}
	if stdout.Len() != 0 || stderr.Len() != 0 {
		t.Errorf("--bogus printed %q and %q besides its error", stdout.String(), stderr.String())
	}
}
