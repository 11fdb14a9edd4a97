package clienttest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/client"
)

// cutoffAfterFixtureNow is past the first cut-off of a parent created at fixtureNow (billed
// on the 24th): 01:00 of 24 December in Mexico City.
var cutoffAfterFixtureNow = time.Date(2026, 12, 24, 7, 0, 0, 0, time.UTC)

func TestCreditCalls(t *testing.T) {
	f := newFixture(t)
	c, ctx := f.composite, context.Background()
	acct := f.mustCreate(t, 1, 10_000_000)
	parentID := acct.CompositeBalance.Parent.ID
	child, err := c.CreateCompositeChild(ctx, &client.CreateChildRequest{ParentID: parentID, CreditLine: 100_000})
	if err != nil {
		t.Fatal(err)
	}

	charge, err := c.Charge(ctx, child.ID, &client.ChargeRequest{Amount: 30_000, ExternalTransactionID: "c1", Description: "despensa",
		Merchant: &client.Merchant{Name: "OXXO", MCC: "5411"}})
	if err != nil {
		t.Fatal(err)
	}
	if charge.Status != client.TransactionCompleted || charge.ChildID == nil || *charge.ChildID != child.ID || charge.Debt != 30_000 ||
		charge.AvailableCredit != 70_000 || charge.Balance != nil {
		t.Errorf("charge: %+v", charge)
	}
	auth, err := c.Charge(ctx, child.ID, &client.ChargeRequest{Amount: 20_000, ExternalTransactionID: "a1", Authorize: true})
	if err != nil {
		t.Fatal(err)
	}
	if auth.Status != client.TransactionPending || auth.Held != 20_000 || auth.AvailableCredit != 50_000 {
		t.Errorf("authorization: %+v", auth)
	}
	_, err = c.Charge(ctx, child.ID, &client.ChargeRequest{Amount: 50_001, ExternalTransactionID: "over"})
	checkError(t, err, http.StatusConflict, client.CodeInsufficientCredit, "amount:exceeds_available_credit")

	captured, err := c.Capture(ctx, auth.TransactionID, 15_000)
	if err != nil {
		t.Fatal(err)
	}
	if captured.TransactionID != auth.TransactionID || captured.Status != client.TransactionCompleted || captured.Debt != 45_000 || captured.Held != 0 {
		t.Errorf("capture: %+v", captured)
	}
	_, err = c.Void(ctx, auth.TransactionID)
	checkError(t, err, http.StatusConflict, client.CodeInvalidTransactionState, "transaction:already_completed")
	auth2, err := c.Charge(ctx, child.ID, &client.ChargeRequest{Amount: 1_000, ExternalTransactionID: "a2", Authorize: true})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := c.Void(ctx, auth2.TransactionID); err != nil || v.Status != client.TransactionVoided || v.Held != 0 {
		t.Errorf("void: %+v %v", v, err)
	}
	refund, err := c.Refund(ctx, charge.TransactionID, 5_000)
	if err != nil {
		t.Fatal(err)
	}
	if refund.TransactionID == charge.TransactionID || refund.Debt != 40_000 {
		t.Errorf("refund: %+v", refund)
	}
	_, err = c.Capture(ctx, 999_999, 0)
	checkError(t, err, http.StatusNotFound, client.CodeNotFound, "transaction_id:not_found")
	if !client.IsNotFound(err) {
		t.Error("an unknown transaction is not IsNotFound")
	}

	paid, err := c.PayChild(ctx, child.ID, &client.PaymentRequest{Amount: 10_000, ExternalTransactionID: "p1"})
	if err != nil || paid.Debt != 30_000 {
		t.Errorf("child payment: %+v %v", paid, err)
	}
	_, err = c.PayParent(ctx, parentID, &client.PaymentRequest{Amount: 1_000, ExternalTransactionID: "p2", Source: client.PaymentFromWallet})
	checkError(t, err, http.StatusConflict, client.CodeInsufficientFunds, "amount:insufficient_funds")
	_, err = c.PayParent(ctx, parentID, &client.PaymentRequest{Amount: 30_001, ExternalTransactionID: "p3"})
	checkError(t, err, http.StatusConflict, client.CodeInvalidTransactionState, "amount:exceeds_debt")

	// A cut-off, then the statement and the parent's dues.
	f.clock.Set(cutoffAfterFixtureNow)
	if r, err := f.svc.BillingRun(ctx, f.clock.Now()); err != nil || r.Statements != 1 {
		t.Fatalf("billing run: %+v %v", r, err)
	}
	var listed []client.Statement
	for st, err := range c.Statements(ctx, parentID, 1) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, st)
	}
	if len(listed) != 1 || listed[0].ClosingBalance != 30_000 || listed[0].CutoffDate != "2026-12-24" || len(listed[0].Transactions) != 4 {
		t.Fatalf("statements: %+v", listed)
	}
	first := listed[0].Transactions[0]
	if first.TransactionID != charge.TransactionID || first.Amount != -30_000 || first.Merchant.MCC != "5411" || first.Timestamp.IsZero() {
		t.Errorf("the statement's first transaction: %+v", first)
	}
	one, err := c.Statement(ctx, listed[0].ID)
	if err != nil || one.MinDuePayment != 20_000 || one.TotalDuePayment != 30_000 {
		t.Errorf("statement: %+v %v", one, err)
	}
	_, err = c.Statement(ctx, 999_999)
	checkError(t, err, http.StatusNotFound, client.CodeValidation, "incorrect statement_id")
	parent, err := c.GetCompositeParent(ctx, parentID)
	if err != nil || parent.Debt != 30_000 || parent.MinDuePayment != 20_000 || parent.NextDueDate != "2027-01-03" || parent.Status != client.ParentActive {
		t.Errorf("parent: %+v %v", parent, err)
	}

	// The due date passes unpaid.
	f.clock.Set(time.Date(2027, 1, 4, 7, 0, 0, 0, time.UTC))
	if r, err := f.svc.BillingRun(ctx, f.clock.Now()); err != nil || r.Overdue != 1 {
		t.Fatalf("billing run: %+v %v", r, err)
	}
	_, err = c.Charge(ctx, child.ID, &client.ChargeRequest{Amount: 1, ExternalTransactionID: "late"})
	checkError(t, err, http.StatusConflict, client.CodeAccountOverdue, "parent:overdue")
	if parent, err := c.GetCompositeParent(ctx, parentID); err != nil || parent.Status != client.ParentOverdue || parent.StatusString != "Overdue" {
		t.Errorf("overdue parent: %+v %v", parent, err)
	}
	if p, err := c.PayParent(ctx, parentID, &client.PaymentRequest{Amount: 20_000, ExternalTransactionID: "min"}); err != nil || p.ChildID != nil || p.Debt != 10_000 {
		t.Errorf("parent payment: %+v %v", p, err)
	}
	if parent, err := c.GetCompositeParent(ctx, parentID); err != nil || parent.Status != client.ParentActive {
		t.Errorf("parent after paying the minimum: %+v %v", parent, err)
	}
}

// The credit calls' result types are their answers field for field, as
// TestResultTypesMatchTheServersAnswers checks the others'.
func TestCreditResultTypesMatchTheServersAnswers(t *testing.T) {
	f := newFixture(t)
	rec := &recorder{next: f.hc.Transport}
	c := client.New(f.url, f.token, client.WithHTTPClient(&http.Client{Transport: rec}))
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(saldo.NewService(f.store, f.clock).SetUDIValues(ctx, []saldo.UDIValue{{Day: "2026-11-01", Micros: 8_245_227}}))
	acct, err := c.CreateAccount(ctx, customer(1, 10_000_000))
	must(err)
	parentID := acct.CompositeBalance.Parent.ID
	child, err := c.CreateCompositeChild(ctx, &client.CreateChildRequest{ParentID: parentID, CreditLine: 100_000})
	must(err)
	checkWire[client.CompositeChild](t, rec, "payload")
	charge, err := c.Charge(ctx, child.ID, &client.ChargeRequest{Amount: 3_000, ExternalTransactionID: "w1", Merchant: &client.Merchant{Name: "OXXO", MCC: "5411"}})
	must(err)
	checkWire[client.CreditMovement](t, rec, "payload")
	auth, err := c.Charge(ctx, child.ID, &client.ChargeRequest{Amount: 1_000, ExternalTransactionID: "w2", Authorize: true})
	must(err)
	_, err = c.Capture(ctx, auth.TransactionID, 0)
	must(err)
	checkWire[client.CreditMovement](t, rec, "payload")
	_, err = c.Refund(ctx, charge.TransactionID, 500)
	must(err)
	checkWire[client.CreditMovement](t, rec, "payload")
	_, err = c.TopUp(ctx, &client.TopUpRequest{ExternalTransactionID: "t1", BalanceID: acct.EwalletID, Amount: 10_000, SourceCustomerID: acct.ID})
	must(err)
	// A payment from the wallet, so that balance is an object rather than null.
	_, err = c.PayChild(ctx, child.ID, &client.PaymentRequest{Amount: 500, ExternalTransactionID: "w3", Source: client.PaymentFromWallet})
	must(err)
	checkWire[client.CreditMovement](t, rec, "payload")
	_, err = c.PayParent(ctx, parentID, &client.PaymentRequest{Amount: 500, ExternalTransactionID: "w4"})
	must(err)
	checkWire[client.CreditMovement](t, rec, "payload")
	_, err = c.GetCompositeChild(ctx, child.ID)
	must(err)
	checkWire[client.CompositeChild](t, rec, "payload")
	// The transaction list with a charge's merchant category in it.
	_, err = c.Transactions(ctx, acct.ID, nil)
	must(err)
	checkWire[client.TransactionsPage](t, rec, "payload")

	// Two cut-offs, so that a page of one has a cursor.
	for _, at := range []time.Time{cutoffAfterFixtureNow, cutoffAfterFixtureNow.AddDate(0, 1, 0)} {
		f.clock.Set(at)
		_, err := f.svc.BillingRun(ctx, at)
		must(err)
	}
	page, err := c.ListStatements(ctx, parentID, &client.StatementsOptions{Limit: 1})
	must(err)
	if page.NextCursor == "" {
		t.Error("a page of one of two statements has no cursor")
	}
	checkWire[client.StatementsPage](t, rec, "payload")
	_, err = c.Statement(ctx, page.Statements[0].ID)
	must(err)
	checkWire[client.Statement](t, rec, "payload")
	_, err = c.GetCompositeParent(ctx, parentID)
	must(err)
	checkWire[client.CompositeParent](t, rec, "payload")
}
