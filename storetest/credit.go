package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
)

func testCredit(t *testing.T, h Harness) {
	t.Run("ChargesSpendTheChildsCredit", func(t *testing.T) { testCharges(t, h) })
	t.Run("ThePartnersIDMakesAChargeSafeToRepeat", func(t *testing.T) { testChargeRepeated(t, h) })
	t.Run("AuthorizationsAreCapturedVoidedOrExpire", func(t *testing.T) { testAuthorizations(t, h) })
	t.Run("RefundsGiveBackWhatWasCaptured", func(t *testing.T) { testRefunds(t, h) })
	t.Run("PaymentsRepayAChild", func(t *testing.T) { testChildPayments(t, h) })
	t.Run("AParentsPaymentPaysTheOldestChargeFirst", func(t *testing.T) { testParentPayment(t, h) })
	t.Run("AWalletPaymentTakesTheOwnersMoney", func(t *testing.T) { testWalletPayment(t, h) })
	t.Run("ConcurrentChargesTakeExactlyWhatFits", func(t *testing.T) { testConcurrentCharges(t, h) })
	t.Run("SiblingChargesAndALineChangeKeepBothRules", func(t *testing.T) { testSiblingCharges(t, h) })
	t.Run("ACaptureRacingAVoidHasOneWinner", func(t *testing.T) { testCaptureRacingVoid(t, h) })
	t.Run("AFaultAtEachStepOfAChargeLeavesNoTrace", func(t *testing.T) { testChargeFault(t, h) })
}

// creditFixture is a composite fixture with a KYC-unlimited ledger, so that wallets can fund
// payments.
type creditFixture struct {
	*compositeFixture
	h   Harness
	ext atomic.Uint64
}

func newCreditFixture(t testing.TB, h Harness, n saldo.NewPartner, creditLine int64) *creditFixture {
	t.Helper()
	cf := &creditFixture{compositeFixture: newCompositeFixture(t, h, n, creditLine), h: h}
	for level := 1; level <= 4; level++ {
		_, err := cf.Service.SetKYCLevel(context.Background(), level, func(l *saldo.KYCLevel) { *l = saldo.KYCLevel{} })
		if err != nil {
			t.Fatal(err)
		}
	}
	return cf
}

func (f *creditFixture) nextID() string { return fmt.Sprintf("ext-%d", f.ext.Add(1)) }

func (f *creditFixture) charge(child int64, amount int64, capture bool) (*saldo.CreditMovement, error) {
	return f.Service.Charge(context.Background(), f.partner, saldo.ChargeRequest{
		ChildID: child, Amount: amount, ExternalTransactionID: f.nextID(), Description: "compra",
		Merchant: saldo.Merchant{Name: "OXXO", MCC: "5411"}, Capture: capture,
	}, nil)
}

func (f *creditFixture) mustCharge(t testing.TB, child, amount int64, capture bool) *saldo.CreditMovement {
	t.Helper()
	m, err := f.charge(child, amount, capture)
	if err != nil {
		t.Fatalf("charge of %d on %d: %v", amount, child, err)
	}
	return m
}

func (f *creditFixture) pay(r saldo.PaymentRequest) (*saldo.CreditMovement, error) {
	r.ExternalTransactionID = f.nextID()
	return f.Service.Pay(context.Background(), f.partner, r, nil)
}

// childNow reads a child's debt and held.
func (f *creditFixture) childNow(t testing.TB, id int64) saldo.CompositeChild {
	t.Helper()
	v, err := f.Service.CompositeChild(context.Background(), f.partner, id)
	if err != nil {
		t.Fatal(err)
	}
	return v.Child
}

func (f *creditFixture) wantChild(t testing.TB, id, debt, held int64) {
	t.Helper()
	if c := f.childNow(t, id); c.Debt != debt || c.Held != held {
		t.Errorf("child %d: debt %d held %d, want %d and %d", id, c.Debt, c.Held, debt, held)
	}
}

func (f *creditFixture) verify(t testing.TB) {
	t.Helper()
	r, err := f.Service.VerifyLedger(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Errorf("ledger verify: %+v", r)
	}
}

func testCharges(t *testing.T, h Harness) {
	f := newCreditFixture(t, h, saldo.NewPartner{Overlimit: 100}, 10_000)
	c := f.child(t, 1_000)
	m := f.mustCharge(t, c.Child.ID, 600, true)
	if m.Transaction.Status != saldo.StatusCompleted || m.Debt != 600 || m.Held != 0 || m.AvailableCredit() != 500 {
		t.Errorf("after a posted charge: %+v, want completed, debt 600, available 500 (1000 + 100 overlimit - 600)", m)
	}
	// 500 is left with the overlimit: 501 is refused, 500 fits.
	_, err := f.charge(c.Child.ID, 501, true)
	wantCode(t, err, saldo.EINSUFFICIENT, "amount:exceeds_available_credit")
	f.mustCharge(t, c.Child.ID, 500, true)
	f.wantChild(t, c.Child.ID, 1_100, 0)
	p := f.parent(t)
	if p.Debt != 1_100 || p.Held != 0 {
		t.Errorf("parent debt %d held %d, want the child's 1100 and 0", p.Debt, p.Held)
	}
	t.Run("unknown or another partner's child", func(t *testing.T) {
		_, err := f.charge(c.Child.ID+1000, 1, true)
		wantCode(t, err, saldo.ENOTFOUND, "child_id:not_found")
		other := f.Partner(t, saldo.NewPartner{Name: "other", CompositeBalances: true})
		_, err = f.Service.Charge(context.Background(), other, saldo.ChargeRequest{ChildID: c.Child.ID, Amount: 1,
			ExternalTransactionID: "x", Capture: true}, nil)
		wantCode(t, err, saldo.ENOTFOUND, "child_id:not_found")
	})
	t.Run("invalid requests name every field", func(t *testing.T) {
		_, err := f.Service.Charge(context.Background(), f.partner, saldo.ChargeRequest{ChildID: c.Child.ID, Amount: -1,
			Merchant: saldo.Merchant{MCC: "54a1"}}, nil)
		wantCode(t, err, saldo.EINVALID, "externalTransactionId:required")
		wantCode(t, err, saldo.EINVALID, "amount:must_be_positive")
		wantCode(t, err, saldo.EINVALID, "merchant.mcc:invalid")
	})
	t.Run("a blocked cardholder is refused", func(t *testing.T) {
		holder := f.customer(t, 0)
		v, err := f.Service.CreateChild(context.Background(), f.partner, saldo.NewChild{ParentID: f.owner.Parent.ID,
			CustomerID: holder.Customer.ID, CreditLine: 100}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.SetCustomerStatus(context.Background(), f.partner,
			saldo.StatusChange{CustomerID: holder.Customer.ID, Status: saldo.AccountStatusBlocked}, nil); err != nil {
			t.Fatal(err)
		}
		_, err = f.charge(v.Child.ID, 1, true)
		wantCode(t, err, saldo.ENOTACTIVE, "account:not_active")
	})
	f.verify(t)
}

func testChargeRepeated(t *testing.T, h Harness) {
	f := newCreditFixture(t, h, saldo.NewPartner{}, 10_000)
	c := f.child(t, 1_000)
	r := saldo.ChargeRequest{ChildID: c.Child.ID, Amount: 300, ExternalTransactionID: "auth-1", Capture: true}
	first, err := f.Service.Charge(context.Background(), f.partner, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.Service.Charge(context.Background(), f.partner, r, nil)
	if err != nil || again.Transaction.ID != first.Transaction.ID {
		t.Fatalf("the same charge again: %v, %+v; want the first transaction %d", err, again, first.Transaction.ID)
	}
	f.wantChild(t, c.Child.ID, 300, 0)
	r.Amount = 301
	_, err = f.Service.Charge(context.Background(), f.partner, r, nil)
	wantCode(t, err, saldo.ECONFLICT, "externalTransactionId:duplicate")
	f.verify(t)
}

func testAuthorizations(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newCreditFixture(t, h, saldo.NewPartner{AuthorizationHoldDays: ptr(3)}, 10_000)
	c := f.child(t, 1_000)
	auth := f.mustCharge(t, c.Child.ID, 700, false)
	if auth.Transaction.Status != saldo.StatusPending || auth.Held != 700 || auth.Debt != 0 || auth.AvailableCredit() != 300 {
		t.Fatalf("authorization: %+v, want pending, 700 held, 300 available", auth)
	}
	_, err := f.charge(c.Child.ID, 301, true)
	wantCode(t, err, saldo.EINSUFFICIENT, "amount:exceeds_available_credit")

	_, err = f.Service.Capture(ctx, f.partner, saldo.CaptureRequest{TransactionID: auth.Transaction.ID, Amount: 701}, nil)
	wantCode(t, err, saldo.EINVALIDSTATE, "amount:exceeds_hold")
	captured, err := f.Service.Capture(ctx, f.partner, saldo.CaptureRequest{TransactionID: auth.Transaction.ID, Amount: 650}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if captured.Transaction.Status != saldo.StatusCompleted || captured.Debt != 650 || captured.Held != 0 {
		t.Errorf("partial capture: %+v, want completed, debt 650 (the other 50 released), held 0", captured)
	}
	_, err = f.Service.Capture(ctx, f.partner, saldo.CaptureRequest{TransactionID: auth.Transaction.ID}, nil)
	wantCode(t, err, saldo.EINVALIDSTATE, "transaction:already_completed")
	_, err = f.Service.Void(ctx, f.partner, auth.Transaction.ID, nil)
	wantCode(t, err, saldo.EINVALIDSTATE, "transaction:already_completed")

	voided := f.mustCharge(t, c.Child.ID, 100, false)
	v, err := f.Service.Void(ctx, f.partner, voided.Transaction.ID, nil)
	if err != nil || v.Transaction.Status != saldo.StatusVoided || v.Held != 0 || v.Debt != 650 {
		t.Fatalf("void: %v %+v, want voided with nothing held", err, v)
	}

	// An authorization expires after the partner's 3 days, not before.
	expiring := f.mustCharge(t, c.Child.ID, 200, false)
	f.Clock.Advance(3*24*time.Hour - time.Second)
	if n, err := f.Service.ExpireHolds(ctx, f.Clock.Now(), 100); err != nil || n != 0 {
		t.Fatalf("ExpireHolds a second early: %d, %v", n, err)
	}
	f.Clock.Advance(time.Second)
	if n, err := f.Service.ExpireHolds(ctx, f.Clock.Now(), 100); err != nil || n != 1 {
		t.Fatalf("ExpireHolds on time: %d, %v; want 1", n, err)
	}
	f.wantChild(t, c.Child.ID, 650, 0)
	_, err = f.Service.Capture(ctx, f.partner, saldo.CaptureRequest{TransactionID: expiring.Transaction.ID}, nil)
	wantCode(t, err, saldo.EINVALIDSTATE, "transaction:already_voided")

	t.Run("only charges are captured", func(t *testing.T) {
		_, err := f.Service.Void(ctx, f.partner, auth.Transaction.ID+1000, nil)
		wantCode(t, err, saldo.ENOTFOUND, "transaction_id:not_found")
	})
	f.verify(t)
}

func testRefunds(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newCreditFixture(t, h, saldo.NewPartner{}, 10_000)
	c := f.child(t, 1_000)
	ch := f.mustCharge(t, c.Child.ID, 400, true)
	r, err := f.Service.Refund(ctx, f.partner, saldo.RefundRequest{TransactionID: ch.Transaction.ID, Amount: 150}, nil)
	if err != nil || r.Debt != 250 || r.Transaction.Kind != saldo.KindRefund || r.Transaction.ReversesID != ch.Transaction.ID {
		t.Fatalf("refund: %v %+v, want debt 250 and a refund of the charge", err, r)
	}
	_, err = f.Service.Refund(ctx, f.partner, saldo.RefundRequest{TransactionID: ch.Transaction.ID, Amount: 251}, nil)
	wantCode(t, err, saldo.EINVALIDSTATE, "amount:exceeds_captured")
	auth := f.mustCharge(t, c.Child.ID, 100, false)
	_, err = f.Service.Refund(ctx, f.partner, saldo.RefundRequest{TransactionID: auth.Transaction.ID, Amount: 1}, nil)
	wantCode(t, err, saldo.EINVALIDSTATE, "transaction:not_captured")

	// Paid, then refunded: the customer is owed it, and can spend it.
	if _, err := f.pay(saldo.PaymentRequest{ChildID: c.Child.ID, Amount: 250}); err != nil {
		t.Fatal(err)
	}
	r, err = f.Service.Refund(ctx, f.partner, saldo.RefundRequest{TransactionID: ch.Transaction.ID, Amount: 250}, nil)
	if err != nil || r.Debt != -250 || r.AvailableCredit() != 1_150 {
		t.Fatalf("refund of a paid charge: %v %+v, want debt -250 and 1150 available (1000 - 100 held + 250)", err, r)
	}
	_, err = f.pay(saldo.PaymentRequest{ChildID: c.Child.ID, Amount: 1})
	wantCode(t, err, saldo.EINVALIDSTATE, "amount:exceeds_debt")
	f.verify(t)
}

func testChildPayments(t *testing.T, h Harness) {
	f := newCreditFixture(t, h, saldo.NewPartner{}, 10_000)
	c := f.child(t, 1_000)
	f.mustCharge(t, c.Child.ID, 800, true)
	_, err := f.pay(saldo.PaymentRequest{ChildID: c.Child.ID, Amount: 801})
	wantCode(t, err, saldo.EINVALIDSTATE, "amount:exceeds_debt")
	m, err := f.pay(saldo.PaymentRequest{ChildID: c.Child.ID, Amount: 300})
	if err != nil || m.Debt != 500 || m.Transaction.Kind != saldo.KindPayment || m.Wallet != nil {
		t.Fatalf("payment: %v %+v, want debt 500 from outside", err, m)
	}
	_, err = f.pay(saldo.PaymentRequest{ChildID: c.Child.ID, Amount: 10, Source: "cash"})
	wantCode(t, err, saldo.EINVALID, "source:invalid")
	f.verify(t)
}

func testParentPayment(t *testing.T, h Harness) {
	f := newCreditFixture(t, h, saldo.NewPartner{}, 10_000)
	a, b := f.child(t, 1_000), f.child(t, 1_000)
	// a's 300 is the oldest charge, then b's 200, then a's 400.
	f.mustCharge(t, a.Child.ID, 300, true)
	f.Clock.Advance(time.Minute)
	f.mustCharge(t, b.Child.ID, 200, true)
	f.Clock.Advance(time.Minute)
	f.mustCharge(t, a.Child.ID, 400, true)
	_, err := f.pay(saldo.PaymentRequest{ParentID: f.owner.Parent.ID, Amount: 901})
	wantCode(t, err, saldo.EINVALIDSTATE, "amount:exceeds_debt")
	m, err := f.pay(saldo.PaymentRequest{ParentID: f.owner.Parent.ID, Amount: 450})
	if err != nil {
		t.Fatal(err)
	}
	// 300 pays a's first charge, 150 half of b's.
	if m.Debt != 450 || m.ChildID != 0 || m.ParentID != f.owner.Parent.ID {
		t.Errorf("parent payment: %+v, want the parent's debt 450", m)
	}
	f.wantChild(t, a.Child.ID, 400, 0)
	f.wantChild(t, b.Child.ID, 50, 0)
	if _, err := f.pay(saldo.PaymentRequest{ParentID: f.owner.Parent.ID, Amount: 450}); err != nil {
		t.Fatal(err)
	}
	f.wantChild(t, a.Child.ID, 0, 0)
	f.wantChild(t, b.Child.ID, 0, 0)
	f.verify(t)
}

func testWalletPayment(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newCreditFixture(t, h, saldo.NewPartner{}, 10_000)
	c := f.child(t, 1_000)
	f.mustCharge(t, c.Child.ID, 500, true)
	_, err := f.pay(saldo.PaymentRequest{ChildID: c.Child.ID, Amount: 200, Source: saldo.SourceWallet})
	wantCode(t, err, saldo.EFUNDS, "amount:insufficient_funds")
	if _, err := f.Service.TopUp(ctx, f.partner, saldo.TopUpRequest{ExternalTransactionID: f.nextID(),
		BalanceID: f.owner.Wallet.ID, Amount: 300, CustomerID: f.owner.Customer.ID}, nil); err != nil {
		t.Fatal(err)
	}
	m, err := f.pay(saldo.PaymentRequest{ChildID: c.Child.ID, Amount: 200, Source: saldo.SourceWallet})
	if err != nil || m.Debt != 300 || m.Wallet == nil || m.Wallet.Amount != 100 {
		t.Fatalf("wallet payment: %v %+v, want debt 300 and 100 left in the wallet", err, m)
	}
	if _, err := f.pay(saldo.PaymentRequest{ParentID: f.owner.Parent.ID, Amount: 100, Source: saldo.SourceWallet}); err != nil {
		t.Fatal(err)
	}
	f.wantChild(t, c.Child.ID, 200, 0)
	f.verify(t)
}

func testConcurrentCharges(t *testing.T, h Harness) {
	f := newCreditFixture(t, h, saldo.NewPartner{Overlimit: 500}, 100_000)
	c := f.child(t, 9_500)
	// 150 charges of 100 against 9,500 + 500 of credit: exactly 100 fit, half of them holds.
	got := outcomes(t, 150, func(i int) error {
		_, err := f.charge(c.Child.ID, 100, i%2 == 0)
		return err
	})
	if got[""] != 100 || got[saldo.EINSUFFICIENT] != 50 {
		t.Errorf("outcomes %v, want 100 successes and 50 refusals", got)
	}
	ch := f.childNow(t, c.Child.ID)
	if ch.Debt+ch.Held != 10_000 {
		t.Errorf("debt %d + held %d, want the credit limit 10000", ch.Debt, ch.Held)
	}
	f.verify(t)
}

func testSiblingCharges(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newCreditFixture(t, h, saldo.NewPartner{}, 3_000)
	a, b := f.child(t, 1_000), f.child(t, 1_000)
	got := outcomes(t, 120, func(i int) error {
		switch i % 3 {
		case 0:
			_, err := f.charge(a.Child.ID, 50, i%2 == 0)
			return err
		case 1:
			_, err := f.charge(b.Child.ID, 50, true)
			return err
		}
		// The line of a moves between 500 and 2,000 while it is charged.
		_, err := f.Service.UpdateChildCreditLine(ctx, f.partner, saldo.CreditLineUpdate{ChildID: a.Child.ID, CreditLine: int64(500 + (i%4)*500)}, nil)
		return err
	})
	t.Logf("outcomes %v", got)
	if got[saldo.EINTERNAL] != 0 || got[saldo.EUNAVAILABLE] != 0 {
		t.Errorf("outcomes %v, want no failures but refusals", got)
	}
	p := f.parent(t)
	var lines int64
	for _, id := range []int64{a.Child.ID, b.Child.ID} {
		c := f.childNow(t, id)
		lines += c.CreditLine
		if c.Debt+c.Held > c.CreditLine {
			t.Errorf("child %d: debt %d + held %d over its line %d", id, c.Debt, c.Held, c.CreditLine)
		}
	}
	if lines > p.Parent.CreditLine || lines != p.Parent.Allocated {
		t.Errorf("children's lines %d, parent allocated %d of %d", lines, p.Parent.Allocated, p.Parent.CreditLine)
	}
	f.verify(t)
}

func testCaptureRacingVoid(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newCreditFixture(t, h, saldo.NewPartner{}, 100_000)
	c := f.child(t, 50_000)
	for round := range 10 {
		auth := f.mustCharge(t, c.Child.ID, 1_000, false)
		got := outcomes(t, 2, func(i int) error {
			if i == 0 {
				_, err := f.Service.Capture(ctx, f.partner, saldo.CaptureRequest{TransactionID: auth.Transaction.ID}, nil)
				return err
			}
			_, err := f.Service.Void(ctx, f.partner, auth.Transaction.ID, nil)
			return err
		})
		if got[""] != 1 || got[saldo.EINVALIDSTATE] != 1 {
			t.Fatalf("round %d: outcomes %v, want one winner and one 5007", round, got)
		}
	}
	if ch := f.childNow(t, c.Child.ID); ch.Held != 0 || ch.Debt%1_000 != 0 {
		t.Errorf("after the races: debt %d held %d, want whole captures and nothing held", ch.Debt, ch.Held)
	}
	f.verify(t)
}

func testChargeFault(t *testing.T, h Harness) {
	for _, step := range []string{"transaction", "charge", "entries", "events", "commit"} {
		t.Run("after "+step, func(t *testing.T) {
			f := newCreditFixture(t, h, saldo.NewPartner{}, 10_000)
			c := f.child(t, 1_000)
			before := map[string]int64{}
			for _, table := range []string{"ledger_transactions", "ledger_entries", "events"} {
				before[table] = toInt64(t, h.Query(t, f.Store, "SELECT count(*) FROM "+table)[0][0])
			}
			faulty := saldo.NewService(&faultStore{Store: f.Store, step: step}, f.Clock)
			_, err := faulty.Charge(context.Background(), f.partner, saldo.ChargeRequest{ChildID: c.Child.ID, Amount: 400,
				ExternalTransactionID: "fault", Capture: true}, nil)
			if !errorsIsInjected(err) {
				t.Fatalf("err = %v, want the injected fault", err)
			}
			for table, n := range before {
				if got := toInt64(t, h.Query(t, f.Store, "SELECT count(*) FROM "+table)[0][0]); got != n {
					t.Errorf("%s has %d rows after the failed charge, had %d", table, got, n)
				}
			}
			f.wantChild(t, c.Child.ID, 0, 0)
			if _, err := f.Service.Charge(context.Background(), f.partner, saldo.ChargeRequest{ChildID: c.Child.ID, Amount: 400,
				ExternalTransactionID: "fault", Capture: true}, nil); err != nil {
				t.Fatalf("the same charge after the fault: %v", err)
			}
			f.verify(t)
		})
	}
}
