package storetest

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

// testGroupCommit: concurrent writes share transactions, and each is still all-or-nothing
// with the answer it would have had alone.
func testGroupCommit(t *testing.T, h Harness) {
	t.Run("CreatesCommitWholeEachWithItsOwnRows", func(t *testing.T) { testGroupCreatesWhole(t, h) })
	t.Run("HeldInsertsAreSeenByTheStatementsAfterThem", func(t *testing.T) { testHeldInserts(t, h) })
	t.Run("HeldDepositsKeepTheMonthlyLimitTogether", func(t *testing.T) { testHeldDeposits(t, h) })
	t.Run("DuplicatesInOneBatchFailAloneAndTheRestCommit", func(t *testing.T) { testGroupDuplicates(t, h) })
	t.Run("AMemberThatFailsLeavesNoRowAndTheOthersCommit", func(t *testing.T) { testGroupMemberFault(t, h) })
	t.Run("HotWalletMovementsKeepTheirRules", func(t *testing.T) { testGroupHotWallet(t, h) })
	t.Run("BatchedTransfersKeepEveryRuleOfAMove", func(t *testing.T) { testGroupTransferRules(t, h) })
	t.Run("ConcurrentTransfersIntoOneWalletKeepItsMonthlyDepositLimit", func(t *testing.T) { testGroupMonthlyDeposits(t, h) })
	t.Run("ConcurrentWritesWithARotatedTokenAreAllRefused", func(t *testing.T) { testGroupRotatedToken(t, h) })
	t.Run("AMemberThatPanicsIsAnInternalErrorAndTheOthersCommit", func(t *testing.T) { testGroupMemberPanic(t, h) })
	t.Run("ClientsThatComeBackAtOnceCommitTogether", func(t *testing.T) { testGroupGather(t, h) })
}

// concurrently runs fn(i) for i in [0, n) at once, and returns the errors in i's order.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// 64 creates at once, in pairs that share an email: exactly one of each pair is created and
// the other refused naming the email, whichever batches they fall in; every row of the
// refused is gone, and the creates shared commits.
func testGroupDuplicates(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{CompositeBalances: true})
	const pairs = 32
	errs := concurrently(2*pairs, func(i int) error {
		req := composite(gen.Customer("", uint64(7000+i)), "100000")
		req.Email = fmt.Sprintf("pair%d@example.com", i/2)
		_, err := f.Service.CreateCustomer(ctx, e, req, nil)
		return err
	})
	for p := range pairs {
		a, b := errs[2*p], errs[2*p+1]
		if (a == nil) == (b == nil) {
			t.Errorf("pair %d: %v and %v, want one created and one refused", p, a, b)
			continue
		}
		refused := cmp.Or(a, b)
		if saldo.ErrorCode(refused) != saldo.ECONFLICT || !slices.Contains(saldo.ErrorHints(refused), "email:duplicate") {
			t.Errorf("pair %d refused with %v, want a conflict naming the email", p, refused)
		}
	}
	for table, want := range map[string]int{"customers": pairs, "composite_parents": pairs, "balances": 2 * pairs, "customer_tokens": 3 * pairs, "events": 2 * pairs} {
		if got := len(h.Rows(t, f.Store, table)); got != want {
			t.Errorf("%s has %d rows after %d creates, want %d", table, got, pairs, want)
		}
	}
	// On PostgreSQL a duplicate fails in an insert held back, which splits its batch; either
	// way, the creates were batched.
	if creates := f.Service.GroupCommitStats().Creates; creates.Writes <= creates.Commits && creates.Split == 0 {
		t.Errorf("group commit stats %+v: %d concurrent creates were never batched", creates, 2*pairs)
	}
}

// 64 creates at once, none refused: they commit in batches whole, their rows held and sent
// a statement a table, and every row is its own customer's.
func testGroupCreatesWhole(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{CompositeBalances: true})
	const n = 64
	created := make([]*saldo.CreatedCustomer, n)
	errs := concurrently(n, func(i int) error {
		c, err := f.Service.CreateCustomer(ctx, e, composite(gen.Customer("", uint64(13000+i)), "100000"), nil)
		created[i] = c
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	for i, c := range created {
		id := c.Customer.ID
		rows := h.Query(t, f.Store, "SELECT email FROM customers WHERE id = $1", id)
		if len(rows) != 1 || fmt.Sprint(rows[0][0]) != c.Customer.Email {
			t.Errorf("create %d: customer %d is %v, want %s", i, id, rows, c.Customer.Email)
		}
		for _, q := range []struct {
			sql  string
			args []any
			want int
		}{
			{"SELECT id FROM balances WHERE customer_id = $1 AND kind = 'wallet' AND id = $2", []any{id, c.Wallet.ID}, 1},
			{"SELECT p.id FROM composite_parents p JOIN balances b ON b.id = p.balance_id AND b.customer_id = p.customer_id" +
				" WHERE p.customer_id = $1 AND p.id = $2 AND b.kind = 'composite_parent'", []any{id, c.Parent.ID}, 1},
			{"SELECT kind FROM customer_tokens WHERE customer_id = $1", []any{id}, 3},
		} {
			if got := len(h.Query(t, f.Store, q.sql, q.args...)); got != q.want {
				t.Errorf("create %d: %d rows of %q, want %d", i, got, q.sql, q.want)
			}
		}
	}
	if got := len(h.Rows(t, f.Store, "events")); got != 2*n {
		t.Errorf("events has %d rows after %d creates, want %d", got, n, 2*n)
	}
	creates := f.Service.GroupCommitStats().Creates
	if creates.Writes <= creates.Commits || creates.Whole == 0 || creates.Split != 0 {
		t.Errorf("group commit stats %+v: %d concurrent creates never shared a commit, never committed whole, or split", creates, n)
	}
}

// Rows held back by HoldInserts are in the transaction for the next statement that is not
// such an insert (here, a read), and they all commit; a held row that a unique index refuses
// fails the transaction, and none of its rows stay.
func testHeldInserts(t *testing.T, h Harness) {
	ctx := context.Background()
	f := NewFixture(t, h)
	e := f.Partner(t, saldo.NewPartner{})
	customer := func(i int) *saldo.Customer {
		return &saldo.Customer{PartnerID: e.ID, Email: fmt.Sprintf("held%d@example.com", i), MobileCountryCode: "52",
			Mobile: fmt.Sprintf("55%08d", i), FirstName: "Ana", LastName: "Ruiz", Gender: 1, AccountLevel: 1, AccountStatus: 1, CreatedAt: Now}
	}
	err := f.Store.Update(ctx, func(tx saldo.Tx) error {
		return tx.HoldInserts(ctx, func() error {
			if err := tx.ReserveIDs(ctx, saldo.IDCounts{Customers: 3}); err != nil {
				return err
			}
			var ids []int64
			for i := range 3 {
				c := customer(i)
				if err := tx.InsertCustomer(ctx, c); err != nil {
					return err
				}
				ids = append(ids, c.ID)
			}
			// On an engine that returns the customers' ids on insert, only the tokens are held.
			for i, id := range ids {
				hash := sha256.Sum256(fmt.Appendf(nil, "held token %d", i))
				tok := saldo.Token{PartnerID: e.ID, CustomerID: id, Kind: saldo.TokenOAuth, Hash: hash[:], DeviceID: "default",
					IssuedAt: Now, ExpiresAt: Now.Add(time.Hour)}
				if err := tx.InsertTokens(ctx, []saldo.Token{tok}); err != nil {
					return err
				}
			}
			for i, id := range ids {
				if _, err := tx.Customer(ctx, e.ID, id); err != nil {
					return fmt.Errorf("customer %d, inserted before, read: %w", id, err)
				}
				hash := sha256.Sum256(fmt.Appendf(nil, "held token %d", i))
				if tok, err := tx.TokenByHash(ctx, hash[:]); err != nil || tok.CustomerID != id {
					return fmt.Errorf("token of customer %d, inserted before, read: %+v, %w", id, tok, err)
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int{"customers": 3, "customer_tokens": 3} {
		if got := len(h.Rows(t, f.Store, table)); got != want {
			t.Errorf("%s has %d rows, want the %d held", table, got, want)
		}
	}
	err = f.Store.Update(ctx, func(tx saldo.Tx) error {
		return tx.HoldInserts(ctx, func() error {
			if err := tx.ReserveIDs(ctx, saldo.IDCounts{Customers: 2}); err != nil {
				return err
			}
			if err := tx.InsertCustomer(ctx, customer(3)); err != nil {
				return err
			}
			return tx.InsertCustomer(ctx, customer(0)) // the email of one inserted above
		})
	})
	if !errors.Is(err, saldo.ErrDuplicate) {
		t.Errorf("held rows, one a duplicate: %v, want ErrDuplicate", err)
	}
	if got := len(h.Rows(t, f.Store, "customers")); got != 3 {
		t.Errorf("customers has %d rows after a failed transaction, want 3", got)
	}
}

// Monthly deposits held in one transaction keep the month's limit together: two that go over
// it together are refused, in a month not counted yet as in one counted already, and
// deposits that fit are counted whole.
func testHeldDeposits(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newLedgerFixture(t, h)
	wallet := f.customer(t).Wallet.ID
	limit := saldo.Limit{Set: true, Cents: 1_000}
	counted := func() int64 {
		rows := h.Query(t, f.Store, "SELECT amount FROM wallet_deposits WHERE balance_id = $1", wallet)
		if len(rows) == 0 {
			return 0
		}
		return toInt64(t, rows[0][0])
	}
	for _, step := range []struct {
		name    string
		amounts []int64
		refused bool
		after   int64
	}{
		{"a month not counted yet, over the limit together", []int64{600, 600}, true, 0},
		{"a month not counted yet, within it", []int64{300, 300}, false, 600},
		{"a month counted, over the limit together", []int64{200, 201}, true, 600},
		{"a month counted, up to the limit", []int64{200, 200}, false, 1_000},
	} {
		err := f.Store.Update(ctx, func(tx saldo.Tx) error {
			return tx.HoldInserts(ctx, func() error {
				for _, a := range step.amounts {
					if err := tx.AddDeposit(ctx, wallet, "2026-11", a, limit); err != nil {
						return err
					}
				}
				return nil
			})
		})
		if step.refused {
			if saldo.ErrorCode(err) != saldo.ELIMIT || !slices.Contains(saldo.ErrorHints(err), "amount:monthly_deposit_limit") {
				t.Errorf("%s: %v, want the monthly deposit limit", step.name, err)
			}
		} else if err != nil {
			t.Errorf("%s: %v", step.name, err)
		}
		if got := counted(); got != step.after {
			t.Errorf("%s: the month counts %d, want %d", step.name, got, step.after)
		}
	}
}

// memberFaultStore fails, after its row is in the transaction, the create of every customer
// whose email starts with "fail".
type memberFaultStore struct{ saldo.Store }

func (s *memberFaultStore) Update(ctx context.Context, fn func(saldo.Tx) error) error {
	return s.Store.Update(ctx, func(tx saldo.Tx) error { return fn(&memberFaultTx{Tx: tx}) })
}

type memberFaultTx struct{ saldo.Tx }

func (t *memberFaultTx) InsertCustomer(ctx context.Context, c *saldo.Customer) error {
	if err := t.Tx.InsertCustomer(ctx, c); err != nil || !strings.HasPrefix(c.Email, "fail") && !strings.HasPrefix(c.Email, "panic") {
		return err
	}
	if strings.HasPrefix(c.Email, "panic") {
		panic("a bug in a write")
	}
	return inject(ctx, t.Tx)
}

// Half of 48 concurrent creates fail after writing their customer row: those leave no row,
// while the others, sharing their transactions, commit whole.
func testGroupMemberFault(t *testing.T, h Harness) {
	ctx := context.Background()
	store := h.Open(t)
	svc := saldo.NewService(&memberFaultStore{store}, saldo.NewManualClock(Now))
	e, _, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "p", CompositeBalances: true})
	if err != nil {
		t.Fatal(err)
	}
	const n = 48
	errs := concurrently(n, func(i int) error {
		req := composite(gen.Customer("", uint64(9000+i)), "100000")
		if i%2 == 0 {
			req.Email = fmt.Sprintf("fail%d@example.com", i)
		}
		_, err := svc.CreateCustomer(ctx, e, req, nil)
		return err
	})
	for i, err := range errs {
		if want := i%2 == 0; (err != nil) != want {
			t.Errorf("create %d: %v, want failed %v", i, err, want)
		}
	}
	rows := h.Query(t, store, "SELECT email FROM customers")
	for _, r := range rows {
		if email := fmt.Sprint(r[0]); strings.HasPrefix(email, "fail") {
			t.Errorf("customer %s of a failed create is stored", email)
		}
	}
	for table, want := range map[string]int{"customers": n / 2, "balances": n, "customer_tokens": 3 * n / 2, "events": n} {
		if got := len(h.Rows(t, store, table)); got != want {
			t.Errorf("%s has %d rows after %d successful creates, want %d", table, got, n/2, want)
		}
	}
	if creates := svc.GroupCommitStats().Creates; creates.Writes <= creates.Commits {
		t.Errorf("group commit stats %+v: %d concurrent creates never shared a commit", creates, n)
	}
}

// 120 transfers of 100 at once out of one wallet holding 8,000, to 4 others, and 40 back
// into it (10 from each other, which each hold 1,000 to begin with): whatever the batches, exactly as many succeed as the money allows, the balances
// add up, and the ledger verifies.
func testGroupHotWallet(t *testing.T, h Harness) {
	f := newLedgerFixture(t, h)
	f.unlimited(t)
	hot := f.customer(t)
	others := []*saldo.CreatedCustomer{f.customer(t), f.customer(t), f.customer(t), f.customer(t)}
	f.fund(t, hot, 8000)
	for _, o := range others {
		f.fund(t, o, 1000)
	}
	errs := concurrently(160, func(i int) error {
		o := others[(i/4)%len(others)]
		if i%4 == 3 {
			_, err := f.transfer(o, hot, 100)
			return err
		}
		_, err := f.transfer(hot, o, 100)
		return err
	})
	out, in, refused := 0, 0, 0
	for i, err := range errs {
		switch {
		case err == nil && i%4 == 3:
			in++
		case err == nil:
			out++
		case saldo.ErrorCode(err) == saldo.EFUNDS && i%4 != 3:
			refused++
		default:
			t.Errorf("transfer %d: %v", i, err)
		}
	}
	if in != 40 || out+refused != 120 || out < 80 || out > 120 {
		t.Errorf("%d in, %d out, %d refused: want 40 in, and 80 to 120 of 120 out", in, out, refused)
	}
	if got, want := f.amount(t, hot), int64(8000+100*(in-out)); got != want {
		t.Errorf("the hot wallet holds %d, want %d", got, want)
	}
	f.verify(t)
	checkRunningBalances(t, f, hot.Wallet.ID, 8000)
	if moves := f.Service.GroupCommitStats().Movements; moves.Writes <= moves.Commits || moves.Ahead == 0 {
		t.Errorf("group commit stats %+v: 160 concurrent transfers never shared a commit, or never one with their reads sent ahead", moves)
	}
}

// Transfers at once, batched as they come, each answered as it would be alone: a batch moves
// its transfers' money in memory (group.go), and each rule of a move holds there as in the
// database's own move. In turn, each with transfers that move beside it (a batch with a
// refused transfer in it is not committed whole, so each rule has batches of its own): into
// a wallet whose balance is blocked (its owner active), all 8 are refused naming the target;
// into a wallet whose level caps it at 8,500 cents, exactly 8 of 16 transfers of 1,000 fit
// and the rest are refused naming the cap; out of a wallet of 2,500, exactly 2 of 4 move
// (this rule is also the table's).
func testGroupTransferRules(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newLedgerFixture(t, h)
	f.unlimited(t)
	rich, poor, capped, blocked := f.customer(t), f.customer(t), f.customer(t), f.customer(t)
	open := []*saldo.CreatedCustomer{f.customer(t), f.customer(t)}
	f.fund(t, rich, 100_000)
	f.fund(t, poor, 2_500)
	f.h.Exec(t, f.Store, "UPDATE balances SET status = 2 WHERE id = $1", blocked.Wallet.ID)
	for level := 1; level <= 4; level++ { // 10 UDIs at the fixture's 8.5 pesos
		if _, err := f.Service.SetKYCLevel(ctx, level, func(l *saldo.KYCLevel) { l.BalanceCap = new(int64(10)) }); err != nil {
			t.Fatal(err)
		}
	}
	type send struct{ from, to *saldo.CreatedCustomer }
	const moved = "moved"
	for _, phase := range []struct {
		name  string
		sends []send
		want  map[string]int
	}{
		{"blocked", slices.Repeat([]send{{rich, blocked}, {rich, open[0]}}, 8),
			map[string]int{moved: 8, fmt.Sprint(saldo.ENOTACTIVE, []string{"targetID:not_active"}): 8}},
		{"capped", slices.Repeat([]send{{rich, capped}}, 16),
			map[string]int{moved: 8, fmt.Sprint(saldo.ELIMIT, []string{"amount:balance_cap"}): 8}},
		{"poor", slices.Repeat([]send{{poor, open[1]}, {rich, open[1]}}, 4),
			map[string]int{moved: 6, fmt.Sprint(saldo.EFUNDS, []string{"amount:insufficient_funds"}): 2}},
	} {
		errs := concurrently(len(phase.sends), func(i int) error {
			_, err := f.transfer(phase.sends[i].from, phase.sends[i].to, 1_000)
			return err
		})
		got := map[string]int{}
		for _, err := range errs {
			outcome := moved
			if err != nil {
				outcome = fmt.Sprint(saldo.ErrorCode(err), saldo.ErrorHints(err))
			}
			got[outcome]++
		}
		if !maps.Equal(got, phase.want) {
			t.Errorf("%s: outcomes %v, want %v", phase.name, got, phase.want)
		}
	}
	for c, amount := range map[*saldo.CreatedCustomer]int64{rich: 100_000 - 20_000, poor: 500, capped: 8_000, blocked: 0,
		open[0]: 8_000, open[1]: 6_000} {
		if got := f.amount(t, c); got != amount {
			t.Errorf("customer %d's wallet holds %d, want %d", c.Customer.ID, got, amount)
		}
	}
	f.verify(t)
	checkRunningBalances(t, f, rich.Wallet.ID, 100_000)
	if moves := f.Service.GroupCommitStats().Movements; moves.Writes <= moves.Commits {
		t.Errorf("group commit stats %+v: the transfers never shared a commit", moves)
	}
}

// 40 transfers of 20,000 at once into one wallet of level 1, whose deposits may add up to 750
// UDIs a month (637,500 cents): exactly 31 fit, whatever the batches (a batch holds its
// deposits and sends their sums together), the other 9 are refused naming the limit, and the
// month's count is what moved.
func testGroupMonthlyDeposits(t *testing.T, h Harness) {
	f := newLedgerFixture(t, h)
	target := f.customer(t)
	sources := []*saldo.CreatedCustomer{f.customer(t), f.customer(t), f.customer(t), f.customer(t)}
	for _, s := range sources {
		f.fund(t, s, 200_000)
	}
	errs := concurrently(40, func(i int) error {
		_, err := f.transfer(sources[i%len(sources)], target, 20_000)
		return err
	})
	moved, refused := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			moved++
		case saldo.ErrorCode(err) == saldo.ELIMIT && slices.Contains(saldo.ErrorHints(err), "amount:monthly_deposit_limit"):
			refused++
		default:
			t.Errorf("transfer %d: %v", i, err)
		}
	}
	if moved != 31 || refused != 9 {
		t.Errorf("%d moved and %d refused, want 31 and 9", moved, refused)
	}
	if got := f.amount(t, target); got != int64(20_000*moved) {
		t.Errorf("the target holds %d after %d transfers of 20,000", got, moved)
	}
	if got := f.count(t, "SELECT amount FROM wallet_deposits WHERE balance_id = $1", target.Wallet.ID); got != int64(20_000*moved) {
		t.Errorf("the target's month counts %d deposited, want %d", got, 20_000*moved)
	}
	f.verify(t)
}

// 32 top-ups at once from a partner answered from the cache after another process rotated
// its token: every one is refused 401 and none moves money, however they are batched (each
// write of a batch checks the token again after a refused one's savepoint is undone).
func testGroupRotatedToken(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newLedgerFixture(t, h)
	f.unlimited(t)
	e, token, err := f.Service.CreatePartner(ctx, saldo.NewPartner{Name: "rotada"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.Service.CreateCustomer(ctx, e, gen.Customer("", 14000), nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second answers from the cache
		if e, err = f.Service.AuthenticatePartnerForWrite(ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := saldo.NewService(f.Store, f.Clock).RotatePartnerToken(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	errs := concurrently(32, func(i int) error {
		_, err := f.Service.TopUp(ctx, e, saldo.TopUpRequest{ExternalTransactionID: fmt.Sprintf("rot-%d", i),
			BalanceID: c.Wallet.ID, Amount: 100, CustomerID: c.Customer.ID}, nil)
		return err
	})
	for i, err := range errs {
		if saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
			t.Errorf("top-up %d with the rotated token: %v, want unauthorized", i, err)
		}
	}
	if got := f.count(t, "SELECT amount FROM balances WHERE id = $1", c.Wallet.ID); got != 0 {
		t.Errorf("the wallet holds %d after top-ups with a rotated token", got)
	}
}

// checkRunningBalances checks that a balance's entries, in id order, each move it from the
// balance the one before left (starting from its first entry, the fund of first cents) to
// their balance_after: batched writes recorded in the order they moved the money.
func checkRunningBalances(t testing.TB, f *ledgerFixture, balanceID, first int64) {
	t.Helper()
	rows := f.h.Query(t, f.Store, "SELECT id, amount, balance_after FROM ledger_entries WHERE balance_id = $1 ORDER BY id", balanceID)
	if len(rows) == 0 || toInt64(t, rows[0][2]) != first {
		t.Fatalf("balance %d: entries %v, want a first one leaving %d", balanceID, rows, first)
	}
	for i := 1; i < len(rows); i++ {
		before, amount, after := toInt64(t, rows[i-1][2]), toInt64(t, rows[i][1]), toInt64(t, rows[i][2])
		if before+amount != after {
			t.Errorf("balance %d: entry %v moves %d from %d, but records %d after", balanceID, rows[i][0], amount, before, after)
		}
	}
}

// 8 clients that each send 24 creates one after another, each waiting for its answer: with
// the gather, the lane waits after each commit for the writes it answered, and nearly every
// batch holds all 8; without it, they split into batches that take turns (about 4 each).
// A generous gather keeps a slow machine from ending the wait early.
func testGroupGather(t *testing.T, h Harness) {
	ctx := context.Background()
	const clients, each = 8, 24
	perCommit := map[string]float64{}
	for _, gather := range []time.Duration{-1, 200 * time.Millisecond} {
		store := h.Open(t)
		svc := saldo.NewService(store, saldo.NewManualClock(Now),
			saldo.WithGroupCommit(saldo.GroupCommit{Gather: gather}, saldo.GroupCommit{Gather: gather}))
		e, _, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "p"})
		if err != nil {
			t.Fatal(err)
		}
		errs := concurrently(clients, func(i int) error {
			for j := range each {
				if _, err := svc.CreateCustomer(ctx, e, gen.Customer("", uint64(20000+i*each+j)), nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		creates := svc.GroupCommitStats().Creates
		if creates.Writes != clients*each {
			t.Fatalf("gather %v: stats %+v, want %d writes", gather, creates, clients*each)
		}
		perCommit[gather.String()] = float64(creates.Writes) / float64(creates.Commits)
	}
	t.Logf("writes per commit, without the gather and with it: %v", perCommit)
	if perCommit["200ms"] < 6 {
		t.Errorf("writes per commit %v: with the gather, want at least 6 of the 8 clients' in a commit", perCommit)
	}
}

// A write that panics (a bug) is answered EINTERNAL, whichever goroutine commits its batch;
// the writes batched with it commit, and the group goes on taking writes.
func testGroupMemberPanic(t *testing.T, h Harness) {
	ctx := context.Background()
	store := h.Open(t)
	svc := saldo.NewService(&memberFaultStore{store}, saldo.NewManualClock(Now))
	e, _, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 32
	errs := concurrently(n, func(i int) error {
		req := gen.Customer("", uint64(11000+i))
		if i%4 == 0 {
			req.Email = fmt.Sprintf("panic%d@example.com", i)
		}
		_, err := svc.CreateCustomer(ctx, e, req, nil)
		return err
	})
	for i, err := range errs {
		switch {
		case i%4 == 0 && saldo.ErrorCode(err) != saldo.EINTERNAL:
			t.Errorf("create %d, which panics: %v, want an internal error", i, err)
		case i%4 != 0 && err != nil:
			t.Errorf("create %d: %v, want it created", i, err)
		}
	}
	if got := len(h.Rows(t, store, "customers")); got != n*3/4 {
		t.Errorf("customers has %d rows, want %d", got, n*3/4)
	}
	if _, err := svc.CreateCustomer(ctx, e, gen.Customer("", 12000), nil); err != nil {
		t.Errorf("a create after the panics: %v", err)
	}
}
