package postgres

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/saldo-mx/saldo/internal/sqlstore"
)

// NewIDBlocks lets the external tests, which can use saldo/internal/testdb, drive idBlocks.
var NewIDBlocks = newIDBlocks

// PoolConn is the pool as a sqlstore.Conn, outside any transaction.
func PoolConn(pool *pgxpool.Pool) sqlstore.Conn { return pgConn{pool} }

// WaitRefills waits for the refill ahead in flight, if any.
func (b *idBlocks) WaitRefills() { b.refills.Wait() }

// IDBlock is how many ids of a sequence a block holds.
const IDBlock = idBlock
