package saldo

import (
	"context"
	"time"
)

// Credit on composite balances. A child's money is its balance's: amount is minus its debt
// and held is what its open authorizations hold, so the ledger and `saldo ledger verify` see
// credit like any other money. The rule debt + held ≤ credit line + overlimit is the
// condition of the one UPDATE that charges a child, taken under the lock of the child's
// composite_children row, where its credit line is: a credit-line change takes the same lock,
// so neither can slip past the other. Captures, voids, refunds and payments only lower
// debt + held and need no such lock.

// Transaction kinds of credit.
const (
	KindCharge  TransactionKind = "charge"  // a card charge, posted or an authorization (a hold)
	KindRefund  TransactionKind = "refund"  // money a merchant gave back for a captured charge
	KindPayment TransactionKind = "payment" // a repayment of debt
)

// Merchant is where a card was charged.
type Merchant struct {
	Name string
	MCC  string // ISO 18245 merchant category code, 4 digits
}

// ChargeRequest charges a child: posted at once, or with Capture false an authorization
// that holds the amount until it is captured, voided or expires.
type ChargeRequest struct {
	ChildID               int64
	Amount                int64
	ExternalTransactionID string
	Description           string
	Merchant              Merchant
	Capture               bool
}

// CaptureRequest posts an authorization: Amount of it (0: all of it); the rest is released.
type CaptureRequest struct {
	TransactionID int64
	Amount        int64
}

// RefundRequest gives back Amount of a captured charge.
type RefundRequest struct {
	TransactionID int64
	Amount        int64
}

// PaymentSource is where a payment's money comes from.
type PaymentSource string

const (
	SourceExternal PaymentSource = "external" // paid to the partner outside saldo
	SourceWallet   PaymentSource = "wallet"   // taken from the parent's owner's wallet
)

// PaymentRequest repays debt: a child's (ChildID), or a parent's children's (ParentID), oldest
// charge first.
type PaymentRequest struct {
	ParentID              string
	ChildID               int64
	Amount                int64
	ExternalTransactionID string
	Source                PaymentSource
}

// ChildCredit is a child's credit as a write leaves it.
type ChildCredit struct {
	ID         int64
	ParentID   string
	CustomerID int64
	CreditLine int64
	Debt       int64 // may be below 0: a refund beyond the debt is owed to the customer
	Held       int64
}

// CreditMovement is the answer to a write of credit: the transaction, and the debt and held
// of the child it concerns after it (for a parent's payment, the sums over its children).
type CreditMovement struct {
	Transaction LedgerTransaction
	ChildID     int64 // 0 for a parent's payment
	ParentID    string
	Debt        int64
	Held        int64
	CreditLimit int64
	// Wallet is the wallet a payment was taken from, after it; nil for other sources.
	Wallet *BalanceAmounts
}

// AvailableCredit is what can still be charged.
func (m *CreditMovement) AvailableCredit() int64 { return m.CreditLimit - m.Debt - m.Held }

// NetCharge is a captured charge with what of it was not refunded.
type NetCharge struct {
	TransactionID int64
	ChildID       int64
	Net           int64
	CreatedAt     time.Time
}

// CreditTx is what a transaction can do with credit.
type CreditTx interface {
	// ChargeChild adds posted to partner partnerID's child's debt and hold to what it holds, in
	// one conditional UPDATE under the lock of the child's row, when its parent is not overdue,
	// its balance is active and debt + held stays within its credit line + overlimit; else it
	// fails with ENOTFOUND, EOVERDUE, ENOTACTIVE or EINSUFFICIENT.
	ChargeChild(ctx context.Context, partnerID, childID, posted, hold, overlimit int64) (ChildCredit, error)
	// ReleaseHold takes hold off what child holds and posts posted (≤ hold) to its debt.
	ReleaseHold(ctx context.Context, childID, hold, posted int64) (ChildCredit, error)
	// RepayChild takes amount off child's debt; with atMostDebt only when it is no more than
	// the debt, else it fails with EINVALIDSTATE (amount:exceeds_debt).
	RepayChild(ctx context.Context, childID, amount int64, atMostDebt bool) (ChildCredit, error)
	// ChildrenCredit returns a parent's children in id order; with lock their balances stay
	// locked until the transaction ends.
	ChildrenCredit(ctx context.Context, parentID string, lock bool) ([]ChildCredit, error)
	// CaptureCharge moves authorization id from pending to completed with captured posted, or
	// fails with EINVALIDSTATE when it is no longer pending.
	CaptureCharge(ctx context.Context, id, captured int64, now time.Time) error
	// AddRefunded counts amount as refunded of charge id when the refunds stay within what was
	// captured, else fails with EINVALIDSTATE (amount:exceeds_captured).
	AddRefunded(ctx context.Context, id, amount int64, now time.Time) error
	// NetCharges returns child's captured charges not wholly refunded, newest first, with ids
	// below beforeID (0: from the newest).
	NetCharges(ctx context.Context, childID, beforeID int64, limit int) ([]NetCharge, error)
	// ExpiredHolds returns up to limit authorizations still pending that expire at or before now.
	ExpiredHolds(ctx context.Context, now time.Time, limit int) ([]LedgerTransaction, error)
	// CompositeParentByBalance returns partner partnerID's parent whose balance is balanceID,
	// or ENOTFOUND.
	CompositeParentByBalance(ctx context.Context, partnerID, balanceID int64) (*CompositeParent, error)
	BillingTx
}
