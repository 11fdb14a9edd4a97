package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"saldo"
	saldohttp "saldo/http"
	"saldo/internal/testdb"
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
			_, token, err := svc.CreateEcommerce(context.Background(), saldo.NewEcommerce{Name: "bench", CompositeBalances: true})
			if err != nil {
				b.Fatal(err)
			}
			cfg := &config{
				url: srv.URL, token: token, concurrency: 8, count: int64(b.N), composite: true, creditLine: 10_000_000,
				prefix: "bench.", seqOffset: defaultSeqOffset(time.Now()), timeout: 30 * time.Second,
			}
			b.ResetTimer()
			rep, err := newLoader(cfg, io.Discard).run(context.Background())
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if err := rep.failure(); err != nil {
				b.Fatalf("%v: %v", err, rep.ErrorsBy)
			}
			b.ReportMetric(rep.CreatesPerSecond, "creates/s")
			b.ReportMetric(rep.Latency.P99, "p99-ms")
		})
	}
}
