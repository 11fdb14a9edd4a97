package saldo

import (
	"context"
	"time"
)

// Statement closes one billing period of a composite parent. It is written once, at the
// period's cut-off, and never changes.
type Statement struct {
	ID             int64
	ParentID       string
	PartnerID      int64
	PeriodStart    string // YYYY-MM-DD, the first day of the period
	CutoffDate     string // YYYY-MM-DD: the period ends at 00:00 Mexico City that day
	PaymentDueDate string
	OpeningBalance int64
	Charges        int64
	Refunds        int64
	Payments       int64
	ClosingBalance int64 // OpeningBalance + Charges - Refunds - Payments
	TotalDue       int64
	MinDue         int64
	Children       []StatementChild
	Lines          []StatementLine
	CreatedAt      time.Time
}

// StatementChild is one child's part of a statement.
type StatementChild struct {
	ChildID            int64 `json:"child_id"`
	CustomerID         int64 `json:"customer_id"`
	OpeningDebt        int64 `json:"opening_debt"`
	CumulativeCharges  int64 `json:"cumulative_charges"`
	CumulativeRefunds  int64 `json:"cumulative_refunds"`
	CumulativePayments int64 `json:"cumulative_payments"`
	ClosingDebt        int64 `json:"closing_debt"`
}

// StatementLine is one movement of a child in a statement's period: an entry of its balance.
// Amount is signed as the customer sees it (a charge is negative).
type StatementLine struct {
	TransactionID int64           `json:"transaction_id"`
	ChildID       int64           `json:"child_id"`
	Type          TransactionType `json:"type"`
	Amount        int64           `json:"amount"`
	Description   string          `json:"description"`
	MerchantName  string          `json:"merchant_name"`
	MCC           string          `json:"mcc"`
	CreatedAt     time.Time       `json:"created_at"`
}

// BillingTx is what a transaction can do with parents' billing and statements.
type BillingTx interface {
	// LockCompositeParent returns parent id locked until the transaction ends, or ENOTFOUND.
	LockCompositeParent(ctx context.Context, id string) (*CompositeParent, error)
	// ParentsToClose returns up to limit parents whose period began before cutoffs[their
	// billing day] (YYYY-MM-DD; index 0 unused), in id order.
	ParentsToClose(ctx context.Context, cutoffs [29]string, limit int) ([]CompositeParent, error)
	// StatementLines returns the entries of the children's balances created in [from, to), in
	// id order.
	StatementLines(ctx context.Context, childIDs []int64, from, to time.Time) ([]StatementLine, error)
	// PaymentsSince sums the payments to the children's balances created at or after since.
	PaymentsSince(ctx context.Context, childIDs []int64, since time.Time) (int64, error)
	// LatestStatement returns a parent's newest statement, or ENOTFOUND.
	LatestStatement(ctx context.Context, parentID string) (*Statement, error)
	// InsertStatement stores st and sets its ID; a second statement of a parent for one cut-off
	// date is ErrDuplicate.
	InsertStatement(ctx context.Context, st *Statement) error
	// CloseParentPeriod starts parent id's next period at periodStart with what its statement
	// makes due; a parent with nothing left to pay is active again.
	CloseParentPeriod(ctx context.Context, id, periodStart string, dueTotal, dueMin int64, dueDate string) error
	// ReduceParentDue takes a payment off what remains due of parent id's latest statement
	// (never below 0) and makes it active again once its minimum is paid. It returns the parent
	// after, or nil when nothing was due.
	ReduceParentDue(ctx context.Context, id string, amount int64) (*CompositeParent, error)
	// MarkOverdue makes overdue up to limit active parents with a minimum still due after a due
	// date before today, and returns them.
	MarkOverdue(ctx context.Context, today string, limit int) ([]CompositeParent, error)
	// Statements returns up to limit of partner partnerID's parent's statements, newest first,
	// with ids below beforeID (0: from the newest).
	Statements(ctx context.Context, partnerID int64, parentID string, beforeID int64, limit int) ([]Statement, error)
	// Statement returns partner partnerID's statement id, or ENOTFOUND.
	Statement(ctx context.Context, partnerID, id int64) (*Statement, error)
}
