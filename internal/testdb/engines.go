package testdb

import (
	"context"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/postgres"
	"github.com/saldo-mx/saldo/sqlite"
)

// Engine is a storage engine as tests use it.
type Engine struct {
	Name string
	// Open returns a migrated store on an empty database of its own, closed when tb ends.
	Open func(tb testing.TB) saldo.Store
}

// Engines lists both engines; the PostgreSQL one skips (or fails, see PostgresURL) without a
// test database.
func Engines() []Engine {
	return []Engine{
		{"sqlite", func(tb testing.TB) saldo.Store { return OpenSQLite(tb) }},
		{"postgres", func(tb testing.TB) saldo.Store { return OpenPostgres(tb, postgres.Options{}) }},
	}
}

// OpenPostgres returns a migrated store on a fresh schema.
func OpenPostgres(tb testing.TB, opts postgres.Options) *postgres.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, PostgresURL(tb), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return s
}

// OpenSQLite returns a migrated store on a new file.
func OpenSQLite(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(SQLitePath(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// Rows returns every row of table as raw column values, read outside the service.
func Rows(tb testing.TB, s saldo.Store, table string) [][]any {
	tb.Helper()
	return Query(tb, s, "SELECT * FROM "+table)
}

// Query returns the rows a query finds as raw column values, read outside the service.
func Query(tb testing.TB, s saldo.Store, sql string, args ...any) [][]any {
	tb.Helper()
	switch s := s.(type) {
	case *postgres.Store:
		r, err := s.Pool().Query(context.Background(), sql, args...)
		if err != nil {
			tb.Fatal(err)
		}
		defer r.Close()
		var out [][]any
		for r.Next() {
			v, err := r.Values()
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, v)
		}
		if err := r.Err(); err != nil {
			tb.Fatal(err)
		}
		return out
	case *sqlite.Store:
		r, err := s.DB().Query(sql, args...)
		if err != nil {
			tb.Fatal(err)
		}
		defer r.Close()
		cols, err := r.Columns()
		if err != nil {
			tb.Fatal(err)
		}
		var out [][]any
		for r.Next() {
			v := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range v {
				ptrs[i] = &v[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			out = append(out, v)
		}
		if err := r.Err(); err != nil {
			tb.Fatal(err)
		}
		return out
	}
	tb.Fatalf("testdb.Query: unknown store %T", s)
	return nil
}

// Exec runs a statement on the store's database outside the service, for tests that set up
// states no route can reach yet.
func Exec(tb testing.TB, s saldo.Store, sql string, args ...any) {
	tb.Helper()
	var err error
	switch s := s.(type) {
	case *postgres.Store:
		_, err = s.Pool().Exec(context.Background(), sql, args...)
	case *sqlite.Store:
		err = s.Exec(context.Background(), sql, args...)
	default:
		tb.Fatalf("testdb.Exec: unknown store %T", s)
	}
	if err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}
