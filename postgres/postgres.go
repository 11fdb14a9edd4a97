// Package postgres is saldo's production storage engine: PostgreSQL through pgx.
package postgres

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/migrate"
	"github.com/saldo-mx/saldo/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// A transaction that loses a race (serialization failure, deadlock) runs again after a random
// wait below a ceiling that doubles from retryBase up to retryCap, so that the transactions
// that collided spread out, for as long as retryBudget and the request's deadline allow.
// Writers of one hot row at SERIALIZABLE abort each other whenever one commits while the
// others wait for the row: of 24 writers at once, up to one write in a hundred still lost
// after 30 attempts (about a second), so the bound is a time, not a count of attempts.
const (
	retryBudget = 5 * time.Second
	retryBase   = time.Millisecond
	retryCap    = 64 * time.Millisecond
)

// Store is a saldo.Store on a PostgreSQL database.
type Store struct {
	pool    *pgxpool.Pool
	retries atomic.Int64 // transactions run again after a serialization failure or deadlock
	ids     *idBlocks
	// shapes: PostgreSQL takes the INSERTs of the rows a transaction holds as one statement.
	shapes sqlstore.Shapes
}

var _ saldo.Store = (*Store)(nil)

// Options tune a Store beyond what the URL says.
type Options struct {
	// MaxConns caps the pool; 0 keeps pgx's default (the larger of 4 and the CPU count).
	MaxConns int32
	// RuntimeParams are set on every connection (search_path, default_transaction_isolation…).
	RuntimeParams map[string]string
	// Tracer, when set, sees every statement and batch sent (pgx.BatchTracer too, if it is one).
	Tracer pgx.QueryTracer
}

// Open connects to the database at url (postgres://…). It does not migrate.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database url: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Tracer != nil {
		cfg.ConnConfig.Tracer = opts.Tracer
	}
	for k, v := range opts.RuntimeParams {
		cfg.ConnConfig.RuntimeParams[k] = v
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{pool: pool, ids: newIDBlocks(pgConn{pool}, refillPause)}, nil
}

// Close closes every connection.
func (s *Store) Close() error {
	s.ids.close()
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return translate(s.pool.Ping(ctx))
}

// Pool is the connection pool, for tests that read tables directly.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Migrate applies pending migrations, each in a transaction of its own. An advisory lock
// makes replicas that start together take turns.
func (s *Store) Migrate(ctx context.Context) error {
	list, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	// Every step takes the same advisory lock first: concurrent CREATE TABLE IF NOT EXISTS is
	// not safe in PostgreSQL, and two replicas must not apply one migration twice. The steps
	// run at READ COMMITTED whatever the database's default: what a step reads after the lock
	// must include what the replica that held it committed, and a SERIALIZABLE snapshot
	// would be taken at the lock statement, before the wait.
	err = pgx.BeginTxFunc(ctx, s.pool, migrationTx, func(tx pgx.Tx) error {
		if err := lockMigrations(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, m := range list {
		err := pgx.BeginTxFunc(ctx, s.pool, migrationTx, func(tx pgx.Tx) error {
			if err := lockMigrations(ctx, tx); err != nil {
				return err
			}
			var applied bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", m.Version).Scan(&applied); err != nil || applied {
				return err
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
	}
	return nil
}

var migrationTx = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}

// lockMigrations takes, until tx ends, the lock every saldo process migrates under. The key is
// an arbitrary constant they share.
func lockMigrations(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7305164711)")
	return err
}

// Update runs fn in a read-write transaction, running it again after a serialization
// failure or deadlock, so it also works at SERIALIZABLE isolation.
func (s *Store) Update(ctx context.Context, fn func(saldo.Tx) error) error {
	return s.run(ctx, "BEGIN", fn)
}

// View runs fn in a read-only transaction.
func (s *Store) View(ctx context.Context, fn func(saldo.Tx) error) error {
	return s.run(ctx, "BEGIN READ ONLY", fn)
}

// Retries returns how many times a transaction has been run again after a serialization
// failure or deadlock.
func (s *Store) Retries() int64 { return s.retries.Load() }

// Autocommit runs fn's statements on pooled connections, outside any transaction.
func (s *Store) Autocommit(ctx context.Context, fn func(saldo.Tx) error) error {
	return fn(sqlstore.New(pgConn{s.pool}, &dialect, nil, nil))
}

// run runs fn in a transaction begun by begin (at the session's default isolation), again
// after a serialization failure or deadlock. When the next attempt would not end within
// retryBudget and ctx's deadline, or ctx ends while it retries, it gives up with an
// EUNAVAILABLE marked saldo.HintContention.
func (s *Store) run(ctx context.Context, begin string, fn func(saldo.Tx) error) error {
	start := time.Now()
	giveUp := start.Add(retryBudget)
	if deadline, ok := ctx.Deadline(); ok && deadline.Before(giveUp) {
		giveUp = deadline
	}
	var lost error // the race the previous attempt lost
	for attempt := 1; ; attempt++ {
		began := time.Now()
		err := s.runOnce(ctx, begin, fn)
		if lost != nil && err != nil && ctx.Err() != nil {
			return contended(attempt, start, lost)
		}
		if !errors.Is(err, saldo.ErrRetry) {
			return err
		}
		lost = err
		// The next attempt should end in time: it waits, then takes about as long as this one.
		wait := backoff(attempt)
		if time.Until(giveUp) < wait+time.Since(began) {
			return contended(attempt, start, lost)
		}
		s.retries.Add(1)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return contended(attempt, start, lost)
		}
	}
}

// contended is the error of a transaction that lost races for attempts since start.
func contended(attempts int, start time.Time, lost error) error {
	return saldo.Contended(fmt.Errorf("postgres: gave up after %d attempts in %v: %w",
		attempts, time.Since(start).Round(time.Millisecond), lost))
}

// backoff is how long to wait after attempt lost a race: a random time below
// min(retryCap, retryBase·2^attempt).
func backoff(attempt int) time.Duration {
	ceiling := retryCap
	if attempt < 16 {
		ceiling = min(retryCap, retryBase<<attempt)
	}
	return rand.N(ceiling)
}

func (s *Store) runOnce(ctx context.Context, begin string, fn func(saldo.Tx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return translate(err)
	}
	// A connection released inside a transaction (after a panic in fn, or a failed ROLLBACK)
	// is closed by the pool, never reused.
	defer conn.Release()
	p := newPipeline(conn.Conn(), begin)
	// fn's errors are domain errors already (the Tx translates its own); only those of
	// committing come from the driver here.
	if err := fn(sqlstore.New(p, &dialect, s.ids, &s.shapes)); err != nil {
		p.rollback(ctx)
		return err
	}
	if err := p.commit(ctx); err != nil {
		p.rollback(ctx)
		return translate(err)
	}
	return nil
}

// translate turns driver errors into domain errors by SQLSTATE; domain errors pass through.
func translate(err error) error {
	if err == nil || errors.Is(err, saldo.ErrRetry) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var de *saldo.Error
	if errors.As(err, &de) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "40001" || pgErr.Code == "40P01": // serialization_failure, deadlock_detected
			return fmt.Errorf("%w: %s", saldo.ErrRetry, pgErr.Code)
		case pgErr.Code == tokenChanged: // raised by saldo_check_ecommerce_token
			return &saldo.Error{Code: saldo.EUNAUTHORIZED, Err: saldo.ErrPartnerTokenChanged}
		case pgErr.Code == depositLimit: // raised by saldo_add_deposit
			return &saldo.Error{Code: saldo.ELIMIT, Hints: []string{"amount:monthly_deposit_limit"}, Err: err}
		case pgErr.Code == "23505": // unique_violation
			return &saldo.Error{Code: saldo.ECONFLICT, Err: fmt.Errorf("%w: %s", saldo.ErrDuplicate, pgErr.ConstraintName)}
		case pgErr.Code == "55P03": // lock_not_available: a lock_timeout ran out behind another writer
			return saldo.Contended(err)
		case refused(pgErr), pgErr.Code == "57014": // 57014: a statement_timeout, the server too slow now
			return &saldo.Error{Code: saldo.EUNAVAILABLE, Err: err}
		}
		return &saldo.Error{Code: saldo.EINTERNAL, Err: err}
	}
	if connectionFailed(err) {
		return &saldo.Error{Code: saldo.EUNAVAILABLE, Err: err}
	}
	// Encoding or scanning failures are bugs, and a retry would meet them again.
	return &saldo.Error{Code: saldo.EINTERNAL, Err: err}
}

// refused reports whether pgErr is the server refusing a connection or ending one: it cannot
// serve now, and a later request may find it serving again.
func refused(pgErr *pgconn.PgError) bool {
	switch pgErr.Code {
	case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
		return true
	case "55000": // object_not_in_prerequisite_state
		// A FATAL one ends the session: at connection, "database is not currently accepting
		// connections" (ALLOW_CONNECTIONS false, as for maintenance). Within a session it is an
		// ERROR about the statement, a bug a retry would meet again.
		return cmp.Or(pgErr.SeverityUnlocalized, pgErr.Severity) == "FATAL"
	}
	// connection_exception, and insufficient_resources: disk full, out of memory, too many
	// connections (for the server, a role or a database), a configuration limit.
	return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "53")
}

// connectionFailed reports whether err means the database could not be reached or the
// connection broke: dialing, a reset, a timeout, a closed pool.
func connectionFailed(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, puddle.ErrClosedPool)
}

var dialect = sqlstore.Dialect{
	Times:     pgTimes{},
	Translate: translate,
	IsNoRows:  func(err error) bool { return errors.Is(err, pgx.ErrNoRows) },
	// NO KEY UPDATE serializes writers of the row as well, without blocking the key-share
	// locks that foreign-key checks of inserts referencing it take.
	ForUpdate: " FOR NO KEY UPDATE",
	// A function (migration 0006), because only an error can stop the rest of a pipelined
	// transaction: a SELECT that found nothing would let the inserts after it commit.
	CheckPartnerToken: "SELECT saldo_check_ecommerce_token($1, $2)",
	// Migration 0010, for the same reason.
	AddDeposit: "SELECT saldo_add_deposit($1, $2, $3, $4)",
	AddDeposits: "SELECT saldo_add_deposit(w, m, a, c)" +
		" FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[]) AS d(w, m, a, c)",
	ApplyMoves: "UPDATE balances SET amount = amount + ($2::bigint[])[array_position($1::bigint[], id)] WHERE id = ANY($1::bigint[])",
	// Migration 0011: ids do not follow commit order here.
	EventsAfter: sqlstore.EventsAfterByXID,
	SkipLocked:  " FOR UPDATE SKIP LOCKED",
	// Migration 0014: webhook cursors follow the feed's order.
	FeedEnd:            sqlstore.FeedEndByXID,
	CursorSince:        sqlstore.CursorSinceSnapshot,
	EventsPastCursor:   sqlstore.EventsPastCursorByXID,
	CursorEvents:       sqlstore.CursorEventsByXID,
	CursorXID:          sqlstore.CursorXIDOfEvent,
	ReserveDeliveryIDs: sqlstore.ReserveDeliveryIDsBySequence,
}

// tokenChanged is the SQLSTATE saldo_check_ecommerce_token raises, in a class of its own.
const tokenChanged = "SA401"

// depositLimit is the SQLSTATE saldo_add_deposit raises.
const depositLimit = "SA504"

// pgTimes stores instants as timestamptz, which pgx maps to time.Time directly.
type pgTimes struct{}

func (pgTimes) Arg(t time.Time) any   { return t }
func (pgTimes) Dest(t *time.Time) any { return t }

// pgConn adapts a pgx transaction, or the pool, to sqlstore.Conn.
type pgConn struct {
	tx interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	}
}

func (c pgConn) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := c.tx.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

// Send runs the statement at once: outside a transaction there is nothing to send it with.
func (c pgConn) Send(ctx context.Context, sql string, args ...any) error {
	_, err := c.tx.Exec(ctx, sql, args...)
	return err
}

func (c pgConn) Flush(context.Context) error { return nil }

func (c pgConn) Queries(ctx context.Context, qs ...sqlstore.Query) error {
	return sqlstore.RunQueries(ctx, c, qs...)
}

func (c pgConn) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	return c.tx.QueryRow(ctx, sql, args...)
}

func (c pgConn) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	return c.tx.Query(ctx, sql, args...)
}
