package postgres

import (
	"context"
	"time"

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

// IDBlocksAhead is an idBlocks that takes its next blocks on ahead before they run out, and
// waits pause after a failed refill before the next.
func IDBlocksAhead(ahead sqlstore.Conn, pause time.Duration) *IDBlocks {
	return &idBlocks{ahead: ahead, pause: pause}
}

// PoolConn is the pool as a sqlstore.Conn, outside any transaction.
func PoolConn(pool *pgxpool.Pool) sqlstore.Conn { return pgConn{pool} }

// WaitRefills waits for the refill ahead in flight, if any.
func (b *idBlocks) WaitRefills() { b.refills.Wait() }

// IDBlock is how many ids of a sequence a block holds.
const IDBlock = idBlock
