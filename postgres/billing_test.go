package postgres_test

import (
	"context"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/postgres"
	"github.com/saldo-mx/saldo/storetest"
)

// Two replicas, each with a pool of its own on one database, run the scheduled work of credit
// at once, again and again: each cut-off, overdue mark and expired hold happens once. At the
// default isolation, and at SERIALIZABLE when SALDO_TEST_PG_ISOLATION says so.
func TestBillingOnTwoReplicasDoesEachPieceOfWorkOnce(t *testing.T) {
	url := testdb.PostgresURL(t)
	storetest.BillingReplicas(t, storetest.Harness{Query: testdb.Query, Exec: testdb.Exec},
		[]saldo.Store{openReplica(t, url), openReplica(t, url)})
}

// openReplica opens a pool of its own on the database at url, and migrates it (the second
// replica finds nothing to do).
func openReplica(tb testing.TB, url string) *postgres.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return s
}
