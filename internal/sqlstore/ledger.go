package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/saldo-mx/saldo"
)

// nullable is a column holding a field of T whose zero value is stored as NULL.
func nullable[T any, F comparable](name string, at func(*T) *F) column[T] {
	return column[T]{
		name: name,
		arg: func(r *T, _ Times) any {
			var zero F
			if v := *at(r); v != zero {
				return v
			}
			return nil
		},
		dest: func(r *T, _ Times) any { return &nullDest[F]{at(r)} },
	}
}

// nullDest scans a column that may be NULL into a field, leaving its zero value for NULL.
type nullDest[F any] struct{ v *F }

func (d *nullDest[F]) Scan(src any) error {
	if src == nil {
		var zero F
		*d.v = zero
		return nil
	}
	n := sql.Null[F]{}
	if err := n.Scan(src); err != nil {
		return err
	}
	*d.v = n.V
	return nil
}

// transactionColumns are the ledger_transactions columns, the id first.
var (
	transactionColumns = newColumns("ledger_transactions", []column[saldo.LedgerTransaction]{
		field("id", func(t *saldo.LedgerTransaction) *int64 { return &t.ID }),
		field("ecommerce_id", func(t *saldo.LedgerTransaction) *int64 { return &t.PartnerID }),
		field("kind", func(t *saldo.LedgerTransaction) *string { return (*string)(&t.Kind) }),
		field("status", func(t *saldo.LedgerTransaction) *int { return (*int)(&t.Status) }),
		field("amount", func(t *saldo.LedgerTransaction) *int64 { return &t.Amount }),
		field("reference_kind", func(t *saldo.LedgerTransaction) *string { return &t.ReferenceKind }),
		field("reference_id", func(t *saldo.LedgerTransaction) *string { return &t.ReferenceID }),
		field("request_hash", func(t *saldo.LedgerTransaction) *[]byte { return &t.RequestHash }),
		nullable("reverses_id", func(t *saldo.LedgerTransaction) *int64 { return &t.ReversesID }),
		field("description", func(t *saldo.LedgerTransaction) *string { return &t.Description }),
		field("clabe", func(t *saldo.LedgerTransaction) *string { return &t.CLABE }),
		field("counterparty", func(t *saldo.LedgerTransaction) *string { return &t.Counterparty }),
		field("reason", func(t *saldo.LedgerTransaction) *string { return &t.Reason }),
		instant("created_at", func(t *saldo.LedgerTransaction) *time.Time { return &t.CreatedAt }),
		instant("updated_at", func(t *saldo.LedgerTransaction) *time.Time { return &t.UpdatedAt }),
		nullable("balance_id", func(t *saldo.LedgerTransaction) *int64 { return &t.BalanceID }),
		field("captured", func(t *saldo.LedgerTransaction) *int64 { return &t.Captured }),
		field("refunded", func(t *saldo.LedgerTransaction) *int64 { return &t.Refunded }),
		nullInstant("expires_at", func(t *saldo.LedgerTransaction) *time.Time { return &t.ExpiresAt }),
		field("merchant_name", func(t *saldo.LedgerTransaction) *string { return &t.Merchant.Name }),
		field("mcc", func(t *saldo.LedgerTransaction) *string { return &t.Merchant.MCC }),
	})
	transactionColumnsNoID = transactionColumns.withoutFirst()
)

// entryColumns are the ledger_entries columns written; the id is the engine's. A movement
// inserts two or three at a time.
var entryColumns = newColumns("ledger_entries", []column[saldo.Entry]{
	field("transaction_id", func(e *saldo.Entry) *int64 { return &e.TransactionID }),
	field("ecommerce_id", func(e *saldo.Entry) *int64 { return &e.PartnerID }),
	nullable("balance_id", func(e *saldo.Entry) *int64 { return &e.BalanceID }),
	nullable("customer_id", func(e *saldo.Entry) *int64 { return &e.CustomerID }),
	nullable("system_account", func(e *saldo.Entry) *string { return (*string)(&e.SystemAccount) }),
	field("type", func(e *saldo.Entry) *int { return (*int)(&e.Type) }),
	field("amount", func(e *saldo.Entry) *int64 { return &e.Amount }),
	{
		// Set exactly when the entry is a balance's.
		name: "balance_after",
		arg: func(e *saldo.Entry, _ Times) any {
			if e.BalanceID == 0 {
				return nil
			}
			return e.BalanceAfter
		},
		dest: func(e *saldo.Entry, _ Times) any { return &nullDest[int64]{&e.BalanceAfter} },
	},
	instant("created_at", func(e *saldo.Entry) *time.Time { return &e.CreatedAt }),
})

// entryRead are the entry columns read: the id, then those written.
var entryRead = newColumns("ledger_entries", append([]column[saldo.Entry]{
	field("id", func(e *saldo.Entry) *int64 { return &e.ID }),
}, entryColumns.list...))

// walletAccountQuery reads a wallet with its owner's status and level limits and a day's UDI
// value ($3). The caller appends the WHERE clause's condition on b; $1 and $2 are its.
const walletAccountQuery = "SELECT b.id, b.amount, b.held, b.ecommerce_id, b.customer_id, c.account_status," +
	" k.level, k.monthly_deposit_limit_udis, k.balance_cap_udis," +
	" COALESCE((SELECT value_micros FROM udi_values WHERE day <= $3 ORDER BY day DESC LIMIT 1), 0)" +
	" FROM balances b JOIN customers c ON c.id = b.customer_id JOIN kyc_levels k ON k.level = c.account_level" +
	" WHERE b.kind = 'wallet' AND b.ecommerce_id = $2 AND "

// walletAccountsQuery is walletAccountQuery with the partner as $1 and the day as $2, for
// ReadTransfers.
var walletAccountsQuery = strings.NewReplacer("$3", "$2", "b.ecommerce_id = $2", "b.ecommerce_id = $1").Replace(walletAccountQuery)

var (
	insertTransaction       = transactionColumnsNoID.insert(1) + " RETURNING id"
	insertTransactionWithID = newRowsInsert(transactionColumns, true)
	insertEntries           = newRowsInsert(entryColumns, false)
	selectTransaction       = transactionColumns.selectWhere("id = $1 AND ecommerce_id = $2")
	selectTransactionByRef  = transactionColumns.selectWhere("ecommerce_id = $1 AND reference_kind = $2 AND reference_id = $3")
	selectEntries           = entryRead.selectWhere("transaction_id = $1 ORDER BY id")
	selectBalance           = balanceColumns.selectWhere("id = $1 AND ecommerce_id = $2")
	selectWalletAccount     = walletAccountQuery + "b.customer_id = $1"
	selectWalletAccountByID = walletAccountQuery + "b.id = $1"
	// A movement's rules are its UPDATE's condition: the balance is active (a block that
	// committed first refuses it), and within its floor or cap.
	debitBalance         = "UPDATE balances SET amount = amount - $2 WHERE id = $1 AND status = 1 AND amount - $2 >= held RETURNING id, amount, held"
	creditBalance        = "UPDATE balances SET amount = amount + $2 WHERE id = $1 AND status = 1 RETURNING id, amount, held"
	creditBalanceCapped  = "UPDATE balances SET amount = amount + $2 WHERE id = $1 AND status = 1 AND amount + $2 <= $3 RETURNING id, amount, held"
	returnToBalance      = "UPDATE balances SET amount = amount + $2 WHERE id = $1 RETURNING id, amount, held"
	setTransactionStatus = "UPDATE ledger_transactions SET status = $3, reason = $4, updated_at = $5 WHERE id = $1 AND status = $2"
	addDeposit           = "INSERT INTO wallet_deposits (balance_id, month, amount) VALUES ($1, $2, $3)" +
		" ON CONFLICT (balance_id, month) DO UPDATE SET amount = wallet_deposits.amount + excluded.amount" +
		" WHERE wallet_deposits.amount + excluded.amount <= $4 RETURNING amount"
)

func walletAccountDests(w *saldo.WalletAccount) []any {
	return []any{&w.ID, &w.Amount, &w.Held, &w.PartnerID, &w.CustomerID,
		&w.CustomerStatus, &w.Level.Level, &w.Level.MonthlyDepositLimit, &w.Level.BalanceCap, &w.UDIMicros}
}

func (t *tx) walletAccount(ctx context.Context, query string, id, partnerID int64, day string) (*saldo.WalletAccount, error) {
	var w saldo.WalletAccount
	err := t.conn.QueryRow(ctx, query, id, partnerID, day).Scan(walletAccountDests(&w)...)
	if err != nil {
		return nil, t.notFound(err, "wallet")
	}
	return &w, nil
}

func (t *tx) WalletAccount(ctx context.Context, partnerID, customerID int64, day string) (*saldo.WalletAccount, error) {
	return t.walletAccount(ctx, selectWalletAccount, customerID, partnerID, day)
}

func (t *tx) WalletAccountByID(ctx context.Context, partnerID, balanceID int64, day string) (*saldo.WalletAccount, error) {
	return t.walletAccount(ctx, selectWalletAccountByID, balanceID, partnerID, day)
}

func (t *tx) Balance(ctx context.Context, partnerID, id int64) (*saldo.Balance, error) {
	var b saldo.Balance
	if err := t.conn.QueryRow(ctx, selectBalance, id, partnerID).Scan(balanceColumns.dests(&b, t.d.Times)...); err != nil {
		return nil, t.notFound(err, "balance_id")
	}
	return &b, nil
}

func (t *tx) InsertTransaction(ctx context.Context, lt *saldo.LedgerTransaction) error {
	if id := nextID(&t.reserved.Transactions); id != 0 {
		lt.ID = id
		return t.insertRows(ctx, insertTransactionWithID, 1, transactionColumns.args(lt, t.d.Times))
	}
	return t.d.Translate(t.conn.QueryRow(ctx, insertTransaction, transactionColumnsNoID.args(lt, t.d.Times)...).Scan(&lt.ID))
}

func (t *tx) transactionWhere(ctx context.Context, query string, args ...any) (*saldo.LedgerTransaction, error) {
	var lt saldo.LedgerTransaction
	if err := t.conn.QueryRow(ctx, query, args...).Scan(transactionColumns.dests(&lt, t.d.Times)...); err != nil {
		return nil, t.notFound(err, "transaction")
	}
	return &lt, nil
}

func (t *tx) TransactionByReference(ctx context.Context, partnerID int64, kind, id string) (*saldo.LedgerTransaction, error) {
	return t.transactionWhere(ctx, selectTransactionByRef, partnerID, kind, id)
}

func (t *tx) LedgerTransaction(ctx context.Context, partnerID, id int64, lock bool) (*saldo.LedgerTransaction, error) {
	q := selectTransaction
	if lock {
		q += t.d.ForUpdate
	}
	return t.transactionWhere(ctx, q, id, partnerID)
}

func (t *tx) SetTransactionStatus(ctx context.Context, id int64, from, to saldo.TransactionStatus, reason string, now time.Time) error {
	n, err := t.conn.Exec(ctx, setTransactionStatus, id, int(from), int(to), reason, t.d.Times.Arg(now))
	if err != nil {
		return t.d.Translate(err)
	}
	if n == 0 {
		return saldo.Errorf(saldo.EINVALIDSTATE, "transaction:not_pending")
	}
	return nil
}

// moveBalance runs a conditional update of balance id; no row means its condition refused
// it: ENOTACTIVE when the balance is not active, else refusal.
func (t *tx) moveBalance(ctx context.Context, id int64, refusal error, query string, args ...any) (saldo.BalanceAmounts, error) {
	var b saldo.BalanceAmounts
	err := t.conn.QueryRow(ctx, query, args...).Scan(&b.ID, &b.Amount, &b.Held)
	if !t.d.IsNoRows(err) {
		return b, t.d.Translate(err)
	}
	var status int
	if err := t.conn.QueryRow(ctx, "SELECT status FROM balances WHERE id = $1", id).Scan(&status); err != nil {
		return b, t.notFound(err, "balance_id")
	}
	if status != saldo.BalanceStatusActive {
		return b, saldo.Errorf(saldo.ENOTACTIVE, "account:not_active")
	}
	return b, refusal
}

func (t *tx) Debit(ctx context.Context, id, amount int64) (saldo.BalanceAmounts, error) {
	return t.moveBalance(ctx, id, saldo.Errorf(saldo.EFUNDS, "amount:insufficient_funds"), debitBalance, id, amount)
}

func (t *tx) Credit(ctx context.Context, id, amount int64, limit saldo.Limit) (saldo.BalanceAmounts, error) {
	if !limit.Set {
		return t.moveBalance(ctx, id, saldo.WrapError(saldo.EINTERNAL, saldo.ErrLedger, "balance %d refused an uncapped credit", id), creditBalance, id, amount)
	}
	return t.moveBalance(ctx, id, saldo.Errorf(saldo.ELIMIT, "amount:balance_cap"), creditBalanceCapped, id, amount, limit.Cents)
}

// moveBetween debits $1 and credits $2 by $3 in one statement. Its CTE locks both rows in id
// order first (a locking clause applies after ORDER BY), so that moves between the same two
// balances in opposite directions never wait on each other in a cycle; the engine's locking
// clause goes between the two halves. Each row's condition is its own rule; a row that fails
// it is left out, and the caller refuses a move that did not change both.
var moveBetween = [2]string{
	"WITH locked AS (SELECT id FROM balances WHERE id IN ($1, $2) ORDER BY id",
	") UPDATE balances SET amount = amount + CASE WHEN balances.id = $1 THEN -$3 ELSE $3 END" +
		" FROM locked WHERE balances.id = locked.id AND status = 1" +
		" AND (balances.id <> $1 OR amount - $3 >= held) AND (balances.id <> $2 OR $4 = 0 OR amount + $3 <= $5)" +
		" RETURNING balances.id, amount, held",
}

func (t *tx) Move(ctx context.Context, from, to, amount int64, limit saldo.Limit) (fromAfter, toAfter saldo.BalanceAmounts, err error) {
	capped := 0
	if limit.Set {
		capped = 1
	}
	moved, err := queryAll(ctx, t, func(rows Rows) (saldo.BalanceAmounts, error) {
		var b saldo.BalanceAmounts
		err := rows.Scan(&b.ID, &b.Amount, &b.Held)
		return b, err
	}, moveBetween[0]+t.d.ForUpdate+moveBetween[1], from, to, amount, capped, limit.Cents)
	if err != nil {
		return fromAfter, toAfter, err
	}
	for _, b := range moved {
		if b.ID == from {
			fromAfter = b
		} else {
			toAfter = b
		}
	}
	if len(moved) == 2 {
		return fromAfter, toAfter, nil
	}
	return fromAfter, toAfter, t.moveRefusal(ctx, from, to, amount, limit)
}

// moveRefusal says why a move changed fewer than both balances: the first rule it finds
// broken, in the order the debit's come first.
func (t *tx) moveRefusal(ctx context.Context, from, to, amount int64, limit saldo.Limit) error {
	var fromStatus, toStatus int
	var fromAmount, fromHeld, toAmount int64
	err := t.conn.QueryRow(ctx, "SELECT f.status, f.amount, f.held, d.status, d.amount FROM balances f, balances d WHERE f.id = $1 AND d.id = $2",
		from, to).Scan(&fromStatus, &fromAmount, &fromHeld, &toStatus, &toAmount)
	if err != nil {
		return t.notFound(err, "balance_id")
	}
	switch {
	case fromStatus != saldo.BalanceStatusActive:
		return &saldo.Error{Code: saldo.ENOTACTIVE, Hints: []string{"account:not_active"}, Err: &saldo.MoveRefusal{From: true}}
	case toStatus != saldo.BalanceStatusActive:
		return &saldo.Error{Code: saldo.ENOTACTIVE, Hints: []string{"account:not_active"}, Err: &saldo.MoveRefusal{}}
	case fromAmount-amount < fromHeld:
		return saldo.Errorf(saldo.EFUNDS, "amount:insufficient_funds")
	case limit.Set && toAmount+amount > limit.Cents:
		return saldo.Errorf(saldo.ELIMIT, "amount:balance_cap")
	}
	return saldo.WrapError(saldo.EINTERNAL, saldo.ErrLedger, "move of %d from %d to %d refused for no rule", amount, from, to)
}

// transferMove is ReadTransfers' speculative move, of ($1 partner, $2 source customer, $3
// target customer, $4 day, $5 amount), in two halves around the engine's locking clause. As
// in moveBetween, its CTE locks both wallets in id order first; it then moves both or neither:
// only when both wallets are active, both customers active, the source covers the amount and
// the target stays within its cap (computed as saldo's udisToCents does). A locked row is read
// as it is once locked, so the rules judge what the update changes.
var transferMove = [2]string{
	"WITH locked AS (SELECT b.id, b.customer_id, b.amount, b.held, b.status, c.account_status, k.balance_cap_udis AS cap," +
		" COALESCE((SELECT value_micros FROM udi_values WHERE day <= $4 ORDER BY day DESC LIMIT 1), 0) AS udi" +
		" FROM balances b JOIN customers c ON c.id = b.customer_id JOIN kyc_levels k ON k.level = c.account_level" +
		" WHERE b.kind = 'wallet' AND b.ecommerce_id = $1 AND b.customer_id IN ($2, $3) ORDER BY b.id",
	"), allowed AS (SELECT count(*) AS n FROM locked WHERE status = 1 AND account_status = 1" +
		" AND (customer_id <> $2 OR amount - $5 >= held)" +
		" AND (customer_id <> $3 OR cap IS NULL OR (udi > 0 AND amount + $5 <= cap * udi / 10000)))" +
		" UPDATE balances SET amount = balances.amount + CASE WHEN balances.customer_id = $2 THEN -$5 ELSE $5 END" +
		" FROM locked, allowed WHERE balances.id = locked.id AND allowed.n = 2" +
		" RETURNING balances.id, balances.customer_id, balances.amount, balances.held",
}

// ReadTransfers sends the transfers' token lookup (one for all), their wallets' read (one a
// partner and day) and each one's speculative move, all of them together.
func (t *tx) ReadTransfers(ctx context.Context, qs ...saldo.TransferQuery) ([]saldo.TransferRead, error) {
	lock := ""
	if t.d.ForUpdate != "" {
		lock = t.d.ForUpdate + " OF b"
	}
	r := newTransferReads(t, qs)
	moved := make([][]movedBalance, len(qs))
	for i, q := range qs {
		r.queries = append(r.queries, Query{SQL: transferMove[0] + lock + transferMove[1], Args: []any{q.PartnerID, q.Source, q.Target, q.Day, q.Amount}, Scan: func(rows Rows) error {
			for rows.Next() {
				var b movedBalance
				if err := rows.Scan(&b.ID, &b.owner, &b.Amount, &b.Held); err != nil {
					return err
				}
				moved[i] = append(moved[i], b)
			}
			return nil
		}})
	}
	reads, err := r.send(ctx)
	if err != nil {
		return nil, err
	}
	for i, q := range qs {
		switch len(moved[i]) {
		case 0:
		case 2:
			reads[i].Moved = true
			for _, b := range moved[i] {
				if b.owner == q.Source {
					reads[i].SourceAfter = b.BalanceAmounts
				} else {
					reads[i].TargetAfter = b.BalanceAmounts
				}
			}
		default:
			return nil, saldo.WrapError(saldo.EINTERNAL, saldo.ErrLedger, "a transfer moved %d balances", len(moved[i]))
		}
	}
	return reads, nil
}

// LockTransfers sends what ReadTransfers sends, with one lock of all the transfers' wallets
// in id order instead of their moves.
func (t *tx) LockTransfers(ctx context.Context, qs ...saldo.TransferQuery) ([]saldo.TransferRead, []saldo.LockedBalance, error) {
	r := newTransferReads(t, qs)
	// Every wallet the reads read, of whichever partner and day.
	var partners, customers []any
	for _, w := range r.walletReads {
		if !slices.Contains(partners, any(w.partner)) {
			partners = append(partners, w.partner)
		}
		for _, c := range w.customers {
			if !slices.Contains(customers, any(c)) {
				customers = append(customers, c)
			}
		}
	}
	var locked []saldo.LockedBalance
	r.queries = append(r.queries, Query{
		SQL: "SELECT id, amount, held, status FROM balances WHERE kind = 'wallet' AND ecommerce_id IN (" + inList(1, len(partners)) +
			") AND customer_id IN (" + inList(len(partners)+1, len(customers)) + ") ORDER BY id" + t.d.ForUpdate,
		Args: append(partners, customers...), Scan: func(rows Rows) error {
			for rows.Next() {
				var b saldo.LockedBalance
				var status int
				if err := rows.Scan(&b.ID, &b.Amount, &b.Held, &status); err != nil {
					return err
				}
				b.Active = status == saldo.BalanceStatusActive
				locked = append(locked, b)
			}
			return nil
		}})
	reads, err := r.send(ctx)
	if err != nil {
		return nil, nil, err
	}
	return reads, locked, nil
}

// applyMove is ApplyMoves' statement for one balance where the engine has no statement for
// many (Dialect.ApplyMoves).
const applyMove = "UPDATE balances SET amount = amount + $2 WHERE id = $1"

func (t *tx) ApplyMoves(ctx context.Context, changes []saldo.BalanceChange) error {
	if t.d.ApplyMoves != "" {
		ids, amounts := make([]int64, len(changes)), make([]int64, len(changes))
		for i, c := range changes {
			ids[i], amounts[i] = c.ID, c.Amount
		}
		return t.d.Translate(t.conn.Send(ctx, t.d.ApplyMoves, ids, amounts))
	}
	for _, c := range changes {
		if err := t.conn.Send(ctx, applyMove, c.ID, c.Amount); err != nil {
			return t.d.Translate(err)
		}
	}
	return nil
}

// transferReads are the reads every batch of transfers sends: the tokens' lookup (one for
// all) and the wallets' read (one a partner and day). The caller appends its own queries,
// then sends them all together.
type transferReads struct {
	t       *tx
	qs      []saldo.TransferQuery
	queries []Query
	// walletReads are the wallets' reads, a partner and day each.
	walletReads []walletRead
	tokens      map[string]*saldo.Token
	wallets     map[walletKey]saldo.WalletAccount
}

type walletKey struct {
	partner, customer int64
	day               string
}

func newTransferReads(t *tx, qs []saldo.TransferQuery) *transferReads {
	r := &transferReads{t: t, qs: qs, tokens: map[string]*saldo.Token{}, wallets: map[walletKey]saldo.WalletAccount{}}
	hashes := transferTokenHashes(qs)
	r.queries = append(r.queries, Query{SQL: tokenRead.selectWhere("hash IN (" + inList(1, len(hashes)) + ")"),
		Args: hashes, Scan: func(rows Rows) error {
			for rows.Next() {
				var tr tokenRow
				if err := rows.Scan(tokenRead.dests(&tr, t.d.Times)...); err != nil {
					return err
				}
				r.tokens[string(tr.Hash)] = tr.token()
			}
			return nil
		}})
	r.walletReads = transferWalletReads(qs)
	for _, w := range r.walletReads {
		r.queries = append(r.queries, Query{SQL: walletAccountsQuery + "b.customer_id IN (" + inList(3, len(w.customers)) + ")",
			Args: w.args(), Scan: func(rows Rows) error {
				for rows.Next() {
					var a saldo.WalletAccount
					if err := rows.Scan(walletAccountDests(&a)...); err != nil {
						return err
					}
					r.wallets[walletKey{a.PartnerID, a.CustomerID, w.day}] = a
				}
				return nil
			}})
	}
	return r
}

// send sends the queries together and returns each transfer's token and wallets.
func (r *transferReads) send(ctx context.Context) ([]saldo.TransferRead, error) {
	if err := r.t.conn.Queries(ctx, r.queries...); err != nil {
		return nil, r.t.d.Translate(err)
	}
	reads := make([]saldo.TransferRead, len(r.qs))
	for i, q := range r.qs {
		reads[i].Token = r.tokens[string(q.TokenHash)]
		customers := []int64{q.Source, q.Target}
		if q.Source == q.Target {
			customers = customers[:1]
		}
		for _, c := range customers {
			if w, ok := r.wallets[walletKey{q.PartnerID, c, q.Day}]; ok {
				reads[i].Wallets = append(reads[i].Wallets, w)
			}
		}
	}
	return reads, nil
}

// movedBalance is a balance after a speculative move, with its owner.
type movedBalance struct {
	saldo.BalanceAmounts
	owner int64
}

func (t *tx) Return(ctx context.Context, id, amount int64) (saldo.BalanceAmounts, error) {
	return t.moveBalance(ctx, id, saldo.WrapError(saldo.EINTERNAL, saldo.ErrLedger, "balance %d not found", id), returnToBalance, id, amount)
}

func (t *tx) AddDeposit(ctx context.Context, balanceID int64, month string, amount int64, limit saldo.Limit) error {
	refused := saldo.Errorf(saldo.ELIMIT, "amount:monthly_deposit_limit")
	if !limit.Set {
		// A level without a monthly limit counts nothing (saldo's addDeposit never asks).
		return nil
	}
	if amount > limit.Cents {
		return refused
	}
	cents := limit.Cents
	if t.held != nil && t.d.AddDeposits != "" {
		if !t.held.deposit(balanceID, month, amount, cents) {
			return refused
		}
		return nil
	}
	if t.d.AddDeposit != "" {
		return t.d.Translate(t.conn.Send(ctx, t.d.AddDeposit, balanceID, month, amount, cents))
	}
	var total int64
	err := t.conn.QueryRow(ctx, addDeposit, balanceID, month, amount, cents).Scan(&total)
	if t.d.IsNoRows(err) {
		return refused
	}
	return t.d.Translate(err)
}

func (t *tx) Deposits(ctx context.Context, balanceID int64, month string) (int64, error) {
	var total int64
	err := t.conn.QueryRow(ctx, "SELECT amount FROM wallet_deposits WHERE balance_id = $1 AND month = $2", balanceID, month).Scan(&total)
	if t.d.IsNoRows(err) {
		return 0, nil
	}
	return total, t.d.Translate(err)
}

func (t *tx) InsertEntries(ctx context.Context, entries []saldo.Entry) error {
	args := make([]any, 0, len(entries)*len(entryColumns.list))
	for i := range entries {
		args = entryColumns.appendArgs(args, &entries[i], t.d.Times)
	}
	return t.insertRows(ctx, insertEntries, len(entries), args)
}

func (t *tx) Entries(ctx context.Context, transactionID int64) ([]saldo.Entry, error) {
	return queryAll(ctx, t, func(rows Rows) (saldo.Entry, error) {
		var e saldo.Entry
		err := rows.Scan(entryRead.dests(&e, t.d.Times)...)
		return e, err
	}, selectEntries, transactionID)
}

func (t *tx) CustomerTransactions(ctx context.Context, partnerID, customerID int64, q saldo.TransactionQuery) ([]saldo.TransactionLine, int, error) {
	where := []string{"e.customer_id = $1", "e.ecommerce_id = $2"}
	args := []any{customerID, partnerID}
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.Replace(cond, "?", dollar(len(args)), 1))
	}
	if !q.From.IsZero() {
		add("e.created_at >= ?", t.d.Times.Arg(q.From))
	}
	if !q.To.IsZero() {
		add("e.created_at < ?", t.d.Times.Arg(q.To))
	}
	if q.TransactionID != 0 {
		add("e.transaction_id = ?", q.TransactionID)
	}
	from := " FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id WHERE " + strings.Join(where, " AND ")
	var total int
	if err := t.conn.QueryRow(ctx, "SELECT count(*)"+from, args...).Scan(&total); err != nil {
		return nil, 0, t.d.Translate(err)
	}
	order := " ORDER BY e.id DESC"
	if q.Ascending {
		order = " ORDER BY e.id"
	}
	n := len(args)
	args = append(args, q.Limit, q.Offset)
	lines, err := queryAll(ctx, t, func(rows Rows) (saldo.TransactionLine, error) {
		var l saldo.TransactionLine
		err := rows.Scan(&l.TransactionID, &l.Amount, (*int)(&l.Type), (*int)(&l.Status), &l.Description, &l.ReferenceID, &l.MCC, t.d.Times.Dest(&l.CreatedAt))
		return l, err
	}, "SELECT e.transaction_id, e.amount, e.type, t.status, t.description, t.reference_id, t.mcc, e.created_at"+from+order+
		" LIMIT "+dollar(n+1)+" OFFSET "+dollar(n+2), args...)
	return lines, total, err
}

const (
	ledgerTotals = "SELECT (SELECT count(*) FROM ledger_transactions), (SELECT count(*) FROM ledger_entries)," +
		" (SELECT count(*) FROM balances), (SELECT CAST(COALESCE(sum(amount), 0) AS BIGINT) FROM balances)," +
		" (SELECT CAST(COALESCE(sum(amount), 0) AS BIGINT) FROM ledger_entries WHERE system_account IS NOT NULL)"
	// Transactions whose entries are fewer than two or do not sum to zero, those without
	// entries, and entries without a transaction.
	unbalancedTransactions = "SELECT transaction_id, count(*), CAST(sum(amount) AS BIGINT) FROM ledger_entries" +
		" GROUP BY transaction_id HAVING count(*) < 2 OR sum(amount) <> 0" +
		" UNION ALL SELECT t.id, 0, 0 FROM ledger_transactions t" +
		" WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id)" +
		// An authorization moves no money until it is captured.
		" AND NOT (t.kind = 'charge' AND t.captured = 0)" +
		" UNION ALL SELECT e.transaction_id, count(*), CAST(sum(e.amount) AS BIGINT) FROM ledger_entries e" +
		" WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.id = e.transaction_id) GROUP BY e.transaction_id" +
		" ORDER BY 1 LIMIT $1"
	// Balances whose amount is not the sum of their entries, or below what they hold, and
	// children that hold other than the sum of their pending authorizations.
	mismatchedBalances = "SELECT b.id, b.kind, b.amount, b.held, CAST(COALESCE(s.total, 0) AS BIGINT) FROM balances b" +
		" LEFT JOIN (SELECT balance_id, sum(amount) AS total FROM ledger_entries WHERE balance_id IS NOT NULL GROUP BY balance_id) s" +
		" ON s.balance_id = b.id" +
		" LEFT JOIN (SELECT balance_id, sum(amount) AS total FROM ledger_transactions WHERE kind = 'charge' AND status = 1 GROUP BY balance_id) h" +
		" ON h.balance_id = b.id" +
		" WHERE b.amount <> COALESCE(s.total, 0) OR b.held < 0 OR (b.kind = 'wallet' AND b.amount < b.held)" +
		" OR (b.kind = 'composite_child' AND b.held <> COALESCE(h.total, 0))" +
		" ORDER BY b.id LIMIT $1"
)

func (t *tx) LedgerTotals(ctx context.Context) (saldo.LedgerTotals, error) {
	var s saldo.LedgerTotals
	err := t.conn.QueryRow(ctx, ledgerTotals).Scan(&s.Transactions, &s.Entries, &s.Balances, &s.InBalances, &s.InSystemAccounts)
	return s, t.d.Translate(err)
}

func (t *tx) UnbalancedTransactions(ctx context.Context, limit int) ([]saldo.UnbalancedTransaction, error) {
	return queryAll(ctx, t, func(rows Rows) (saldo.UnbalancedTransaction, error) {
		var u saldo.UnbalancedTransaction
		err := rows.Scan(&u.ID, &u.Entries, &u.Sum)
		return u, err
	}, unbalancedTransactions, limit)
}

func (t *tx) MismatchedBalances(ctx context.Context, limit int) ([]saldo.MismatchedBalance, error) {
	return queryAll(ctx, t, func(rows Rows) (saldo.MismatchedBalance, error) {
		var m saldo.MismatchedBalance
		err := rows.Scan(&m.ID, (*string)(&m.Kind), &m.Amount, &m.Held, &m.Computed)
		return m, err
	}, mismatchedBalances, limit)
}

func (t *tx) KYCLevels(ctx context.Context) ([]saldo.KYCLevel, error) {
	return queryAll(ctx, t, func(rows Rows) (saldo.KYCLevel, error) {
		var l saldo.KYCLevel
		err := rows.Scan(&l.Level, &l.MonthlyDepositLimit, &l.BalanceCap)
		return l, err
	}, "SELECT level, monthly_deposit_limit_udis, balance_cap_udis FROM kyc_levels ORDER BY level")
}

func (t *tx) LockKYCLevel(ctx context.Context, level int) (saldo.KYCLevel, error) {
	l := saldo.KYCLevel{Level: level}
	err := t.conn.QueryRow(ctx, "SELECT monthly_deposit_limit_udis, balance_cap_udis FROM kyc_levels WHERE level = $1"+t.d.ForUpdate,
		level).Scan(&l.MonthlyDepositLimit, &l.BalanceCap)
	if err != nil {
		return l, t.notFound(err, "level")
	}
	return l, nil
}

func (t *tx) SetKYCLevel(ctx context.Context, l saldo.KYCLevel) error {
	n, err := t.conn.Exec(ctx, "UPDATE kyc_levels SET monthly_deposit_limit_udis = $2, balance_cap_udis = $3 WHERE level = $1",
		l.Level, l.MonthlyDepositLimit, l.BalanceCap)
	if err != nil {
		return t.d.Translate(err)
	}
	if n == 0 {
		return saldo.Errorf(saldo.ENOTFOUND, "level:not_found")
	}
	return nil
}

// udiBatch is how many UDI values one statement stores.
const udiBatch = 500

func (t *tx) SetUDIValues(ctx context.Context, values []saldo.UDIValue) error {
	for len(values) > 0 {
		batch := values[:min(len(values), udiBatch)]
		values = values[len(batch):]
		args := make([]any, 0, 2*len(batch))
		for _, v := range batch {
			args = append(args, v.Day, v.Micros)
		}
		q := insert("udi_values", "day, value_micros", 2, len(batch)) +
			" ON CONFLICT (day) DO UPDATE SET value_micros = excluded.value_micros"
		if _, err := t.conn.Exec(ctx, q, args...); err != nil {
			return t.d.Translate(err)
		}
	}
	return nil
}

func (t *tx) LatestUDIValue(ctx context.Context) (saldo.UDIValue, error) {
	var v saldo.UDIValue
	err := t.conn.QueryRow(ctx, "SELECT day, value_micros FROM udi_values ORDER BY day DESC LIMIT 1").Scan(&v.Day, &v.Micros)
	if err != nil {
		return v, t.notFound(err, "udi")
	}
	return v, nil
}

func (t *tx) UpdatePartner(ctx context.Context, e *saldo.Partner) error {
	r := partnerRow{e: e}
	n, err := t.conn.Exec(ctx, updatePartner.sql, updatePartner.args(&r, t.d.Times, e.ID)...)
	if err != nil {
		return t.d.Translate(err)
	}
	if n == 0 {
		return saldo.Errorf(saldo.ENOTFOUND, "ecommerce:not_found")
	}
	return nil
}

// eventRead are the events columns read.
var eventRead = newColumns("events", []column[saldo.Event]{
	field("id", func(ev *saldo.Event) *int64 { return &ev.ID }),
	field("ecommerce_id", func(ev *saldo.Event) *int64 { return &ev.PartnerID }),
	field("type", func(ev *saldo.Event) *string { return &ev.Type }),
	field("subject_id", func(ev *saldo.Event) *string { return &ev.SubjectID }),
	{
		name: "payload",
		arg:  func(ev *saldo.Event, _ Times) any { return string(ev.Payload) },
		dest: func(ev *saldo.Event, _ Times) any { return (*textBytes)(&ev.Payload) },
	},
	instant("created_at", func(ev *saldo.Event) *time.Time { return &ev.CreatedAt }),
})

// textBytes scans a text or JSON column into bytes, whichever form the driver gives.
type textBytes []byte

func (b *textBytes) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*b = []byte(v)
	case []byte:
		*b = append((*b)[:0], v...)
	default:
		return fmt.Errorf("sqlstore: event payload of type %T", src)
	}
	return nil
}

// eventsAfterByID is the event feed on an engine whose writers are serialized.
var eventsAfterByID = eventRead.selectWhere("ecommerce_id = $1 AND id > $2 ORDER BY id LIMIT $3")

// EventsAfterByXID is the event feed on PostgreSQL (migration 0011): in (xid, id) order, and
// only events whose transaction is older than every transaction still running.
var EventsAfterByXID = eventRead.selectWhere("ecommerce_id = $1" +
	" AND xid < pg_snapshot_xmin(pg_current_snapshot())" +
	" AND ($2::bigint = 0 OR (xid, id) > (SELECT c.xid, c.id FROM events c WHERE c.id = $2::bigint))" +
	" ORDER BY xid, id LIMIT $3")

func (t *tx) EventsAfter(ctx context.Context, partnerID, after int64, limit int) ([]saldo.Event, error) {
	q := eventsAfterByID
	if t.d.EventsAfter != "" {
		q = t.d.EventsAfter
	}
	return queryAll(ctx, t, func(rows Rows) (saldo.Event, error) {
		var ev saldo.Event
		err := rows.Scan(eventRead.dests(&ev, t.d.Times)...)
		return ev, err
	}, q, partnerID, after, limit)
}

func (t *tx) Event(ctx context.Context, partnerID, id int64) (*saldo.Event, error) {
	var ev saldo.Event
	err := t.conn.QueryRow(ctx, eventRead.selectWhere("id = $1 AND ecommerce_id = $2"), id, partnerID).Scan(eventRead.dests(&ev, t.d.Times)...)
	if err != nil {
		return nil, t.notFound(err, "after")
	}
	return &ev, nil
}

// transferTokenHashes are the token hashes of qs, each once, for ReadTransfers' lookup.
func transferTokenHashes(qs []saldo.TransferQuery) []any {
	var args []any
	seen := map[string]bool{}
	for _, q := range qs {
		if !seen[string(q.TokenHash)] {
			seen[string(q.TokenHash)] = true
			args = append(args, q.TokenHash)
		}
	}
	return args
}

// walletRead is one read of a partner's wallets on a day, for the customers of transfers.
type walletRead struct {
	partner   int64
	day       string
	customers []int64
}

// args are the read's arguments: the partner, the day, then the customers.
func (w walletRead) args() []any {
	args := []any{w.partner, w.day}
	for _, c := range w.customers {
		args = append(args, c)
	}
	return args
}

// transferWalletReads groups the wallets qs read by partner and day, each customer once.
func transferWalletReads(qs []saldo.TransferQuery) []walletRead {
	var reads []walletRead
	for _, q := range qs {
		i := slices.IndexFunc(reads, func(w walletRead) bool { return w.partner == q.PartnerID && w.day == q.Day })
		if i < 0 {
			reads = append(reads, walletRead{partner: q.PartnerID, day: q.Day})
			i = len(reads) - 1
		}
		for _, c := range []int64{q.Source, q.Target} {
			if !slices.Contains(reads[i].customers, c) {
				reads[i].customers = append(reads[i].customers, c)
			}
		}
	}
	return reads
}
