package http_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/postgres"
)

// A PostgreSQL that refuses connections, or ends the one a request uses, is unavailable: 503
// with code 7003 and Retry-After, as when it cannot be reached, and never 500. Each case makes
// the server refuse for real, on a role or a database created for the test: the test database
// is shared.
func TestRefusedConnectionIs503(t *testing.T) {
	admin := testdb.OpenPostgres(t, postgres.Options{})
	name := "saldo_refused_" + randomHex()

	t.Run("database not accepting connections (55000)", func(t *testing.T) {
		testdb.Exec(t, admin, "CREATE DATABASE "+name+" ALLOW_CONNECTIONS false")
		t.Cleanup(func() { testdb.Exec(t, admin, "DROP DATABASE "+name) })
		refusing := openAs(t, func(u *url.URL) { u.Path = "/" + name })
		wantRefusal(t, refusing, "55000")
		want503(t, admin, refusing)
	})
	t.Run("role over its connection limit (53300)", func(t *testing.T) {
		testdb.Exec(t, admin, "CREATE ROLE "+name+" LOGIN CONNECTION LIMIT 0")
		t.Cleanup(func() { testdb.Exec(t, admin, "DROP ROLE "+name) })
		refusing := openAs(t, func(u *url.URL) { u.User = url.User(name) })
		wantRefusal(t, refusing, "53300")
		want503(t, admin, refusing)
	})
	t.Run("connection terminated (57P01)", func(t *testing.T) {
		s := openAs(t, func(*url.URL) {})
		terminate(t, admin, s)
		want503(t, admin, s)
	})
}

// openAs opens a store on the test's schema, at the URL as change leaves it, with one
// connection.
func openAs(t *testing.T, change func(*url.URL)) *postgres.Store {
	t.Helper()
	u, err := url.Parse(testdb.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	change(u)
	s, err := postgres.Open(context.Background(), u.String(), postgres.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// wantRefusal checks that the server refuses s's connections with SQLSTATE code.
func wantRefusal(t *testing.T, s *postgres.Store, code string) {
	t.Helper()
	err := s.Ping(context.Background())
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != code {
		t.Fatalf("ping = %v, want a refusal with SQLSTATE %s", err, code)
	}
}

// terminate ends the backend of s's one connection, as pg_terminate_backend or a fast
// shutdown does (57P01), and returns once it is gone: the pool still holds the connection.
func terminate(t *testing.T, admin, s *postgres.Store) {
	t.Helper()
	ctx := context.Background()
	conn, err := s.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	pid := conn.Conn().PgConn().PID()
	testdb.Exec(t, admin, "SELECT pg_terminate_backend($1)", int(pid))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var alive bool
		if err := admin.Pool().QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)", int(pid)).Scan(&alive); err != nil {
			t.Fatal(err)
		}
		if !alive {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend %d still alive 5 s after pg_terminate_backend", pid)
		}
	}
}

// want503 sends a create of a partner of admin to a server over s and wants 503, code 7003
// and Retry-After.
func want503(t *testing.T, admin, s saldo.Store) {
	t.Helper()
	h := harnessOn(t, admin, serving{through: s})
	a := h.do(request{path: "/user/v1/account/create", token: h.composite, contentType: "application/json", body: jsonBody(createJSON(1))})
	code, _ := errorOf(t, a)
	if a.status != http.StatusServiceUnavailable || code != 7003 || a.header.Get("Retry-After") == "" {
		t.Errorf("create answered %d, code %v, Retry-After %q; want 503, 7003 and Retry-After: %s",
			a.status, code, a.header.Get("Retry-After"), a.raw)
	}
}

func randomHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
