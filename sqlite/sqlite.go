// Package sqlite is saldo's embedded default storage engine: SQLite through modernc.org/sqlite,
// pure Go, no cgo.
//
// Writers are serialized by design: every read-write transaction runs on the one connection of
// the write pool and begins IMMEDIATE, so it holds the database's write lock from its first
// statement and never meets another writer halfway. Readers use a separate pool and, in WAL
// mode, never block the writer or each other.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/migrate"
	"github.com/saldo-mx/saldo/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// maxAttempts bounds how often Update runs a transaction that keeps meeting a locked database
// (another process writing past the busy timeout).
const maxAttempts = 5

// Store is a saldo.Store on an SQLite database file.
type Store struct {
	write *sql.DB // one connection: the serialized writer
	read  *sql.DB
}

var _ saldo.Store = (*Store)(nil)

// Open opens (creating it if need be) the database file at path. It does not migrate.
func Open(path string) (*Store, error) {
	// FULL synchronous: an acknowledged create survives a power cut, not only a crash.
	params := url.Values{}
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "synchronous(FULL)")
	params.Add("_pragma", "foreign_keys(1)")
	dsn := "file:" + url.PathEscape(path) + "?" + params.Encode()

	// The file holds customers' personal data: only its owner may read it. SQLite gives the
	// WAL and shared-memory files the same permissions.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("sqlite: create %s: %w", path, err)
	}

	write, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	// Create the file and switch it to WAL before readers open it.
	if err := write.Ping(); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	return &Store{write: write, read: read}, nil
}

// Close closes both pools.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

// Ping reports whether the database file can be read.
func (s *Store) Ping(ctx context.Context) error {
	return translate(s.read.PingContext(ctx))
}

// DB is the read pool, for tests that read tables directly.
func (s *Store) DB() *sql.DB { return s.read }

// Stats returns the figures of the write and read pools.
func (s *Store) Stats() (write, read func() sql.DBStats) {
	return s.write.Stats, s.read.Stats
}

// Exec runs a statement on the writer, for tests that set up states directly.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	_, err := s.write.ExecContext(ctx, query, args...)
	return err
}

// Migrate applies pending migrations, each in a transaction of its own.
func (s *Store) Migrate(ctx context.Context) error {
	list, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	for _, m := range list {
		if err := s.migrateOne(ctx, m); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
		}
	}
	return nil
}

func (s *Store) migrateOne(ctx context.Context, m migrate.Migration) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var applied bool
	if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", m.Version).Scan(&applied); err != nil || applied {
		return err
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
		return err
	}
	return tx.Commit()
}

// Update runs fn in a read-write transaction on the serialized writer.
func (s *Store) Update(ctx context.Context, fn func(saldo.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.run(ctx, s.write, nil, fn)
		if !errors.Is(err, saldo.ErrRetry) {
			return err
		}
		if attempt == maxAttempts {
			return saldo.Contended(fmt.Errorf("sqlite: gave up after %d attempts: %w", attempt, err))
		}
	}
}

// View runs fn in a read-only transaction on the read pool.
func (s *Store) View(ctx context.Context, fn func(saldo.Tx) error) error {
	return s.run(ctx, s.read, &sql.TxOptions{ReadOnly: true}, fn)
}

// Autocommit runs fn's statements on the read pool, outside any transaction.
func (s *Store) Autocommit(ctx context.Context, fn func(saldo.Tx) error) error {
	return fn(sqlstore.New(sqlConn{s.read}, &dialect, nil, nil))
}

// run runs fn in a transaction. fn's errors are domain errors already (the Tx translates its
// own); only those of beginning and committing come from the driver here.
func (s *Store) run(ctx context.Context, db *sql.DB, opts *sql.TxOptions, fn func(saldo.Tx) error) error {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return translate(err)
	}
	// SQLite has no INSERT in a WITH query: held rows go a statement a table (no Shapes).
	if err := fn(sqlstore.New(sqlConn{tx}, &dialect, nil, nil)); err != nil {
		tx.Rollback()
		return err
	}
	return translate(tx.Commit())
}

// translate turns driver errors into domain errors by SQLite extended result code; domain
// errors pass through.
func translate(err error) error {
	if err == nil || errors.Is(err, saldo.ErrRetry) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var de *saldo.Error
	if errors.As(err, &de) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch code := se.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE, code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &saldo.Error{Code: saldo.ECONFLICT, Err: fmt.Errorf("%w: %v", saldo.ErrDuplicate, err)}
		case code&0xff == sqlite3.SQLITE_BUSY, code&0xff == sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("%w: %v", saldo.ErrRetry, err)
		case code&0xff == sqlite3.SQLITE_CANTOPEN, code&0xff == sqlite3.SQLITE_IOERR, code&0xff == sqlite3.SQLITE_FULL:
			return &saldo.Error{Code: saldo.EUNAVAILABLE, Err: err}
		}
	}
	return &saldo.Error{Code: saldo.EINTERNAL, Err: err}
}

var dialect = sqlstore.Dialect{
	Times:     unixMicros{},
	Translate: translate,
	IsNoRows:  func(err error) bool { return errors.Is(err, sql.ErrNoRows) },
}

// unixMicros stores instants as INTEGER microseconds since the Unix epoch, which compare and
// sort as numbers; PostgreSQL's timestamptz has the same precision.
type unixMicros struct{}

func (unixMicros) Arg(t time.Time) any   { return t.UnixMicro() }
func (unixMicros) Dest(t *time.Time) any { return (*microsDest)(t) }

type microsDest time.Time

func (d *microsDest) Scan(src any) error {
	n, ok := src.(int64)
	if !ok {
		return fmt.Errorf("sqlite: instant stored as %T, want INTEGER", src)
	}
	*d = microsDest(time.UnixMicro(n))
	return nil
}

// sqlConn adapts a database/sql transaction, or a pool, to sqlstore.Conn.
type sqlConn struct {
	tx interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
}

func (c sqlConn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Send runs the statement at once: SQLite is in the process, so there is no round trip to save.
func (c sqlConn) Send(ctx context.Context, query string, args ...any) error {
	_, err := c.tx.ExecContext(ctx, query, args...)
	return err
}

func (c sqlConn) Flush(context.Context) error { return nil }

func (c sqlConn) Queries(ctx context.Context, qs ...sqlstore.Query) error {
	return sqlstore.RunQueries(ctx, c, qs...)
}

func (c sqlConn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return c.tx.QueryRowContext(ctx, query, args...)
}

func (c sqlConn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := c.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

// sqlRows drops the error of Close: a read's failure surfaces through Err.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }
