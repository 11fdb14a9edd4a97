package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

// testComposite is the composite balances of the contract's §5 on an engine.
func testComposite(t *testing.T, h Harness) {
	t.Run("ParentShowsItsCreditAndBillingDates", func(t *testing.T) { testParentView(t, h) })
	t.Run("ChildrenDrawOnTheParent", func(t *testing.T) { testCreateChild(t, h) })
	t.Run("CreditLineUpdatesMoveCreditBetweenChildAndParent", func(t *testing.T) { testUpdateChild(t, h) })
	t.Run("ChildrenArePaginatedInIDOrder", func(t *testing.T) { testListChildren(t, h) })
	t.Run("ConcurrentDrawsNeverOversubscribeTheParent", func(t *testing.T) { testConcurrentDraws(t, h) })
	t.Run("FailedChildCreateLeavesNoTrace", func(t *testing.T) { testChildFault(t, h) })
}

// compositeFixture is a fixture with a partner with composite balances and a customer whose
// parent has the given credit line.
type compositeFixture struct {
	*Fixture
	partner *saldo.Partner
	owner   *saldo.CreatedCustomer
	seq     uint64
}

func newCompositeFixture(t testing.TB, h Harness, n saldo.NewPartner, creditLine int64) *compositeFixture {
	t.Helper()
	f := NewFixture(t, h)
	n.CompositeBalances = true
	cf := &compositeFixture{Fixture: f, partner: f.Partner(t, n)}
	cf.owner = cf.customer(t, creditLine)
	return cf
}

// customer creates another customer of the fixture's partner.
func (f *compositeFixture) customer(t testing.TB, creditLine int64) *saldo.CreatedCustomer {
	t.Helper()
	f.seq++
	out, err := f.Service.CreateCustomer(context.Background(), f.partner, composite(gen.Customer("", f.seq), fmt.Sprint(creditLine)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *compositeFixture) child(t testing.TB, creditLine int64) *saldo.ChildView {
	t.Helper()
	v, err := f.Service.CreateChild(context.Background(), f.partner, saldo.NewChild{ParentID: f.owner.Parent.ID, CreditLine: creditLine}, nil)
	if err != nil {
		t.Fatalf("CreateChild(%d): %v", creditLine, err)
	}
	return v
}

func (f *compositeFixture) parent(t testing.TB) *saldo.ParentView {
	t.Helper()
	v, err := f.Service.CompositeParent(context.Background(), f.partner, f.owner.Parent.ID)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantCode(t testing.TB, err error, code saldo.Code, hint string) {
	t.Helper()
	if saldo.ErrorCode(err) != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if hint != "" {
		for _, got := range saldo.ErrorHints(err) {
			if got == hint {
				return
			}
		}
		t.Errorf("hints %v lack %q", saldo.ErrorHints(err), hint)
	}
}

func testParentView(t *testing.T, h Harness) {
	f := newCompositeFixture(t, h, saldo.NewPartner{BillingDay: 5, Overlimit: 500, PaymentDueDays: 12}, 10_000)
	f.child(t, 3_000)
	v := f.parent(t)
	if v.Parent.CreditLine != 10_000 || v.Parent.AvailableCredit() != 7_000 || v.CreditLimit != 10_500 || v.Children != 1 {
		t.Errorf("parent: line %d available %d limit %d children %d; want 10000, 7000, 10500, 1",
			v.Parent.CreditLine, v.Parent.AvailableCredit(), v.CreditLimit, v.Children)
	}
	// The fixture's clock reads 2026-11-24 in Mexico City: the 5th has passed this month.
	if got := v.NextBillingDate.Format("2006-01-02"); got != "2026-12-05" {
		t.Errorf("next billing date %s, want 2026-12-05", got)
	}
	if got := v.NextDueDate.Format("2006-01-02"); got != "2026-12-17" {
		t.Errorf("next due date %s, want 2026-12-17", got)
	}

	other := f.Partner(t, saldo.NewPartner{Name: "other", CompositeBalances: true})
	for _, tt := range []struct {
		name    string
		partner *saldo.Partner
		id      string
	}{
		{"another partner's parent", other, f.owner.Parent.ID},
		{"an unknown id", f.partner, saldo.NewParentID()},
		{"an id of the wrong shape", f.partner, "../etc/passwd"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Service.CompositeParent(context.Background(), tt.partner, tt.id)
			wantCode(t, err, saldo.ENOTFOUND, "parent_id:not_found")
		})
	}
}

func testCreateChild(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newCompositeFixture(t, h, saldo.NewPartner{Overlimit: 100}, 10_000)
	employee := f.customer(t, 0)

	own := f.child(t, 4_000)
	if own.Child.CustomerID != f.owner.Customer.ID || own.Child.ID == 0 || own.Child.Debt != 0 ||
		own.Child.Status != 1 || own.CreditLimit != 4_100 || own.Parent.AvailableCredit() != 6_000 {
		t.Errorf("child = %+v, limit %d, parent available %d", own.Child, own.CreditLimit, own.Parent.AvailableCredit())
	}
	forEmployee, err := f.Service.CreateChild(ctx, f.partner, saldo.NewChild{ParentID: f.owner.Parent.ID, CustomerID: employee.Customer.ID, CreditLine: 6_000}, nil)
	if err != nil {
		t.Fatalf("a child for another customer of the partner, drawing the rest: %v", err)
	}
	if forEmployee.Child.CustomerID != employee.Customer.ID || forEmployee.Parent.AvailableCredit() != 0 {
		t.Errorf("child for the employee = %+v, parent available %d", forEmployee.Child, forEmployee.Parent.AvailableCredit())
	}

	other := f.Partner(t, saldo.NewPartner{Name: "other", CompositeBalances: true})
	stranger, err := f.Service.CreateCustomer(ctx, other, composite(gen.Customer("other", 1), "100"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		partner *saldo.Partner
		n       saldo.NewChild
		code    saldo.Code
		hint    string
	}{
		{"one cent more than is available", f.partner, saldo.NewChild{ParentID: f.owner.Parent.ID, CreditLine: 1}, saldo.EINSUFFICIENT, ""},
		{"a zero credit line always fits", f.partner, saldo.NewChild{ParentID: f.owner.Parent.ID, CreditLine: 0}, "", ""},
		{"a negative credit line", f.partner, saldo.NewChild{ParentID: f.owner.Parent.ID, CreditLine: -1}, saldo.EINVALID, "credit_line:negative"},
		{"another partner's customer", f.partner, saldo.NewChild{ParentID: f.owner.Parent.ID, CustomerID: stranger.Customer.ID}, saldo.ENOTFOUND, "customer_id:not_found"},
		{"another partner's parent", other, saldo.NewChild{ParentID: f.owner.Parent.ID}, saldo.ENOTFOUND, "parent_id:not_found"},
		{"an unknown parent", f.partner, saldo.NewChild{ParentID: saldo.NewParentID()}, saldo.ENOTFOUND, "parent_id:not_found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Service.CreateChild(ctx, tt.partner, tt.n, nil)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tt.code, tt.hint)
		})
	}
	if v := f.parent(t); v.Children != 3 || v.Parent.AvailableCredit() != 0 {
		t.Errorf("after the refusals: %d children, %d available; want 3 and 0", v.Children, v.Parent.AvailableCredit())
	}
	if got := countEvents(t, h, f.Store, saldo.EventCompositeChildCreated); got != 3 {
		t.Errorf("%d composite_child.created events, want 3", got)
	}
}

func countEvents(t testing.TB, h Harness, s saldo.Store, typ string) int {
	t.Helper()
	n := 0
	for _, row := range h.Rows(t, s, "events") {
		for _, v := range row {
			if fmt.Sprint(v) == typ {
				n++
			}
		}
	}
	return n
}

func testUpdateChild(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newCompositeFixture(t, h, saldo.NewPartner{}, 10_000)
	a, b := f.child(t, 2_000), f.child(t, 3_000) // 5,000 left

	steps := []struct {
		name          string
		child         int64
		creditLine    int64
		code          saldo.Code
		wantAvailable int64
	}{
		{"raising takes from the parent", a.Child.ID, 6_000, "", 1_000},
		{"raising past the available credit is refused", b.Child.ID, 4_001, saldo.EINSUFFICIENT, 1_000},
		{"raising to exactly the available credit", b.Child.ID, 4_000, "", 0},
		{"lowering gives back", a.Child.ID, 500, "", 5_500},
		{"setting the same line changes nothing", a.Child.ID, 500, "", 5_500},
		{"a negative line is refused", a.Child.ID, -1, saldo.EINVALID, 5_500},
		{"an unknown child", b.Child.ID + 1000, 1, saldo.ENOTFOUND, 5_500},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			v, err := f.Service.UpdateChildCreditLine(ctx, f.partner, saldo.CreditLineUpdate{ChildID: s.child, CreditLine: s.creditLine}, nil)
			if s.code != "" {
				wantCode(t, err, s.code, "")
			} else if err != nil {
				t.Fatal(err)
			} else if v.Child.CreditLine != s.creditLine || v.Parent.AvailableCredit() != s.wantAvailable {
				t.Errorf("child line %d, parent available %d; want %d, %d", v.Child.CreditLine, v.Parent.AvailableCredit(), s.creditLine, s.wantAvailable)
			}
			if got := f.parent(t).Parent.AvailableCredit(); got != s.wantAvailable {
				t.Errorf("parent available %d, want %d", got, s.wantAvailable)
			}
		})
	}

	t.Run("lowering below the debt is refused", func(t *testing.T) {
		if _, err := f.Service.Charge(context.Background(), f.partner, saldo.ChargeRequest{ChildID: b.Child.ID, Amount: 300,
			ExternalTransactionID: "spent", Capture: true}, nil); err != nil {
			t.Fatal(err)
		}
		_, err := f.Service.UpdateChildCreditLine(ctx, f.partner, saldo.CreditLineUpdate{ChildID: b.Child.ID, CreditLine: 299}, nil)
		wantCode(t, err, saldo.EBELOWDEBT, "credit_line:below_debt")
		v, err := f.Service.UpdateChildCreditLine(ctx, f.partner, saldo.CreditLineUpdate{ChildID: b.Child.ID, CreditLine: 300}, nil)
		if err != nil {
			t.Fatalf("lowering to exactly the debt: %v", err)
		}
		if v.Child.AvailableCredit() != 0 || v.Child.Debt != 300 {
			t.Errorf("child available %d debt %d; want 0 and 300", v.Child.AvailableCredit(), v.Child.Debt)
		}
	})
	t.Run("another partner's child", func(t *testing.T) {
		other := f.Partner(t, saldo.NewPartner{Name: "other", CompositeBalances: true})
		_, err := f.Service.UpdateChildCreditLine(ctx, other, saldo.CreditLineUpdate{ChildID: a.Child.ID, CreditLine: 1}, nil)
		wantCode(t, err, saldo.ENOTFOUND, "child_id:not_found")
		_, err = f.Service.CompositeChild(ctx, other, a.Child.ID)
		wantCode(t, err, saldo.ENOTFOUND, "child_id:not_found")
	})
	if got := countEvents(t, h, f.Store, saldo.EventChildCreditLineUpdated); got != 5 {
		t.Errorf("%d composite_child.credit_line_updated events, want 5 (one per accepted change)", got)
	}
	checkAllocation(t, h, f)
}

// checkAllocation checks the invariant from the tables themselves: each parent's allocated
// credit is Σ its children's credit lines and within its credit line.
func checkAllocation(t testing.TB, h Harness, f *compositeFixture) {
	t.Helper()
	sums := map[string]int64{}
	for _, row := range h.Rows(t, f.Store, "composite_children") {
		sums[fmt.Sprint(row[1])] += toInt64(t, row[4])
	}
	for _, row := range h.Rows(t, f.Store, "composite_parents") {
		id, line, allocated := fmt.Sprint(row[0]), toInt64(t, row[4]), toInt64(t, row[5])
		if allocated != sums[id] || allocated > line {
			t.Errorf("parent %s: credit line %d, allocated %d, Σ children %d", id, line, allocated, sums[id])
		}
	}
}

func testListChildren(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newCompositeFixture(t, h, saldo.NewPartner{}, 1_000)
	var ids []int64
	for i := range 5 {
		ids = append(ids, f.child(t, int64(i)).Child.ID)
	}
	var got []int64
	after := int64(0)
	for pages := 0; ; pages++ {
		page, next, err := f.Service.CompositeChildren(ctx, f.partner, f.owner.Parent.ID, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			got = append(got, c.ID)
		}
		if next == 0 {
			if pages != 2 || len(page) != 1 {
				t.Errorf("last page is page %d with %d children; want page 2 with 1", pages, len(page))
			}
			break
		}
		after = next
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("paged ids %v, want %v", got, ids)
	}
	for _, limit := range []int{0, 101} {
		_, _, err := f.Service.CompositeChildren(ctx, f.partner, f.owner.Parent.ID, 0, limit)
		wantCode(t, err, saldo.EINVALID, "limit:invalid")
	}
}

// testConcurrentDraws fires 150 concurrent operations at one parent, each of which would take
// exactly 100 cents: 100 child creations and 50 raises of distinct children from 100 to 200.
// 5,000 cents are left when they start, so exactly 50 succeed, whatever the interleaving, and
// the other 100 are refused as insufficient credit.
func testConcurrentDraws(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newCompositeFixture(t, h, saldo.NewPartner{}, 10_000)
	var existing []int64
	for range 50 {
		existing = append(existing, f.child(t, 100).Child.ID)
	}

	var (
		wg                 sync.WaitGroup
		mu                 sync.Mutex
		succeeded, refused int
		unexpected         []error
		start              = make(chan struct{})
		record             = func(err error) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				succeeded++
			case saldo.ErrorCode(err) == saldo.EINSUFFICIENT:
				refused++
			default:
				unexpected = append(unexpected, err)
			}
		}
	)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := f.Service.CreateChild(ctx, f.partner, saldo.NewChild{ParentID: f.owner.Parent.ID, CreditLine: 100}, nil)
			record(err)
		}()
	}
	for _, id := range existing {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := f.Service.UpdateChildCreditLine(ctx, f.partner, saldo.CreditLineUpdate{ChildID: id, CreditLine: 200}, nil)
			record(err)
		}()
	}
	close(start)
	wg.Wait()

	if succeeded != 50 || refused != 100 || len(unexpected) > 0 {
		t.Errorf("%d succeeded, %d refused, unexpected errors %v; want 50 and 100", succeeded, refused, unexpected)
	}
	// They group-commit, apart from ledger movements.
	if lines := f.Service.GroupCommitStats().CreditLines; lines.Writes != 100 || lines.Commits >= lines.Writes {
		t.Errorf("credit-line group commit %+v: want the 100 writes that succeeded in fewer commits", lines)
	}
	if moves := f.Service.GroupCommitStats().Movements; moves.Writes != 0 {
		t.Errorf("movement group commit %+v: want no credit-line write among them", moves)
	}
	v := f.parent(t)
	if v.Parent.AvailableCredit() != 0 {
		t.Errorf("available credit %d, want 0", v.Parent.AvailableCredit())
	}
	checkAllocation(t, h, f)
}

func testChildFault(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newCompositeFixture(t, h, saldo.NewPartner{}, 1_000)
	faulty := saldo.NewService(&faultStore{Store: f.Store, step: "commit"}, f.Clock)
	if _, err := faulty.CreateChild(ctx, f.partner, saldo.NewChild{ParentID: f.owner.Parent.ID, CreditLine: 700}, nil); !errors.Is(err, errInjected) {
		t.Fatalf("err = %v, want the injected fault", err)
	}
	if rows := h.Rows(t, f.Store, "composite_children"); len(rows) != 0 {
		t.Errorf("%d children remain of the failed create", len(rows))
	}
	if v := f.parent(t); v.Parent.AvailableCredit() != 1_000 {
		t.Errorf("available credit %d after the failed create, want 1000", v.Parent.AvailableCredit())
	}
	f.child(t, 1_000)
}
