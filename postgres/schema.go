package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/saldo-mx/saldo/internal/migrate"
)

// CheckSchema tells, in a read-only transaction that changes nothing, whether the database has
// every migration this binary knows: nil when it has, a *migrate.BehindError naming the
// pending ones when not (all of them on a database without saldo's tables).
func (s *Store) CheckSchema(ctx context.Context) error {
	known, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	var applied []int
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var exists bool
		// to_regclass looks the table up along the search_path, as Migrate's CREATE TABLE does.
		if err := tx.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil || !exists {
			return err
		}
		rows, err := tx.Query(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return err
		}
		applied, err = pgx.CollectRows(rows, pgx.RowTo[int])
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: check schema: %w", err)
	}
	return migrate.Check(known, applied)
}
