package postgres_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/postgres"
	"github.com/saldo-mx/saldo/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open:  func(tb testing.TB) saldo.Store { return testdb.OpenPostgres(tb, postgres.Options{}) },
		Query: testdb.Query,
		Exec:  testdb.Exec,
	})
}

// The suite passes at SERIALIZABLE too, where conflicts surface as SQLSTATE 40001 and the
// store runs the transaction again.
func TestConformanceSerializable(t *testing.T) {
	serializable := postgres.Options{RuntimeParams: map[string]string{"default_transaction_isolation": "serializable"}}
	storetest.Run(t, storetest.Harness{
		Open:  func(tb testing.TB) saldo.Store { return testdb.OpenPostgres(tb, serializable) },
		Query: testdb.Query,
		Exec:  testdb.Exec,
	})
}

// Creates of different customers read nothing that concurrent creates write, so even at
// SERIALIZABLE none of them is aborted and run again.
func TestDistinctCreatesNeverConflictAtSerializable(t *testing.T) {
	f := serializableFixture(t, 0)
	s, svc, e, ctx := f.store, f.svc, f.partner, context.Background()
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				req := gen.Customer("", uint64(w*each+i))
				req.CompositeCreditLine = "100000"
				if _, err := svc.CreateCustomer(ctx, e, req, nil); err != nil {
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

// roundTrips counts what is sent to PostgreSQL and waited for: statements one by one, and
// batches.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// A create sends all its statements, BEGIN to COMMIT, in one round trip, whatever it writes:
// its ids come from blocks reserved ahead, one round trip per block. Authenticated from the
// cache of partners, it needs no other: the token check goes in the same batch.
func TestCreateTakesOneRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name      string
		composite bool
	}{
		{"wallet only", false},
		{"with a composite parent", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			trips := &roundTrips{}
			s := testdb.OpenPostgres(t, postgres.Options{Tracer: trips, MaxConns: 1})
			svc := saldo.NewService(s, saldo.NewManualClock(storetest.Now))
			ctx := context.Background()
			_, token, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "tienda", CompositeBalances: tt.composite})
			if err != nil {
				t.Fatal(err)
			}
			var e *saldo.Partner
			create := func(seq uint64) *saldo.CreatedCustomer {
				t.Helper()
				if e, err = svc.AuthenticatePartnerForWrite(ctx, token); err != nil {
					t.Fatal(err)
				}
				req := gen.Customer("", seq)
				if tt.composite {
					req.CompositeCreditLine = "100000"
				}
				out, err := svc.CreateCustomer(ctx, e, req, nil)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			create(1) // the first reads the partner, prepares the statements on the connection, and takes a block of ids
			// Ten more creates use at most 10 customer and 20 balance ids of the block.
			const creates = 10
			before := trips.n.Load()
			var out *saldo.CreatedCustomer
			for i := range creates {
				out = create(uint64(2 + i))
			}
			if got := trips.n.Load() - before; got != creates {
				t.Errorf("%d creates took %d round trips, want %d", creates, got, creates)
			}
			// The ids the create reserved are the ones stored.
			got, err := svc.Customer(ctx, e, out.Customer.ID)
			if err != nil {
				t.Fatalf("read the created customer back: %v", err)
			}
			if got.Wallet.ID != out.Wallet.ID {
				t.Errorf("stored wallet %d, answered %d", got.Wallet.ID, out.Wallet.ID)
			}
			if tt.composite && (got.Parent == nil || got.Parent.BalanceID != out.Parent.BalanceID) {
				t.Errorf("stored parent %+v, answered balance %d", got.Parent, out.Parent.BalanceID)
			}
		})
	}
}

// A transfer waits for one answer inside its transaction: the token, both wallets and the
// speculative move go in one batch, with BEGIN; its other rows go with the COMMIT.
func TestTransferTakesTwoRoundTrips(t *testing.T) {
	trips := &roundTrips{}
	s := testdb.OpenPostgres(t, postgres.Options{Tracer: trips, MaxConns: 1})
	svc := saldo.NewService(s, saldo.NewManualClock(storetest.Now))
	ctx := context.Background()
	_, token, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "tienda"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetUDIValues(ctx, []saldo.UDIValue{{Day: "2026-01-01", Micros: 8_500_000}}); err != nil {
		t.Fatal(err)
	}
	e, err := svc.AuthenticatePartnerForWrite(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	var customers [2]*saldo.CreatedCustomer
	for i := range customers {
		if customers[i], err = svc.CreateCustomer(ctx, e, gen.Customer("", uint64(i+1)), nil); err != nil {
			t.Fatal(err)
		}
	}
	a, b := customers[0], customers[1]
	if _, err := svc.TopUp(ctx, e, saldo.TopUpRequest{ExternalTransactionID: "t1", BalanceID: a.Wallet.ID, Amount: 10_000, CustomerID: a.Customer.ID}, nil); err != nil {
		t.Fatal(err)
	}
	transfer := func() *saldo.Movement {
		t.Helper()
		m, err := svc.Transfer(ctx, e, saldo.TransferRequest{CustomerToken: a.Tokens.OAuthToken, SourceCustomerID: a.Customer.ID,
			TargetCustomerID: b.Customer.ID, Amount: 100}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	transfer() // the first prepares its statements on the connection
	const transfers = 10
	before := trips.n.Load()
	var last *saldo.Movement
	for range transfers {
		last = transfer()
	}
	// Ten transfers use ten ids of the block of ledger transaction ids the first took.
	if got := trips.n.Load() - before; got != 2*transfers {
		t.Errorf("%d transfers took %d round trips, want %d", transfers, got, 2*transfers)
	}
	if last.Balance.Amount != 10_000-11*100 {
		t.Errorf("the source holds %d after 11 transfers of 100 out of 10,000", last.Balance.Amount)
	}
}

// statements counts the INSERTs sent in batches, by table.
type statements struct {
	mu      sync.Mutex
	inserts map[string]int
	// withCustomers counts, by table, the INSERTs in statements that also insert customers.
	withCustomers map[string]int
}

func (s *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}
func (s *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (s *statements) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (s *statements) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	parts := strings.Split(d.SQL, "INSERT INTO ")[1:]
	withCustomers := strings.Contains(d.SQL, "INSERT INTO customers ")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range parts {
		table, _, _ := strings.Cut(p, " ")
		s.inserts[table]++
		if withCustomers {
			s.withCustomers[table]++
		}
	}
}
func (s *statements) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// Creates batched by group commit send one statement of inserts a transaction, with one INSERT
// a table, whatever the number of creates in it: their rows are held and go together.
func TestBatchedCreatesSendTheirInsertsAsOneStatement(t *testing.T) {
	sent := &statements{inserts: map[string]int{}, withCustomers: map[string]int{}}
	s := testdb.OpenPostgres(t, postgres.Options{Tracer: sent})
	svc := saldo.NewService(s, saldo.NewManualClock(storetest.Now))
	ctx := context.Background()
	_, token, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "tienda", CompositeBalances: true})
	if err != nil {
		t.Fatal(err)
	}
	e, err := svc.AuthenticatePartnerForWrite(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	const n = 96
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := gen.Customer("", uint64(i+1))
			req.CompositeCreditLine = "100000"
			if _, err := svc.CreateCustomer(ctx, e, req, nil); err != nil {
				t.Errorf("create %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	creates := svc.GroupCommitStats().Creates
	if creates.Writes != n || creates.Commits >= n || creates.Split != 0 {
		t.Fatalf("group commit stats %+v: want %d creates in fewer commits, none split", creates, n)
	}
	for _, table := range []string{"customers", "balances", "customer_tokens", "composite_parents", "events"} {
		if got := sent.inserts[table]; got != int(creates.Commits) {
			t.Errorf("%d creates in %d commits sent %d INSERTs into %s, want one a commit", n, creates.Commits, got, table)
		}
		if got := sent.withCustomers[table]; got != int(creates.Commits) {
			t.Errorf("%d creates in %d commits sent %d INSERTs into %s with those of customers, want all", n, creates.Commits, got, table)
		}
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

// Creates that carry an Idempotency-Key each, all different, do not conflict either: a first
// run inserts its key without looking for it, so no create reads the pages of the keys index
// that the others insert into.
func TestKeyedCreatesNeverConflictAtSerializable(t *testing.T) {
	f := serializableFixture(t, 0)
	s, svc, e, ctx := f.store, f.svc, f.partner, context.Background()
	const creates = 200
	var (
		wg     sync.WaitGroup
		failed atomic.Int64
		start  = make(chan struct{})
	)
	for i := range creates {
		wg.Go(func() {
			req := gen.Customer("", uint64(i))
			req.CompositeCreditLine = "100000"
			key := fmt.Sprintf("create-%d", i)
			idem := &saldo.Idempotency[*saldo.CreatedCustomer]{
				IdempotencyKey: saldo.IdempotencyKey{Key: key, Digest: sha256.Sum256([]byte(key))},
				Render:         func(*saldo.CreatedCustomer, error) saldo.Answer { return saldo.Answer{Status: 200, Body: []byte("{}")} },
			}
			<-start
			if _, err := svc.CreateCustomer(ctx, e, req, idem); err != nil {
				failed.Add(1)
				t.Errorf("create %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	t.Logf("%d concurrent creates with a key each: %d failed, %d transactions run again", creates, failed.Load(), s.Retries())
	if n := s.Retries(); n != 0 {
		t.Errorf("%d transactions run again after a serialization failure in %d concurrent creates with distinct keys, want 0", n, creates)
	}
}
