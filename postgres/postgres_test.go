package postgres_test

import (
	"context"
	"sync"
	"testing"

	"saldo"
	"saldo/internal/gen"
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

// Creates of different customers read nothing that concurrent creates write, so even at
// SERIALIZABLE none of them is aborted and run again.
func TestDistinctCreatesNeverConflictAtSerializable(t *testing.T) {
	serializable := postgres.Options{RuntimeParams: map[string]string{"default_transaction_isolation": "serializable"}}
	s := testdb.OpenPostgres(t, serializable)
	svc := saldo.NewService(s, saldo.NewManualClock(storetest.Now))
	ctx := context.Background()
	e, _, err := svc.CreateEcommerce(ctx, saldo.NewEcommerce{Name: "tienda", CompositeBalances: true})
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				req := gen.Customer("", uint64(w*each+i))
				req.CompositeCreditLine = "100000"
				if _, err := svc.CreateCustomer(ctx, e, req); err != nil {
					t.Errorf("create: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := s.Retries(); n != 0 {
		t.Errorf("%d transactions run again after a serialization failure in %d concurrent creates, want 0", n, workers*each)
	}
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
