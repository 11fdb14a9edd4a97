package sqlstore

import (
	"context"

	"github.com/saldo-mx/saldo"
)

// compositeChildColumns are the composite_children columns, in the order of
// compositeChildArgs and compositeChildDest.
const compositeChildColumns = "balance_id, parent_id, ecommerce_id, customer_id, credit_line, debt, status, created_at"

func compositeChildArgs(c *saldo.CompositeChild, tm Times) []any {
	return []any{c.ID, c.ParentID, c.EcommerceID, c.CustomerID, c.CreditLine, c.Debt, c.Status, tm.Arg(c.CreatedAt)}
}

func compositeChildDest(c *saldo.CompositeChild, tm Times) []any {
	return []any{&c.ID, &c.ParentID, &c.EcommerceID, &c.CustomerID, &c.CreditLine, &c.Debt, &c.Status, tm.Dest(&c.CreatedAt)}
}

var (
	insertChild = insert("composite_children", compositeChildColumns, 1, dollar)
	// The WHERE clause is the invariant: on PostgreSQL the UPDATE locks the row and re-checks
	// the condition against the latest committed version, so concurrent allocations apply
	// one after another and none can take the parent past its credit line.
	allocateCredit = "UPDATE composite_parents SET allocated = allocated + $3" +
		" WHERE id = $1 AND ecommerce_id = $2 AND allocated + $3 >= 0 AND allocated + $3 <= credit_line" +
		" RETURNING " + compositeParentColumns
)

func (t *tx) CompositeParent(ctx context.Context, ecommerceID int64, id string) (*saldo.CompositeParent, error) {
	var p saldo.CompositeParent
	err := t.conn.QueryRow(ctx, "SELECT "+compositeParentColumns+" FROM composite_parents WHERE id = $1 AND ecommerce_id = $2",
		id, ecommerceID).Scan(compositeParentDest(&p, t.d.Times)...)
	if err != nil {
		return nil, t.notFound(err, "parent_id")
	}
	return &p, nil
}

func (t *tx) CountCompositeChildren(ctx context.Context, parentID string) (int, error) {
	var n int
	err := t.conn.QueryRow(ctx, "SELECT count(*) FROM composite_children WHERE parent_id = $1", parentID).Scan(&n)
	return n, t.d.Translate(err)
}

func (t *tx) AllocateCredit(ctx context.Context, ecommerceID int64, parentID string, delta int64) (*saldo.CompositeParent, error) {
	var p saldo.CompositeParent
	err := t.conn.QueryRow(ctx, allocateCredit, parentID, ecommerceID, delta).Scan(compositeParentDest(&p, t.d.Times)...)
	if err == nil {
		return &p, nil
	}
	if !t.d.IsNoRows(err) {
		return nil, t.d.Translate(err)
	}
	// No row updated: either there is no such parent, or the condition refused the change.
	if _, err := t.CompositeParent(ctx, ecommerceID, parentID); err != nil {
		return nil, err
	}
	return nil, saldo.Errorf(saldo.EINSUFFICIENT, "credit_line:insufficient_credit")
}

func (t *tx) InsertCompositeChild(ctx context.Context, c *saldo.CompositeChild) error {
	err := t.conn.Send(ctx, insertChild, compositeChildArgs(c, t.d.Times)...)
	return t.d.Translate(err)
}

func (t *tx) CompositeChild(ctx context.Context, ecommerceID, id int64, lock bool) (*saldo.CompositeChild, error) {
	q := "SELECT " + compositeChildColumns + " FROM composite_children WHERE balance_id = $1 AND ecommerce_id = $2"
	if lock {
		q += t.d.ForUpdate
	}
	var c saldo.CompositeChild
	if err := t.conn.QueryRow(ctx, q, id, ecommerceID).Scan(compositeChildDest(&c, t.d.Times)...); err != nil {
		return nil, t.notFound(err, "child_id")
	}
	return &c, nil
}

func (t *tx) SetChildCreditLine(ctx context.Context, id, creditLine int64) error {
	_, err := t.conn.Exec(ctx, "UPDATE composite_children SET credit_line = $2 WHERE balance_id = $1", id, creditLine)
	return t.d.Translate(err)
}

func (t *tx) CompositeChildren(ctx context.Context, parentID string, afterID int64, limit int) ([]saldo.CompositeChild, error) {
	rows, err := t.conn.Query(ctx, "SELECT "+compositeChildColumns+" FROM composite_children"+
		" WHERE parent_id = $1 AND balance_id > $2 ORDER BY balance_id LIMIT $3", parentID, afterID, limit)
	if err != nil {
		return nil, t.d.Translate(err)
	}
	defer rows.Close()
	var out []saldo.CompositeChild
	for rows.Next() {
		var c saldo.CompositeChild
		if err := rows.Scan(compositeChildDest(&c, t.d.Times)...); err != nil {
			return nil, t.d.Translate(err)
		}
		out = append(out, c)
	}
	return out, t.d.Translate(rows.Err())
}
