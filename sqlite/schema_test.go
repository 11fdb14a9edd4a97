package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/saldo-mx/saldo/internal/migrate"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/sqlite"
)

// CheckSchema tells how far behind the binary a database's schema is, and changes nothing.
func TestCheckSchema(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		prepare     func(tb testing.TB, s *sqlite.Store)
		wantPending int // -1: every migration
		wantTables  int // -1: whatever Migrate made
	}{
		{"an empty database has every migration pending and gets no table", func(testing.TB, *sqlite.Store) {}, -1, 0},
		{"a migrated database is current", migrateSQLite, 0, -1},
		{"a database without the last migration is one behind", func(tb testing.TB, s *sqlite.Store) {
			migrateSQLite(tb, s)
			testdb.Exec(tb, s, "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
		}, 1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlite.Open(testdb.SQLitePath(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			tt.prepare(t, s)
			before := sqliteTables(t, s)

			err = s.CheckSchema(ctx)
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
			if after := sqliteTables(t, s); after != before || tt.wantTables >= 0 && after != tt.wantTables {
				t.Errorf("%d tables before CheckSchema, %d after; want %d either way", before, after, tt.wantTables)
			}
		})
	}
}

func migrateSQLite(tb testing.TB, s *sqlite.Store) {
	tb.Helper()
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// sqliteTables counts the tables in the database file.
func sqliteTables(tb testing.TB, s *sqlite.Store) int {
	tb.Helper()
	var n int
	if err := s.DB().QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}
