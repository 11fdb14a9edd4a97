package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/sqlstore"
)

// idBlock is how many ids of a sequence one round trip takes; the next block is taken in
// the background once fewer than half a block are left.
const idBlock = 1024

// idBlocks hands out customer, balance and ledger transaction ids from blocks taken from the
// identity columns' sequences, as a sequence's own CACHE does within a session: a write then
// need not ask the database for its ids, and sends its inserts without waiting. Like CACHE,
// it leaves gaps (a block's ids not used before the process stops, and those of a rolled-back
// write), and ids are not handed out in creation order: across processes, and within one
// when a block taken ahead lands after one a transaction took itself. Ids are unique; that
// is all they promise.
//
// The next block of a sequence is taken before the last runs out, on a connection of its own
// (ahead): a transaction that had to take it itself would wait a round trip, and a batch of
// group commit would hold every write in it waiting. One refill is in flight at a time, for
// the sequences the take that started it drew from; after a failed one, none starts for a
// pause. Only the first take of a sequence, or a burst that outruns the refills, waits.
type idBlocks struct {
	ahead sqlstore.Conn // nil: no refill ahead
	pause time.Duration // after a failed refill, before the next

	mu        sync.Mutex
	left      sqlstore.IDs
	refilling bool
	failed    time.Time          // when the last refill failed
	cancel    context.CancelFunc // the refill in flight's
	closed    bool
	refills   sync.WaitGroup
}

var _ sqlstore.IDSource = (*idBlocks)(nil)

const takeIDs = "SELECT ARRAY(SELECT nextval('customers_id_seq') FROM generate_series(1, $1::int)), " +
	"ARRAY(SELECT nextval('balances_id_seq') FROM generate_series(1, $2::int)), " +
	"ARRAY(SELECT nextval('ledger_transactions_id_seq') FROM generate_series(1, $3::int))"

const (
	// refillTimeout bounds a refill ahead.
	refillTimeout = 5 * time.Second
	// refillPause is how long after a failed refill (the database down, the pool full) the
	// next may start: meanwhile takes wait for their own blocks, as without refills.
	refillPause = time.Second
)

// newIDBlocks returns blocks refilled ahead on ahead, waiting pause after a failed refill.
func newIDBlocks(ahead sqlstore.Conn, pause time.Duration) *idBlocks {
	return &idBlocks{ahead: ahead, pause: pause}
}

func (b *idBlocks) Take(ctx context.Context, conn sqlstore.Conn, n saldo.IDCounts) (sqlstore.IDs, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := &b.left
	if want := shortOf(l, n, func(have, need int) bool { return have < need }); want != (saldo.IDCounts{}) {
		// Sequences are not transactional: the ids are taken for good even if the transaction
		// that asked rolls back. Only the sequences running short are asked for more.
		ids, err := takeBlocks(ctx, conn, want)
		if err != nil {
			return sqlstore.IDs{}, err
		}
		b.add(ids)
	}
	out := sqlstore.IDs{
		Customers:    l.Customers[:n.Customers:n.Customers],
		Balances:     l.Balances[:n.Balances:n.Balances],
		Transactions: l.Transactions[:n.Transactions:n.Transactions],
	}
	l.Customers, l.Balances, l.Transactions = l.Customers[n.Customers:], l.Balances[n.Balances:], l.Transactions[n.Transactions:]
	// The sequences this take drew from, when running low, are refilled before they run out.
	low := shortOf(l, n, func(have, need int) bool { return need > 0 && have < idBlock/2 })
	if low != (saldo.IDCounts{}) && b.ahead != nil && !b.refilling && !b.closed && time.Since(b.failed) >= b.pause {
		b.refilling = true
		ctx, cancel := context.WithTimeout(context.Background(), refillTimeout)
		b.cancel = cancel
		b.refills.Go(func() { b.refill(ctx, low) })
	}
	return out, nil
}

// shortOf is, for each sequence for which short(ids left, ids wanted) holds, how many ids to
// take (a block, or more if more are wanted), and 0 for the others.
func shortOf(l *sqlstore.IDs, n saldo.IDCounts, short func(have, need int) bool) saldo.IDCounts {
	want := func(have []int64, need int) int {
		if !short(len(have), need) {
			return 0
		}
		return max(idBlock, need)
	}
	return saldo.IDCounts{Customers: want(l.Customers, n.Customers), Balances: want(l.Balances, n.Balances),
		Transactions: want(l.Transactions, n.Transactions)}
}

// refill takes the blocks want on b.ahead and adds them. A failure leaves them to later takes.
func (b *idBlocks) refill(ctx context.Context, want saldo.IDCounts) {
	ids, err := takeBlocks(ctx, b.ahead, want)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cancel()
	b.refilling = false
	if err != nil {
		b.failed = time.Now()
		return
	}
	b.add(ids)
}

// close stops refills: none starts after it, and the one in flight is cancelled and waited
// for.
func (b *idBlocks) close() {
	b.mu.Lock()
	b.closed = true
	if b.refilling {
		b.cancel()
	}
	b.mu.Unlock()
	b.refills.Wait()
}

func (b *idBlocks) add(ids sqlstore.IDs) {
	l := &b.left
	l.Customers, l.Balances, l.Transactions = append(l.Customers, ids.Customers...), append(l.Balances, ids.Balances...), append(l.Transactions, ids.Transactions...)
}

// takeBlocks takes the counts of ids of n from the sequences, in one round trip on conn.
func takeBlocks(ctx context.Context, conn sqlstore.Conn, n saldo.IDCounts) (sqlstore.IDs, error) {
	var ids sqlstore.IDs
	err := conn.QueryRow(ctx, takeIDs, n.Customers, n.Balances, n.Transactions).Scan(&ids.Customers, &ids.Balances, &ids.Transactions)
	return ids, err
}
