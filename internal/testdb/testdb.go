// Package testdb gives each test a database of its own on either engine.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresURL returns the URL of a fresh, empty schema in the database named by
// SALDO_TEST_DATABASE_URL, dropped when the test ends, at the isolation level named by
// SALDO_TEST_PG_ISOLATION when that is set. Without that variable the test is
// skipped, unless SALDO_REQUIRE_POSTGRES=1, which makes the skip a failure (CI sets both).
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("SALDO_TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("SALDO_REQUIRE_POSTGRES") == "1" {
			tb.Fatal("SALDO_REQUIRE_POSTGRES=1 but SALDO_TEST_DATABASE_URL is unset")
		}
		tb.Skip("SALDO_TEST_DATABASE_URL is unset: skipping the PostgreSQL tests (set it to a postgres:// URL to run them)")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "saldo_test_" + hex.EncodeToString(b[:])

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to SALDO_TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})

	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse SALDO_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema) // pgx sends unknown URL parameters as run-time parameters
	// SALDO_TEST_PG_ISOLATION=serializable runs every PostgreSQL test at that isolation.
	if level := os.Getenv("SALDO_TEST_PG_ISOLATION"); level != "" {
		q.Set("default_transaction_isolation", level)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// SQLitePath returns the path of a new database file in the test's temporary directory.
func SQLitePath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "saldo.db")
}
