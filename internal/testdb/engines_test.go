package testdb_test

import (
	"context"
	"errors"
	"slices"
	"testing"

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
