package postgres

import (
	"context"
	"sync"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/sqlstore"
)

// idBlock is how many ids of each sequence one round trip takes.
const idBlock = 32

// idBlocks hands out customer, balance and ledger transaction ids from blocks taken from the
// identity columns' sequences, as a sequence's own CACHE does within a session: a write then
// need not ask the database for its ids, and sends its inserts without waiting. Like CACHE,
// it leaves gaps (a block's ids not used before the process stops, and those of a rolled-back
// write), and several processes hand out ids out of creation order. Ids are unique; that is
// all they promise.
type idBlocks struct {
	mu   sync.Mutex
	left sqlstore.IDs
}

var _ sqlstore.IDSource = (*idBlocks)(nil)

const takeIDs = "SELECT ARRAY(SELECT nextval('customers_id_seq') FROM generate_series(1, $1::int)), " +
	"ARRAY(SELECT nextval('balances_id_seq') FROM generate_series(1, $2::int)), " +
	"ARRAY(SELECT nextval('ledger_transactions_id_seq') FROM generate_series(1, $3::int))"

func (b *idBlocks) Take(ctx context.Context, conn sqlstore.Conn, n saldo.IDCounts) (sqlstore.IDs, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := &b.left
	if len(l.Customers) < n.Customers || len(l.Balances) < n.Balances || len(l.Transactions) < n.Transactions {
		// Sequences are not transactional: the ids are taken for good even if the transaction
		// that asked rolls back. Only the sequences running short are asked for more.
		want := func(have []int64, need int) int {
			if len(have) >= need {
				return 0
			}
			return max(idBlock, need)
		}
		var c, bal, tr []int64
		err := conn.QueryRow(ctx, takeIDs, want(l.Customers, n.Customers), want(l.Balances, n.Balances),
			want(l.Transactions, n.Transactions)).Scan(&c, &bal, &tr)
		if err != nil {
			return sqlstore.IDs{}, err
		}
		l.Customers, l.Balances, l.Transactions = append(l.Customers, c...), append(l.Balances, bal...), append(l.Transactions, tr...)
	}
	out := sqlstore.IDs{
		Customers:    l.Customers[:n.Customers:n.Customers],
		Balances:     l.Balances[:n.Balances:n.Balances],
		Transactions: l.Transactions[:n.Transactions:n.Transactions],
	}
	l.Customers, l.Balances, l.Transactions = l.Customers[n.Customers:], l.Balances[n.Balances:], l.Transactions[n.Transactions:]
	return out, nil
}
