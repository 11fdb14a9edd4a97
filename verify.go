package saldo

import (
	"context"
)

// LedgerTotals sum up the ledger.
type LedgerTotals struct {
	Transactions int64
	Entries      int64
	Balances     int64 // customer balances
	// InBalances is Σ the customer balances' amounts; InSystemAccounts is Σ the system
	// accounts' entries. A conserved ledger has InBalances + InSystemAccounts = 0.
	InBalances       int64
	InSystemAccounts int64
}

// UnbalancedTransaction is a transaction whose entries do not sum to zero or are fewer than two.
type UnbalancedTransaction struct {
	ID      int64
	Entries int64
	Sum     int64
}

// MismatchedBalance is a balance whose stored amount is not the sum of its entries, or whose
// amount is below what it holds when it is a wallet.
type MismatchedBalance struct {
	ID       int64
	Kind     BalanceKind
	Amount   int64
	Held     int64
	Computed int64 // Σ its entries
}

// LedgerReport is what VerifyLedger found. At most reportLimit of each kind of fault are listed.
type LedgerReport struct {
	Totals     LedgerTotals
	Unbalanced []UnbalancedTransaction
	Mismatched []MismatchedBalance
}

// OK reports whether the ledger is sound.
func (r *LedgerReport) OK() bool {
	return len(r.Unbalanced) == 0 && len(r.Mismatched) == 0 && r.Totals.InBalances+r.Totals.InSystemAccounts == 0
}

const reportLimit = 100

// VerifyLedger recomputes every balance from its entries and checks that every transaction
// sums to zero, in one read-only transaction, so that it sees one consistent state while
// movements go on.
func (s *Service) VerifyLedger(ctx context.Context) (*LedgerReport, error) {
	var r LedgerReport
	err := s.store.View(ctx, func(tx Tx) (err error) {
		if r.Totals, err = tx.LedgerTotals(ctx); err != nil {
			return err
		}
		if r.Unbalanced, err = tx.UnbalancedTransactions(ctx, reportLimit); err != nil {
			return err
		}
		r.Mismatched, err = tx.MismatchedBalances(ctx, reportLimit)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}
