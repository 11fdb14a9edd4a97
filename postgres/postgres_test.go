package postgres_test

import (
	"context"
	"testing"

	"saldo"
	"saldo/internal/testdb"
	"saldo/postgres"
	"saldo/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: func(tb testing.TB) saldo.Store { return testdb.OpenPostgres(tb, postgres.Options{}) },
		Rows: testdb.Rows,
		Exec: testdb.Exec,
	})
}

// The suite passes at SERIALIZABLE too, where conflicts surface as SQLSTATE 40001 and the
// store runs the transaction again.
func TestConformanceSerializable(t *testing.T) {
	serializable := postgres.Options{RuntimeParams: map[string]string{"default_transaction_isolation": "serializable"}}
	storetest.Run(t, storetest.Harness{
		Open: func(tb testing.TB) saldo.Store { return testdb.OpenPostgres(tb, serializable) },
		Rows: testdb.Rows,
		Exec: testdb.Exec,
	})
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	s := testdb.OpenPostgres(t, postgres.Options{})
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
}

// Replicas starting together on an empty database all migrate it, one after another.
func TestConcurrentMigrationsTakeTurns(t *testing.T) {
	url := testdb.PostgresURL(t)
	ctx := context.Background()
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := postgres.Open(ctx, url, postgres.Options{})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(ctx)
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("migrate: %v", err)
		}
	}
}
