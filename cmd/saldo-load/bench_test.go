package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/postgres"
)

// BenchmarkCreate drives b.N composite account creates at concurrency 8 through the generator
// against an in-process server, on each engine (PostgreSQL with SALDO_TEST_DATABASE_URL set).
// The server logs JSON to io.Discard, so formatting its log lines is counted. Profile with
//
//	go test -run='^$' -bench=Create/postgres -benchtime=5000x -cpuprofile=cpu.out ./cmd/saldo-load/
//	go tool pprof -top -nodecount=40 cpu.out
func BenchmarkCreate(b *testing.B) {
	for _, engine := range testdb.Engines() {
		b.Run(engine.Name, func(b *testing.B) {
			store := engine.Open(b)
			svc := saldo.NewService(store, nil)
			srv := httptest.NewServer(saldohttp.NewServer(svc, slog.New(slog.NewJSONHandler(io.Discard, nil))))
			defer srv.Close()
			_, token, err := svc.CreatePartner(context.Background(), saldo.NewPartner{Name: "bench", CompositeBalances: true})
			if err != nil {
				b.Fatal(err)
			}
			benchmarkLoader(b, srv.URL, token)
		})
	}
}

// BenchmarkCreateAgainstStub is BenchmarkCreate against a server that answers every create
// with a recorded answer at once, so that what it measures is the generator's side of a
// request (with the stub's net/http, which is the same for every generator).
func BenchmarkCreateAgainstStub(b *testing.B) {
	store := testdb.OpenSQLite(b)
	svc := saldo.NewService(store, nil)
	_, token, err := svc.CreatePartner(context.Background(), saldo.NewPartner{Name: "bench", CompositeBalances: true})
	if err != nil {
		b.Fatal(err)
	}
	// One real answer, split around its email, which the stub fills with each request's.
	const email = "recorded@example.com"
	r := gen.Customer("", 1)
	r.Email = email
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/user/v1/account/create", bytes.NewReader(appendCreateBody(nil, &r, true, 10_000_000)))
	req.Header.Set("Authorization-ecommerce", token)
	saldohttp.NewServer(svc, slog.New(slog.DiscardHandler)).ServeHTTP(rec, req)
	before, after, found := bytes.Cut(rec.Body.Bytes(), []byte(email))
	if rec.Code != http.StatusOK || !found {
		b.Fatalf("recording an answer: %d %s", rec.Code, rec.Body)
	}
	emailStart := []byte(`{"email":"`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// appendCreateBody starts every body with the email, which gen makes without escapes.
		rest, _ := bytes.CutPrefix(body, emailStart)
		got, _, _ := bytes.Cut(rest, []byte(`"`))
		w.Header().Set("Content-Type", "application/json")
		answer := make([]byte, 0, len(before)+len(got)+len(after))
		_, _ = w.Write(append(append(append(answer, before...), got...), after...))
	}))
	defer srv.Close()
	benchmarkLoader(b, srv.URL, token)
}

// benchmarkLoader runs b.N composite creates at concurrency 8 against the server at url and
// reports, besides time and allocations, the process's CPU time per create: server and
// generator share the process, and the machine, as they do in a benchmark run.
func benchmarkLoader(b *testing.B, url, token string) {
	b.Helper()
	b.ReportAllocs()
	cfg := &config{
		url: url, token: token, concurrency: 8, count: int64(b.N), composite: true, creditLine: 10_000_000,
		prefix: "bench.", seqOffset: defaultSeqOffset(time.Now()), timeout: 30 * time.Second,
	}
	b.ResetTimer()
	cpu := processCPU()
	rep, err := newLoader(cfg, io.Discard).run(context.Background())
	cpu = processCPU() - cpu
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if err := rep.failure(); err != nil {
		b.Fatalf("%v: %v", err, rep.ErrorsBy)
	}
	b.ReportMetric(rep.CreatesPerSecond, "creates/s")
	b.ReportMetric(rep.Latency.P99, "p99-ms")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	}
}

// BenchmarkTransfer drives b.N wallet-to-wallet transfers at concurrency 16 through the
// generator against an in-process server on PostgreSQL (SALDO_TEST_DATABASE_URL), among 200
// level-1 wallets it sets up first (not timed), in each mode: random wallets, and all out of
// one hot wallet. It skips when the server has no wallet routes. Profile with
//
//	go test -run='^$' -bench=Transfer/random -benchtime=5000x -cpuprofile=cpu.out ./cmd/saldo-load/
func BenchmarkTransfer(b *testing.B) {
	for _, mode := range []string{modeRandom, modeHot} {
		b.Run(mode, func(b *testing.B) {
			store := testdb.OpenPostgres(b, postgres.Options{})
			svc := saldo.NewService(store, nil)
			srv := httptest.NewServer(saldohttp.NewServer(svc, slog.New(slog.NewJSONHandler(io.Discard, nil))))
			defer srv.Close()
			ctx := context.Background()
			_, token, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "bench", CompositeBalances: true})
			if err != nil {
				b.Fatal(err)
			}
			if err := svc.SetUDIValues(ctx, []saldo.UDIValue{{Day: "2000-01-01", Micros: 8_500_000}}); err != nil {
				b.Fatal(err)
			}
			file := filepath.Join(b.TempDir(), "wallets.json")
			cfg := &config{
				url: srv.URL, token: token, concurrency: 16, composite: true, creditLine: 10_000_000,
				prefix: "bench.", seqOffset: defaultSeqOffset(time.Now()), timeout: 30 * time.Second,
				scenario: "transfers", mode: mode, wallets: 200, amount: 1, fund: 100_000, hotFund: 600_000,
				walletsFile: file, setupOnly: true,
			}
			if _, err := newLoader(cfg, io.Discard).runTransfers(ctx); err != nil {
				if strings.Contains(err.Error(), "route:not_found") {
					b.Skip("this server has no wallet routes")
				}
				b.Fatal(err)
			}
			cfg.setupOnly, cfg.count = false, int64(b.N)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			rep, err := newLoader(cfg, io.Discard).runTransfers(ctx)
			cpu = processCPU() - cpu
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if err := rep.failure(); err != nil {
				b.Fatalf("%v: %v", err, rep.ErrorsBy)
			}
			b.ReportMetric(rep.TransfersPerSecond, "transfers/s")
			b.ReportMetric(rep.Latency.P99, "p99-ms")
			if cpu > 0 {
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
			}
		})
	}
}
