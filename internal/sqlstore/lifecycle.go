package sqlstore

import (
	"context"
	"strings"

	"github.com/saldo-mx/saldo"
)

var (
	selectCustomerForUpdate = customerColumns.selectWhere("id = $1 AND ecommerce_id = $2")
	// updateCustomer sets every column but the id, the partner and the creation time of
	// customer $1 of partner $2.
	updateCustomer    = customerColumns.update("id = $1 AND ecommerce_id = $2", 2, "id", "ecommerce_id", "created_at")
	setBalancesStatus = "UPDATE balances SET status = $3 WHERE customer_id = $1 AND ecommerce_id = $2 RETURNING " +
		balanceColumns.names
	// What a customer owes or holds on composite balances: its own children's debt and holds,
	// and those of the children of its parents; and its SPEI cash-outs still pending.
	obligations = "SELECT" +
		" (SELECT CAST(COALESCE(sum(CASE WHEN b.amount < 0 THEN -b.amount ELSE 0 END), 0) AS BIGINT)" +
		" FROM composite_children cc JOIN balances b ON b.id = cc.balance_id WHERE cc.ecommerce_id = $2 AND (cc.customer_id = $1" +
		" OR cc.parent_id IN (SELECT id FROM composite_parents WHERE customer_id = $1 AND ecommerce_id = $2)))," +
		" (SELECT CAST(COALESCE(sum(b.held), 0) AS BIGINT)" +
		" FROM composite_children cc JOIN balances b ON b.id = cc.balance_id WHERE cc.ecommerce_id = $2" +
		" AND cc.parent_id IN (SELECT id FROM composite_parents WHERE customer_id = $1 AND ecommerce_id = $2))," +
		" (SELECT count(*) FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id" +
		" WHERE e.customer_id = $1 AND e.ecommerce_id = $2 AND t.kind = 'spei_out' AND t.status = 1)"
)

func (t *tx) LockCustomerRow(ctx context.Context, partnerID, id int64) (*saldo.Customer, error) {
	var c saldo.Customer
	err := t.conn.QueryRow(ctx, selectCustomerForUpdate+t.d.ForUpdate, id, partnerID).Scan(customerColumns.dests(&c, t.d.Times)...)
	if err != nil {
		return nil, t.notFound(err, "customer_id")
	}
	return &c, nil
}

func (t *tx) UpdateCustomer(ctx context.Context, c *saldo.Customer) error {
	n, err := t.conn.Exec(ctx, updateCustomer.sql, updateCustomer.args(c, t.d.Times, c.ID, c.PartnerID)...)
	if err != nil {
		return t.d.Translate(err)
	}
	if n == 0 {
		return saldo.Errorf(saldo.ENOTFOUND, "customer_id:not_found")
	}
	return nil
}

func (t *tx) SetBalancesStatus(ctx context.Context, partnerID, customerID int64, status int) ([]saldo.Balance, error) {
	return queryAll(ctx, t, t.scanBalance, setBalancesStatus, customerID, partnerID, status)
}

func (t *tx) scanBalance(rows Rows) (saldo.Balance, error) {
	var b saldo.Balance
	err := rows.Scan(balanceColumns.dests(&b, t.d.Times)...)
	return b, err
}

func (t *tx) Obligations(ctx context.Context, partnerID, customerID int64) (saldo.Obligations, error) {
	var o saldo.Obligations
	err := t.conn.QueryRow(ctx, obligations, customerID, partnerID).Scan(&o.Debt, &o.Held, &o.PendingCashouts)
	return o, t.d.Translate(err)
}

func (t *tx) SearchCustomers(ctx context.Context, partnerID int64, q saldo.CustomerQuery) ([]saldo.Customer, error) {
	where := []string{"ecommerce_id = $1", "id > $2"}
	args := []any{partnerID, q.AfterID}
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.Replace(cond, "?", dollar(len(args)), 1))
	}
	for _, f := range []struct {
		cond string
		arg  any
		set  bool
	}{
		{"email_key = ?", q.Email, q.Email != ""},
		{"mobile = ?", q.Mobile, q.Mobile != ""},
		{"rfc = ?", q.RFC, q.RFC != ""},
		{"curp = ?", q.CURP, q.CURP != ""},
		{"account_status = ?", q.Status, q.Status != 0},
		{"account_level = ?", q.Level, q.Level != 0},
		{"created_at >= ?", t.d.Times.Arg(q.From), !q.From.IsZero()},
		{"created_at < ?", t.d.Times.Arg(q.To), !q.To.IsZero()},
	} {
		if f.set {
			add(f.cond, f.arg)
		}
	}
	args = append(args, q.Limit)
	query := customerColumns.selectWhere(strings.Join(where, " AND ")) + " ORDER BY id LIMIT " + dollar(len(args))
	return queryAll(ctx, t, func(rows Rows) (saldo.Customer, error) {
		var c saldo.Customer
		err := rows.Scan(customerColumns.dests(&c, t.d.Times)...)
		return c, err
	}, query, args...)
}

// inList is "$from, $from+1, …" for n values.
func inList(from, n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = dollar(from + i)
	}
	return strings.Join(p, ", ")
}

// idArgs are the partner's id followed by ids, as arguments.
func idArgs(partnerID int64, ids []int64) []any {
	args := make([]any, 0, len(ids)+1)
	args = append(args, partnerID)
	for _, id := range ids {
		args = append(args, id)
	}
	return args
}

func (t *tx) WalletsOf(ctx context.Context, partnerID int64, customerIDs []int64) ([]saldo.Balance, error) {
	q := balanceColumns.selectWhere("ecommerce_id = $1 AND kind = 'wallet' AND customer_id IN (" + inList(2, len(customerIDs)) + ")")
	return queryAll(ctx, t, t.scanBalance, q, idArgs(partnerID, customerIDs)...)
}

func (t *tx) ParentsOf(ctx context.Context, partnerID int64, customerIDs []int64) ([]saldo.CompositeParent, error) {
	q := compositeParentColumns.selectWhere("ecommerce_id = $1 AND customer_id IN ("+inList(2, len(customerIDs))+")") +
		" ORDER BY created_at, id"
	return queryAll(ctx, t, func(rows Rows) (saldo.CompositeParent, error) {
		var p saldo.CompositeParent
		err := rows.Scan(compositeParentColumns.dests(&p, t.d.Times)...)
		return p, err
	}, q, idArgs(partnerID, customerIDs)...)
}
