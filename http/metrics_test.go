package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/saldo-mx/saldo"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/testdb"
)

func TestMetricsCountRequestsErrorsAndCustomers(t *testing.T) {
	store := testdb.OpenSQLite(t)
	svc := saldo.NewService(store, nil)
	_, token, err := svc.CreatePartner(context.Background(), saldo.NewPartner{Name: "p", CompositeBalances: true})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(saldohttp.NewServer(svc, slog.New(slog.NewTextHandler(io.Discard, nil)), saldohttp.WithMetrics(reg, reg)))
	defer srv.Close()
	h := &harness{t: t, srv: srv, store: store, composite: token}

	body, _ := json.Marshal(createJSON(1))
	for range 2 { // the second is a replay: one customer created
		h.do(request{path: "/user/v1/account/create", token: token, body: bytes.NewReader(body), header: map[string]string{"Idempotency-Key": "m"}})
	}
	h.do(request{path: "/user/v1/account/create", token: "ek_nope", body: bytes.NewReader(body)})

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`saldo_http_requests_total{method="POST",route="/user/v1/account/create",status="200"} 2`,
		`saldo_http_requests_total{method="POST",route="/user/v1/account/create",status="401"} 1`,
		`saldo_errors_total{code="4401"} 1`,
		`saldo_customers_created_total 1`,
		`saldo_http_request_duration_seconds_count{method="POST",route="/user/v1/account/create"} 3`,
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", grepSaldo(string(text)))
	}
	for _, leak := range []string{token, "example.com"} {
		if strings.Contains(string(text), leak) {
			t.Errorf("/metrics shows %q", leak)
		}
	}
}

func grepSaldo(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "saldo_http_requests") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
