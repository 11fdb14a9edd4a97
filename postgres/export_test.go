package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

// IDBlocks lets the external tests, which can use saldo/internal/testdb, drive idBlocks.
type IDBlocks = idBlocks

// TakeFrom is Take on a pool, outside any transaction.
func (b *idBlocks) TakeFrom(ctx context.Context, pool *pgxpool.Pool, customers, balances int) ([]int64, []int64, error) {
	return b.Take(ctx, pgConn{pool}, customers, balances)
}
