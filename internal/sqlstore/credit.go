package sqlstore

import (
	"context"
	"time"

	"github.com/saldo-mx/saldo"
)

// childCredit reads a child's credit: its row (cc) with its balance (b).
const childCredit = "SELECT cc.balance_id, cc.parent_id, cc.customer_id, cc.credit_line, -b.amount, b.held" + childFrom

// chargeChild charges child $1 of partner $2: $3 posted, $4 held, within its credit line +
// $5. The CTE locks the child's row, where its credit line is, before the UPDATE locks its
// balance (the order every write that takes both keeps), and holds only when the parent is
// not overdue; the UPDATE's condition is the rule.
var chargeChild = [2]string{
	"WITH c AS (SELECT balance_id, credit_line FROM composite_children WHERE balance_id = $1 AND ecommerce_id = $2" +
		" AND (SELECT status FROM composite_parents p WHERE p.id = composite_children.parent_id) = 1",
	") UPDATE balances SET amount = amount - $3, held = held + $4 FROM c" +
		" WHERE balances.id = c.balance_id AND balances.status = 1" +
		" AND balances.held + $4 - (balances.amount - $3) <= c.credit_line + $5" +
		" RETURNING balances.id, (SELECT parent_id FROM composite_children WHERE balance_id = balances.id)," +
		" (SELECT customer_id FROM composite_children WHERE balance_id = balances.id)," +
		" (SELECT credit_line FROM composite_children WHERE balance_id = balances.id), -balances.amount, balances.held",
}

const (
	releaseHold = "UPDATE balances SET held = held - $2, amount = amount - $3 WHERE id = $1 AND held >= $2" +
		" RETURNING id, (SELECT parent_id FROM composite_children WHERE balance_id = balances.id)," +
		" (SELECT customer_id FROM composite_children WHERE balance_id = balances.id)," +
		" (SELECT credit_line FROM composite_children WHERE balance_id = balances.id), -amount, held"
	repayChild = "UPDATE balances SET amount = amount + $2 WHERE id = $1 AND kind = 'composite_child' AND ($3 = 0 OR -amount >= $2)" +
		" RETURNING id, (SELECT parent_id FROM composite_children WHERE balance_id = balances.id)," +
		" (SELECT customer_id FROM composite_children WHERE balance_id = balances.id)," +
		" (SELECT credit_line FROM composite_children WHERE balance_id = balances.id), -amount, held"
	childrenCredit = "SELECT b.id, cc.parent_id, cc.customer_id, cc.credit_line, -b.amount, b.held" +
		" FROM balances b JOIN composite_children cc ON cc.balance_id = b.id WHERE cc.parent_id = $1 ORDER BY b.id"
	captureCharge = "UPDATE ledger_transactions SET status = 2, captured = $2, updated_at = $3" +
		" WHERE id = $1 AND kind = 'charge' AND status = 1"
	addRefunded = "UPDATE ledger_transactions SET refunded = refunded + $2, updated_at = $3" +
		" WHERE id = $1 AND kind = 'charge' AND status = 2 AND refunded + $2 <= captured"
	netCharges = "SELECT id, balance_id, captured - refunded, created_at FROM ledger_transactions" +
		" WHERE balance_id = $1 AND kind = 'charge' AND status = 2 AND captured > refunded AND ($2 = 0 OR id < $2)" +
		" ORDER BY id DESC LIMIT $3"
)

var expiredHolds = transactionColumns.selectWhere("kind = 'charge' AND status = 1 AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2")

func scanChildCredit(row interface{ Scan(...any) error }) (saldo.ChildCredit, error) {
	var c saldo.ChildCredit
	err := row.Scan(&c.ID, &c.ParentID, &c.CustomerID, &c.CreditLine, &c.Debt, &c.Held)
	return c, err
}

func (t *tx) ChargeChild(ctx context.Context, partnerID, childID, posted, hold, overlimit int64) (saldo.ChildCredit, error) {
	c, err := scanChildCredit(t.conn.QueryRow(ctx, chargeChild[0]+t.d.ForUpdate+chargeChild[1], childID, partnerID, posted, hold, overlimit))
	if !t.d.IsNoRows(err) {
		return c, t.d.Translate(err)
	}
	return c, t.chargeRefusal(ctx, partnerID, childID)
}

// chargeRefusal says why a charge changed nothing: the first rule it finds broken.
func (t *tx) chargeRefusal(ctx context.Context, partnerID, childID int64) error {
	var parentStatus, balanceStatus int
	err := t.conn.QueryRow(ctx, "SELECT p.status, b.status FROM composite_children cc"+
		" JOIN composite_parents p ON p.id = cc.parent_id JOIN balances b ON b.id = cc.balance_id"+
		" WHERE cc.balance_id = $1 AND cc.ecommerce_id = $2", childID, partnerID).Scan(&parentStatus, &balanceStatus)
	switch {
	case err != nil:
		return t.notFound(err, "child_id")
	case parentStatus != saldo.ParentActive:
		return saldo.Errorf(saldo.EOVERDUE, "parent:overdue")
	case balanceStatus != saldo.BalanceStatusActive:
		return saldo.Errorf(saldo.ENOTACTIVE, "account:not_active")
	}
	return saldo.Errorf(saldo.EINSUFFICIENT, "amount:exceeds_available_credit")
}

func (t *tx) ReleaseHold(ctx context.Context, childID, hold, posted int64) (saldo.ChildCredit, error) {
	c, err := scanChildCredit(t.conn.QueryRow(ctx, releaseHold, childID, hold, posted))
	if t.d.IsNoRows(err) {
		return c, saldo.WrapError(saldo.EINTERNAL, saldo.ErrLedger, "child %d holds less than %d", childID, hold)
	}
	return c, t.d.Translate(err)
}

func (t *tx) RepayChild(ctx context.Context, childID, amount int64, atMostDebt bool) (saldo.ChildCredit, error) {
	bounded := 0
	if atMostDebt {
		bounded = 1
	}
	c, err := scanChildCredit(t.conn.QueryRow(ctx, repayChild, childID, amount, bounded))
	if t.d.IsNoRows(err) {
		return c, saldo.Errorf(saldo.EINVALIDSTATE, "amount:exceeds_debt")
	}
	return c, t.d.Translate(err)
}

func (t *tx) ChildrenCredit(ctx context.Context, parentID string, lock bool) ([]saldo.ChildCredit, error) {
	q := childrenCredit
	if lock && t.d.ForUpdate != "" {
		// Only the balances: a locking clause applies after ORDER BY, so they lock in id order.
		q += " FOR UPDATE OF b"
	}
	return queryAll(ctx, t, func(rows Rows) (saldo.ChildCredit, error) { return scanChildCredit(rows) }, q, parentID)
}

func (t *tx) CaptureCharge(ctx context.Context, id, captured int64, now time.Time) error {
	return t.conditional(ctx, saldo.Errorf(saldo.EINVALIDSTATE, "transaction:not_pending"), captureCharge, id, captured, t.d.Times.Arg(now))
}

func (t *tx) AddRefunded(ctx context.Context, id, amount int64, now time.Time) error {
	return t.conditional(ctx, saldo.Errorf(saldo.EINVALIDSTATE, "amount:exceeds_captured"), addRefunded, id, amount, t.d.Times.Arg(now))
}

// conditional runs an UPDATE whose condition is a rule, and fails with refusal when it
// changed no row.
func (t *tx) conditional(ctx context.Context, refusal error, query string, args ...any) error {
	n, err := t.conn.Exec(ctx, query, args...)
	if err != nil {
		return t.d.Translate(err)
	}
	if n == 0 {
		return refusal
	}
	return nil
}

func (t *tx) NetCharges(ctx context.Context, childID, beforeID int64, limit int) ([]saldo.NetCharge, error) {
	return queryAll(ctx, t, func(rows Rows) (saldo.NetCharge, error) {
		var c saldo.NetCharge
		err := rows.Scan(&c.TransactionID, &c.ChildID, &c.Net, t.d.Times.Dest(&c.CreatedAt))
		return c, err
	}, netCharges, childID, beforeID, limit)
}

func (t *tx) ExpiredHolds(ctx context.Context, now time.Time, limit int) ([]saldo.LedgerTransaction, error) {
	return queryAll(ctx, t, func(rows Rows) (saldo.LedgerTransaction, error) {
		var lt saldo.LedgerTransaction
		err := rows.Scan(transactionColumns.dests(&lt, t.d.Times)...)
		return lt, err
	}, expiredHolds, t.d.Times.Arg(now), limit)
}

var selectParentByBalance = compositeParentColumns.selectWhere("balance_id = $1 AND ecommerce_id = $2")

func (t *tx) CompositeParentByBalance(ctx context.Context, partnerID, balanceID int64) (*saldo.CompositeParent, error) {
	var p saldo.CompositeParent
	if err := t.conn.QueryRow(ctx, selectParentByBalance, balanceID, partnerID).Scan(compositeParentColumns.dests(&p, t.d.Times)...); err != nil {
		return nil, t.notFound(err, "parent_id")
	}
	return &p, nil
}
