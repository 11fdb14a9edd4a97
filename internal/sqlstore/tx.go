// Package sqlstore is the saldo.Tx that both SQL engines share. PostgreSQL and SQLite accept
// the same SQL for everything saldo does ($N placeholders, RETURNING, partial indexes), so the
// statements are written once here; an engine supplies a Conn over its driver, how it stores
// instants, and how its driver errors become domain errors.
package sqlstore

import (
	"context"

	"github.com/saldo-mx/saldo"
)

// Conn runs statements inside one transaction of an engine.
type Conn interface {
	Exec(ctx context.Context, sql string, args ...any) (rowsAffected int64, err error)
	QueryRow(ctx context.Context, sql string, args ...any) Row
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
	// Send runs a statement whose result nothing waits for. A Conn may queue it and send it
	// with the next statement or with the commit, in one round trip; its error is then the
	// error of that statement or of the commit.
	Send(ctx context.Context, sql string, args ...any) error
	// Flush sends what Send queued and waits for it.
	Flush(ctx context.Context) error
	// Queries runs qs in order, with what Send queued before them, and reads each one's rows
	// with its Scan: in one round trip, where the engine can. After a query fails, the rest
	// do not run.
	Queries(ctx context.Context, qs ...Query) error
}

// Query is a statement that returns rows, for Conn.Queries.
type Query struct {
	SQL  string
	Args []any
	// Scan reads the rows; it need not read them all.
	Scan func(Rows) error
}

// Read reads rows, q's result, with q's Scan and closes them: the error of Scan, else of the
// rows.
func (q Query) Read(rows Rows) error {
	err := q.Scan(rows)
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	return err
}

// RunQueries runs qs one after another on c: Conn.Queries for an engine with no round trip
// to save.
func RunQueries(ctx context.Context, c Conn, qs ...Query) error {
	for _, q := range qs {
		rows, err := c.Query(ctx, q.SQL, q.Args...)
		if err != nil {
			return err
		}
		if err := q.Read(rows); err != nil {
			return err
		}
	}
	return nil
}

// Row is a single-row result.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a multi-row result.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Dialect is what differs between engines.
type Dialect struct {
	Times Times
	// Translate turns a driver error into a domain error; nil and domain errors pass through.
	Translate func(error) error
	// IsNoRows reports whether err means a single-row query found nothing.
	IsNoRows func(error) bool
	// ForUpdate ends a SELECT that must lock the rows it reads against other writers until the
	// transaction ends: " FOR NO KEY UPDATE" on PostgreSQL; "" on SQLite, whose writers are
	// serialized already.
	ForUpdate string
	// CheckPartnerToken, when set, is a statement that fails with an error Translate makes
	// an EUNAUTHORIZED wrapping saldo.ErrPartnerTokenChanged unless $2 is partner $1's token
	// hash; it goes through Conn.Send. Without it, the check is a query, answered at once.
	CheckPartnerToken string
	// AddDeposit, when set, is a statement of ($1 wallet, $2 month, $3 amount, $4 ceiling) that
	// adds amount to the wallet's month or fails with an error Translate makes the ELIMIT of
	// the monthly deposit limit; it goes through Conn.Send. Without it, the upsert is a
	// query, answered at once.
	AddDeposit string
	// AddDeposits, when set, is AddDeposit for many: a statement of the arrays ($1 wallets,
	// $2 months, $3 amounts, $4 ceilings), each wallet's month once, for the deposits a
	// transaction holds (HoldInserts). Like AddDeposit, it refuses a month already counted
	// whose count would go over its ceiling; an amount over the ceiling by itself is the
	// caller's to refuse.
	AddDeposits string
	// ApplyMoves, when set, is Tx.ApplyMoves in one statement of the arrays ($1 balance ids,
	// $2 amounts); else each balance's change is a statement of its own.
	ApplyMoves string
	// EventsAfter, when set, is the event feed's query: ($1 partner, $2 after, $3 limit),
	// selecting eventRead's columns in commit order. Without it, the feed follows ids, which
	// is commit order on an engine whose writers are serialized.
	EventsAfter string
	// SkipLocked ends a SELECT that locks the rows it reads and passes over those another
	// transaction holds: " FOR UPDATE SKIP LOCKED" on PostgreSQL, for work that several
	// processes share; "" on SQLite, whose writers are serialized already.
	SkipLocked string
	// Webhook cursors (migration 0014). FeedEnd, when set, is a query of the id of partner
	// $1's last event in the feed's order (none: no row, or NULL), and CursorSince the
	// expression of what a cursor starting there keeps to tell the events committed before it
	// started. EventsPastCursor, when set, holds for a cursor c with events past it in the
	// feed's order; CursorEvents selects them (see CursorEventsByXID); CursorXID is the
	// after_xid of a cursor moved to event $3. ReserveDeliveryIDs, when set, returns $1
	// delivery ids, one a row. Without them: ids follow commit order, and delivery ids are
	// reserved through sqlite_sequence.
	FeedEnd, CursorSince, EventsPastCursor, CursorEvents, CursorXID, ReserveDeliveryIDs string
}

// IDSource hands out customer and balance ids ahead of the inserts that use them. A row
// inserted with an id from it goes through Conn.Send; without one, an insert waits for the
// id it returns.
type IDSource interface {
	// Take returns n.Customers customer ids, n.Balances balance ids and n.Transactions ledger
	// transaction ids; conn is the transaction asking, for a source that must reach the
	// database.
	Take(ctx context.Context, conn Conn, n saldo.IDCounts) (IDs, error)
}

// IDs are ids handed out ahead, used in order.
type IDs struct {
	Customers, Balances, Transactions []int64
}

// tx is a saldo.Tx over a Conn.
type tx struct {
	conn Conn
	d    *Dialect
	ids  IDSource // nil: inserts return their ids
	// shapes, when set, sends the rows held for several tables as one statement.
	shapes *Shapes
	// Ids reserved for the next inserts.
	reserved IDs
	// held holds back plain inserts while set (HoldInserts); conn is then held.
	held *holding
	// checked is the partner token this transaction checked already (CheckPartnerToken).
	checked checkedToken
}

// checkedToken is a partner's id and token hash.
type checkedToken struct {
	id   int64
	hash string
}

// New returns the saldo.Tx for a transaction of an engine; ids and shapes may be nil. Besides
// saldo.Tx, it has Flush.
func New(conn Conn, d *Dialect, ids IDSource, shapes *Shapes) saldo.Tx {
	return &tx{conn: conn, d: d, ids: ids, shapes: shapes}
}

var (
	insertPartner  = partnerColumnsNoID.insert(1) + " RETURNING id"
	insertCustomer = customerColumnsNoID.insert(1) + " RETURNING id"
	insertBalance  = balanceColumnsNoID.insert(1) + " RETURNING id"
	// With an id handed out ahead (sqlstore.IDSource), which only PostgreSQL does.
	insertCustomerWithID = newRowsInsert(customerColumns, true)
	insertBalanceWithID  = newRowsInsert(balanceColumns, true)
	insertParent         = newRowsInsert(compositeParentColumns, false)
	insertTokens         = newRowsInsert(tokenColumns, false)
	insertEvents         = newRowsInsert(eventColumns, false)
	duplicatesQuery      = customerDuplicatesQuery(dollar)

	selectPartner            = partnerColumns.selectWhere("id = $1")
	selectPartnerByTokenHash = partnerColumns.selectWhere("token_hash = $1")
	selectPartners           = partnerColumns.selectFrom() + " ORDER BY id"
	selectCustomer           = customerColumns.selectWhere("id = $1 AND ecommerce_id = $2")
	selectWallet             = balanceColumns.selectWhere("customer_id = $1 AND ecommerce_id = $2 AND kind = 'wallet'")
	selectCompositeParentOf  = compositeParentColumns.selectWhere("customer_id = $1 AND ecommerce_id = $2 ORDER BY created_at, id LIMIT 1")
)

func (t *tx) ReserveIDs(ctx context.Context, n saldo.IDCounts) error {
	if t.ids == nil {
		return nil
	}
	// Taking ids reads no row a held insert writes.
	ids, err := t.ids.Take(ctx, t.ahead(), n)
	if err != nil {
		return t.d.Translate(err)
	}
	r := &t.reserved
	r.Customers = append(r.Customers, ids.Customers...)
	r.Balances = append(r.Balances, ids.Balances...)
	r.Transactions = append(r.Transactions, ids.Transactions...)
	return nil
}

// Flush sends the statements queued so far and waits for them, so that their rows are in the
// database (within the transaction) when it returns.
func (t *tx) Flush(ctx context.Context) error { return t.d.Translate(t.conn.Flush(ctx)) }

// nextID pops a reserved id, or returns 0 when none is left.
func nextID(ids *[]int64) int64 {
	if len(*ids) == 0 {
		return 0
	}
	id := (*ids)[0]
	*ids = (*ids)[1:]
	return id
}

// queryAll runs a query and reads every row of its result with scan.
func queryAll[T any](ctx context.Context, t *tx, scan func(Rows) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := t.conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, t.d.Translate(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, t.d.Translate(err)
		}
		out = append(out, v)
	}
	return out, t.d.Translate(rows.Err())
}

// scanValue reads a row of one column.
func scanValue[T any](rows Rows) (T, error) {
	var v T
	err := rows.Scan(&v)
	return v, err
}

func (t *tx) notFound(err error, what string) error {
	if t.d.IsNoRows(err) {
		return saldo.Errorf(saldo.ENOTFOUND, what+":not_found")
	}
	return t.d.Translate(err)
}

func (t *tx) InsertPartner(ctx context.Context, e *saldo.Partner) error {
	r := partnerRow{e: e}
	return t.d.Translate(t.conn.QueryRow(ctx, insertPartner, partnerColumnsNoID.args(&r, t.d.Times)...).Scan(&e.ID))
}

// partnerWhere reads the partner that query, a select of partnerColumns, finds with arg.
func (t *tx) partnerWhere(ctx context.Context, query string, arg any) (*saldo.Partner, error) {
	r := partnerRow{e: new(saldo.Partner)}
	err := t.conn.QueryRow(ctx, query, arg).Scan(partnerColumns.dests(&r, t.d.Times)...)
	if err != nil {
		return nil, t.notFound(err, "ecommerce")
	}
	return r.partner(), nil
}

func (t *tx) Partner(ctx context.Context, id int64) (*saldo.Partner, error) {
	return t.partnerWhere(ctx, selectPartner, id)
}

func (t *tx) PartnerByTokenHash(ctx context.Context, hash []byte) (*saldo.Partner, error) {
	return t.partnerWhere(ctx, selectPartnerByTokenHash, hash)
}

// CheckPartnerToken checks a partner's token once for writes of one partner that follow one
// another in a transaction: the writes of a batch share the check (a failed check fails the
// transaction, or the write a savepoint undoes, after which the check is made again).
func (t *tx) CheckPartnerToken(ctx context.Context, id int64, hash []byte) error {
	token := checkedToken{id: id, hash: string(hash)}
	if t.checked == token {
		return nil
	}
	if t.d.CheckPartnerToken != "" {
		t.checked = token
		// It reads the partner's row, which no held insert writes.
		return t.d.Translate(t.ahead().Send(ctx, t.d.CheckPartnerToken, id, hash))
	}
	var one int
	err := t.conn.QueryRow(ctx, "SELECT 1 FROM ecommerces WHERE id = $1 AND token_hash = $2", id, hash).Scan(&one)
	if t.d.IsNoRows(err) {
		return &saldo.Error{Code: saldo.EUNAUTHORIZED, Err: saldo.ErrPartnerTokenChanged}
	}
	if err == nil {
		t.checked = token
	}
	return t.d.Translate(err)
}

func (t *tx) Partners(ctx context.Context) ([]*saldo.Partner, error) {
	return queryAll(ctx, t, func(rows Rows) (*saldo.Partner, error) {
		r := partnerRow{e: new(saldo.Partner)}
		err := rows.Scan(partnerColumns.dests(&r, t.d.Times)...)
		return r.partner(), err
	}, selectPartners)
}

func (t *tx) SetPartnerTokenHash(ctx context.Context, id int64, hash []byte) error {
	n, err := t.conn.Exec(ctx, "UPDATE ecommerces SET token_hash = $2 WHERE id = $1", id, hash)
	if err != nil {
		return t.d.Translate(err)
	}
	if n == 0 {
		return saldo.Errorf(saldo.ENOTFOUND, "ecommerce:not_found")
	}
	return nil
}

func (t *tx) CustomerDuplicates(ctx context.Context, c *saldo.Customer) ([]string, error) {
	return queryAll(ctx, t, scanValue[string], duplicatesQuery, customerDuplicatesArgs(c)...)
}

func (t *tx) InsertCustomer(ctx context.Context, c *saldo.Customer) error {
	if id := nextID(&t.reserved.Customers); id != 0 {
		c.ID = id
		return t.insertRows(ctx, insertCustomerWithID, 1, customerColumns.args(c, t.d.Times))
	}
	return t.d.Translate(t.conn.QueryRow(ctx, insertCustomer, customerColumnsNoID.args(c, t.d.Times)...).Scan(&c.ID))
}

func (t *tx) Customer(ctx context.Context, partnerID, id int64) (*saldo.Customer, error) {
	var c saldo.Customer
	err := t.conn.QueryRow(ctx, selectCustomer, id, partnerID).Scan(customerColumns.dests(&c, t.d.Times)...)
	if err != nil {
		return nil, t.notFound(err, "customer_id")
	}
	return &c, nil
}

func (t *tx) InsertBalance(ctx context.Context, b *saldo.Balance) error {
	if id := nextID(&t.reserved.Balances); id != 0 {
		b.ID = id
		return t.insertRows(ctx, insertBalanceWithID, 1, balanceColumns.args(b, t.d.Times))
	}
	return t.d.Translate(t.conn.QueryRow(ctx, insertBalance, balanceColumnsNoID.args(b, t.d.Times)...).Scan(&b.ID))
}

func (t *tx) Wallet(ctx context.Context, partnerID, customerID int64) (*saldo.Balance, error) {
	var b saldo.Balance
	err := t.conn.QueryRow(ctx, selectWallet, customerID, partnerID).Scan(balanceColumns.dests(&b, t.d.Times)...)
	if err != nil {
		return nil, t.notFound(err, "wallet")
	}
	return &b, nil
}

func (t *tx) InsertTokens(ctx context.Context, tokens []saldo.Token) error {
	args := make([]any, 0, len(tokens)*len(tokenColumns.list))
	for i := range tokens {
		args = tokenColumns.appendArgs(args, &tokens[i], t.d.Times)
	}
	return t.insertRows(ctx, insertTokens, len(tokens), args)
}

func (t *tx) InsertCompositeParent(ctx context.Context, p *saldo.CompositeParent) error {
	return t.insertRows(ctx, insertParent, 1, compositeParentColumns.args(p, t.d.Times))
}

func (t *tx) CompositeParentOf(ctx context.Context, partnerID, customerID int64) (*saldo.CompositeParent, error) {
	var p saldo.CompositeParent
	err := t.conn.QueryRow(ctx, selectCompositeParentOf, customerID, partnerID).Scan(compositeParentColumns.dests(&p, t.d.Times)...)
	if err != nil {
		return nil, t.notFound(err, "parent")
	}
	return &p, nil
}

func (t *tx) InsertEvents(ctx context.Context, events []saldo.Event) error {
	args := make([]any, 0, len(events)*len(eventColumns.list))
	for i := range events {
		args = eventColumns.appendArgs(args, &events[i], t.d.Times)
	}
	return t.insertRows(ctx, insertEvents, len(events), args)
}

// Savepoint queues SAVEPOINT name; name is the caller's, never a request's.
func (t *tx) Savepoint(ctx context.Context, name string) error {
	return t.d.Translate(t.conn.Send(ctx, "SAVEPOINT "+name))
}

// RollbackTo goes back to savepoint name, sending first what is queued: a failure of that
// fails it, and the savepoint is then not there to go back to.
func (t *tx) RollbackTo(ctx context.Context, name string) error {
	// A token check sent since may be what failed, and is undone: the next write checks again.
	t.checked = checkedToken{}
	_, err := t.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT "+name)
	return t.d.Translate(err)
}
