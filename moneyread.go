package saldo

import (
	"context"
	"time"
)

// Transactions limits.
const (
	DefaultTransactionsLimit = 20
	MaxTransactionsLimit     = 100
)

// TransactionPage is a page of a customer's transactions and how many match in all.
type TransactionPage struct {
	Lines []TransactionLine
	Total int
}

// Transactions returns a page of the transactions on partner e's customer's balances.
func (s *Service) Transactions(ctx context.Context, e *Partner, customerID int64, q TransactionQuery) (*TransactionPage, error) {
	var h Hints
	if q.Limit < 1 || q.Limit > MaxTransactionsLimit {
		h.Add("limit", "invalid")
	}
	if q.Offset < 0 {
		h.Add("offset", "invalid")
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		h.Add("to", "before_from")
	}
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	var page TransactionPage
	err := s.store.View(ctx, func(tx Tx) error {
		if _, err := tx.Customer(ctx, e.ID, customerID); err != nil {
			return err
		}
		var err error
		page.Lines, page.Total, err = tx.CustomerTransactions(ctx, e.ID, customerID, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// DayRange returns the instants that bound Mexico City days from and to (YYYY-MM-DD, either
// may be ""): from's midnight, and the midnight after to.
func DayRange(from, to string) (start, end time.Time, h Hints) {
	parse := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", s, MexicoCity)
		if err != nil {
			h.Add(field, "invalid")
		}
		return t
	}
	start, end = parse("from", from), parse("to", to)
	if !end.IsZero() {
		end = end.AddDate(0, 0, 1)
	}
	return start, end, h
}

// WalletLimits are a wallet's KYC limits in cents at today's UDI value, and what is left of
// them. A nil limit is none; Known is false when no UDI value is known for today.
type WalletLimits struct {
	Level                   int
	Known                   bool
	MonthlyDepositLimit     *int64
	MonthlyDepositRemaining *int64
	BalanceCap              *int64
	BalanceCapRemaining     *int64
}

// BalanceView is a balance as GET /wallet/v1/balance/{id} shows it.
type BalanceView struct {
	Balance Balance
	Limits  *WalletLimits // wallets only
}

// Balance returns partner e's balance id, with its KYC limits when it is a wallet.
func (s *Service) Balance(ctx context.Context, e *Partner, id int64) (*BalanceView, error) {
	now := s.clock.Now()
	var v BalanceView
	err := s.store.View(ctx, func(tx Tx) error {
		b, err := tx.Balance(ctx, e.ID, id)
		if err != nil {
			return err
		}
		v.Balance = *b
		if b.Kind != BalanceWallet {
			return nil
		}
		acct, err := tx.WalletAccountByID(ctx, e.ID, id, dayIn(now))
		if err != nil {
			return err
		}
		deposits, err := tx.Deposits(ctx, id, monthIn(now))
		if err != nil {
			return err
		}
		v.Limits = walletLimits(acct, deposits)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// walletLimits computes a wallet's limits and what is left of them.
func walletLimits(acct *WalletAccount, deposits int64) *WalletLimits {
	l := &WalletLimits{Level: acct.Level.Level, Known: !acct.Level.Limited() || acct.UDIMicros != 0}
	if !l.Known {
		return l
	}
	if m := limitCents(acct.Level.MonthlyDepositLimit, acct.UDIMicros); m.Set {
		left := max(0, m.Cents-deposits)
		l.MonthlyDepositLimit, l.MonthlyDepositRemaining = &m.Cents, &left
	}
	if c := limitCents(acct.Level.BalanceCap, acct.UDIMicros); c.Set {
		left := max(0, c.Cents-acct.Amount)
		l.BalanceCap, l.BalanceCapRemaining = &c.Cents, &left
	}
	return l
}

// WalletCLABE returns the CLABE of partner e's customer's wallet: "" when the partner has no
// CLABE prefix.
func (s *Service) WalletCLABE(ctx context.Context, e *Partner, customerID int64) (string, error) {
	var clabe string
	err := s.store.View(ctx, func(tx Tx) error {
		w, err := tx.Wallet(ctx, e.ID, customerID)
		if ErrorCode(err) == ENOTFOUND {
			return Errorf(ENOTFOUND, "customer_id:not_found")
		}
		if err != nil {
			return err
		}
		clabe = WalletCLABE(e.CLABEPrefix, w.ID)
		return nil
	})
	return clabe, err
}
