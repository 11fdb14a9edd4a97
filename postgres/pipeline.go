package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saldo-mx/saldo/internal/sqlstore"
)

// pipeline is one transaction on one connection that sends the statements nothing waits for
// (sqlstore.Conn.Send) together with the next statement that is waited for, or with the
// COMMIT, as one pgx batch: one network round trip instead of one per statement. BEGIN itself
// waits in the queue for the first statement. So a create, which waits for nothing when its
// ids come from a block taken ahead (idBlocks), takes one round trip: BEGIN, its inserts and
// the COMMIT.
//
// A batch is a pipeline of extended-protocol messages ending in one Sync. When a statement of
// it fails, PostgreSQL skips the rest up to the Sync, COMMIT included, and the transaction is
// left aborted; the caller then rolls it back.
type pipeline struct {
	conn    *pgx.Conn
	pending *pgx.Batch
	sent    bool // BEGIN has gone out: there is a transaction to end
}

var _ sqlstore.Conn = (*pipeline)(nil)

func newPipeline(conn *pgx.Conn, begin string) *pipeline {
	p := &pipeline{conn: conn, pending: &pgx.Batch{}}
	p.pending.Queue(begin)
	return p
}

func (p *pipeline) Send(_ context.Context, sql string, args ...any) error {
	p.pending.Queue(sql, args...)
	return nil
}

func (p *pipeline) Flush(ctx context.Context) error {
	if p.pending.Len() == 0 {
		return nil
	}
	br, n := p.send(ctx)
	return closeBatch(br, skip(br, n))
}

func (p *pipeline) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	if p.pending.Len() == 0 {
		tag, err := p.conn.Exec(ctx, sql, args...)
		return tag.RowsAffected(), err
	}
	br, err := p.sendWith(ctx, sql, args)
	if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	return tag.RowsAffected(), closeBatch(br, err)
}

func (p *pipeline) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	if p.pending.Len() == 0 {
		return p.conn.QueryRow(ctx, sql, args...)
	}
	p.pending.Queue(sql, args...)
	return pipelinedRow{p: p, ctx: ctx}
}

func (p *pipeline) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	if p.pending.Len() == 0 {
		return p.conn.Query(ctx, sql, args...)
	}
	br, err := p.sendWith(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &pipelinedRows{Rows: rows, br: br}, nil
}

// Queries sends the queue with qs, in one batch, and reads each query's rows with its Scan.
func (p *pipeline) Queries(ctx context.Context, qs ...sqlstore.Query) error {
	for _, q := range qs {
		p.pending.Queue(q.SQL, q.Args...)
	}
	br, n := p.send(ctx)
	if err := skip(br, n-len(qs)); err != nil {
		return closeBatch(br, err)
	}
	for _, q := range qs {
		rows, err := br.Query()
		if err == nil {
			err = q.Read(rows)
		}
		if err != nil {
			return closeBatch(br, err)
		}
	}
	return closeBatch(br, nil)
}

// commit sends what is queued with COMMIT. A transaction that never sent anything has nothing
// to commit.
func (p *pipeline) commit(ctx context.Context) error {
	if !p.sent && p.pending.Len() == 1 {
		return nil
	}
	p.pending.Queue("COMMIT")
	return p.Flush(ctx)
}

// rollback ends a transaction that failed. It runs even when ctx is done, briefly: a connection
// left inside a transaction is closed by the pool rather than reused, which is safe but costs
// a new connection.
func (p *pipeline) rollback(ctx context.Context) {
	if !p.sent || p.conn.PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, _ = p.conn.Exec(ctx, "ROLLBACK")
}

// send sends every queued statement as one batch, and says how many there were.
func (p *pipeline) send(ctx context.Context) (pgx.BatchResults, int) {
	b := p.pending
	p.pending = &pgx.Batch{}
	p.sent = true
	return p.conn.SendBatch(ctx, b), b.Len()
}

// sendWith queues sql last and sends the queue; see sendToLast.
func (p *pipeline) sendWith(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	p.pending.Queue(sql, args...)
	return p.sendToLast(ctx)
}

// sendToLast sends the queue and reads the results of all but its last statement: the batch
// it returns is at that statement's result, for the caller to read and then close.
func (p *pipeline) sendToLast(ctx context.Context) (pgx.BatchResults, error) {
	br, n := p.send(ctx)
	if err := skip(br, n-1); err != nil {
		_ = br.Close()
		return nil, err
	}
	return br, nil
}

// closeBatch closes br and returns err, or the error of closing it when err is nil.
func closeBatch(br pgx.BatchResults, err error) error {
	if closeErr := br.Close(); err == nil {
		err = closeErr
	}
	return err
}

// skip reads the results of the next n statements of br, returning the first error.
func skip(br pgx.BatchResults, n int) error {
	for range n {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	return nil
}

// pipelinedRow sends the queue, its own query last, when it is scanned.
type pipelinedRow struct {
	p   *pipeline
	ctx context.Context
}

func (r pipelinedRow) Scan(dest ...any) error {
	br, err := r.p.sendToLast(r.ctx)
	if err != nil {
		return err
	}
	return closeBatch(br, br.QueryRow().Scan(dest...))
}

// pipelinedRows ends the batch when the rows are closed.
type pipelinedRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *pipelinedRows) Close() {
	r.Rows.Close()
	_ = r.br.Close()
}
