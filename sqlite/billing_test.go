package sqlite_test

import (
	"context"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/sqlite"
	"github.com/saldo-mx/saldo/storetest"
)

// Two stores on one file, as two processes would open it (one serve and a saldo billing run,
// say), run the scheduled work of credit at once, again and again: each cut-off, overdue mark
// and expired hold happens once.
func TestBillingOnTwoStoresOfOneFileDoesEachPieceOfWorkOnce(t *testing.T) {
	path := testdb.SQLitePath(t)
	storetest.BillingReplicas(t, storetest.Harness{Query: testdb.Query, Exec: testdb.Exec},
		[]saldo.Store{openFile(t, path), openFile(t, path)})
}

// openFile opens the database file at path, and migrates it.
func openFile(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}
