package http_test

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/testdb"
)

func TestMetricsCountRequestsErrorsAndCustomers(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := harnessOn(t, testdb.OpenSQLite(t), serving{opts: []saldohttp.Option{saldohttp.WithMetrics(reg, reg)}})
	srv, token := h.srv, h.composite

	body, _ := json.Marshal(createJSON(1))
	for range 2 { // the second is a replay: one customer created
		h.do(request{path: "/user/v1/account/create", token: token, body: bytes.NewReader(body), header: map[string]string{"Idempotency-Key": "m"}})
	}
	h.do(request{path: "/user/v1/account/create", token: "ek_nope", body: bytes.NewReader(body)})

	text := scrape(t, srv)
	for _, want := range []string{
		`saldo_http_requests_total{method="POST",route="/user/v1/account/create",status="200"} 2`,
		`saldo_http_requests_total{method="POST",route="/user/v1/account/create",status="401"} 1`,
		`saldo_errors_total{code="4401"} 1`,
		`saldo_customers_created_total 1`,
		`saldo_http_request_duration_seconds_count{method="POST",route="/user/v1/account/create"} 3`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", strings.Join(saldoSeries(text), "\n"))
	}
	for _, leak := range []string{token, "example.com"} {
		if strings.Contains(text, leak) {
			t.Errorf("/metrics shows %q", leak)
		}
	}
}

// randomToken is n random letters: a valid HTTP method or header name that no route knows.
func randomToken(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('A' + rng.IntN(26))
	}
	return string(b)
}

// scrape returns the /metrics text of srv.
func scrape(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}

// saldoSeries is the series lines of text whose metric name starts with saldo_.
func saldoSeries(text string) []string {
	var series []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "saldo_") {
			series = append(series, line)
		}
	}
	return series
}

// Labels take their values from fixed sets, whatever the requests: unknown methods, paths and
// headers cannot grow /metrics.
func TestMetricsCardinalityStaysBoundedUnderHostileRequests(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := harnessOn(t, testdb.OpenSQLite(t), serving{opts: []saldohttp.Option{saldohttp.WithMetrics(reg, reg)}}).srv
	baseline := len(saldoSeries(scrape(t, srv)))

	rng := rand.New(rand.NewPCG(1, 2))
	paths := []string{"/user/v1/account/1", "/wallet/v1/composite-balance/parent/x", "/oauth/v1/revoke", "/healthz", "/metrics"}
	for i := range 300 {
		method := randomToken(rng, 1+rng.IntN(2000))
		path := "/" + randomToken(rng, 1+rng.IntN(200))
		if i%3 == 0 {
			path = paths[rng.IntN(len(paths))]
		}
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(randomToken(rng, rng.IntN(100))))
		if err != nil {
			t.Fatal(err)
		}
		for range rng.IntN(5) {
			req.Header.Set("X-"+randomToken(rng, 1+rng.IntN(40)), randomToken(rng, rng.IntN(200)))
		}
		req.Header.Set("Content-Type", randomToken(rng, 10)+"/"+randomToken(rng, 10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	text := scrape(t, srv)
	series := saldoSeries(text)
	t.Logf("/metrics after 300 hostile requests: %d bytes, %d saldo series (%d before)", len(text), len(series), baseline)
	// Each route × method × status hit adds one counter and a histogram of 16 lines: the
	// hostile requests may add a few such combinations, never one per request.
	if len(series) > baseline+120 || len(text) > 64<<10 {
		t.Errorf("/metrics grew to %d bytes and %d saldo series (from %d) after 300 hostile requests", len(text), len(series), baseline)
	}
	for _, line := range series {
		if len(line) > 200 {
			t.Errorf("a series line of %d bytes: %.200s…", len(line), line)
			break
		}
	}
}
