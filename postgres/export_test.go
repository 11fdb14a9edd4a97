package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/sqlstore"
)

// IDBlocks lets the external tests, which can use saldo/internal/testdb, drive idBlocks.
type IDBlocks = idBlocks

// TakeFrom is Take on a pool, outside any transaction.
func (b *idBlocks) TakeFrom(ctx context.Context, pool *pgxpool.Pool, n saldo.IDCounts) (sqlstore.IDs, error) {
	return b.Take(ctx, pgConn{pool}, n)
}
