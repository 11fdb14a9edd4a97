package http_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/testdb"
)

func TestRateLimitIsPerPartnerWithRetryAfter(t *testing.T) {
	clock := saldo.NewManualClock(time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC))
	// Two requests a second, three at once.
	h := harnessOn(t, testdb.OpenSQLite(t), serving{clock: clock, opts: []saldohttp.Option{saldohttp.WithRateLimit(2, 3)}})
	srv, busy, quiet := h.srv, h.composite, h.plain
	get := func(token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/user/v1/account/1", nil)
		req.Header.Set("Authorization-ecommerce", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	for i := range 3 {
		if resp := get(busy); resp.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("request %d of the burst was limited", i+1)
		}
	}
	resp := get(busy)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the fourth request at once: status %d, want 429", resp.StatusCode)
	}
	if after, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || after != 1 {
		t.Errorf("Retry-After = %q, want 1 (a token every half second)", resp.Header.Get("Retry-After"))
	}
	if resp := get(quiet); resp.StatusCode == http.StatusTooManyRequests {
		t.Error("another partner was limited by the busy one's requests")
	}
	clock.Advance(500 * time.Millisecond)
	if resp := get(busy); resp.StatusCode == http.StatusTooManyRequests {
		t.Error("still limited after a token's worth of time")
	}
	if resp := get(busy); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a second request on one token: status %d, want 429", resp.StatusCode)
	}
}

func TestRateLimitAnswersTheContractError(t *testing.T) {
	h := harnessOn(t, testdb.OpenSQLite(t), serving{clock: saldo.NewManualClock(time.Now()), opts: []saldohttp.Option{saldohttp.WithRateLimit(1, 1)}})
	token := h.plain
	h.do(request{method: "GET", path: "/user/v1/account/1", token: token})
	a := h.do(request{method: "GET", path: "/user/v1/account/1", token: token})
	if code, _ := errorOf(t, a); a.status != 429 || code != 4429 {
		t.Errorf("status %d code %v, want 429 4429", a.status, code)
	}
}
