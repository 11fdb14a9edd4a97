package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

// BillingReplicas proves that the scheduled work of credit is done once however many replicas
// run it at the same time (§9.5). stores are pools of their own on one migrated, empty
// database, as replicas have; each gets a service with a clock of its own, and every clock is
// set to the same instant before the replicas run BillingRun, each several times at once.
//
// 30 parents of 3 partners (billing days 1, 2 and 3; due 5 days after) go through three
// moves of the clock:
//
//  1. the first cut-offs (3 December 2026): 30 statements, and 150 authorizations expired;
//  2. the day after the due dates (9 December): the 12 parents that paid nothing become
//     overdue; those that paid the minimum or all of it do not;
//  3. the next cut-offs (3 January 2027): 30 statements more, and 36 more authorizations
//     expired, placed by the 18 parents still active.
//
// After each, the reports of all the runs add up to the work there was, and the database
// holds each piece of it once: one statement per parent and cut-off date, one
// statement.created event per statement, one composite_parent.overdue event per overdue
// parent, one release (transaction.updated, voided, reason expired) per hold; nothing stays
// held, and the ledger verifies.
func BillingReplicas(t *testing.T, h Harness, stores []saldo.Store) {
	const goroutines = 4 // per replica
	s := newReplicaScenario(t, h, stores)
	s.setUp(t)

	first := mexicoCity(2026, 12, 3, 0, 0)
	got := s.runAll(t, first, goroutines)
	s.wantReport(t, "the first cut-offs", got, saldo.BillingReport{HoldsExpired: 150, Statements: 30, IdempotencyPurged: 5})
	s.wantStatements(t, 1)
	s.wantHoldsReleasedOnce(t)

	s.pay(t)
	got = s.runAll(t, mexicoCity(2026, 12, 9, 0, 0), goroutines)
	s.wantReport(t, "the day after the due dates", got, saldo.BillingReport{Overdue: 12})
	s.wantOverdueOnce(t)

	s.spendAgain(t)
	got = s.runAll(t, mexicoCity(2027, 1, 3, 0, 0), goroutines)
	s.wantReport(t, "the next cut-offs", got, saldo.BillingReport{HoldsExpired: 36, Statements: 30})
	s.wantStatements(t, 2)
	s.wantHoldsReleasedOnce(t)
	s.wantOverdueOnce(t)
	s.wantLedgerSound(t)
}

// replica is one process's service and clock.
type replica struct {
	svc   *saldo.Service
	clock *saldo.ManualClock
}

// scenarioParent is a parent of the scenario, its two children and what it was charged.
type scenarioParent struct {
	partner *saldo.Partner
	id      string
	billing int // billing day
	pays    string
	a, b    int64
	charged int64 // posted in the first period
}

// What a parent pays between its first due date and the day after.
const (
	paysNothing = "nothing"
	paysMinimum = "the minimum"
	paysAll     = "all"
)

type replicaScenario struct {
	h        Harness
	store    saldo.Store
	replicas []replica
	partners []*saldo.Partner
	parents  []*scenarioParent
	holds    []int64 // every authorization placed
	ext      int
}

func newReplicaScenario(t *testing.T, h Harness, stores []saldo.Store) *replicaScenario {
	t.Helper()
	s := &replicaScenario{h: h, store: stores[0]}
	for _, st := range stores {
		clock := saldo.NewManualClock(Now)
		s.replicas = append(s.replicas, replica{svc: saldo.NewService(st, clock), clock: clock})
	}
	return s
}

// svc is the first replica's service, which sets the scenario up.
func (s *replicaScenario) svc() *saldo.Service { return s.replicas[0].svc }

func (s *replicaScenario) at(when time.Time) { s.replicas[0].clock.Set(when) }

// setUp registers the partners and parents and spends in the first period: on 24 November,
// posted charges on both children of every parent (5 of them with an idempotency key) and 5
// authorizations, which expire 3 days later.
func (s *replicaScenario) setUp(t *testing.T) {
	ctx := context.Background()
	s.at(Now)
	for day := 1; day <= 3; day++ {
		e, _, err := s.svc().CreatePartner(ctx, saldo.NewPartner{Name: fmt.Sprintf("tienda %d", day), CompositeBalances: true,
			BillingDay: day, PaymentDueDays: 5, AuthorizationHoldDays: ptr(3), MinPaymentPercent: ptr(10), MinPaymentFloor: ptr(int64(1_000))})
		if err != nil {
			t.Fatal(err)
		}
		s.partners = append(s.partners, e)
	}
	for i := range 30 {
		// The partner and what the parent pays vary apart: each partner has parents of each kind.
		e := s.partners[i%3]
		p := &scenarioParent{partner: e, billing: e.BillingDay, pays: []string{paysNothing, paysMinimum, paysAll}[(i/3)%3]}
		req := gen.Customer("", uint64(i+1))
		req.CompositeCreditLine = "100000"
		owner, err := s.svc().CreateCustomer(ctx, e, req, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.id = owner.Parent.ID
		for _, child := range []*int64{&p.a, &p.b} {
			v, err := s.svc().CreateChild(ctx, e, saldo.NewChild{ParentID: p.id, CreditLine: 40_000}, nil)
			if err != nil {
				t.Fatal(err)
			}
			*child = v.Child.ID
		}
		key := ""
		if i < 5 {
			key = fmt.Sprintf("charge-%d", i)
		}
		s.charge(t, e, p.a, int64(10_000+100*i), true, key)
		s.charge(t, e, p.b, 5_000, true, "")
		p.charged = int64(15_000 + 100*i)
		for j := range 5 {
			s.charge(t, e, []int64{p.a, p.b}[j%2], 1_000, false, "")
		}
		s.parents = append(s.parents, p)
	}
}

// charge posts a charge or places an authorization, with an idempotency key unless key is "".
func (s *replicaScenario) charge(t *testing.T, e *saldo.Partner, child, amount int64, capture bool, key string) {
	t.Helper()
	var idem *saldo.Idempotency[*saldo.CreditMovement]
	if key != "" {
		idem = &saldo.Idempotency[*saldo.CreditMovement]{
			IdempotencyKey: saldo.IdempotencyKey{Key: key, Digest: sha256.Sum256([]byte(key))},
			Render:         func(*saldo.CreditMovement, error) saldo.Answer { return saldo.Answer{Status: 200, Body: []byte("{}")} },
		}
	}
	s.ext++
	m, err := s.svc().Charge(context.Background(), e, saldo.ChargeRequest{ChildID: child, Amount: amount,
		ExternalTransactionID: fmt.Sprintf("ext-%d", s.ext), Description: "compra",
		Merchant: saldo.Merchant{Name: "OXXO", MCC: "5411"}, Capture: capture}, idem)
	if err != nil {
		t.Fatalf("charge of %d on child %d: %v", amount, child, err)
	}
	if !capture {
		s.holds = append(s.holds, m.Transaction.ID)
	}
}

// pay makes each parent pay what it pays, on 4 December.
func (s *replicaScenario) pay(t *testing.T) {
	ctx := context.Background()
	s.at(mexicoCity(2026, 12, 4, 12, 0))
	for _, p := range s.parents {
		v := s.parent(t, p)
		amount := map[string]int64{paysMinimum: v.Parent.DueMin, paysAll: v.Parent.DueTotal}[p.pays]
		if amount == 0 {
			continue
		}
		s.ext++
		if _, err := s.svc().Pay(ctx, p.partner, saldo.PaymentRequest{ParentID: p.id, Amount: amount,
			ExternalTransactionID: fmt.Sprintf("ext-%d", s.ext)}, nil); err != nil {
			t.Fatalf("payment of %d to parent %s: %v", amount, p.id, err)
		}
	}
}

// spendAgain charges, on 10 December, every parent still active (a posted charge and 2
// authorizations) and checks that the overdue ones are refused.
func (s *replicaScenario) spendAgain(t *testing.T) {
	s.at(mexicoCity(2026, 12, 10, 12, 0))
	for _, p := range s.parents {
		if p.pays == paysNothing {
			s.ext++
			_, err := s.svc().Charge(context.Background(), p.partner, saldo.ChargeRequest{ChildID: p.a, Amount: 100,
				ExternalTransactionID: fmt.Sprintf("ext-%d", s.ext), Capture: true}, nil)
			wantCode(t, err, saldo.EOVERDUE, "parent:overdue")
			continue
		}
		s.charge(t, p.partner, p.a, 2_000, true, "")
		s.charge(t, p.partner, p.b, 500, false, "")
		s.charge(t, p.partner, p.b, 500, false, "")
	}
}

func (s *replicaScenario) parent(t *testing.T, p *scenarioParent) *saldo.ParentView {
	t.Helper()
	v, err := s.svc().CompositeParent(context.Background(), p.partner, p.id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// runAll sets every replica's clock to at, runs BillingRun on goroutines of each replica at
// once, and returns the sum of their reports. Each run does all the work due, or leaves it to
// a run still going: a run of each replica after them finds nothing left.
func (s *replicaScenario) runAll(t *testing.T, at time.Time, goroutines int) saldo.BillingReport {
	t.Helper()
	var (
		mu    sync.Mutex
		sum   saldo.BillingReport
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for _, r := range s.replicas {
		r.clock.Set(at)
		for range goroutines {
			wg.Go(func() {
				<-start
				got, err := r.svc.BillingRun(context.Background(), r.clock.Now())
				if err != nil {
					t.Errorf("BillingRun at %v: %v", at, err)
				}
				mu.Lock()
				defer mu.Unlock()
				sum.HoldsExpired += got.HoldsExpired
				sum.Statements += got.Statements
				sum.Overdue += got.Overdue
				sum.IdempotencyPurged += got.IdempotencyPurged
			})
		}
	}
	close(start)
	wg.Wait()
	t.Logf("%d replicas × %d runs at once at %s: %+v", len(s.replicas), goroutines, at.Format(time.DateTime), sum)
	for i, r := range s.replicas {
		if got, err := r.svc.BillingRun(context.Background(), at); err != nil || got != (saldo.BillingReport{}) {
			t.Errorf("replica %d's run after them at %v: %+v, %v; want nothing left to do", i, at, got, err)
		}
	}
	return sum
}

func (s *replicaScenario) wantReport(t *testing.T, when string, got, want saldo.BillingReport) {
	t.Helper()
	if got != want {
		t.Errorf("%s: the runs' reports add up to %+v, want %+v: the work there was, each piece done once", when, got, want)
	}
}

// query returns the rows of sql as strings.
func (s *replicaScenario) query(t *testing.T, sql string) [][]string {
	t.Helper()
	var out [][]string
	for _, row := range s.h.Query(t, s.store, sql) {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = fmt.Sprint(v)
		}
		out = append(out, cells)
	}
	return out
}

// onceEach checks that the rows of sql, a key and a count, have count 1 for every key of want
// and for no other key.
func (s *replicaScenario) onceEach(t *testing.T, what, sql string, want []string) {
	t.Helper()
	counts := map[string]string{}
	for _, row := range s.query(t, sql) {
		counts[row[0]] = row[1]
	}
	for _, k := range want {
		if counts[k] != "1" {
			t.Errorf("%s %s: %q times, want once", what, k, counts[k])
		}
		delete(counts, k)
	}
	if len(counts) > 0 {
		t.Errorf("%s unexpected: %v", what, counts)
	}
}

// wantStatements checks that every parent has one statement for each of its first n
// cut-offs and no other, that they chain, and that each has one statement.created event.
func (s *replicaScenario) wantStatements(t *testing.T, n int) {
	t.Helper()
	var want []string
	for _, p := range s.parents {
		for month := range n {
			want = append(want, p.id+" "+time.Date(2026, 12+time.Month(month), p.billing, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
		}
	}
	s.onceEach(t, "statement of parent and cut-off",
		"SELECT parent_id || ' ' || cutoff_date, count(*) FROM statements GROUP BY parent_id, cutoff_date", want)

	var ids []string
	for _, row := range s.query(t, "SELECT id FROM statements") {
		ids = append(ids, row[0])
	}
	s.onceEach(t, "statement.created event of statement",
		"SELECT subject_id, count(*) FROM events WHERE type = 'statement.created' GROUP BY subject_id", ids)

	for _, p := range s.parents {
		list, _, err := s.svc().Statements(context.Background(), p.partner, p.id, 0, saldo.MaxStatementsLimit)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != n {
			t.Errorf("parent %s has %d statements, want %d", p.id, len(list), n)
			continue
		}
		oldest := list[n-1]
		if oldest.Charges != p.charged || oldest.OpeningBalance != 0 {
			t.Errorf("parent %s's first statement: opening %d, charges %d; want 0 and %d", p.id, oldest.OpeningBalance, oldest.Charges, p.charged)
		}
		if n == 2 && list[0].OpeningBalance != oldest.ClosingBalance {
			t.Errorf("parent %s's second statement opens at %d, the first closed at %d", p.id, list[0].OpeningBalance, oldest.ClosingBalance)
		}
	}
}

// wantHoldsReleasedOnce checks that every authorization placed was released once, as
// expired, and that no child holds anything.
func (s *replicaScenario) wantHoldsReleasedOnce(t *testing.T) {
	t.Helper()
	ids := make([]string, len(s.holds))
	for i, id := range s.holds {
		ids[i] = fmt.Sprint(id)
	}
	s.onceEach(t, "transaction.updated event of authorization",
		"SELECT subject_id, count(*) FROM events WHERE type = 'transaction.updated' GROUP BY subject_id", ids)
	s.onceEach(t, "authorization expired",
		"SELECT id, count(*) FROM ledger_transactions WHERE kind = 'charge' AND status = 4 AND reason = 'expired' GROUP BY id", ids)
	for _, p := range s.parents {
		for _, child := range []int64{p.a, p.b} {
			v, err := s.svc().CompositeChild(context.Background(), p.partner, child)
			if err != nil {
				t.Fatal(err)
			}
			if v.Child.Held != 0 {
				t.Errorf("child %d still holds %d", child, v.Child.Held)
			}
		}
	}
}

// wantOverdueOnce checks that the parents that paid nothing are overdue, with one
// composite_parent.overdue event each, and the others active, with none.
func (s *replicaScenario) wantOverdueOnce(t *testing.T) {
	t.Helper()
	var overdue []string
	for _, p := range s.parents {
		want := saldo.ParentActive
		if p.pays == paysNothing {
			want = saldo.ParentOverdue
			overdue = append(overdue, p.id)
		}
		if got := s.parent(t, p).Parent.Status; got != want {
			t.Errorf("parent %s, which paid %s: status %d, want %d", p.id, p.pays, got, want)
		}
	}
	s.onceEach(t, "composite_parent.overdue event of parent",
		"SELECT subject_id, count(*) FROM events WHERE type = 'composite_parent.overdue' GROUP BY subject_id", overdue)
}

func (s *replicaScenario) wantLedgerSound(t *testing.T) {
	t.Helper()
	r, err := s.replicas[len(s.replicas)-1].svc.VerifyLedger(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Errorf("ledger verify: %+v", r)
	}
}
