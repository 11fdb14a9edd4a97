package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/saldo-mx/saldo"
)

// operatorColumns are the operators columns, the id first.
var (
	operatorColumns = newColumns("operators", []column[saldo.Operator]{
		field("id", func(o *saldo.Operator) *int64 { return &o.ID }),
		field("email", func(o *saldo.Operator) *string { return &o.Email }),
		derived("email_key", func(o *saldo.Operator) string { return saldo.EmailKeyOf(o.Email) }),
		field("role", func(o *saldo.Operator) *string { return &o.Role }),
		field("password_hash", func(o *saldo.Operator) *string { return &o.PasswordHash }),
		field("failed_logins", func(o *saldo.Operator) *int { return &o.FailedLogins }),
		instant("locked_until", func(o *saldo.Operator) *time.Time { return &o.LockedUntil }),
		instant("disabled_at", func(o *saldo.Operator) *time.Time { return &o.DisabledAt }),
		instant("created_at", func(o *saldo.Operator) *time.Time { return &o.CreatedAt }),
	})
	operatorColumnsNoID = operatorColumns.withoutFirst()

	operatorSessionColumns = newColumns("operator_sessions", []column[saldo.OperatorSession]{
		field("id", func(s *saldo.OperatorSession) *int64 { return &s.ID }),
		field("operator_id", func(s *saldo.OperatorSession) *int64 { return &s.OperatorID }),
		field("hash", func(s *saldo.OperatorSession) *[]byte { return &s.Hash }),
		field("csrf_token", func(s *saldo.OperatorSession) *string { return &s.CSRFToken }),
		instant("created_at", func(s *saldo.OperatorSession) *time.Time { return &s.CreatedAt }),
		instant("last_seen_at", func(s *saldo.OperatorSession) *time.Time { return &s.LastSeenAt }),
	})

	auditColumns = newColumns("operator_audit", []column[saldo.AuditEntry]{
		field("id", func(a *saldo.AuditEntry) *int64 { return &a.ID }),
		field("operator_id", func(a *saldo.AuditEntry) *int64 { return &a.OperatorID }),
		field("operator_email", func(a *saldo.AuditEntry) *string { return &a.OperatorEmail }),
		field("action", func(a *saldo.AuditEntry) *string { return &a.Action }),
		field("target", func(a *saldo.AuditEntry) *string { return &a.Target }),
		field("detail", func(a *saldo.AuditEntry) *string { return &a.Detail }),
		instant("created_at", func(a *saldo.AuditEntry) *time.Time { return &a.CreatedAt }),
	})

	insertOperator        = operatorColumnsNoID.insert(1) + " RETURNING id"
	insertOperatorSession = operatorSessionColumns.withoutFirst().insert(1) + " RETURNING id"
	insertAuditEntry      = auditColumns.withoutFirst().insert(1) + " RETURNING id"
	updateOperator        = "UPDATE operators SET role = $2, password_hash = $3, failed_logins = $4, locked_until = $5, disabled_at = $6 WHERE id = $1"
	// At the max-th failure in a row the count starts again and the lock is set, in one
	// statement, so that concurrent failures each count.
	operatorLoginFailed = "UPDATE operators SET" +
		" locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END," +
		" failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END" +
		" WHERE id = $1 RETURNING " + operatorColumns.names
)

// scanOperator reads a row of operatorColumns.
func (t *tx) scanOperator(row Row) (*saldo.Operator, error) {
	var o saldo.Operator
	if err := row.Scan(operatorColumns.dests(&o, t.d.Times)...); err != nil {
		return nil, t.notFound(err, "operator")
	}
	return &o, nil
}

func (t *tx) InsertOperator(ctx context.Context, o *saldo.Operator) error {
	return t.d.Translate(t.conn.QueryRow(ctx, insertOperator, operatorColumnsNoID.args(o, t.d.Times)...).Scan(&o.ID))
}

func (t *tx) OperatorByEmail(ctx context.Context, emailKey string) (*saldo.Operator, error) {
	return t.scanOperator(t.conn.QueryRow(ctx, operatorColumns.selectWhere("email_key = $1"), emailKey))
}

func (t *tx) Operator(ctx context.Context, id int64) (*saldo.Operator, error) {
	return t.scanOperator(t.conn.QueryRow(ctx, operatorColumns.selectWhere("id = $1"), id))
}

func (t *tx) Operators(ctx context.Context) ([]saldo.Operator, error) {
	return queryAll(ctx, t, func(rows Rows) (saldo.Operator, error) {
		var o saldo.Operator
		err := rows.Scan(operatorColumns.dests(&o, t.d.Times)...)
		return o, err
	}, operatorColumns.selectFrom()+" ORDER BY id")
}

func (t *tx) ActiveOperatorExists(ctx context.Context) (bool, error) {
	var n int
	err := t.conn.QueryRow(ctx, "SELECT count(*) FROM (SELECT 1 FROM operators WHERE disabled_at = $1 LIMIT 1) AS active",
		t.d.Times.Arg(time.Time{})).Scan(&n)
	return n > 0, t.d.Translate(err)
}

func (t *tx) UpdateOperator(ctx context.Context, o *saldo.Operator) error {
	n, err := t.conn.Exec(ctx, updateOperator, o.ID, o.Role, o.PasswordHash, o.FailedLogins,
		t.d.Times.Arg(o.LockedUntil), t.d.Times.Arg(o.DisabledAt))
	if err != nil {
		return t.d.Translate(err)
	}
	if n == 0 {
		return saldo.Errorf(saldo.ENOTFOUND, "operator:not_found")
	}
	return nil
}

func (t *tx) OperatorLoginFailed(ctx context.Context, id int64, max int, lockUntil time.Time) (*saldo.Operator, error) {
	return t.scanOperator(t.conn.QueryRow(ctx, operatorLoginFailed, id, max, t.d.Times.Arg(lockUntil)))
}

func (t *tx) InsertOperatorSession(ctx context.Context, s *saldo.OperatorSession) error {
	args := operatorSessionColumns.args(s, t.d.Times)[1:]
	return t.d.Translate(t.conn.QueryRow(ctx, insertOperatorSession, args...).Scan(&s.ID))
}

func (t *tx) OperatorSessionByHash(ctx context.Context, hash []byte) (*saldo.OperatorSession, error) {
	var s saldo.OperatorSession
	err := t.conn.QueryRow(ctx, operatorSessionColumns.selectWhere("hash = $1"), hash).Scan(operatorSessionColumns.dests(&s, t.d.Times)...)
	if err != nil {
		return nil, t.notFound(err, "session")
	}
	return &s, nil
}

func (t *tx) TouchOperatorSession(ctx context.Context, id int64, at time.Time) error {
	_, err := t.conn.Exec(ctx, "UPDATE operator_sessions SET last_seen_at = $2 WHERE id = $1", id, t.d.Times.Arg(at))
	return t.d.Translate(err)
}

func (t *tx) DeleteOperatorSession(ctx context.Context, id int64) error {
	_, err := t.conn.Exec(ctx, "DELETE FROM operator_sessions WHERE id = $1", id)
	return t.d.Translate(err)
}

func (t *tx) DeleteOperatorSessions(ctx context.Context, operatorID int64) error {
	_, err := t.conn.Exec(ctx, "DELETE FROM operator_sessions WHERE operator_id = $1", operatorID)
	return t.d.Translate(err)
}

func (t *tx) InsertAuditEntry(ctx context.Context, a *saldo.AuditEntry) error {
	args := auditColumns.args(a, t.d.Times)[1:]
	return t.d.Translate(t.conn.QueryRow(ctx, insertAuditEntry, args...).Scan(&a.ID))
}

func (t *tx) AuditEntries(ctx context.Context, beforeID int64, limit int) ([]saldo.AuditEntry, error) {
	where, args := "true", []any{limit}
	if beforeID > 0 {
		where, args = "id < $2", append(args, beforeID)
	}
	return queryAll(ctx, t, func(rows Rows) (saldo.AuditEntry, error) {
		var a saldo.AuditEntry
		err := rows.Scan(auditColumns.dests(&a, t.d.Times)...)
		return a, err
	}, auditColumns.selectWhere(where)+" ORDER BY id DESC LIMIT $1", args...)
}

func (t *tx) CustomerPartnerID(ctx context.Context, id int64) (int64, error) {
	var partnerID int64
	if err := t.conn.QueryRow(ctx, "SELECT ecommerce_id FROM customers WHERE id = $1", id).Scan(&partnerID); err != nil {
		return 0, t.notFound(err, "customer")
	}
	return partnerID, nil
}

func (t *tx) LiveCustomerTokens(ctx context.Context, partnerID, customerID int64, now time.Time) ([]saldo.Token, error) {
	q := tokenRead.selectWhere("customer_id = $1 AND ecommerce_id = $2 AND revoked_at IS NULL" +
		" AND kind IN ('oauth', 'refresh') AND (expires_at IS NULL OR expires_at > $3) ORDER BY id DESC")
	return queryAll(ctx, t, func(rows Rows) (saldo.Token, error) {
		var r tokenRow
		err := rows.Scan(tokenRead.dests(&r, t.d.Times)...)
		return *r.token(), err
	}, q, customerID, partnerID, t.d.Times.Arg(now))
}

func (t *tx) SubjectEvents(ctx context.Context, partnerID int64, subject string, limit int) ([]saldo.Event, error) {
	return queryAll(ctx, t, func(rows Rows) (saldo.Event, error) {
		var ev saldo.Event
		err := rows.Scan(eventRead.dests(&ev, t.d.Times)...)
		return ev, err
	}, eventRead.selectWhere("ecommerce_id = $1 AND subject_id = $2 ORDER BY id DESC LIMIT $3"), partnerID, subject, limit)
}

// daySeries are the table, instant column and condition each saldo.DaySeries counts.
var daySeries = map[saldo.DaySeries]struct{ table, column, where string }{
	saldo.SeriesCustomersCreated:   {"customers", "created_at", "true"},
	saldo.SeriesDeliveriesSucceded: {"webhook_attempts", "attempted_at", "status_code BETWEEN 200 AND 299"},
	saldo.SeriesDeliveriesFailed:   {"webhook_attempts", "attempted_at", "status_code NOT BETWEEN 200 AND 299"},
}

// CountByDay counts every day in one statement of one count per day, each a range of the
// column's index, which both engines run the same way.
func (t *tx) CountByDay(ctx context.Context, series saldo.DaySeries, bounds []time.Time) ([]int64, error) {
	s, ok := daySeries[series]
	if !ok || len(bounds) < 2 {
		return nil, saldo.Errorf(saldo.EINVALID, "series:invalid")
	}
	counts := make([]string, len(bounds)-1)
	args := make([]any, len(bounds))
	for i, b := range bounds {
		args[i] = t.d.Times.Arg(b)
	}
	for i := range counts {
		counts[i] = "(SELECT count(*) FROM " + s.table + " WHERE " + s.column + " >= " + dollar(i+1) +
			" AND " + s.column + " < " + dollar(i+2) + " AND " + s.where + ")"
	}
	out := make([]int64, len(counts))
	dests := make([]any, len(out))
	for i := range out {
		dests[i] = &out[i]
	}
	if err := t.conn.QueryRow(ctx, "SELECT "+strings.Join(counts, ", "), args...).Scan(dests...); err != nil {
		return nil, t.d.Translate(err)
	}
	return out, nil
}

// PartnerTotals sums each table in one scan, a column per partner, rather than GROUP BY
// ecommerce_id: grouping sorts every row first (on SQLite, whose aggregates do not hash), and
// the partners are few.
func (t *tx) PartnerTotals(ctx context.Context, partnerIDs []int64) ([]saldo.PartnerTotals, error) {
	if len(partnerIDs) == 0 {
		return nil, nil
	}
	out := make([]saldo.PartnerTotals, len(partnerIDs))
	for i, id := range partnerIDs {
		out[i].PartnerID = id
	}
	for _, s := range []struct {
		table, where string
		columns      []string
		into         func(p *saldo.PartnerTotals) []*int64
	}{
		{"balances", "kind = 'wallet'", []string{"amount"}, func(p *saldo.PartnerTotals) []*int64 { return []*int64{&p.WalletMoney} }},
		{"composite_parents", "true", []string{"credit_line", "allocated"}, func(p *saldo.PartnerTotals) []*int64 {
			return []*int64{&p.CreditLines, &p.Allocated}
		}},
		// A child's debt is minus its balance's amount; what its authorizations hold is used too.
		{"balances", "kind = 'composite_child'", []string{"held - amount"}, func(p *saldo.PartnerTotals) []*int64 { return []*int64{&p.Used} }},
	} {
		var sums []string
		var dests []any
		args := make([]any, len(partnerIDs))
		for i, id := range partnerIDs {
			args[i] = id
			for j, col := range s.columns {
				sums = append(sums, "CAST(COALESCE(sum(CASE WHEN ecommerce_id = "+dollar(i+1)+" THEN "+col+" END), 0) AS bigint)")
				dests = append(dests, s.into(&out[i])[j])
			}
		}
		q := "SELECT " + strings.Join(sums, ", ") + " FROM " + s.table + " WHERE " + s.where
		if err := t.conn.QueryRow(ctx, q, args...).Scan(dests...); err != nil {
			return nil, t.d.Translate(err)
		}
	}
	return out, nil
}
