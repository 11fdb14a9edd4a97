package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
)

// movement is what a step of the property test did to one child, as the test saw it.
type movement struct {
	at     time.Time
	child  int64
	typ    saldo.TransactionType
	amount int64 // > 0
}

// creditModel is what the property test expects: every movement it made, and the open
// authorizations and refundable charges it can still act on.
type creditModel struct {
	moves    []movement
	debt     map[int64]int64
	holds    []int64            // pending authorizations
	captured map[int64][2]int64 // charge id → child, what can still be refunded
}

func (m *creditModel) record(at time.Time, child int64, typ saldo.TransactionType, amount int64) {
	m.moves = append(m.moves, movement{at: at, child: child, typ: typ, amount: amount})
	if typ == saldo.TypeCharge {
		m.debt[child] += amount
	} else {
		m.debt[child] -= amount
	}
}

// testStatementFigures runs random sequences of charges, authorizations, refunds and
// payments over two cut-offs, with billing runs at random moments, and checks every
// statement against what the sequence did: opening + charges − refunds − payments = closing,
// each child's row against its own movements, the rows summing to the totals, and each
// period opening where the last one closed.
func testStatementFigures(t *testing.T, h Harness) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) { runStatementFigures(t, h, seed) })
	}
}

func runStatementFigures(t *testing.T, h Harness, seed uint64) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 17))
	f := newCreditFixture(t, h, saldo.NewPartner{BillingDay: 1}, 1_000_000)
	children := []int64{f.child(t, 100_000).Child.ID, f.child(t, 100_000).Child.ID, f.child(t, 100_000).Child.ID}
	if _, err := f.Service.TopUp(ctx, f.partner, saldo.TopUpRequest{ExternalTransactionID: f.nextID(),
		BalanceID: f.owner.Wallet.ID, Amount: 10_000_000, CustomerID: f.owner.Customer.ID}, nil); err != nil {
		t.Fatal(err)
	}
	m := &creditModel{debt: map[int64]int64{}, captured: map[int64][2]int64{}}
	end := mexicoCity(2027, 1, 2, 12, 0)
	for f.Clock.Now().Before(end) {
		f.Clock.Advance(time.Duration(r.IntN(18*60)+1) * time.Minute)
		if r.IntN(10) == 0 {
			f.billingRun(t, f.Clock.Now())
		}
		f.step(t, r, m, children)
	}
	f.billingRun(t, end)
	t.Logf("%d movements", len(m.moves))
	f.checkStatements(t, m, []string{"2026-12-01", "2027-01-01"})
	f.verify(t)
}

// step makes one random movement and records it in m.
func (f *creditFixture) step(t *testing.T, r *rand.Rand, m *creditModel, children []int64) {
	ctx := context.Background()
	now, child := f.Clock.Now(), children[r.IntN(len(children))]
	amount := int64(r.IntN(5_000) + 1)
	switch r.IntN(7) {
	case 0, 1:
		c, err := f.charge(child, amount, true)
		if err != nil {
			t.Fatalf("charge: %v", err)
		}
		m.record(now, child, saldo.TypeCharge, amount)
		m.captured[c.Transaction.ID] = [2]int64{child, amount}
	case 2:
		c, err := f.charge(child, amount, false)
		if err != nil {
			t.Fatalf("authorization: %v", err)
		}
		m.holds = append(m.holds, c.Transaction.ID)
	case 3:
		f.settleAHold(t, r, m)
	case 4:
		for id, c := range m.captured {
			if c[1] == 0 {
				continue
			}
			amount = min(amount, c[1])
			if _, err := f.Service.Refund(ctx, f.partner, saldo.RefundRequest{TransactionID: id, Amount: amount}, nil); err != nil {
				t.Fatalf("refund: %v", err)
			}
			m.record(now, c[0], saldo.TypeRefund, amount)
			m.captured[id] = [2]int64{c[0], c[1] - amount}
			return
		}
	case 5:
		if debt := m.debt[child]; debt > 0 {
			source := []saldo.PaymentSource{saldo.SourceExternal, saldo.SourceWallet}[r.IntN(2)]
			if _, err := f.pay(saldo.PaymentRequest{ChildID: child, Amount: min(amount, debt), Source: source}); err != nil {
				t.Fatalf("child payment: %v", err)
			}
			m.record(now, child, saldo.TypePayment, min(amount, debt))
		}
	case 6:
		f.payTheParent(t, m, children, amount)
	}
}

// settleAHold captures part of, or voids, the oldest open authorization (one that expired
// meanwhile is already voided and is dropped).
func (f *creditFixture) settleAHold(t *testing.T, r *rand.Rand, m *creditModel) {
	ctx := context.Background()
	if len(m.holds) == 0 {
		return
	}
	id := m.holds[0]
	m.holds = m.holds[1:]
	var c *saldo.CreditMovement
	var err error
	if r.IntN(3) == 0 {
		_, err = f.Service.Void(ctx, f.partner, id, nil)
	} else {
		c, err = f.Service.Capture(ctx, f.partner, saldo.CaptureRequest{TransactionID: id, Amount: int64(r.IntN(50) + 1)}, nil)
	}
	if saldo.ErrorCode(err) == saldo.EINVALIDSTATE {
		return // expired
	}
	if err != nil {
		t.Fatalf("settling authorization %d: %v", id, err)
	}
	if c != nil {
		m.record(f.Clock.Now(), c.ChildID, saldo.TypeCharge, c.Transaction.Captured)
		m.captured[id] = [2]int64{c.ChildID, c.Transaction.Captured}
	}
}

// payTheParent pays up to amount to the parent and records what each child got, read from
// their debts before and after.
func (f *creditFixture) payTheParent(t *testing.T, m *creditModel, children []int64, amount int64) {
	var total int64
	before := map[int64]int64{}
	for _, id := range children {
		before[id] = f.childNow(t, id).Debt
		total += max(before[id], 0)
	}
	if amount = min(amount, total); amount == 0 {
		return
	}
	if _, err := f.pay(saldo.PaymentRequest{ParentID: f.owner.Parent.ID, Amount: amount}); err != nil {
		t.Fatalf("parent payment of %d: %v", amount, err)
	}
	var paid int64
	for _, id := range children {
		if got := before[id] - f.childNow(t, id).Debt; got != 0 {
			m.record(f.Clock.Now(), id, saldo.TypePayment, got)
			paid += got
		}
	}
	if paid != amount {
		t.Fatalf("a parent payment of %d lowered the children's debt by %d", amount, paid)
	}
}

// checkStatements compares the parent's statements, oldest first, with the model.
func (f *creditFixture) checkStatements(t *testing.T, m *creditModel, cutoffs []string) {
	list := f.statements(t)
	if len(list) != len(cutoffs) {
		t.Fatalf("%d statements, want %d (%v)", len(list), len(cutoffs), cutoffs)
	}
	var opening int64
	from := time.Time{}
	for i, cutoff := range cutoffs {
		st := list[len(list)-1-i]
		to := midnightOf(t, cutoff)
		if st.CutoffDate != cutoff || st.OpeningBalance != opening {
			t.Errorf("statement %d: cut-off %s opening %d, want %s and %d", i, st.CutoffDate, st.OpeningBalance, cutoff, opening)
		}
		if st.OpeningBalance+st.Charges-st.Refunds-st.Payments != st.ClosingBalance {
			t.Errorf("statement %s: %d + %d - %d - %d != %d", cutoff, st.OpeningBalance, st.Charges, st.Refunds, st.Payments, st.ClosingBalance)
		}
		var sum saldo.StatementChild
		for _, c := range st.Children {
			want := m.period(c.ChildID, from, to)
			want.ChildID, want.CustomerID = c.ChildID, c.CustomerID
			want.OpeningDebt = debtOf(m.period(c.ChildID, time.Time{}, from))
			want.ClosingDebt = debtOf(m.period(c.ChildID, time.Time{}, to))
			if c != want {
				t.Errorf("statement %s child %d: %+v, want %+v", cutoff, c.ChildID, c, want)
			}
			sum.CumulativeCharges += c.CumulativeCharges
			sum.CumulativeRefunds += c.CumulativeRefunds
			sum.CumulativePayments += c.CumulativePayments
			sum.ClosingDebt += c.ClosingDebt
		}
		if sum.CumulativeCharges != st.Charges || sum.CumulativeRefunds != st.Refunds ||
			sum.CumulativePayments != st.Payments || sum.ClosingDebt != st.ClosingBalance {
			t.Errorf("statement %s: children sum to %+v, totals %+v", cutoff, sum, st)
		}
		opening, from = st.ClosingBalance, to
	}
}

// period sums child's movements in [from, to).
func (m *creditModel) period(child int64, from, to time.Time) saldo.StatementChild {
	var c saldo.StatementChild
	for _, mv := range m.moves {
		if mv.child != child || mv.at.Before(from) || !mv.at.Before(to) {
			continue
		}
		switch mv.typ {
		case saldo.TypeCharge:
			c.CumulativeCharges += mv.amount
		case saldo.TypeRefund:
			c.CumulativeRefunds += mv.amount
		case saldo.TypePayment:
			c.CumulativePayments += mv.amount
		}
	}
	return c
}

// debtOf is the debt that movements summed from the beginning leave.
func debtOf(c saldo.StatementChild) int64 {
	return c.CumulativeCharges - c.CumulativeRefunds - c.CumulativePayments
}

func midnightOf(t testing.TB, day string) time.Time {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, saldo.MexicoCity)
}
