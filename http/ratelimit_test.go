package http_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/testdb"
)

func TestRateLimitIsPerPartnerWithRetryAfter(t *testing.T) {
	store := testdb.OpenSQLite(t)
	clock := saldo.NewManualClock(time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC))
	svc := saldo.NewService(store, clock)
	ctx := context.Background()
	_, busy, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "busy"})
	if err != nil {
		t.Fatal(err)
	}
	_, quiet, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "quiet"})
	if err != nil {
		t.Fatal(err)
	}
	// Two requests a second, three at once.
	srv := httptest.NewServer(saldohttp.NewServer(svc, slog.New(slog.NewTextHandler(io.Discard, nil)), saldohttp.WithRateLimit(2, 3)))
	defer srv.Close()
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
	store := testdb.OpenSQLite(t)
	svc := saldo.NewService(store, saldo.NewManualClock(time.Now()))
	_, token, err := svc.CreatePartner(context.Background(), saldo.NewPartner{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: httptest.NewServer(saldohttp.NewServer(svc, slog.New(slog.NewTextHandler(io.Discard, nil)), saldohttp.WithRateLimit(1, 1))), store: store}
	defer h.srv.Close()
	h.do(request{method: "GET", path: "/user/v1/account/1", token: token})
	a := h.do(request{method: "GET", path: "/user/v1/account/1", token: token})
	if code, _ := errorOf(t, a); a.status != 429 || code != 4429 {
		t.Errorf("status %d code %v, want 429 4429", a.status, code)
	}
}
