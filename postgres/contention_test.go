package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/postgres"
	"github.com/saldo-mx/saldo/storetest"
)

// hotParentOutcome counts what the writes on one parent got.
type hotParentOutcome struct {
	mu       sync.Mutex
	ok       int
	byError  map[string]int
	slowest  time.Duration
	children []int64
}

func (o *hotParentOutcome) record(took time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.slowest = max(o.slowest, took)
	if err == nil {
		o.ok++
		return
	}
	o.byError[fmt.Sprintf("%s %v", saldo.ErrorCode(err), saldo.ErrorHints(err))]++
}

// At SERIALIZABLE, 24 writers at once on one parent, each creating children and raising their
// credit lines, all succeed, and the parent's allocation is the sum of its children's credit
// lines. They are split between two services on one database, as two replicas would be: each
// service's writes of the parent queue in its credit-line group, and the two groups' batches
// abort one another (40001) whenever one commits while the other waits for the row, so the
// store's retries are at work too.
func TestHotParentWritersAtSerializable(t *testing.T) {
	f := serializableFixture(t, 24)
	s, e, ctx := f.store, f.partner, context.Background()
	replicas := []*saldo.Service{f.svc, saldo.NewService(s, saldo.NewManualClock(storetest.Now))}
	owner := f.owner(t, "100000000")
	const writers, rounds = 24, 40
	out := &hotParentOutcome{byError: map[string]int{}}
	var wg sync.WaitGroup
	start := make(chan struct{})
	began := time.Now()
	for w := range writers {
		svc := replicas[w%len(replicas)]
		wg.Go(func() {
			<-start
			var child int64
			for i := range rounds {
				var err error
				// A request's deadline, as the HTTP server gives each.
				rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				t0 := time.Now()
				if i%3 == 0 || child == 0 {
					var v *saldo.ChildView
					if v, err = svc.CreateChild(rctx, e, saldo.NewChild{ParentID: owner.Parent.ID, CreditLine: 1000}, nil); err == nil {
						child = v.Child.ID
					}
				} else {
					_, err = svc.UpdateChildCreditLine(rctx, e, saldo.CreditLineUpdate{ChildID: child, CreditLine: int64(1000 + 100*i)}, nil)
				}
				out.record(time.Since(t0), err)
				cancel()
			}
		})
	}
	close(start)
	wg.Wait()
	t.Logf("%d writers × %d writes on one parent in %v: %d ok, errors %v, %d transactions run again, slowest write %v",
		writers, rounds, time.Since(began).Round(time.Millisecond), out.ok, out.byError, s.Retries(), out.slowest.Round(time.Millisecond))
	if len(out.byError) > 0 {
		t.Errorf("%d of %d writes on one parent failed: %v; want none", writers*rounds-out.ok, writers*rounds, out.byError)
	}
	checkParentAllocation(t, s, owner.Parent.ID)
}

// A transaction that loses its race every time gives up before the request's deadline, with
// an answer that says contention (503 7003, hint database:contention), not unreachable. Each
// attempt here reads the parent, sees it changed by another connection, and updates it: a real
// serialization failure (40001) every time.
func TestContentionThatOutlastsTheRetriesSaysSo(t *testing.T) {
	f := serializableFixture(t, 0)
	s, e, ctx := f.store, f.partner, context.Background()
	owner := f.owner(t, "100000")
	const deadline = 300 * time.Millisecond
	rctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	attempts := 0
	began := time.Now()
	err := s.Update(rctx, func(tx saldo.Tx) error {
		attempts++
		if _, err := tx.CompositeParent(rctx, e.ID, owner.Parent.ID); err != nil {
			return err
		}
		if _, err := s.Pool().Exec(rctx, "UPDATE composite_parents SET allocated = allocated WHERE id = $1", owner.Parent.ID); err != nil {
			return err
		}
		_, err := tx.AllocateCredit(rctx, e.ID, owner.Parent.ID, 0)
		return err
	})
	took := time.Since(began)
	t.Logf("%d attempts in %v: %v", attempts, took.Round(time.Millisecond), err)
	if saldo.ErrorCode(err) != saldo.EUNAVAILABLE || !slices.Contains(saldo.ErrorHints(err), saldo.HintContention) {
		t.Errorf("err = %v, want %s with the hint %s", err, saldo.EUNAVAILABLE, saldo.HintContention)
	}
	if attempts < 2 || took > deadline+100*time.Millisecond {
		t.Errorf("%d attempts in %v, want several, within the %v deadline", attempts, took, deadline)
	}
	if !errors.Is(err, saldo.ErrRetry) {
		t.Errorf("err = %v, want the serialization failure as its cause", err)
	}
}

// checkParentAllocation checks that parent id's allocation is the sum of its children's credit
// lines, and within its own.
func checkParentAllocation(t *testing.T, s *postgres.Store, id string) {
	t.Helper()
	var line, allocated, sum int64
	err := s.Pool().QueryRow(context.Background(), `SELECT p.credit_line, p.allocated,
		(SELECT coalesce(sum(c.credit_line), 0) FROM composite_children c WHERE c.parent_id = p.id)
		FROM composite_parents p WHERE p.id = $1`, id).Scan(&line, &allocated, &sum)
	if err != nil {
		t.Fatal(err)
	}
	if allocated != sum || allocated > line {
		t.Errorf("parent: credit line %d, allocated %d, Σ children %d", line, allocated, sum)
	}
}

// serializable is a store whose every transaction runs at SERIALIZABLE, with a service and a
// partner that has composite balances.
type serializable struct {
	store   *postgres.Store
	svc     *saldo.Service
	partner *saldo.Partner
}

// serializableFixture opens it with up to maxConns connections (0: the default).
func serializableFixture(tb testing.TB, maxConns int32) serializable {
	tb.Helper()
	opts := postgres.Options{MaxConns: maxConns, RuntimeParams: map[string]string{"default_transaction_isolation": "serializable"}}
	s := testdb.OpenPostgres(tb, opts)
	svc := saldo.NewService(s, saldo.NewManualClock(storetest.Now))
	e, _, err := svc.CreatePartner(context.Background(), saldo.NewPartner{Name: "tienda", CompositeBalances: true})
	if err != nil {
		tb.Fatal(err)
	}
	return serializable{store: s, svc: svc, partner: e}
}

// owner creates a customer with a parent of creditLine cents.
func (f serializable) owner(tb testing.TB, creditLine string) *saldo.CreatedCustomer {
	tb.Helper()
	req := gen.Customer("", 1)
	req.CompositeCreditLine = creditLine
	owner, err := f.svc.CreateCustomer(context.Background(), f.partner, req, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return owner
}
