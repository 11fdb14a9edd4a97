package clienttest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/client"
)

// The money calls over a real server: each sends its credentials and body as the route reads
// them, and each refusal comes back as an *Error with its contract code.
func TestMoneyCallsMoveMoneyAndReportRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	svc := saldo.NewService(f.store, f.clock)
	c := f.plain
	a, err := c.CreateAccount(ctx, customer(1, -1))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.CreateAccount(ctx, customer(2, -1))
	if err != nil {
		t.Fatal(err)
	}
	topUp := &client.TopUpRequest{ExternalTransactionID: "e-1", BalanceID: a.EwalletID, Amount: 10_000, SourceCustomerID: a.ID, TransactionType: 1}
	_, err = c.TopUp(ctx, topUp)
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.Code != client.CodeLimitsUnavailable || apiErr.RetryAfter == 0 || !apiErr.HasHint("udi:not_configured") {
		t.Fatalf("a top-up without a UDI value: %v", err)
	}
	if err := svc.SetUDIValues(ctx, []saldo.UDIValue{{Day: "2026-11-01", Micros: 8_245_227}}); err != nil {
		t.Fatal(err)
	}
	m, err := c.TopUp(ctx, topUp)
	if err != nil || m.Status != client.TransactionCompleted || m.Balance != (client.MovementBalance{ID: a.EwalletID, Amount: 10_000, Available: 10_000}) {
		t.Fatalf("top-up: %+v, %v", m, err)
	}

	tr, err := c.Transfer(ctx, a.OAuthToken, &client.TransferRequest{Amount: 2_500, SourceCustomerID: a.ID, TargetID: b.ID, Description: "cena"})
	if err != nil || tr.Balance.Amount != 7_500 {
		t.Fatalf("transfer: %+v, %v", tr, err)
	}
	_, err = c.Transfer(ctx, b.OAuthToken, &client.TransferRequest{Amount: 1, SourceCustomerID: a.ID, TargetID: b.ID})
	if !client.IsUnauthorized(err) {
		t.Errorf("a transfer with the target's token: %v", err)
	}
	_, err = c.Transfer(ctx, a.OAuthToken, &client.TransferRequest{Amount: 7_501, SourceCustomerID: a.ID, TargetID: b.ID})
	if !errors.As(err, &apiErr) || apiErr.Code != client.CodeInsufficientFunds {
		t.Errorf("a transfer beyond the balance: %v", err)
	}

	clabe := saldo.WalletCLABE("002180", 77)
	out, err := c.SPEICashout(ctx, a.OAuthToken, &client.CashoutRequest{CLABE: clabe, Amount: 500, Description: "renta"})
	if err != nil || out.Status != client.TransactionPending || out.Balance.Amount != 7_000 {
		t.Fatalf("cash-out: %+v, %v", out, err)
	}
	if _, err := f.composite.CompleteSPEICashout(ctx, out.TransactionID); !client.IsNotFound(err) {
		t.Errorf("another partner completes the cash-out: %v", err)
	}
	if done, err := c.CompleteSPEICashout(ctx, out.TransactionID); err != nil || done.Status != client.TransactionCompleted {
		t.Errorf("complete: %+v, %v", done, err)
	}
	_, err = c.FailSPEICashout(ctx, out.TransactionID, "too late")
	if !errors.As(err, &apiErr) || apiErr.Code != client.CodeInvalidTransactionState || !apiErr.HasHint("transaction:already_completed") {
		t.Errorf("failing a completed cash-out: %v", err)
	}
	out2, err := c.SPEICashout(ctx, a.OAuthToken, &client.CashoutRequest{CLABE: clabe, Amount: 1_000})
	if err != nil {
		t.Fatal(err)
	}
	if failed, err := c.FailSPEICashout(ctx, out2.TransactionID, "cuenta cancelada"); err != nil || failed.Status != client.TransactionFailed || failed.Balance.Amount != 7_000 {
		t.Errorf("fail: %+v, %v", failed, err)
	}

	page, err := c.Transactions(ctx, a.ID, &client.TransactionsOptions{Limit: 2, Ascending: true})
	if err != nil || page.TotalCount != 5 || len(page.Transactions) != 2 || page.Transactions[0].Amount != 10_000 ||
		page.Transactions[1].Amount != -2_500 || page.Transactions[0].ReferenceID != "e-1" || page.Transactions[0].Timestamp.IsZero() {
		t.Errorf("transactions: %+v, %v", page, err)
	}
	own, err := c.TransactionsAsCustomer(ctx, a.ID, a.OAuthToken, &client.TransactionsOptions{TransactionID: tr.TransactionID})
	if err != nil || own.TotalCount != 1 || own.Transactions[0].TransactionType != 2 || own.Transactions[0].Description != "cena" {
		t.Errorf("the customer's own transactions: %+v, %v", own, err)
	}

	bal, err := c.GetBalance(ctx, b.EwalletID)
	if err != nil || bal.Kind != "wallet" || bal.Amount != 2_500 || bal.KYCLevel != 1 || bal.Limits == nil || !bal.Limits.UDIKnown ||
		bal.Limits.BalanceCap == nil || *bal.Limits.BalanceCapRemaining != *bal.Limits.BalanceCap-2_500 {
		t.Errorf("balance: %+v, %v", bal, err)
	}

	// SPEI in: a partner with a CLABE prefix.
	_, token, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "spei", CLABEPrefix: "646180"})
	if err != nil {
		t.Fatal(err)
	}
	spei := client.New(f.url, token, client.WithHTTPClient(f.hc))
	s, err := spei.CreateAccount(ctx, customer(3, -1))
	if err != nil {
		t.Fatal(err)
	}
	got, err := spei.GetSPEICLABE(ctx, s.ID)
	if err != nil || got.SPEICLABE != saldo.WalletCLABE("646180", s.EwalletID) || s.CLABE != got.SPEICLABE {
		t.Fatalf("spei-clabe: %+v, %v (create answered %q)", got, err, s.CLABE)
	}
	if own, err := spei.GetSPEICLABEAsCustomer(ctx, s.OAuthToken); err != nil || own.SPEICLABE != got.SPEICLABE {
		t.Errorf("spei-clabe as the customer: %+v, %v", own, err)
	}
	in := &client.SPEIInRequest{CLABE: got.SPEICLABE, Amount: 3_000, TrackingKey: "MBAN0001", SenderName: "Ana", Concept: "pago"}
	first, err := spei.SPEIIn(ctx, in)
	if err != nil || first.Balance.Amount != 3_000 {
		t.Fatalf("spei-in: %+v, %v", first, err)
	}
	if again, err := spei.SPEIIn(ctx, in); err != nil || again.TransactionID != first.TransactionID {
		t.Errorf("a repeated spei-in: %+v, %v", again, err)
	}
	in.Amount = 3_001
	if _, err := spei.SPEIIn(ctx, in); !client.IsConflict(err) {
		t.Errorf("a tracking key reused with another amount: %v", err)
	}
}
