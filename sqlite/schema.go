package sqlite

import (
	"context"
	"fmt"

	"github.com/saldo-mx/saldo/internal/migrate"
)

// CheckSchema tells, on the read-only pool, whether the database has every migration this
// binary knows: nil when it has, a *migrate.BehindError naming the pending ones when not (all
// of them on a database without saldo's tables).
func (s *Store) CheckSchema(ctx context.Context) error {
	known, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: check schema: %w", err)
	}
	return migrate.Check(known, applied)
}

// appliedMigrations returns the versions in schema_migrations, none when there is no such table.
func (s *Store) appliedMigrations(ctx context.Context) ([]int, error) {
	var exists bool
	if err := s.read.QueryRowContext(ctx,
		"SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')").Scan(&exists); err != nil || !exists {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var applied []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		applied = append(applied, v)
	}
	return applied, rows.Err()
}
