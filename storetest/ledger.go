package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

// testLedger is the money movement of the contract's §8 on an engine.
func testLedger(t *testing.T, h Harness) {
	t.Run("TopUpCreditsTheWalletFromTheFundingAccount", func(t *testing.T) { testTopUp(t, h) })
	t.Run("ThePartnersIDMakesATopUpSafeToRepeat", func(t *testing.T) { testTopUpRepeated(t, h) })
	t.Run("TransfersMoveMoneyBetweenWallets", func(t *testing.T) { testTransfer(t, h) })
	t.Run("KYCLimitsRefuseCreditsOverThem", func(t *testing.T) { testKYCLimits(t, h) })
	t.Run("CashOutsCompleteOrFailOnce", func(t *testing.T) { testCashout(t, h) })
	t.Run("SPEICreditsFindTheWalletByItsCLABE", func(t *testing.T) { testSPEIIn(t, h) })
	t.Run("TransactionsAreListedAsTheCustomerSeesThem", func(t *testing.T) { testTransactionList(t, h) })
	t.Run("ConcurrentTransfersOutOfOneWalletNeverOverdraw", func(t *testing.T) { testConcurrentOverdraw(t, h) })
	t.Run("OppositeTransfersNeitherDeadlockNorLoseMoney", func(t *testing.T) { testOppositeTransfers(t, h) })
	t.Run("ConcurrentCreditsStopAtTheMonthlyLimit", func(t *testing.T) { testConcurrentMonthlyLimit(t, h) })
	t.Run("AFaultAtEachStepOfATransferLeavesNoTrace", func(t *testing.T) { testTransferFault(t, h) })
	t.Run("VerifyFindsACorruptedLedger", func(t *testing.T) { testVerifyFindsCorruption(t, h) })
}

// ledgerFixture is a fixture with a partner with a CLABE prefix and a UDI value known. Its
// customers' oauth tokens last three days, for tests that move the clock.
type ledgerFixture struct {
	*Fixture
	h       Harness
	partner *saldo.Partner
	seq     atomic.Uint64
	ext     atomic.Uint64
}

// udiMicros is the UDI value the fixtures load: 8.5 pesos, so 1,000 UDIs are 850,000 cents.
const udiMicros = 8_500_000

func newLedgerFixture(t testing.TB, h Harness) *ledgerFixture {
	t.Helper()
	f := NewFixture(t, h)
	lf := &ledgerFixture{Fixture: f, h: h, partner: f.Partner(t, saldo.NewPartner{CLABEPrefix: "646180", OAuthTokenTTL: 72 * time.Hour})}
	if err := f.Service.SetUDIValues(context.Background(), []saldo.UDIValue{{Day: "2026-11-01", Micros: udiMicros}}); err != nil {
		t.Fatal(err)
	}
	return lf
}

// unlimited lifts every KYC limit, for tests of something else.
func (f *ledgerFixture) unlimited(t testing.TB) {
	t.Helper()
	for level := 1; level <= 4; level++ {
		_, err := f.Service.SetKYCLevel(context.Background(), level, func(l *saldo.KYCLevel) { *l = saldo.KYCLevel{} })
		if err != nil {
			t.Fatal(err)
		}
	}
}

// customer creates a customer (KYC level 1) of the fixture's partner.
func (f *ledgerFixture) customer(t testing.TB) *saldo.CreatedCustomer {
	t.Helper()
	out, err := f.Service.CreateCustomer(context.Background(), f.partner, gen.Customer("", f.seq.Add(1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// topUp credits c's wallet with amount under a fresh external id.
func (f *ledgerFixture) topUp(t testing.TB, c *saldo.CreatedCustomer, amount int64) (*saldo.Movement, error) {
	t.Helper()
	return f.Service.TopUp(context.Background(), f.partner, saldo.TopUpRequest{
		ExternalTransactionID: fmt.Sprintf("ext-%d", f.ext.Add(1)), BalanceID: c.Wallet.ID, Amount: amount, CustomerID: c.Customer.ID,
	}, nil)
}

func (f *ledgerFixture) fund(t testing.TB, c *saldo.CreatedCustomer, amount int64) {
	t.Helper()
	if _, err := f.topUp(t, c, amount); err != nil {
		t.Fatalf("top-up of %d: %v", amount, err)
	}
}

func (f *ledgerFixture) transfer(from, to *saldo.CreatedCustomer, amount int64) (*saldo.Movement, error) {
	return f.Service.Transfer(context.Background(), f.partner, saldo.TransferRequest{
		CustomerToken: from.Tokens.OAuthToken, SourceCustomerID: from.Customer.ID, TargetCustomerID: to.Customer.ID, Amount: amount,
	}, nil)
}

// amount returns the wallet's stored amount.
func (f *ledgerFixture) amount(t testing.TB, c *saldo.CreatedCustomer) int64 {
	t.Helper()
	v, err := f.Service.Balance(context.Background(), f.partner, c.Wallet.ID)
	if err != nil {
		t.Fatal(err)
	}
	return v.Balance.Amount
}

// verify fails t unless saldo ledger verify finds the ledger sound.
func (f *ledgerFixture) verify(t testing.TB) *saldo.LedgerReport {
	t.Helper()
	r, err := f.Service.VerifyLedger(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Errorf("ledger verify: %+v", r)
	}
	return r
}

// count returns the number of rows a query counts.
func (f *ledgerFixture) count(t testing.TB, sql string, args ...any) int64 {
	t.Helper()
	rows := f.h.Query(t, f.Store, sql, args...)
	return toInt64(t, rows[0][0])
}

func testTopUp(t *testing.T, h Harness) {
	f := newLedgerFixture(t, h)
	c := f.customer(t)
	m, err := f.topUp(t, c, 12_500)
	if err != nil {
		t.Fatal(err)
	}
	if m.Transaction.ID == 0 || m.Transaction.Status != saldo.StatusCompleted || m.Balance.ID != c.Wallet.ID || m.Balance.Amount != 12_500 || m.Balance.Available() != 12_500 {
		t.Errorf("movement = %+v", m)
	}
	if got := f.amount(t, c); got != 12_500 {
		t.Errorf("wallet holds %d, want 12500", got)
	}
	if n := f.count(t, "SELECT count(*) FROM ledger_entries WHERE transaction_id = $1 AND system_account = 'funding' AND amount = -12500", m.Transaction.ID); n != 1 {
		t.Errorf("%d funding entries of -12500, want 1", n)
	}
	if n := f.count(t, "SELECT count(*) FROM events WHERE type = 'transaction.created' AND subject_id = $1", fmt.Sprint(m.Transaction.ID)); n != 1 {
		t.Errorf("%d transaction.created events, want 1", n)
	}
	r := f.verify(t)
	if r.Totals.InBalances != 12_500 || r.Totals.InSystemAccounts != -12_500 || r.Totals.Transactions != 1 || r.Totals.Entries != 2 {
		t.Errorf("totals = %+v", r.Totals)
	}

	other := f.customer(t)
	_, err = f.Service.TopUp(context.Background(), f.partner, saldo.TopUpRequest{ExternalTransactionID: "x-1", BalanceID: c.Wallet.ID, Amount: 1, CustomerID: other.Customer.ID}, nil)
	wantCode(t, err, saldo.ENOTFOUND, "balanceId:not_found")
	for _, amount := range []int64{0, -1, 1 << 62} {
		_, err := f.topUp(t, c, amount)
		if saldo.ErrorCode(err) != saldo.EINVALID {
			t.Errorf("top-up of %d: err = %v, want invalid", amount, err)
		}
	}
	// Another partner's wallet is as unknown as none.
	stranger := f.Partner(t, saldo.NewPartner{Name: "otra"})
	_, err = f.Service.TopUp(context.Background(), stranger, saldo.TopUpRequest{ExternalTransactionID: "x-2", BalanceID: c.Wallet.ID, Amount: 1, CustomerID: c.Customer.ID}, nil)
	wantCode(t, err, saldo.ENOTFOUND, "balanceId:not_found")
	f.verify(t)
}

func testTopUpRepeated(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newLedgerFixture(t, h)
	c := f.customer(t)
	req := saldo.TopUpRequest{ExternalTransactionID: "pedido-77", BalanceID: c.Wallet.ID, Amount: 5_000, CustomerID: c.Customer.ID}
	first, err := f.Service.TopUp(ctx, f.partner, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Concurrent repeats too: each answers with the first transaction.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			again, err := f.Service.TopUp(ctx, f.partner, req, nil)
			if err != nil || again.Transaction.ID != first.Transaction.ID || again.Balance.Amount != 5_000 {
				t.Errorf("repeat = %+v, %v; want transaction %d with balance 5000", again, err, first.Transaction.ID)
			}
		})
	}
	wg.Wait()
	if got := f.amount(t, c); got != 5_000 {
		t.Errorf("wallet holds %d after repeats, want 5000", got)
	}
	changed := req
	changed.Amount = 6_000
	_, err = f.Service.TopUp(ctx, f.partner, changed, nil)
	wantCode(t, err, saldo.ECONFLICT, "externalTransactionId:duplicate")
	// The id is per partner.
	other := f.Partner(t, saldo.NewPartner{Name: "otra"})
	oc, err := f.Service.CreateCustomer(ctx, other, gen.Customer("o", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Service.TopUp(ctx, other, saldo.TopUpRequest{ExternalTransactionID: "pedido-77", BalanceID: oc.Wallet.ID, Amount: 1, CustomerID: oc.Customer.ID}, nil); err != nil {
		t.Errorf("another partner's top-up with the same id: %v", err)
	}
	f.verify(t)
}

func testTransfer(t *testing.T, h Harness) {
	f := newLedgerFixture(t, h)
	a, b := f.customer(t), f.customer(t)
	f.fund(t, a, 10_000)
	m, err := f.transfer(a, b, 2_500)
	if err != nil {
		t.Fatal(err)
	}
	if m.Balance.ID != a.Wallet.ID || m.Balance.Amount != 7_500 {
		t.Errorf("movement balance = %+v, want the source's 7500", m.Balance)
	}
	if f.amount(t, a) != 7_500 || f.amount(t, b) != 2_500 {
		t.Errorf("balances %d and %d, want 7500 and 2500", f.amount(t, a), f.amount(t, b))
	}
	_, err = f.transfer(a, b, 7_501)
	wantCode(t, err, saldo.EFUNDS, "amount:insufficient_funds")
	_, err = f.transfer(a, a, 1)
	wantCode(t, err, saldo.EINVALID, "targetID:same_as_source")
	// The token must be the source's own.
	_, err = f.Service.Transfer(context.Background(), f.partner, saldo.TransferRequest{
		CustomerToken: b.Tokens.OAuthToken, SourceCustomerID: a.Customer.ID, TargetCustomerID: b.Customer.ID, Amount: 1}, nil)
	wantCode(t, err, saldo.EUNAUTHORIZED, "sourceCustomerID:not_token_owner")
	_, err = f.Service.Transfer(context.Background(), f.partner, saldo.TransferRequest{
		CustomerToken: saldo.NewSecret(""), SourceCustomerID: a.Customer.ID, TargetCustomerID: b.Customer.ID, Amount: 1}, nil)
	wantCode(t, err, saldo.EUNAUTHORIZED, "")
	_, err = f.Service.Transfer(context.Background(), f.partner, saldo.TransferRequest{
		CustomerToken: a.Tokens.OAuthToken, SourceCustomerID: a.Customer.ID, TargetCustomerID: b.Customer.ID + 1000, Amount: 1}, nil)
	wantCode(t, err, saldo.ENOTFOUND, "targetID:not_found")
	// A blocked target (§11) is not credited.
	f.h.Exec(t, f.Store, "UPDATE customers SET account_status = 2 WHERE id = $1", b.Customer.ID)
	_, err = f.transfer(a, b, 1)
	wantCode(t, err, saldo.ENOTACTIVE, "targetID:not_active")
	if f.amount(t, a) != 7_500 {
		t.Errorf("refused transfers moved money: source holds %d", f.amount(t, a))
	}
	f.verify(t)
}

func testKYCLimits(t *testing.T, h Harness) {
	ctx := context.Background()
	t.Run("balance cap", func(t *testing.T) {
		f := newLedgerFixture(t, h)
		c := f.customer(t) // level 1: a cap of 1,000 UDIs = 850,000 cents at 8.5
		if c.Customer.AccountLevel != 1 {
			t.Fatalf("level %d, want 1", c.Customer.AccountLevel)
		}
		// The monthly limit (750 UDIs) is lower than the cap: lift it to reach the cap.
		monthly := int64(2_000)
		_, err := f.Service.SetKYCLevel(ctx, 1, func(l *saldo.KYCLevel) { l.MonthlyDepositLimit = &monthly })
		if err != nil {
			t.Fatal(err)
		}
		f.fund(t, c, 850_000)
		_, err = f.topUp(t, c, 1)
		wantCode(t, err, saldo.ELIMIT, "amount:balance_cap")
		// A transfer into the wallet meets the same cap: one that brings it back to the cap
		// exactly goes, one cent more does not, and moves nothing.
		s := f.customer(t)
		f.h.Exec(t, f.Store, "UPDATE customers SET account_level = 4 WHERE id = $1", s.Customer.ID)
		f.fund(t, s, 10)
		if _, err := f.transfer(c, s, 1); err != nil {
			t.Fatalf("a transfer out of the wallet at its cap: %v", err)
		}
		if _, err := f.transfer(s, c, 1); err != nil {
			t.Fatalf("a transfer that fills the wallet to its cap exactly: %v", err)
		}
		_, err = f.transfer(s, c, 1)
		wantCode(t, err, saldo.ELIMIT, "amount:balance_cap")
		if f.amount(t, c) != 850_000 || f.amount(t, s) != 10 {
			t.Errorf("balances %d and %d after the refused transfer, want 850000 and 10", f.amount(t, c), f.amount(t, s))
		}
		f.verify(t)
	})
	t.Run("monthly deposits, and both named", func(t *testing.T) {
		f := newLedgerFixture(t, h)
		c := f.customer(t) // 750 UDIs a month = 637,500 cents
		f.fund(t, c, 637_500)
		_, err := f.topUp(t, c, 1)
		wantCode(t, err, saldo.ELIMIT, "amount:monthly_deposit_limit")
		// A new month starts afresh.
		f.Clock.Advance(7 * 24 * time.Hour)
		if _, err := f.topUp(t, c, 1); err != nil {
			t.Errorf("first credit of December: %v", err)
		}
		f.verify(t)
	})
	t.Run("no UDI value", func(t *testing.T) {
		f := NewFixture(t, h)
		lf := &ledgerFixture{Fixture: f, h: h, partner: f.Partner(t, saldo.NewPartner{})}
		c := lf.customer(t)
		_, err := lf.topUp(t, c, 100)
		wantCode(t, err, saldo.ELIMITSUNKNOWN, "udi:not_configured")
		// A value for a later day does not count for today.
		if err := f.Service.SetUDIValues(ctx, []saldo.UDIValue{{Day: "2026-12-31", Micros: udiMicros}}); err != nil {
			t.Fatal(err)
		}
		_, err = lf.topUp(t, c, 100)
		wantCode(t, err, saldo.ELIMITSUNKNOWN, "udi:not_configured")
		// A level without limits needs none.
		lf.unlimited(t)
		lf.fund(t, c, 100)
		if n := lf.count(t, "SELECT count(*) FROM ledger_transactions"); n != 1 {
			t.Errorf("%d transactions, want the one that fitted", n)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func testCashout(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newLedgerFixture(t, h)
	c := f.customer(t)
	f.fund(t, c, 10_000)
	cashout := func(amount int64) *saldo.Movement {
		t.Helper()
		m, err := f.Service.Cashout(ctx, f.partner, saldo.CashoutRequest{CustomerToken: c.Tokens.OAuthToken, CLABE: "032180000118359719", Amount: amount}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	done := cashout(3_000)
	if done.Transaction.Status != saldo.StatusPending || done.Balance.Amount != 7_000 {
		t.Errorf("cash-out = %+v, want pending with 7000 left", done)
	}
	m, err := f.Service.CompleteCashout(ctx, f.partner, saldo.CashoutOutcome{TransactionID: done.Transaction.ID}, nil)
	if err != nil || m.Transaction.Status != saldo.StatusCompleted || m.Balance.Amount != 7_000 {
		t.Fatalf("complete = %+v, %v", m, err)
	}
	_, err = f.Service.CompleteCashout(ctx, f.partner, saldo.CashoutOutcome{TransactionID: done.Transaction.ID}, nil)
	wantCode(t, err, saldo.EINVALIDSTATE, "transaction:already_completed")
	_, err = f.Service.FailCashout(ctx, f.partner, saldo.CashoutOutcome{TransactionID: done.Transaction.ID}, nil)
	wantCode(t, err, saldo.EINVALIDSTATE, "transaction:already_completed")

	failed := cashout(2_000)
	stranger := f.Partner(t, saldo.NewPartner{Name: "otra"})
	_, err = f.Service.CompleteCashout(ctx, stranger, saldo.CashoutOutcome{TransactionID: failed.Transaction.ID}, nil)
	wantCode(t, err, saldo.ENOTFOUND, "transactionId:not_found")
	m, err = f.Service.FailCashout(ctx, f.partner, saldo.CashoutOutcome{TransactionID: failed.Transaction.ID, Reason: "cuenta cancelada"}, nil)
	if err != nil || m.Transaction.Status != saldo.StatusFailed || m.Balance.Amount != 7_000 {
		t.Fatalf("fail = %+v, %v; want failed with 7000 back", m, err)
	}
	_, err = f.Service.CompleteCashout(ctx, f.partner, saldo.CashoutOutcome{TransactionID: failed.Transaction.ID}, nil)
	wantCode(t, err, saldo.EINVALIDSTATE, "transaction:already_failed")
	if n := f.count(t, "SELECT count(*) FROM ledger_transactions WHERE kind = 'reversal' AND reverses_id = $1", failed.Transaction.ID); n != 1 {
		t.Errorf("%d reversals of the failed cash-out, want 1", n)
	}
	// Not a cash-out.
	top, _ := f.topUp(t, c, 1)
	_, err = f.Service.CompleteCashout(ctx, f.partner, saldo.CashoutOutcome{TransactionID: top.Transaction.ID}, nil)
	wantCode(t, err, saldo.EINVALIDSTATE, "transactionId:not_a_spei_cashout")
	_, err = f.Service.Cashout(ctx, f.partner, saldo.CashoutRequest{CustomerToken: c.Tokens.OAuthToken, CLABE: "032180000118359718", Amount: 1}, nil)
	wantCode(t, err, saldo.EINVALID, "clabe:invalid")
	_, err = f.Service.Cashout(ctx, f.partner, saldo.CashoutRequest{CustomerToken: c.Tokens.OAuthToken, CLABE: "032180000118359719", Amount: 7_002}, nil)
	wantCode(t, err, saldo.EFUNDS, "amount:insufficient_funds")
	f.verify(t)
}

func testSPEIIn(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newLedgerFixture(t, h)
	c := f.customer(t)
	clabe := saldo.WalletCLABE(f.partner.CLABEPrefix, c.Wallet.ID)
	if !saldo.ValidCLABE(clabe) || clabe[:6] != "646180" {
		t.Fatalf("wallet CLABE %q", clabe)
	}
	got, err := f.Service.WalletCLABE(ctx, f.partner, c.Customer.ID)
	if err != nil || got != clabe {
		t.Errorf("WalletCLABE = %q, %v; want %q", got, err, clabe)
	}
	req := saldo.SPEIInRequest{CLABE: clabe, Amount: 4_200, TrackingKey: "MBAN01002611240001", SenderName: "Ana", SenderCLABE: "032180000118359719", Concept: "renta"}
	m, err := f.Service.SPEIIn(ctx, f.partner, req, nil)
	if err != nil || m.Balance.Amount != 4_200 {
		t.Fatalf("spei-in = %+v, %v", m, err)
	}
	again, err := f.Service.SPEIIn(ctx, f.partner, req, nil)
	if err != nil || again.Transaction.ID != m.Transaction.ID || f.amount(t, c) != 4_200 {
		t.Errorf("repeated spei-in = %+v, %v; balance %d", again, err, f.amount(t, c))
	}
	req.Amount = 1
	_, err = f.Service.SPEIIn(ctx, f.partner, req, nil)
	wantCode(t, err, saldo.ECONFLICT, "trackingKey:duplicate")
	req.TrackingKey = "MBAN01002611240002"
	req.CLABE = saldo.WalletCLABE("646180", c.Wallet.ID+1000)
	_, err = f.Service.SPEIIn(ctx, f.partner, req, nil)
	wantCode(t, err, saldo.ENOTFOUND, "clabe:not_found")
	req.CLABE = saldo.WalletCLABE("002180", c.Wallet.ID)
	_, err = f.Service.SPEIIn(ctx, f.partner, req, nil)
	wantCode(t, err, saldo.ENOTFOUND, "clabe:not_found")
	// A SPEI credit obeys the wallet's KYC limits like a top-up: 750 UDIs a month at 8.5 pesos.
	req.CLABE, req.TrackingKey, req.Amount = clabe, "MBAN01002611240003", 637_500-4_200+1
	_, err = f.Service.SPEIIn(ctx, f.partner, req, nil)
	wantCode(t, err, saldo.ELIMIT, "amount:monthly_deposit_limit")
	if got := f.amount(t, c); got != 4_200 {
		t.Errorf("a refused SPEI credit moved money: the wallet holds %d", got)
	}
	f.verify(t)
}

func testTransactionList(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newLedgerFixture(t, h)
	a, b := f.customer(t), f.customer(t)
	f.fund(t, a, 10_000)
	f.Clock.Advance(24 * time.Hour) // the next day in Mexico City
	if _, err := f.transfer(a, b, 1_250); err != nil {
		t.Fatal(err)
	}
	page, err := f.Service.Transactions(ctx, f.partner, a.Customer.ID, saldo.TransactionQuery{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 2 || len(page.Lines) != 2 || page.Lines[0].Amount != -1_250 || page.Lines[0].Type != saldo.TypeTransferOut ||
		page.Lines[1].Amount != 10_000 || page.Lines[1].Type != saldo.TypeTopUp || page.Lines[1].ReferenceID == "" {
		t.Errorf("a's page = %+v", page)
	}
	page, _ = f.Service.Transactions(ctx, f.partner, b.Customer.ID, saldo.TransactionQuery{Limit: 20})
	if page.Total != 1 || page.Lines[0].Amount != 1_250 || page.Lines[0].Type != saldo.TypeTransferIn {
		t.Errorf("b's page = %+v", page)
	}
	from, to, hints := saldo.DayRange("2026-11-24", "2026-11-24")
	if hints != nil {
		t.Fatal(hints)
	}
	page, _ = f.Service.Transactions(ctx, f.partner, a.Customer.ID, saldo.TransactionQuery{Limit: 20, From: from, To: to})
	if page.Total != 1 || page.Lines[0].Type != saldo.TypeTopUp {
		t.Errorf("a's 24 November = %+v", page)
	}
	page, _ = f.Service.Transactions(ctx, f.partner, a.Customer.ID, saldo.TransactionQuery{Limit: 1, Offset: 1, Ascending: true})
	if page.Total != 2 || len(page.Lines) != 1 || page.Lines[0].Type != saldo.TypeTransferOut {
		t.Errorf("a's second line ascending = %+v", page)
	}
	stranger := f.Partner(t, saldo.NewPartner{Name: "otra"})
	_, err = f.Service.Transactions(ctx, stranger, a.Customer.ID, saldo.TransactionQuery{Limit: 20})
	wantCode(t, err, saldo.ENOTFOUND, "")
}

// outcomes runs n calls of fn at once and counts their outcomes by code ("" for success). It
// logs the first error of each code, to tell what an unexpected one was.
func outcomes(tb testing.TB, n int, fn func(i int) error) map[saldo.Code]int {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
		got   = map[saldo.Code]int{}
	)
	for i := range n {
		wg.Go(func() {
			<-start
			err := fn(i)
			mu.Lock()
			code := saldo.ErrorCode(err)
			if got[code] == 0 && err != nil {
				tb.Logf("first %s: %v", code, err)
			}
			got[code]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return got
}

func testConcurrentOverdraw(t *testing.T, h Harness) {
	f := newLedgerFixture(t, h)
	f.unlimited(t)
	src := f.customer(t)
	targets := []*saldo.CreatedCustomer{f.customer(t), f.customer(t), f.customer(t)}
	f.fund(t, src, 60*100)
	got := outcomes(t, 100, func(i int) error {
		_, err := f.transfer(src, targets[i%len(targets)], 100)
		return err
	})
	if got[""] != 60 || got[saldo.EFUNDS] != 40 {
		t.Errorf("outcomes %v, want 60 successes and 40 insufficient funds", got)
	}
	if a := f.amount(t, src); a != 0 {
		t.Errorf("source holds %d, want 0", a)
	}
	f.verify(t)
}

func testOppositeTransfers(t *testing.T, h Harness) {
	f := newLedgerFixture(t, h)
	f.unlimited(t)
	a, b := f.customer(t), f.customer(t)
	f.fund(t, a, 200)
	f.fund(t, b, 200)
	got := outcomes(t, 400, func(i int) error {
		from, to := a, b
		if i%2 == 1 {
			from, to = b, a
		}
		_, err := f.transfer(from, to, 1)
		return err
	})
	if got[""] != 400 {
		t.Errorf("outcomes %v, want 400 successes", got)
	}
	if f.amount(t, a) != 200 || f.amount(t, b) != 200 {
		t.Errorf("balances %d and %d, want 200 each", f.amount(t, a), f.amount(t, b))
	}
	f.verify(t)
}

func testConcurrentMonthlyLimit(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newLedgerFixture(t, h)
	// 10 UDIs a month at 8.5 pesos: 8,500 cents, so 10 credits of 850 fit.
	if _, err := f.Service.SetKYCLevel(ctx, 1, func(l *saldo.KYCLevel) { l.MonthlyDepositLimit = ptr(int64(10)) }); err != nil {
		t.Fatal(err)
	}
	c := f.customer(t)
	senders := make([]*saldo.CreatedCustomer, 5)
	for i := range senders {
		senders[i] = f.customer(t)
	}
	// The senders are at level 4, without limits.
	for _, s := range senders {
		f.h.Exec(t, f.Store, "UPDATE customers SET account_level = 4 WHERE id = $1", s.Customer.ID)
		f.fund(t, s, 10_000)
	}
	got := outcomes(t, 30, func(i int) error {
		if i%2 == 0 {
			_, err := f.topUp(t, c, 850)
			return err
		}
		_, err := f.transfer(senders[i%len(senders)], c, 850)
		return err
	})
	if got[""] != 10 || got[saldo.ELIMIT] != 20 {
		t.Errorf("outcomes %v, want 10 successes and 20 limit exceeded", got)
	}
	if a := f.amount(t, c); a != 8_500 {
		t.Errorf("wallet holds %d, want 8500", a)
	}
	f.verify(t)
}

func testTransferFault(t *testing.T, h Harness) {
	ctx := context.Background()
	for _, step := range []string{"transaction", "move", "deposit", "entries", "events", "commit"} {
		t.Run("after "+step, func(t *testing.T) {
			f := newLedgerFixture(t, h)
			a, b := f.customer(t), f.customer(t)
			f.fund(t, a, 1_000)
			before := map[string]int64{}
			for _, table := range []string{"ledger_transactions", "ledger_entries", "events", "wallet_deposits"} {
				before[table] = f.count(t, "SELECT count(*) FROM "+table)
			}
			faulty := saldo.NewService(&faultStore{Store: f.Store, step: step}, f.Clock)
			_, err := faulty.Transfer(ctx, f.partner, saldo.TransferRequest{
				CustomerToken: a.Tokens.OAuthToken, SourceCustomerID: a.Customer.ID, TargetCustomerID: b.Customer.ID, Amount: 400}, nil)
			if !errorsIsInjected(err) {
				t.Fatalf("err = %v, want the injected fault", err)
			}
			for table, n := range before {
				if got := f.count(t, "SELECT count(*) FROM "+table); got != n {
					t.Errorf("%s has %d rows after the failed transfer, had %d", table, got, n)
				}
			}
			if f.amount(t, a) != 1_000 || f.amount(t, b) != 0 {
				t.Errorf("balances %d and %d after the fault, want 1000 and 0", f.amount(t, a), f.amount(t, b))
			}
			if _, err := f.transfer(a, b, 400); err != nil {
				t.Fatalf("the same transfer after the fault: %v", err)
			}
			f.verify(t)
		})
	}
}

func testVerifyFindsCorruption(t *testing.T, h Harness) {
	f := newLedgerFixture(t, h)
	c := f.customer(t)
	f.fund(t, c, 500)
	f.verify(t)
	f.h.Exec(t, f.Store, "UPDATE balances SET amount = amount + 1 WHERE id = $1", c.Wallet.ID)
	r, err := f.Service.VerifyLedger(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || len(r.Mismatched) != 1 || r.Mismatched[0].ID != c.Wallet.ID || r.Mismatched[0].Computed != 500 {
		t.Errorf("report after corrupting a balance = %+v", r)
	}
	f.h.Exec(t, f.Store, "UPDATE balances SET amount = amount - 1 WHERE id = $1", c.Wallet.ID)
	f.h.Exec(t, f.Store, "UPDATE ledger_entries SET amount = amount - 1 WHERE system_account = 'funding'")
	r, _ = f.Service.VerifyLedger(context.Background())
	if r.OK() || len(r.Unbalanced) != 1 || r.Unbalanced[0].Sum != -1 {
		t.Errorf("report after corrupting an entry = %+v", r)
	}
}
