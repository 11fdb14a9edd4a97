package sqlstore

import (
	"context"
	"time"

	"github.com/saldo-mx/saldo"
)

// compositeChildColumns are the composite_children columns; a child's id is its balance's.
var compositeChildColumns = newColumns("composite_children", childColumns(""))

// childRead are a child's columns read with its balance's debt and held (cc, b in
// childFrom).
var childRead = newColumns("composite_children", append(childColumns("cc."),
	field("-b.amount", func(c *saldo.CompositeChild) *int64 { return &c.Debt }),
	field("b.held", func(c *saldo.CompositeChild) *int64 { return &c.Held }),
))

const childFrom = " FROM composite_children cc JOIN balances b ON b.id = cc.balance_id WHERE "

func childColumns(prefix string) []column[saldo.CompositeChild] {
	return []column[saldo.CompositeChild]{
		field(prefix+"balance_id", func(c *saldo.CompositeChild) *int64 { return &c.ID }),
		field(prefix+"parent_id", func(c *saldo.CompositeChild) *string { return &c.ParentID }),
		field(prefix+"ecommerce_id", func(c *saldo.CompositeChild) *int64 { return &c.PartnerID }),
		field(prefix+"customer_id", func(c *saldo.CompositeChild) *int64 { return &c.CustomerID }),
		field(prefix+"credit_line", func(c *saldo.CompositeChild) *int64 { return &c.CreditLine }),
		field(prefix+"status", func(c *saldo.CompositeChild) *int { return &c.Status }),
		instant(prefix+"created_at", func(c *saldo.CompositeChild) *time.Time { return &c.CreatedAt }),
	}
}

var (
	insertChild = compositeChildColumns.insert(1)
	// The WHERE clause is the invariant: on PostgreSQL the UPDATE locks the row and re-checks
	// the condition against the latest committed version, so concurrent allocations apply
	// one after another and none can take the parent past its credit line.
	allocateCredit = "UPDATE composite_parents SET allocated = allocated + $3" +
		" WHERE id = $1 AND ecommerce_id = $2 AND allocated + $3 >= 0 AND allocated + $3 <= credit_line" +
		" RETURNING " + compositeParentColumns.names
	selectCompositeParent   = compositeParentColumns.selectWhere("id = $1 AND ecommerce_id = $2")
	selectCompositeChild    = "SELECT " + childRead.names + childFrom + "cc.balance_id = $1 AND cc.ecommerce_id = $2"
	selectCompositeChildren = "SELECT " + childRead.names + childFrom + "cc.parent_id = $1 AND cc.balance_id > $2 ORDER BY cc.balance_id LIMIT $3"
	lockCompositeChild      = "SELECT balance_id FROM composite_children WHERE balance_id = $1 AND ecommerce_id = $2"
)

func (t *tx) CompositeParent(ctx context.Context, partnerID int64, id string) (*saldo.CompositeParent, error) {
	var p saldo.CompositeParent
	err := t.conn.QueryRow(ctx, selectCompositeParent, id, partnerID).Scan(compositeParentColumns.dests(&p, t.d.Times)...)
	if err != nil {
		return nil, t.notFound(err, "parent_id")
	}
	return &p, nil
}

func (t *tx) ParentTotals(ctx context.Context, parentID string) (children int, debt, held int64, err error) {
	err = t.conn.QueryRow(ctx, "SELECT count(*), CAST(COALESCE(sum(-b.amount), 0) AS BIGINT), CAST(COALESCE(sum(b.held), 0) AS BIGINT)"+
		childFrom+"cc.parent_id = $1", parentID).Scan(&children, &debt, &held)
	return children, debt, held, t.d.Translate(err)
}

func (t *tx) AllocateCredit(ctx context.Context, partnerID int64, parentID string, delta int64) (*saldo.CompositeParent, error) {
	var p saldo.CompositeParent
	err := t.conn.QueryRow(ctx, allocateCredit, parentID, partnerID, delta).Scan(compositeParentColumns.dests(&p, t.d.Times)...)
	if err == nil {
		return &p, nil
	}
	if !t.d.IsNoRows(err) {
		return nil, t.d.Translate(err)
	}
	// No row updated: either there is no such parent, or the condition refused the change.
	if _, err := t.CompositeParent(ctx, partnerID, parentID); err != nil {
		return nil, err
	}
	return nil, saldo.Errorf(saldo.EINSUFFICIENT, "credit_line:insufficient_credit")
}

func (t *tx) InsertCompositeChild(ctx context.Context, c *saldo.CompositeChild) error {
	err := t.conn.Send(ctx, insertChild, compositeChildColumns.args(c, t.d.Times)...)
	return t.d.Translate(err)
}

// CompositeChild locks the child's row alone, and reads its balance in a statement of its
// own: on PostgreSQL a statement that waited for the lock would still see the balance as it
// was before the charge that held the lock committed.
func (t *tx) CompositeChild(ctx context.Context, partnerID, id int64, lock bool) (*saldo.CompositeChild, error) {
	if lock && t.d.ForUpdate != "" {
		var got int64
		if err := t.conn.QueryRow(ctx, lockCompositeChild+t.d.ForUpdate, id, partnerID).Scan(&got); err != nil {
			return nil, t.notFound(err, "child_id")
		}
	}
	var c saldo.CompositeChild
	if err := t.conn.QueryRow(ctx, selectCompositeChild, id, partnerID).Scan(childRead.dests(&c, t.d.Times)...); err != nil {
		return nil, t.notFound(err, "child_id")
	}
	return &c, nil
}

func (t *tx) SetChildCreditLine(ctx context.Context, id, creditLine int64) error {
	_, err := t.conn.Exec(ctx, "UPDATE composite_children SET credit_line = $2 WHERE balance_id = $1", id, creditLine)
	return t.d.Translate(err)
}

func (t *tx) CompositeChildren(ctx context.Context, parentID string, afterID int64, limit int) ([]saldo.CompositeChild, error) {
	return queryAll(ctx, t, func(rows Rows) (saldo.CompositeChild, error) {
		var c saldo.CompositeChild
		err := rows.Scan(childRead.dests(&c, t.d.Times)...)
		return c, err
	}, selectCompositeChildren, parentID, afterID, limit)
}
