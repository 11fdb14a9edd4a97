package testdb_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/migrate"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/postgres"
	"github.com/saldo-mx/saldo/sqlite"
)

// A migration's number is the same schema change on both engines: they know the same
// migrations, by number and name, even where one engine's file is empty.
func TestEnginesNumberTheirMigrationsAlike(t *testing.T) {
	ctx := context.Background()
	lite, err := sqlite.Open(testdb.SQLitePath(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	pg, err := postgres.Open(ctx, testdb.PostgresURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	liteNames, pgNames := pendingNames(t, lite.CheckSchema(ctx)), pendingNames(t, pg.CheckSchema(ctx))
	if !slices.Equal(liteNames, pgNames) {
		t.Errorf("SQLite knows the migrations\n%v\nPostgreSQL knows\n%v\nwant the same", liteNames, pgNames)
	}
}

// pendingNames are the names of the migrations err, from CheckSchema on an empty database,
// says are pending.
func pendingNames(tb testing.TB, err error) []string {
	tb.Helper()
	behind, ok := errors.AsType[*migrate.BehindError](err)
	if !ok {
		tb.Fatalf("CheckSchema on an empty database = %v, want a *migrate.BehindError", err)
	}
	var names []string
	for _, m := range behind.Pending {
		names = append(names, m.Name)
	}
	return names
}

// schemaStore is a store that migrates and tells how far behind its schema is.
type schemaStore interface {
	saldo.Store
	Migrate(context.Context) error
	CheckSchema(context.Context) error
}

// unmigrated opens each engine on an empty database of its own, without migrating it, with
// the query that counts its tables.
var unmigrated = []struct {
	name   string
	open   func(testing.TB) schemaStore
	tables string
}{
	{"sqlite", func(tb testing.TB) schemaStore {
		s, err := sqlite.Open(testdb.SQLitePath(tb))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	}, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"},
	{"postgres", func(tb testing.TB) schemaStore {
		s, err := postgres.Open(context.Background(), testdb.PostgresURL(tb), postgres.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	}, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"},
}

// CheckSchema tells how far behind the binary a database's schema is, and changes nothing.
func TestCheckSchema(t *testing.T) {
	ctx := context.Background()
	migrated := func(tb testing.TB, s schemaStore) {
		if err := s.Migrate(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	tests := []struct {
		name        string
		prepare     func(tb testing.TB, s schemaStore)
		wantPending int // -1: every migration
		wantTables  int // -1: whatever Migrate made
	}{
		{"an empty database has every migration pending and gets no table", func(testing.TB, schemaStore) {}, -1, 0},
		{"a migrated database is current", migrated, 0, -1},
		{"a database without the last migration is one behind", func(tb testing.TB, s schemaStore) {
			migrated(tb, s)
			testdb.Exec(tb, s, "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
		}, 1, -1},
	}
	for _, eng := range unmigrated {
		for _, tt := range tests {
			t.Run(eng.name+"/"+tt.name, func(t *testing.T) {
				s := eng.open(t)
				tt.prepare(t, s)
				before := tableCount(t, s, eng.tables)
				err := s.CheckSchema(ctx)
				behind, isBehind := errors.AsType[*migrate.BehindError](err)
				switch {
				case tt.wantPending == 0 && err != nil:
					t.Errorf("CheckSchema = %v, want nil", err)
				case tt.wantPending != 0 && !isBehind:
					t.Errorf("CheckSchema = %v, want a *migrate.BehindError", err)
				case tt.wantPending == -1 && len(behind.Pending) != behind.Known,
					tt.wantPending > 0 && len(behind.Pending) != tt.wantPending:
					t.Errorf("%d of %d migrations pending, want %d (-1: all)", len(behind.Pending), behind.Known, tt.wantPending)
				}
				if after := tableCount(t, s, eng.tables); after != before || tt.wantTables >= 0 && after != tt.wantTables {
					t.Errorf("%d tables before CheckSchema, %d after; want %d either way", before, after, tt.wantTables)
				}
			})
		}
	}
}

func tableCount(tb testing.TB, s saldo.Store, query string) int {
	tb.Helper()
	n, ok := testdb.Query(tb, s, query)[0][0].(int64)
	if !ok {
		tb.Fatalf("%s: not an integer", query)
	}
	return int(n)
}
