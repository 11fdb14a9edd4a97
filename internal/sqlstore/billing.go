package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/saldo-mx/saldo"
)

// statementDetails is how a statement's per-child rows and lines are stored: one JSON text.
type statementDetails struct {
	Children []saldo.StatementChild `json:"children"`
	Lines    []saldo.StatementLine  `json:"lines"`
}

// details is a column that stores a statement's children and lines as statementDetails.
func details() column[saldo.Statement] {
	return column[saldo.Statement]{
		name: "details",
		arg: func(st *saldo.Statement, _ Times) any {
			b, err := json.Marshal(statementDetails{Children: st.Children, Lines: st.Lines})
			if err != nil {
				panic(err) // unreachable: plain structs of numbers and strings
			}
			return string(b)
		},
		dest: func(st *saldo.Statement, _ Times) any { return &detailsDest{st} },
	}
}

type detailsDest struct{ st *saldo.Statement }

func (d *detailsDest) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("statement details: unexpected %T", src)
	}
	var sd statementDetails
	if err := json.Unmarshal(b, &sd); err != nil {
		return err
	}
	d.st.Children, d.st.Lines = sd.Children, sd.Lines
	return nil
}

var statementColumns = newColumns("statements", []column[saldo.Statement]{
	field("id", func(s *saldo.Statement) *int64 { return &s.ID }),
	field("parent_id", func(s *saldo.Statement) *string { return &s.ParentID }),
	field("ecommerce_id", func(s *saldo.Statement) *int64 { return &s.PartnerID }),
	field("period_start", func(s *saldo.Statement) *string { return &s.PeriodStart }),
	field("cutoff_date", func(s *saldo.Statement) *string { return &s.CutoffDate }),
	field("payment_due_date", func(s *saldo.Statement) *string { return &s.PaymentDueDate }),
	field("opening_balance", func(s *saldo.Statement) *int64 { return &s.OpeningBalance }),
	field("charges", func(s *saldo.Statement) *int64 { return &s.Charges }),
	field("refunds", func(s *saldo.Statement) *int64 { return &s.Refunds }),
	field("payments", func(s *saldo.Statement) *int64 { return &s.Payments }),
	field("closing_balance", func(s *saldo.Statement) *int64 { return &s.ClosingBalance }),
	field("total_due", func(s *saldo.Statement) *int64 { return &s.TotalDue }),
	field("min_due", func(s *saldo.Statement) *int64 { return &s.MinDue }),
	details(),
	instant("created_at", func(s *saldo.Statement) *time.Time { return &s.CreatedAt }),
})

var (
	insertStatement       = statementColumns.withoutFirst().insert(1) + " RETURNING id"
	selectStatement       = statementColumns.selectWhere("id = $1 AND ecommerce_id = $2")
	selectLatestStatement = statementColumns.selectWhere("parent_id = $1 ORDER BY cutoff_date DESC LIMIT 1")
	selectStatements      = statementColumns.selectWhere("ecommerce_id = $1 AND parent_id = $2 AND ($3 = 0 OR id < $3) ORDER BY id DESC LIMIT $4")
	lockParent            = compositeParentColumns.selectWhere("id = $1")
	parentsToClose        = compositeParentColumns.selectWhere(parentsToCloseWhere() + " ORDER BY id LIMIT $29")
	closeParentPeriod     = "UPDATE composite_parents SET period_start = $2, due_total = $3, due_min = $4, due_date = $5," +
		" status = CASE WHEN CAST($4 AS BIGINT) = 0 THEN 1 ELSE status END WHERE id = $1"
	// Expressions of SET read the row as it was: the status comes back once the payment covers
	// what remained of the minimum.
	reduceParentDue = "UPDATE composite_parents SET due_total = CASE WHEN due_total > $2 THEN due_total - $2 ELSE 0 END," +
		" due_min = CASE WHEN due_min > $2 THEN due_min - $2 ELSE 0 END," +
		" status = CASE WHEN due_min <= $2 THEN 1 ELSE status END" +
		" WHERE id = $1 AND (due_total > 0 OR status <> 1) RETURNING " + compositeParentColumns.names
	markOverdue = "UPDATE composite_parents SET status = 2 WHERE id IN (SELECT id FROM composite_parents" +
		" WHERE status = 1 AND due_min > 0 AND due_date <> '' AND due_date < $1 ORDER BY id LIMIT $2)" +
		" AND status = 1 AND due_min > 0 RETURNING " + compositeParentColumns.names
	statementLines = "SELECT e.transaction_id, e.balance_id, e.type, e.amount, t.description, t.merchant_name, t.mcc, e.created_at" +
		" FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id" +
		" WHERE e.created_at >= $1 AND e.created_at < $2 AND e.balance_id IN ("
	paymentsSince = "SELECT CAST(COALESCE(sum(amount), 0) AS BIGINT) FROM ledger_entries" +
		" WHERE type = 8 AND created_at >= $1 AND balance_id IN ("
)

// parentsToCloseWhere matches the parents whose period began before the cut-off date of
// their billing day: $1 … $28 by billing day.
func parentsToCloseWhere() string {
	days := make([]string, 28)
	for d := 1; d <= 28; d++ {
		days[d-1] = fmt.Sprintf("(billing_day = %d AND period_start < $%d)", d, d)
	}
	return "(" + strings.Join(days, " OR ") + ")"
}

func (t *tx) scanParent(rows Rows) (saldo.CompositeParent, error) {
	var p saldo.CompositeParent
	err := rows.Scan(compositeParentColumns.dests(&p, t.d.Times)...)
	return p, err
}

func (t *tx) scanStatement(rows Rows) (saldo.Statement, error) {
	var st saldo.Statement
	err := rows.Scan(statementColumns.dests(&st, t.d.Times)...)
	return st, err
}

func (t *tx) LockCompositeParent(ctx context.Context, id string) (*saldo.CompositeParent, error) {
	var p saldo.CompositeParent
	if err := t.conn.QueryRow(ctx, lockParent+t.d.ForUpdate, id).Scan(compositeParentColumns.dests(&p, t.d.Times)...); err != nil {
		return nil, t.notFound(err, "parent_id")
	}
	return &p, nil
}

func (t *tx) ParentsToClose(ctx context.Context, cutoffs [29]string, limit int) ([]saldo.CompositeParent, error) {
	args := make([]any, 0, 29)
	for d := 1; d <= 28; d++ {
		args = append(args, cutoffs[d])
	}
	args = append(args, limit)
	return queryAll(ctx, t, t.scanParent, parentsToClose, args...)
}

// childArgs appends the children's ids to args and returns them with the list's placeholders.
func childArgs(args []any, childIDs []int64) ([]any, string) {
	from := len(args) + 1
	for _, id := range childIDs {
		args = append(args, id)
	}
	return args, inList(from, len(childIDs)) + ")"
}

func (t *tx) StatementLines(ctx context.Context, childIDs []int64, from, to time.Time) ([]saldo.StatementLine, error) {
	if len(childIDs) == 0 {
		return nil, nil
	}
	args, list := childArgs([]any{t.d.Times.Arg(from), t.d.Times.Arg(to)}, childIDs)
	return queryAll(ctx, t, func(rows Rows) (saldo.StatementLine, error) {
		var l saldo.StatementLine
		err := rows.Scan(&l.TransactionID, &l.ChildID, (*int)(&l.Type), &l.Amount, &l.Description, &l.MerchantName, &l.MCC, t.d.Times.Dest(&l.CreatedAt))
		return l, err
	}, statementLines+list+" ORDER BY e.id", args...)
}

func (t *tx) PaymentsSince(ctx context.Context, childIDs []int64, since time.Time) (int64, error) {
	if len(childIDs) == 0 {
		return 0, nil
	}
	args, list := childArgs([]any{t.d.Times.Arg(since)}, childIDs)
	var total int64
	err := t.conn.QueryRow(ctx, paymentsSince+list, args...).Scan(&total)
	return total, t.d.Translate(err)
}

func (t *tx) LatestStatement(ctx context.Context, parentID string) (*saldo.Statement, error) {
	var st saldo.Statement
	if err := t.conn.QueryRow(ctx, selectLatestStatement, parentID).Scan(statementColumns.dests(&st, t.d.Times)...); err != nil {
		return nil, t.notFound(err, "statement")
	}
	return &st, nil
}

func (t *tx) InsertStatement(ctx context.Context, st *saldo.Statement) error {
	cols := statementColumns.withoutFirst()
	return t.d.Translate(t.conn.QueryRow(ctx, insertStatement, cols.args(st, t.d.Times)...).Scan(&st.ID))
}

func (t *tx) CloseParentPeriod(ctx context.Context, id, periodStart string, dueTotal, dueMin int64, dueDate string) error {
	_, err := t.conn.Exec(ctx, closeParentPeriod, id, periodStart, dueTotal, dueMin, dueDate)
	return t.d.Translate(err)
}

func (t *tx) ReduceParentDue(ctx context.Context, id string, amount int64) (*saldo.CompositeParent, error) {
	var p saldo.CompositeParent
	err := t.conn.QueryRow(ctx, reduceParentDue, id, amount).Scan(compositeParentColumns.dests(&p, t.d.Times)...)
	if t.d.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, t.d.Translate(err)
	}
	return &p, nil
}

func (t *tx) MarkOverdue(ctx context.Context, today string, limit int) ([]saldo.CompositeParent, error) {
	return queryAll(ctx, t, t.scanParent, markOverdue, today, limit)
}

func (t *tx) Statements(ctx context.Context, partnerID int64, parentID string, beforeID int64, limit int) ([]saldo.Statement, error) {
	return queryAll(ctx, t, t.scanStatement, selectStatements, partnerID, parentID, beforeID, limit)
}

func (t *tx) Statement(ctx context.Context, partnerID, id int64) (*saldo.Statement, error) {
	var st saldo.Statement
	if err := t.conn.QueryRow(ctx, selectStatement, id, partnerID).Scan(statementColumns.dests(&st, t.d.Times)...); err != nil {
		return nil, t.notFound(err, "statement_id")
	}
	return &st, nil
}
