package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// chargeServer is a real server on SQLite, and its partner's token.
func chargeServer(t *testing.T) (*saldo.Service, string, string) {
	t.Helper()
	store := testdb.OpenSQLite(t)
	svc := saldo.NewService(store, nil)
	srv := httptest.NewServer(saldohttp.NewServer(svc, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	_, token, err := svc.CreatePartner(context.Background(), saldo.NewPartner{Name: "load", CompositeBalances: true})
	if err != nil {
		t.Fatal(err)
	}
	return svc, srv.URL, token
}

// runChargesJSON runs the command with --json and returns its charges report and error.
func runChargesJSON(t *testing.T, args ...string) (*chargeReport, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append(args, "--json", "--progress=false"), &stdout, &stderr)
	var rep chargeReport
	if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil {
		t.Fatalf("report is not JSON (%v): %q; stderr %q; run error %v", jerr, stdout.String(), stderr.String(), err)
	}
	return &rep, err
}

// The scenario against the real routes: the set-up makes customers, parents and children
// through the API and writes the children file; random and hot runs charge them, each charge
// with its own externalTransactionId; the ledger balances to the cent afterwards, and the hot
// child owes exactly what the hot run charged it.
func TestChargesRandomAndHot(t *testing.T) {
	svc, url, token := chargeServer(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "children.json")
	base := []string{"--url", url, "--token", token, "--scenario", "charges", "--concurrency", "4",
		"--children", "8", "--credit-line", "5000000", "--child-credit-line", "100000", "--children-file", file}

	rep, err := runChargesJSON(t, append(base, "--setup-only")...)
	if err != nil {
		t.Fatalf("set-up: %v", err)
	}
	if rep.Setup == nil || rep.Setup.Children != 8 || !rep.Setup.SetupOnly || rep.Sent != 0 {
		t.Fatalf("set-up report = %+v, setup %+v", rep, rep.Setup)
	}
	var set childSet
	if b, err := os.ReadFile(file); err != nil || json.Unmarshal(b, &set) != nil || len(set.Children) != 8 {
		t.Fatalf("children file: %v, %d children", err, len(set.Children))
	}
	e, err := svc.AuthenticatePartner(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range set.Children {
		v, err := svc.CompositeChild(ctx, e, c.ChildID)
		if err != nil || v.Child.ParentID != c.ParentID || v.Child.CustomerID != c.CustomerID || v.Child.CreditLine != 100000 {
			t.Fatalf("child %+v: %v, %+v", c, err, v)
		}
	}

	// Hot first: the hot child then owes only what this run charged it.
	rep, err = runChargesJSON(t, append(base, "--mode", "hot", "--count", "60", "--amount", "3", "--prefix", "hot.")...)
	if err != nil || rep.OK != 60 || rep.Errors != 0 || rep.Mode != "hot" {
		t.Fatalf("hot: %v; report %+v", err, rep)
	}
	if rep.HotDebtAfter != 180 {
		t.Errorf("hot child's debt after 60 charges of 3 cents: %d, want 180", rep.HotDebtAfter)
	}
	rep, err = runChargesJSON(t, append(base, "--mode", "random", "--count", "100", "--prefix", "random.")...)
	if err != nil || rep.OK != 100 || rep.ChargesPerSecond <= 0 || rep.Latency.P99 <= 0 {
		t.Fatalf("random: %v; report %+v", err, rep)
	}
	debt := sumDebt(t, svc, e, set)
	if debt != 180+100 {
		t.Errorf("the children owe %d cents in all, want %d", debt, 180+100)
	}
	report, err := svc.VerifyLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() {
		t.Errorf("ledger after the charges: %+v", report)
	}
	// A run with a prefix used already repeats its externalTransactionIds: no new charge.
	_, _ = runChargesJSON(t, append(base, "--mode", "random", "--count", "5", "--prefix", "random.")...)
	if got := sumDebt(t, svc, e, set); got != debt {
		t.Errorf("the children owe %d cents after a run that repeated externalTransactionIds, want still %d", got, debt)
	}
}

func sumDebt(t *testing.T, svc *saldo.Service, e *saldo.Partner, set childSet) int64 {
	t.Helper()
	var debt int64
	for _, c := range set.Children {
		v, err := svc.CompositeChild(context.Background(), e, c.ChildID)
		if err != nil {
			t.Fatal(err)
		}
		debt += v.Child.Debt
	}
	return debt
}

// A hot child whose credit runs out shows as 409/5001 errors and a failing exit.
func TestChargesOverTheCredit(t *testing.T) {
	_, url, token := chargeServer(t)
	rep, err := runChargesJSON(t, "--url", url, "--token", token, "--scenario", "charges", "--mode", "hot", "--children", "2",
		"--credit-line", "1000", "--child-credit-line", "10", "--count", "15", "--concurrency", "2")
	if err == nil || !strings.Contains(err.Error(), "5 of 15 charges failed") {
		t.Errorf("run error = %v, want 5 of 15 failed", err)
	}
	refused := int64(0)
	for k, n := range rep.ErrorsBy {
		if strings.HasPrefix(k, "409/5001 ") && strings.HasSuffix(k, ",amount:exceeds_available_credit") {
			refused += n
		}
	}
	if rep.OK != 10 || refused != 5 || rep.HotDebtAfter != 10 {
		t.Errorf("ok %d, errors %v, hot debt %d; want 10, 5 × 409/5001 and 10", rep.OK, rep.ErrorsBy, rep.HotDebtAfter)
	}
}

func TestChargeBodies(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(appendChargeBody(nil, 150, "r7.", 42), &got); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "map[amount:150 capture:true description:bench externalTransactionId:r7.chg42 merchant:map[mcc:5411 name:bench]]" {
		t.Errorf("charge body = %v", got)
	}
	if n, ok := got["amount"].(float64); !ok || n != 150 {
		t.Errorf("amount = %#v, want the number 150", got["amount"])
	}
	got = nil
	if err := json.Unmarshal(appendChildBody(nil, `p"1`, 900), &got); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != `map[credit_line:900 parent_id:p"1]` {
		t.Errorf("child body = %v", got)
	}
	if p := chargePath(33); p != "/wallet/v1/composite-balance/child/33/charge" {
		t.Errorf("chargePath(33) = %q", p)
	}
}

func TestChargeFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--token", "t", "--scenario", "charges", "--children", "0"},
		{"--token", "t", "--scenario", "charges", "--child-credit-line", "0"},
		{"--token", "t", "--scenario", "charges", "--verify"},
		{"--token", "t", "--scenario", "charges", "--mode", "cold"},
		{"--token", "t", "--scenario", "charges", "--prefix", strings.Repeat("p", maxChargePrefix+1)},
	} {
		if _, err := parseFlags(args, io.Discard, testNow); err == nil {
			t.Errorf("parseFlags(%q) succeeded, want an error", args)
		}
	}
	c, err := parseFlags([]string{"--token", "t", "--scenario", "charges", "--setup-only", "--prefix", strings.Repeat("p", maxChargePrefix)}, io.Discard, testNow)
	if err != nil || !c.composite || !c.setupOnly || c.creditLine != 1_000_000_000 {
		t.Errorf("charges set-up flags: %v, %+v; want composite, setup-only and the parent's credit line the child's", err, c)
	}
	c, err = parseFlags([]string{"--token", "t", "--scenario", "charges", "--credit-line", "7"}, io.Discard, testNow)
	if err != nil || c.creditLine != 7 {
		t.Errorf("charges with --credit-line 7: %v, credit line %d", err, c.creditLine)
	}
}
