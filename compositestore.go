package saldo

import "context"

// CompositeTx is what a transaction can do with composite balances.
type CompositeTx interface {
	// CompositeParent returns partner partnerID's parent id, or ENOTFOUND.
	CompositeParent(ctx context.Context, partnerID int64, id string) (*CompositeParent, error)
	// ParentTotals counts a parent's children and sums their debt and holds.
	ParentTotals(ctx context.Context, parentID string) (children int, debt, held int64, err error)
	// AllocateCredit adds delta (which may be negative) to the parent's allocated credit in one
	// conditional update that keeps it within [0, credit_line], and returns the parent as
	// updated. It fails with EINSUFFICIENT when the result would exceed the credit line, and
	// ENOTFOUND when partner partnerID has no such parent.
	AllocateCredit(ctx context.Context, partnerID int64, parentID string, delta int64) (*CompositeParent, error)
	InsertCompositeChild(ctx context.Context, c *CompositeChild) error
	// CompositeChild returns partner partnerID's child id, or ENOTFOUND. With lock, the row
	// stays locked until the transaction ends.
	CompositeChild(ctx context.Context, partnerID, id int64, lock bool) (*CompositeChild, error)
	SetChildCreditLine(ctx context.Context, id, creditLine int64) error
	// CompositeChildren returns up to limit children of a parent with ids above afterID, in id order.
	CompositeChildren(ctx context.Context, parentID string, afterID int64, limit int) ([]CompositeChild, error)
}
