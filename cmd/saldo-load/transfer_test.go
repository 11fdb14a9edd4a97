package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/saldo-mx/saldo"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// walletFake answers the wallet routes the transfers scenario sends, topUp and transfer, from
// balances it keeps, in front of a real server that creates the customers: it reads each
// create's answer on its way out to learn the customer's wallet and oauth token. It refuses
// what saldo would: an unknown token (401/4401), a repeated externalTransactionId
// (409/4409), a debit below zero (409/5003).
type walletFake struct {
	mu        sync.Mutex
	next      http.Handler
	wallets   map[int64]int64  // customer → wallet id
	tokens    map[int64]string // customer → oauth token
	balances  map[int64]int64  // wallet id → cents
	externals map[string]bool
	transfers int
	tx        int64
}

func newWalletFake(next http.Handler) *walletFake {
	return &walletFake{next: next, wallets: map[int64]int64{}, tokens: map[int64]string{}, balances: map[int64]int64{}, externals: map[string]bool{}}
}

func (f *walletFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/wallet/v1/topUp":
		f.topUp(w, r)
	case "/wallet/v1/transfer":
		f.transfer(w, r)
	case "/user/v1/account/create":
		rec := httptest.NewRecorder()
		f.next.ServeHTTP(rec, r)
		var answer struct {
			RS struct {
				ID         int64  `json:"id"`
				EwalletID  int64  `json:"ewallet_id"`
				OAuthToken string `json:"oauth_token"`
			} `json:"rs"`
		}
		if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &answer) == nil {
			f.mu.Lock()
			f.wallets[answer.RS.ID], f.tokens[answer.RS.ID] = answer.RS.EwalletID, answer.RS.OAuthToken
			f.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	default:
		f.next.ServeHTTP(w, r)
	}
}

func walletAnswer(w http.ResponseWriter, status, code int, hint string, payload any) {
	body := map[string]any{"text": "Success", "timestamp": "t", "endpoint": "e", "error": map[string]any{}, "payload": payload}
	if status != http.StatusOK {
		body["text"], body["payload"] = "Error", map[string]any{}
		body["error"] = map[string]any{"code": code, "text": "x", "hints": []string{"x", hint}}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (f *walletFake) topUp(w http.ResponseWriter, r *http.Request) {
	var req struct {
		External  string `json:"externalTransactionId"`
		BalanceID int64  `json:"balanceId"`
		Amount    int64  `json:"amount"`
		Customer  int64  `json:"sourceCustomerID"`
		Type      int64  `json:"transactionType"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Type != 1 || req.Amount <= 0 {
		walletAnswer(w, http.StatusBadRequest, 5000, "body:invalid", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Header.Get("Authorization-ecommerce") == "":
		walletAnswer(w, http.StatusUnauthorized, 4401, "Authorization-ecommerce:invalid", nil)
	case f.externals[req.External]:
		walletAnswer(w, http.StatusConflict, 4409, "externalTransactionId:duplicate", nil)
	case f.wallets[req.Customer] != req.BalanceID:
		walletAnswer(w, http.StatusNotFound, 5000, "incorrect balanceId", nil)
	default:
		f.externals[req.External] = true
		f.balances[req.BalanceID] += req.Amount
		f.tx++
		walletAnswer(w, http.StatusOK, 0, "", map[string]any{"transactionId": f.tx, "status": 2,
			"balance": map[string]any{"id": req.BalanceID, "amount": f.balances[req.BalanceID], "available": f.balances[req.BalanceID]}})
	}
}

func (f *walletFake) transfer(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Amount      int64  `json:"amount"`
		Source      int64  `json:"sourceCustomerID"`
		Target      int64  `json:"targetID"`
		Description string `json:"description"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Amount <= 0 || req.Source == req.Target || req.Description == "" {
		walletAnswer(w, http.StatusBadRequest, 5000, "body:invalid", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	src, dst := f.wallets[req.Source], f.wallets[req.Target]
	switch {
	case r.Header.Get("Authorization-ecommerce") == "" || f.tokens[req.Source] == "" || r.Header.Get("Authorization-customer") != f.tokens[req.Source]:
		walletAnswer(w, http.StatusUnauthorized, 4401, "Authorization-customer:invalid", nil)
	case dst == 0:
		walletAnswer(w, http.StatusNotFound, 4404, "targetID:not_found", nil)
	case f.balances[src] < req.Amount:
		walletAnswer(w, http.StatusConflict, 5003, "amount:insufficient_funds", nil)
	default:
		f.balances[src] -= req.Amount
		f.balances[dst] += req.Amount
		f.transfers++
		f.tx++
		walletAnswer(w, http.StatusOK, 0, "", map[string]any{"transactionId": f.tx, "status": 2,
			"balance": map[string]any{"id": src, "amount": f.balances[src], "available": f.balances[src]}})
	}
}

// runTransfersJSON runs the command with --json and returns its transfers report and error.
func runTransfersJSON(t *testing.T, args ...string) (*transferReport, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append(args, "--json", "--progress=false"), &stdout, &stderr)
	var rep transferReport
	if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil {
		t.Fatalf("report is not JSON (%v): %q; stderr %q; run error %v", jerr, stdout.String(), stderr.String(), err)
	}
	return &rep, err
}

func TestTransfersRandomAndHot(t *testing.T) {
	var fake *walletFake
	s := newServer(t, true, func(h http.Handler) http.Handler { fake = newWalletFake(h); return fake })
	file := filepath.Join(t.TempDir(), "wallets.json")
	base := []string{"--url", s.url, "--token", s.token, "--composite", "--scenario", "transfers", "--concurrency", "4",
		"--wallets", "20", "--fund", "1000", "--hot-fund", "5000", "--amount", "3", "--wallets-file", file}

	rep, err := runTransfersJSON(t, append(base, "--setup-only")...)
	if err != nil {
		t.Fatalf("set-up: %v", err)
	}
	if rep.Setup == nil || rep.Setup.Created != 20 || rep.Setup.ToppedUp != 20 || !rep.Setup.SetupOnly || rep.Sent != 0 {
		t.Fatalf("set-up report = %+v, setup %+v", rep, rep.Setup)
	}
	var set walletSet
	if b, err := os.ReadFile(file); err != nil || json.Unmarshal(b, &set) != nil || len(set.Wallets) != 20 {
		t.Fatalf("wallets file: %v, %d wallets", err, len(set.Wallets))
	}
	if set.Wallets[0].Funded != 5000 || set.Wallets[1].Funded != 1000 || fake.balances[set.Wallets[0].WalletID] != 5000 {
		t.Errorf("funded %d and %d (balance %d), want the hot wallet 5000, the others 1000",
			set.Wallets[0].Funded, set.Wallets[1].Funded, fake.balances[set.Wallets[0].WalletID])
	}

	rep, err = runTransfersJSON(t, append(base, "--mode", "random", "--count", "300")...)
	if err != nil {
		t.Fatalf("random: %v (errors %v)", err, rep.ErrorsBy)
	}
	if rep.Setup != nil || rep.Sent != 300 || rep.OK != 300 || rep.Errors != 0 || rep.TransfersPerSecond <= 0 || rep.Latency.P99 <= 0 {
		t.Errorf("random report = %+v", rep)
	}
	rep, err = runTransfersJSON(t, append(base, "--mode", "hot", "--count", "200")...)
	if err != nil {
		t.Fatalf("hot: %v (errors %v)", err, rep.ErrorsBy)
	}
	if rep.Sent != 200 || rep.OK != 200 || rep.Mode != "hot" {
		t.Errorf("hot report = %+v", rep)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	var total int64
	for _, b := range fake.balances {
		total += b
	}
	if fake.transfers != 500 || total != 19*1000+5000 {
		t.Errorf("the fake saw %d transfers and holds %d cents, want 500 and %d", fake.transfers, total, 19*1000+5000)
	}
	// The hot run's answers were all out of the hot wallet: the last one seen is its balance.
	if hot := fake.balances[set.Wallets[0].WalletID]; rep.HotBalanceAfter != hot {
		t.Errorf("hot balance %d, last answered %d", hot, rep.HotBalanceAfter)
	}
}

// A hot wallet that runs dry shows as 409/5003 errors and a failing exit.
func TestTransfersCountInsufficientFunds(t *testing.T) {
	s := newServer(t, true, func(h http.Handler) http.Handler { return newWalletFake(h) })
	rep, err := runTransfersJSON(t, "--url", s.url, "--token", s.token, "--composite", "--scenario", "transfers",
		"--mode", "hot", "--wallets", "3", "--hot-fund", "10", "--amount", "1", "--count", "15", "--concurrency", "2")
	if err == nil || !strings.Contains(err.Error(), "5 of 15 transfers failed") {
		t.Errorf("run error = %v, want 5 of 15 failed", err)
	}
	if rep.OK != 10 || rep.ErrorsBy["409/5003 x,amount:insufficient_funds"] != 5 {
		t.Errorf("ok %d, errors %v; want 10 and 5 × 409/5003", rep.OK, rep.ErrorsBy)
	}
}

func TestTransferBodies(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(appendTransferBody(nil, 150, 7, 9), &got); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "map[amount:150 description:saldo-load transfer sourceCustomerID:7 targetID:9]" {
		t.Errorf("transfer body = %v", got)
	}
	got = nil
	if err := json.Unmarshal(appendTopUpBody(nil, `ext"1`, 3, 500, 7), &got); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != `map[amount:500 balanceId:3 externalTransactionId:ext"1 sourceCustomerID:7 transactionType:1]` {
		t.Errorf("top-up body = %v", got)
	}
}

func TestTransferFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--token", "t", "--scenario", "bogus"},
		{"--token", "t", "--scenario", "transfers", "--mode", "cold"},
		{"--token", "t", "--scenario", "transfers", "--wallets", "1"},
		{"--token", "t", "--scenario", "transfers", "--verify"},
		{"--token", "t", "--scenario", "transfers", "--amount", "0"},
		{"--token", "t", "--setup-only"},
	} {
		if _, err := parseFlags(args, io.Discard, testNow); err == nil {
			t.Errorf("parseFlags(%q) succeeded, want an error", args)
		}
	}
}

// The scenario against the real wallet routes (on SQLite): set-up, random and hot transfers,
// and the ledger balances to the cent afterwards.
func TestTransfersAgainstTheRealRoutes(t *testing.T) {
	store := testdb.OpenSQLite(t)
	svc := saldo.NewService(store, nil)
	srv := httptest.NewServer(saldohttp.NewServer(svc, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	_, token, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "load", CompositeBalances: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetUDIValues(ctx, []saldo.UDIValue{{Day: "2000-01-01", Micros: 8_500_000}}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "wallets.json")
	base := []string{"--url", srv.URL, "--token", token, "--composite", "--scenario", "transfers", "--concurrency", "4",
		"--wallets", "10", "--wallets-file", file}
	if rep, err := runTransfersJSON(t, append(base, "--setup-only")...); err != nil || rep.Setup == nil || rep.Setup.ToppedUp != 10 {
		t.Fatalf("set-up: %v, %+v", err, rep.Setup)
	}
	// Hot first: the hot wallet then has had nothing but its top-up and these transfers.
	for _, mode := range []string{modeHot, modeRandom} {
		rep, err := runTransfersJSON(t, append(base, "--mode", mode, "--count", "60")...)
		if err != nil || rep.OK != 60 {
			t.Fatalf("%s: %v; ok %d, errors %v", mode, err, rep.OK, rep.ErrorsBy)
		}
		if mode == modeHot && rep.HotBalanceAfter != 600_000-60 {
			t.Errorf("hot wallet at %d after 60 transfers of 1 cent out of 600000", rep.HotBalanceAfter)
		}
	}
	report, err := svc.VerifyLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() {
		t.Errorf("ledger after the transfers: %+v", report)
	}
}
