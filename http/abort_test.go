package http_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	_ "modernc.org/sqlite"

	"github.com/saldo-mx/saldo"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/postgres"
	"github.com/saldo-mx/saldo/sqlite"
)

// blockedStore returns a migrated store on engine eng and block, which makes every create
// wait, in the database, until release runs: another session holds the customers table
// (PostgreSQL) or the database's write lock (SQLite).
func blockedStore(t *testing.T, eng string) (store saldo.Store, block func() (release func())) {
	t.Helper()
	ctx := context.Background()
	if eng == "postgres" {
		s := testdb.OpenPostgres(t, postgres.Options{})
		return s, func() func() {
			tx, err := s.Pool().Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, "LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"); err != nil {
				t.Fatal(err)
			}
			return func() { tx.Rollback(ctx) }
		}
	}
	path := testdb.SQLitePath(t)
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s, func() func() {
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		return func() {
			conn.ExecContext(ctx, "ROLLBACK")
			conn.Close()
			db.Close()
		}
	}
}

// logLines returns the request log lines of logs with status 503, once there are n of them.
func logLines503(t *testing.T, logs *lockedBuffer, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var lines []map[string]any
		for _, raw := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var line map[string]any
			if json.Unmarshal([]byte(raw), &line) == nil && line["status"] == 503.0 {
				lines = append(lines, line)
			}
		}
		if len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A client that goes away and a request that runs out of its time are neither counted nor
// logged as server errors (7000, ERROR): each has its own metrics label and log level, and
// nothing is written.
func TestClientGoneAndDeadlineAreNotServerErrors(t *testing.T) {
	for _, eng := range []string{"sqlite", "postgres"} {
		t.Run(eng, func(t *testing.T) {
			store, block := blockedStore(t, eng)
			logs := &lockedBuffer{}
			reg := prometheus.NewRegistry()
			h := harnessOn(t, store, serving{log: slog.New(slog.NewJSONHandler(logs, nil)),
				opts: []saldohttp.Option{saldohttp.WithMetrics(reg, reg), saldohttp.WithRequestTimeout(time.Second)}})
			srv, token := h.srv, h.composite
			release := block()
			defer release()
			create := func(ctx context.Context, seq uint64) (*http.Response, error) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/user/v1/account/create", jsonBody(createJSON(seq)))
				req.Header.Set("Authorization-ecommerce", token)
				req.Header.Set("Content-Type", "application/json")
				return http.DefaultClient.Do(req)
			}

			// The client gives up before the server's deadline.
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			if _, err := create(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("the client's own timeout: %v", err)
			}
			// The server's deadline passes first: 503, code 7003.
			resp, err := create(context.Background(), 2)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 503 || !strings.Contains(string(body), `"code":7003`) {
				t.Errorf("past the deadline: %d %s, want 503 with code 7003", resp.StatusCode, body)
			}
			lines := logLines503(t, logs, 2)
			release()

			levels := map[string]string{}
			for _, line := range lines {
				levels[stringOf(line["aborted"])] = stringOf(line["level"])
			}
			if levels["canceled"] != "INFO" || levels["deadline"] != "WARN" || len(lines) != 2 {
				t.Errorf("log levels by aborted %v, want canceled INFO and deadline WARN; lines: %s", levels, logs)
			}
			text := scrape(t, srv)
			for _, want := range []string{`saldo_errors_total{code="canceled"} 1`, `saldo_errors_total{code="deadline"} 1`} {
				if !strings.Contains(text, want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
			if strings.Contains(text, `code="7000"`) {
				t.Errorf("/metrics counts a 7000:\n%s", strings.Join(saldoSeries(text), "\n"))
			}
			if n := len(testdb.Rows(t, store, "customers")); n != 0 {
				t.Errorf("%d customers written", n)
			}
		})
	}
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}
