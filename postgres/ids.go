package postgres

import (
	"context"
	"sync"

	"github.com/saldo-mx/saldo/internal/sqlstore"
)

// idBlock is how many ids of each sequence one round trip takes.
const idBlock = 32

// idBlocks hands out customer and balance ids from blocks taken from the identity columns'
// sequences, as a sequence's own CACHE does within a session: a create then need not ask the
// database for its ids, and sends its inserts without waiting. Like CACHE, it leaves gaps (a
// block's ids not used before the process stops, and those of a rolled-back create), and
// several processes hand out ids out of creation order. Ids are unique; that is all they
// promise.
type idBlocks struct {
	mu                  sync.Mutex
	customers, balances []int64
}

var _ sqlstore.IDSource = (*idBlocks)(nil)

const takeIDs = "SELECT ARRAY(SELECT nextval('customers_id_seq') FROM generate_series(1, $1::int)), " +
	"ARRAY(SELECT nextval('balances_id_seq') FROM generate_series(1, $2::int))"

func (b *idBlocks) Take(ctx context.Context, conn sqlstore.Conn, customers, balances int) ([]int64, []int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.customers) < customers || len(b.balances) < balances {
		// Sequences are not transactional: the ids are taken for good even if the transaction
		// that asked rolls back.
		var c, bal []int64
		if err := conn.QueryRow(ctx, takeIDs, max(idBlock, customers), max(idBlock, balances)).Scan(&c, &bal); err != nil {
			return nil, nil, err
		}
		b.customers, b.balances = append(b.customers, c...), append(b.balances, bal...)
	}
	c, bal := b.customers[:customers:customers], b.balances[:balances:balances]
	b.customers, b.balances = b.customers[customers:], b.balances[balances:]
	return c, bal, nil
}
