package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"sync"
)

// Held inserts (saldo.Tx.HoldInserts). A batch of group commit writes the same few tables once
// a member: nine rows of six tables a create, four rows of three tables a transfer. Sent a
// statement a member, a batch of 16 creates is 96 statements, and PostgreSQL pays its
// per-statement work (a portal, a snapshot, the executor's start and end, the deferred
// triggers' queue) for each; held, it is six, one multi-row INSERT a table, and on PostgreSQL
// one statement (Shapes).

// rowsInsert is a plain INSERT of rows of one table's columns: one without ON CONFLICT or
// RETURNING, so rows of several can go as one statement.
type rowsInsert struct {
	head string // "INSERT INTO t (a, b) [OVERRIDING SYSTEM VALUE] VALUES "
	cols int
	// stmts[n] is the statement of n rows, for the row counts built ahead.
	stmts []string
}

// newRowsInsert is the insert of cs; withID writes their first column, an identity, as given.
func newRowsInsert[T any](cs *columns[T], withID bool) *rowsInsert {
	head := "INSERT INTO " + cs.table + " (" + cs.names + ") "
	if withID {
		// An identity column GENERATED ALWAYS takes a given id only so.
		head += "OVERRIDING SYSTEM VALUE "
	}
	r := &rowsInsert{head: head + "VALUES ", cols: len(cs.list)}
	r.stmts = make([]string, 5)
	for n := 1; n < len(r.stmts); n++ {
		r.stmts[n] = r.build(n)
	}
	return r
}

// statement is the INSERT of rows rows.
func (r *rowsInsert) statement(rows int) string {
	if rows < len(r.stmts) {
		return r.stmts[rows]
	}
	return r.build(rows)
}

func (r *rowsInsert) build(rows int) string {
	var b strings.Builder
	r.write(&b, rows, 1)
	return b.String()
}

// write writes the INSERT of rows rows to b, its placeholders from $first.
func (r *rowsInsert) write(b *strings.Builder, rows, first int) {
	b.WriteString(r.head)
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + inList(first+i*r.cols, r.cols) + ")")
	}
}

// Shapes are the statements that send the rows held for several tables as one, each table's
// INSERT but the last in a data-modifying WITH query, for an engine that takes them so
// (PostgreSQL, which checks the foreign keys between them at the statement's end): such an
// engine's store keeps one Shapes and passes it to New. A shape is the held tables in their
// order and each one's row count, and each is a statement that the driver and the server
// prepare on every connection; mixed batches make many (creates with and without idempotency
// keys, of partners with and without composite balances, at every batch size). So only the
// first maxShapes shapes go together, and the rows of a later one go a statement a table, as
// on an engine without Shapes. The common shapes come first: a kind of write holds the same
// tables in the same order, at each batch size. The zero Shapes is ready to use.
type Shapes struct {
	mu sync.Mutex
	m  map[shapeKey]string
}

const (
	maxShapes = 256
	// maxShapeTables is the most tables of a shape that goes together: a create holds six,
	// a transfer four.
	maxShapeTables = 8
)

// shapeKey names a shape: its inserts in their order, with their row counts.
type shapeKey [maxShapeTables]struct {
	insert *rowsInsert
	rows   int
}

// statement is the statement that inserts all of held together, and whether its shape goes
// together: one of the first maxShapes, of at most maxShapeTables tables.
func (s *Shapes) statement(held []*heldRows) (string, bool) {
	if len(held) > maxShapeTables {
		return "", false
	}
	var key shapeKey
	for i, r := range held {
		key[i].insert, key[i].rows = r.insert, r.rows
	}
	s.mu.Lock()
	sql, ok := s.m[key]
	full := len(s.m) >= maxShapes
	s.mu.Unlock()
	if ok || full {
		return sql, ok
	}
	sql = buildTogether(held)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[shapeKey]string{}
	}
	if len(s.m) < maxShapes {
		s.m[key] = sql
	}
	return sql, true
}

// buildTogether is the statement that inserts all of held, each table's rows but the last's in
// a WITH query of its own, its placeholders running on from one table's rows to the next.
func buildTogether(held []*heldRows) string {
	var b strings.Builder
	first := 1
	for i, r := range held {
		switch {
		case i == 0:
			b.WriteString("WITH ")
		case i < len(held)-1:
			b.WriteString(", ")
		default:
			b.WriteString(" ")
		}
		if i < len(held)-1 {
			b.WriteString("h" + strconv.Itoa(i) + " AS (")
		}
		r.insert.write(&b, r.rows, first)
		if i < len(held)-1 {
			b.WriteString(")")
		}
		first += len(r.args)
	}
	return b.String()
}

// maxHeldArgs bounds the arguments of what is held, which may go as one statement (Shapes),
// under SQLite's 32,766 and PostgreSQL's 65,535 (one write's rows
// add a few hundred at most): reaching it sends what is held.
const maxHeldArgs = 30000

// holding is a Conn that holds back the rows of plain inserts and sends them, one INSERT a
// table in the order the tables first came (with Shapes, all in one statement),
// before any other statement, and when the caller of HoldInserts is done. A transaction's
// inserts follow their own order of foreign keys, so the first rows of each table came in
// that order too.
type holding struct {
	Conn
	held []*heldRows
	args int // the arguments of held, together
	// deposits are the monthly deposits held (Dialect.AddDeposits), a wallet's month once.
	deposits []heldDeposit
	d        *Dialect
	shapes   *Shapes // nil: each table's rows go as a statement of their own
}

// heldDeposit is what the deposits held add to one wallet's month, within the lowest of
// their ceilings (a wallet's ceiling is the same for every transfer of a batch).
type heldDeposit struct {
	wallet          int64
	month           string
	amount, ceiling int64
}

// deposit holds amount added to a wallet's month, within ceiling, and reports whether the
// month's held sum stays within it: the deposits held go as one statement that adds each
// sum to its month, refused (Dialect.AddDeposits) when the month's count so far and the sum
// together go over.
func (h *holding) deposit(wallet int64, month string, amount, ceiling int64) bool {
	for i := range h.deposits {
		d := &h.deposits[i]
		if d.wallet == wallet && d.month == month {
			d.amount += amount
			d.ceiling = min(d.ceiling, ceiling)
			return d.amount <= d.ceiling
		}
	}
	h.deposits = append(h.deposits, heldDeposit{wallet: wallet, month: month, amount: amount, ceiling: ceiling})
	return amount <= ceiling
}

// heldRows are the rows held for one insert.
type heldRows struct {
	insert *rowsInsert
	rows   int
	args   []any
}

// hold holds rows rows of insert, whose arguments are args.
func (h *holding) hold(ctx context.Context, insert *rowsInsert, rows int, args []any) error {
	held := (*heldRows)(nil)
	for _, r := range h.held {
		if r.insert == insert {
			held = r
			break
		}
	}
	if held == nil {
		held = &heldRows{insert: insert}
		h.held = append(h.held, held)
	}
	held.rows += rows
	held.args = append(held.args, args...)
	h.args += len(args)
	if h.args < maxHeldArgs {
		return nil
	}
	// Everything goes, this row with the rest: what comes next starts afresh, in its own
	// order of tables.
	return h.release(ctx)
}

// release sends what is held.
func (h *holding) release(ctx context.Context) error {
	held, deposits, n := h.held, h.deposits, h.args
	h.held, h.deposits, h.args = nil, nil, 0
	if len(held) > 1 && h.shapes != nil {
		if sql, ok := h.shapes.statement(held); ok {
			args := make([]any, 0, n)
			for _, r := range held {
				args = append(args, r.args...)
			}
			held = nil
			if err := h.Conn.Send(ctx, sql, args...); err != nil {
				return err
			}
		}
	}
	for _, r := range held {
		if err := h.Conn.Send(ctx, r.insert.statement(r.rows), r.args...); err != nil {
			return err
		}
	}
	if len(deposits) == 0 {
		return nil
	}
	wallets, months, amounts, ceilings := make([]int64, len(deposits)), make([]string, len(deposits)), make([]int64, len(deposits)), make([]int64, len(deposits))
	for i, d := range deposits {
		wallets[i], months[i], amounts[i], ceilings[i] = d.wallet, d.month, d.amount, d.ceiling
	}
	return h.Conn.Send(ctx, h.d.AddDeposits, wallets, months, amounts, ceilings)
}

func (h *holding) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	if err := h.release(ctx); err != nil {
		return 0, err
	}
	return h.Conn.Exec(ctx, sql, args...)
}

func (h *holding) QueryRow(ctx context.Context, sql string, args ...any) Row {
	if err := h.release(ctx); err != nil {
		return errRow{err}
	}
	return h.Conn.QueryRow(ctx, sql, args...)
}

func (h *holding) Query(ctx context.Context, sql string, args ...any) (Rows, error) {
	if err := h.release(ctx); err != nil {
		return nil, err
	}
	return h.Conn.Query(ctx, sql, args...)
}

func (h *holding) Send(ctx context.Context, sql string, args ...any) error {
	if err := h.release(ctx); err != nil {
		return err
	}
	return h.Conn.Send(ctx, sql, args...)
}

func (h *holding) Flush(ctx context.Context) error {
	if err := h.release(ctx); err != nil {
		return err
	}
	return h.Conn.Flush(ctx)
}

func (h *holding) Queries(ctx context.Context, qs ...Query) error {
	if err := h.release(ctx); err != nil {
		return err
	}
	return h.Conn.Queries(ctx, qs...)
}

// errRow is a Row whose statement was not sent.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// HoldInserts runs fn with the transaction's plain inserts held back (saldo.Tx.HoldInserts).
func (t *tx) HoldInserts(ctx context.Context, fn func() error) error {
	if t.held != nil {
		return fn()
	}
	t.held = &holding{Conn: t.conn, d: t.d, shapes: t.shapes}
	t.conn = t.held
	defer func() { t.conn, t.held = t.held.Conn, nil }()
	if err := fn(); err != nil {
		return err
	}
	return t.d.Translate(t.held.release(ctx))
}

// insertRows sends rows rows of insert, or holds them while the transaction holds its inserts.
func (t *tx) insertRows(ctx context.Context, insert *rowsInsert, rows int, args []any) error {
	if rows == 0 {
		return nil
	}
	if t.held != nil {
		return t.d.Translate(t.held.hold(ctx, insert, rows, args))
	}
	return t.d.Translate(t.conn.Send(ctx, insert.statement(rows), args...))
}

// ahead is the Conn for a statement that reads no row a held insert writes: it goes before
// them, and they stay held.
func (t *tx) ahead() Conn {
	if t.held != nil {
		return t.held.Conn
	}
	return t.conn
}
