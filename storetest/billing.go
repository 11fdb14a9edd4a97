package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
)

func testBilling(t *testing.T, h Harness) {
	t.Run("ACutOffClosesThePeriodIntoOneStatement", func(t *testing.T) { testStatement(t, h) })
	t.Run("AnUnpaidMinimumMakesTheParentOverdueUntilPaid", func(t *testing.T) { testOverdue(t, h) })
	t.Run("StatementFiguresAreTheSumOfThePeriodsMovements", func(t *testing.T) { testStatementFigures(t, h) })
	t.Run("CutOffsFallOnMonthEndsAndLeapDays", func(t *testing.T) { testMonthEnds(t, h) })
}

// mexicoCity is the instant of a wall-clock time in Mexico City.
func mexicoCity(y int, m time.Month, d, hour, min int) time.Time {
	return time.Date(y, m, d, hour, min, 0, 0, saldo.MexicoCity)
}

func (f *creditFixture) billingRun(t testing.TB, now time.Time) saldo.BillingReport {
	t.Helper()
	f.Clock.Set(now)
	r, err := f.Service.BillingRun(context.Background(), now)
	if err != nil {
		t.Fatalf("BillingRun at %v: %v", now, err)
	}
	return r
}

func (f *creditFixture) statements(t testing.TB) []saldo.Statement {
	t.Helper()
	list, _, err := f.Service.Statements(context.Background(), f.partner, f.owner.Parent.ID, 0, saldo.MaxStatementsLimit)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func testStatement(t *testing.T, h Harness) {
	ctx := context.Background()
	// Billing day 15; the fixture's clock starts on 24 November 2026, so the first cut-off is
	// 15 December at 00:00 Mexico City.
	f := newCreditFixture(t, h, saldo.NewPartner{BillingDay: 15, PaymentDueDays: 10, MinPaymentPercent: ptr(10), MinPaymentFloor: ptr(int64(500))}, 100_000)
	a, b := f.child(t, 50_000), f.child(t, 50_000)
	f.mustCharge(t, a.Child.ID, 10_000, true)
	ch := f.mustCharge(t, b.Child.ID, 4_000, true)
	if _, err := f.Service.Refund(ctx, f.partner, saldo.RefundRequest{TransactionID: ch.Transaction.ID, Amount: 1_000}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pay(saldo.PaymentRequest{ChildID: a.Child.ID, Amount: 2_000}); err != nil {
		t.Fatal(err)
	}
	// The last minute of the period, and the first of the next.
	f.Clock.Set(mexicoCity(2026, 12, 14, 23, 59))
	f.mustCharge(t, a.Child.ID, 500, true)
	f.Clock.Set(mexicoCity(2026, 12, 15, 0, 0))
	f.mustCharge(t, a.Child.ID, 700, true)

	if r := f.billingRun(t, mexicoCity(2026, 12, 14, 23, 59)); r.Statements != 0 {
		t.Fatalf("a run before the cut-off wrote %d statements", r.Statements)
	}
	if r := f.billingRun(t, mexicoCity(2026, 12, 15, 0, 1)); r.Statements != 1 {
		t.Fatalf("the run at the cut-off wrote %d statements, want 1", r.Statements)
	}
	if r := f.billingRun(t, mexicoCity(2026, 12, 15, 0, 2)); r.Statements != 0 {
		t.Fatalf("a second run wrote %d more statements", r.Statements)
	}
	list := f.statements(t)
	if len(list) != 1 {
		t.Fatalf("%d statements, want 1", len(list))
	}
	st := list[0]
	want := saldo.Statement{PeriodStart: "2026-11-24", CutoffDate: "2026-12-15", PaymentDueDate: "2026-12-25",
		OpeningBalance: 0, Charges: 14_500, Refunds: 1_000, Payments: 2_000, ClosingBalance: 11_500, TotalDue: 11_500, MinDue: 1_150}
	if st.PeriodStart != want.PeriodStart || st.CutoffDate != want.CutoffDate || st.PaymentDueDate != want.PaymentDueDate ||
		st.OpeningBalance != want.OpeningBalance || st.Charges != want.Charges || st.Refunds != want.Refunds ||
		st.Payments != want.Payments || st.ClosingBalance != want.ClosingBalance || st.TotalDue != want.TotalDue || st.MinDue != want.MinDue {
		t.Errorf("statement %+v\nwant %+v", st, want)
	}
	if len(st.Children) != 2 || st.Children[0].ClosingDebt != 8_500 || st.Children[1].ClosingDebt != 3_000 {
		t.Errorf("children %+v, want a closing 8500 and b 3000", st.Children)
	}
	if len(st.Lines) != 5 {
		t.Errorf("%d lines, want the period's 5 (3 charges, a refund, a payment)", len(st.Lines))
	}
	if got, err := f.Service.Statement(ctx, f.partner, st.ID); err != nil || got.ClosingBalance != st.ClosingBalance {
		t.Errorf("Statement(%d): %v %+v", st.ID, err, got)
	}
	if n := countEvents(t, h, f.Store, saldo.EventStatementCreated); n != 1 {
		t.Errorf("%d statement.created events, want 1", n)
	}

	// The parent shows what remains due, and its due date.
	p := f.parent(t)
	if p.Parent.DueTotal != 11_500 || p.Parent.DueMin != 1_150 || p.NextDueDate.Format(time.DateOnly) != "2026-12-25" {
		t.Errorf("parent due %d min %d by %s, want 11500, 1150 by 2026-12-25", p.Parent.DueTotal, p.Parent.DueMin, p.NextDueDate.Format(time.DateOnly))
	}
	if _, err := f.pay(saldo.PaymentRequest{ParentID: f.owner.Parent.ID, Amount: 1_000}); err != nil {
		t.Fatal(err)
	}
	p = f.parent(t)
	if p.Parent.DueTotal != 10_500 || p.Parent.DueMin != 150 {
		t.Errorf("after paying 1000: due %d min %d, want 10500 and 150", p.Parent.DueTotal, p.Parent.DueMin)
	}

	// The next period opens with the last one's closing balance.
	f.billingRun(t, mexicoCity(2027, 1, 15, 3, 0))
	list = f.statements(t)
	if len(list) != 2 || list[0].CutoffDate != "2027-01-15" || list[0].OpeningBalance != 11_500 ||
		list[0].Charges != 700 || list[0].Payments != 1_000 || list[0].ClosingBalance != 11_200 {
		t.Errorf("second statement %+v, want 15 January opening at 11500 with the 700 charge and the 1000 payment", list[0])
	}
	f.verify(t)
}

func testOverdue(t *testing.T, h Harness) {
	f := newCreditFixture(t, h, saldo.NewPartner{BillingDay: 1, PaymentDueDays: 5}, 100_000)
	c := f.child(t, 50_000)
	f.mustCharge(t, c.Child.ID, 30_000, true)
	f.billingRun(t, mexicoCity(2026, 12, 1, 0, 0))
	p := f.parent(t)
	if p.Parent.DueMin != 20_000 || p.Parent.DueDate != "2026-12-06" {
		t.Fatalf("due %d by %q, want the 20000 floor by 2026-12-06", p.Parent.DueMin, p.Parent.DueDate)
	}
	// On the due date it is not overdue yet; the day after, it is.
	if r := f.billingRun(t, mexicoCity(2026, 12, 6, 23, 0)); r.Overdue != 0 {
		t.Fatalf("overdue on the due date")
	}
	if r := f.billingRun(t, mexicoCity(2026, 12, 7, 0, 0)); r.Overdue != 1 {
		t.Fatalf("%d parents overdue the day after, want 1", r.Overdue)
	}
	if f.parent(t).Parent.Status != saldo.ParentOverdue {
		t.Fatalf("parent status %d, want overdue", f.parent(t).Parent.Status)
	}
	_, err := f.charge(c.Child.ID, 100, true)
	wantCode(t, err, saldo.EOVERDUE, "parent:overdue")
	if n := countEvents(t, h, f.Store, saldo.EventCompositeParentOverdue); n != 1 {
		t.Errorf("%d composite_parent.overdue events, want 1", n)
	}
	// Paying less than the minimum leaves it overdue; the rest of it restores it.
	if _, err := f.pay(saldo.PaymentRequest{ChildID: c.Child.ID, Amount: 19_999}); err != nil {
		t.Fatal(err)
	}
	if f.parent(t).Parent.Status != saldo.ParentOverdue {
		t.Fatalf("restored before the minimum was paid")
	}
	if _, err := f.pay(saldo.PaymentRequest{ParentID: f.owner.Parent.ID, Amount: 1}); err != nil {
		t.Fatal(err)
	}
	if p := f.parent(t); p.Parent.Status != saldo.ParentActive || p.Parent.DueMin != 0 || p.Parent.DueTotal != 10_000 {
		t.Fatalf("after the minimum: status %d min %d total %d, want active, 0, 10000", p.Parent.Status, p.Parent.DueMin, p.Parent.DueTotal)
	}
	f.mustCharge(t, c.Child.ID, 100, true)
	f.verify(t)
}

// testMonthEnds follows parents created on the last days of months through a leap February:
// a parent's billing day is its day of creation capped at 28, and each cut-off is at 00:00
// Mexico City on that day.
func testMonthEnds(t *testing.T, h Harness) {
	tests := []struct {
		name    string
		created time.Time
		cutoffs []string
	}{
		{"created on 31 January of a leap year", mexicoCity(2028, 1, 31, 12, 0), []string{"2028-02-28", "2028-03-28"}},
		{"created on 29 February", mexicoCity(2028, 2, 29, 23, 59), []string{"2028-03-28", "2028-04-28"}},
		{"created on 28 February of a common year", mexicoCity(2027, 2, 28, 0, 0), []string{"2027-03-28", "2027-04-28"}},
		{"created on 31 December", mexicoCity(2026, 12, 31, 18, 0), []string{"2027-01-28", "2027-02-28"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFixture(t, h)
			f.Clock.Set(tt.created)
			cf := &creditFixture{compositeFixture: &compositeFixture{Fixture: f}, h: h}
			cf.partner = f.Partner(t, saldo.NewPartner{CompositeBalances: true})
			cf.owner = cf.customer(t, 100_000)
			if cf.owner.Parent.BillingDay != 28 && tt.created.Day() >= 28 {
				t.Fatalf("billing day %d, want 28", cf.owner.Parent.BillingDay)
			}
			c := cf.child(t, 50_000)
			first := midnightOf(t, tt.cutoffs[0])
			// A charge in the period's last second, and one at its cut-off, which belongs
			// to the next period.
			cf.Clock.Set(first.Add(-time.Second))
			cf.mustCharge(t, c.Child.ID, 100, true)
			if r := cf.billingRun(t, first.Add(-time.Second)); r.Statements != 0 {
				t.Fatalf("a statement a second before the cut-off")
			}
			cf.Clock.Set(first)
			cf.mustCharge(t, c.Child.ID, 200, true)
			cf.billingRun(t, midnightOf(t, tt.cutoffs[1]).Add(time.Hour))
			list := cf.statements(t)
			if len(list) != 2 {
				t.Fatalf("%d statements, want 2", len(list))
			}
			for i, want := range []struct {
				cutoff  string
				charges int64
			}{{tt.cutoffs[1], 200}, {tt.cutoffs[0], 100}} {
				if list[i].CutoffDate != want.cutoff || list[i].Charges != want.charges {
					t.Errorf("statement %d: cut-off %s charges %d, want %s and %d", i, list[i].CutoffDate, list[i].Charges, want.cutoff, want.charges)
				}
			}
			if list[1].PeriodStart != tt.created.Format(time.DateOnly) || list[0].PeriodStart != tt.cutoffs[0] {
				t.Errorf("periods start %s and %s, want %s and %s", list[1].PeriodStart, list[0].PeriodStart, tt.created.Format(time.DateOnly), tt.cutoffs[0])
			}
		})
	}
}
