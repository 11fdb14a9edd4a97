package saldo

import (
	"context"
	"time"
)

// CompositeChild is a balance whose credit line is carved out of a parent's.
type CompositeChild struct {
	ID         int64 // the id of its balance
	ParentID   string
	PartnerID  int64
	CustomerID int64
	CreditLine int64 // cents
	Debt       int64 // cents spent and not yet repaid; below 0, owed to the customer
	Held       int64 // cents its open authorizations hold
	Status     int
	CreatedAt  time.Time
}

// AvailableCredit is what the child may still spend within its credit line; the partner's
// overlimit comes on top (ChildView.AvailableCredit).
func (c *CompositeChild) AvailableCredit() int64 { return c.CreditLine - c.Debt - c.Held }

// ParentView is a parent as GET …/parent/{id} shows it.
type ParentView struct {
	Parent          CompositeParent
	Children        int
	CreditLimit     int64 // credit line + the partner's overlimit
	Debt, Held      int64 // sums over its children
	NextBillingDate time.Time
	// NextDueDate is the latest statement's due date while something of it remains due
	// (Parent.DueTotal), else the due date the next statement will have.
	NextDueDate time.Time
}

// ChildView is a child with what its partner allows beyond its line and what its parent has left.
type ChildView struct {
	Child       CompositeChild
	CreditLimit int64 // credit line + the partner's overlimit
	Parent      CompositeParent
}

// AvailableCredit is what the child can still be charged: its credit limit less its debt
// and holds.
func (v *ChildView) AvailableCredit() int64 { return v.CreditLimit - v.Child.Debt - v.Child.Held }

// NewChild is the input of CreateChild.
type NewChild struct {
	ParentID   string
	CustomerID int64 // 0: the parent's owner
	CreditLine int64
}

// CreditLineUpdate is the input of UpdateChildCreditLine.
type CreditLineUpdate struct {
	ChildID    int64
	CreditLine int64
}

// maxCreditLine bounds any credit line so that sums of them cannot overflow int64.
const maxCreditLine = 1 << 53

// validParentID reports whether id can be a parent id: 32 lowercase hex. Anything else is
// answered as unknown without a database round trip.
func validParentID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func checkCreditLine(h *Hints, creditLine int64) {
	switch {
	case creditLine < 0:
		h.Add("credit_line", "negative")
	case creditLine > maxCreditLine:
		h.Add("credit_line", "above_maximum")
	}
}

// CompositeParent returns partner e's parent id with its children count and billing dates.
func (s *Service) CompositeParent(ctx context.Context, e *Partner, id string) (*ParentView, error) {
	if !validParentID(id) {
		return nil, Errorf(ENOTFOUND, "parent_id:not_found")
	}
	now := s.clock.Now()
	var v ParentView
	err := s.store.View(ctx, func(tx Tx) error {
		p, err := tx.CompositeParent(ctx, e.ID, id)
		if err != nil {
			return err
		}
		v.Parent = *p
		v.Children, v.Debt, v.Held, err = tx.ParentTotals(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	v.CreditLimit = v.Parent.CreditLine + e.Overlimit
	v.NextBillingDate = nextBillingDate(v.Parent.BillingDay, now)
	v.NextDueDate = nextDueDate(v.NextBillingDate, e.PaymentDueDays)
	if v.Parent.DueTotal > 0 && v.Parent.DueDate != "" {
		v.NextDueDate, _ = time.Parse(time.DateOnly, v.Parent.DueDate)
	}
	return &v, nil
}

// CreateChild carves a child balance of n.CreditLine out of a parent's available credit.
// The parent's allocation and the child are written in one transaction; the allocation is a
// conditional update, so no interleaving of concurrent calls can oversubscribe the parent.
func (s *Service) CreateChild(ctx context.Context, e *Partner, n NewChild, idem *Idempotency[*ChildView]) (*ChildView, error) {
	var h Hints
	checkCreditLine(&h, n.CreditLine)
	if n.CustomerID < 0 {
		h.Add("customer_id", "invalid")
	}
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	if !validParentID(n.ParentID) {
		return nil, Errorf(ENOTFOUND, "parent_id:not_found")
	}
	return write(ctx, s, s.creditLines, e, idem, s.clock.Now(), func(w writeTx) (*ChildView, error) {
		tx, now := w.Tx, w.now
		p, err := tx.CompositeParent(ctx, e.ID, n.ParentID)
		if err != nil {
			return nil, err
		}
		customerID := n.CustomerID
		if customerID == 0 {
			customerID = p.CustomerID
		}
		// Another partner's customer is as unknown as one that does not exist.
		if _, err := tx.Customer(ctx, e.ID, customerID); ErrorCode(err) == ENOTFOUND {
			return nil, Errorf(ENOTFOUND, "customer_id:not_found")
		} else if err != nil {
			return nil, err
		}
		p, err = tx.AllocateCredit(ctx, e.ID, p.ID, n.CreditLine)
		if err != nil {
			return nil, err
		}
		b := Balance{PartnerID: e.ID, CustomerID: customerID, Kind: BalanceCompositeChild, Status: BalanceStatusActive, CreatedAt: now}
		if err := tx.InsertBalance(ctx, &b); err != nil {
			return nil, err
		}
		c := CompositeChild{ID: b.ID, ParentID: p.ID, PartnerID: e.ID, CustomerID: customerID,
			CreditLine: n.CreditLine, Status: BalanceStatusActive, CreatedAt: now}
		if err := tx.InsertCompositeChild(ctx, &c); err != nil {
			return nil, err
		}
		err = tx.InsertEvents(ctx, []Event{newEvent(e, now, CompositeChildCreated{
			ChildID: c.ID, ParentID: p.ID, CustomerID: customerID, CreditLine: c.CreditLine,
		})})
		return &ChildView{Child: c, CreditLimit: c.CreditLine + e.Overlimit, Parent: *p}, err
	})
}

// UpdateChildCreditLine sets a child's credit line. Raising it takes the difference from the
// parent's available credit (EINSUFFICIENT when short); lowering gives it back, but never
// below the child's debt (EBELOWDEBT).
func (s *Service) UpdateChildCreditLine(ctx context.Context, e *Partner, u CreditLineUpdate, idem *Idempotency[*ChildView]) (*ChildView, error) {
	childID, creditLine := u.ChildID, u.CreditLine
	var h Hints
	checkCreditLine(&h, creditLine)
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	return write(ctx, s, s.creditLines, e, idem, s.clock.Now(), func(w writeTx) (*ChildView, error) {
		tx, now := w.Tx, w.now
		// The child is locked first and the parent second, in every transaction that takes
		// both, so concurrent updates cannot deadlock.
		c, err := tx.CompositeChild(ctx, e.ID, childID, true)
		if err != nil {
			return nil, err
		}
		if creditLine < c.Debt {
			return nil, Errorf(EBELOWDEBT, "credit_line:below_debt")
		}
		// The line may not fall below what is spent and held either, beyond the overlimit.
		if creditLine+e.Overlimit < c.Debt+c.Held {
			return nil, Errorf(EBELOWDEBT, "credit_line:below_debt_and_holds")
		}
		p, err := tx.AllocateCredit(ctx, e.ID, c.ParentID, creditLine-c.CreditLine)
		if err != nil {
			return nil, err
		}
		previous := c.CreditLine
		if err := tx.SetChildCreditLine(ctx, c.ID, creditLine); err != nil {
			return nil, err
		}
		c.CreditLine = creditLine
		err = tx.InsertEvents(ctx, []Event{newEvent(e, now, ChildCreditLineUpdated{
			ChildID: c.ID, ParentID: c.ParentID, PreviousCreditLine: previous, CreditLine: creditLine,
		})})
		return &ChildView{Child: *c, CreditLimit: c.CreditLine + e.Overlimit, Parent: *p}, err
	})
}

// CompositeChild returns partner e's child id.
func (s *Service) CompositeChild(ctx context.Context, e *Partner, id int64) (*ChildView, error) {
	var v ChildView
	err := s.store.View(ctx, func(tx Tx) error {
		c, err := tx.CompositeChild(ctx, e.ID, id, false)
		if err != nil {
			return err
		}
		p, err := tx.CompositeParent(ctx, e.ID, c.ParentID)
		if err != nil {
			return err
		}
		v = ChildView{Child: *c, CreditLimit: c.CreditLine + e.Overlimit, Parent: *p}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// Children limits.
const (
	DefaultChildrenLimit = 20
	MaxChildrenLimit     = 100
)

// CompositeChildren returns up to limit children of partner e's parent, with ids above
// afterID, and the id to continue after (0 when there are no more).
func (s *Service) CompositeChildren(ctx context.Context, e *Partner, parentID string, afterID int64, limit int) ([]CompositeChild, int64, error) {
	if limit < 1 || limit > MaxChildrenLimit {
		return nil, 0, Errorf(EINVALID, "limit:invalid")
	}
	if !validParentID(parentID) {
		return nil, 0, Errorf(ENOTFOUND, "parent_id:not_found")
	}
	var children []CompositeChild
	err := s.store.View(ctx, func(tx Tx) error {
		if _, err := tx.CompositeParent(ctx, e.ID, parentID); err != nil {
			return err
		}
		var err error
		// One more than asked tells whether another page exists.
		children, err = tx.CompositeChildren(ctx, parentID, afterID, limit+1)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(children) > limit {
		children = children[:limit]
		next = children[limit-1].ID
	}
	return children, next, nil
}
