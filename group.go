package saldo

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit. Writes of one kind that arrive while earlier ones are being committed are
// applied together in the next database transaction: one transaction, one commit (one WAL
// flush) and one connection for the lot, so a hot wallet's row lock is taken once a batch
// instead of once a write.
//
// Each write in a batch (a member) is still all-or-nothing: it runs after a savepoint of its
// own, and a member that fails is rolled back to its savepoint and answered with its own
// failure, while the others go on. A failure that cannot be pinned on one member (a statement
// an engine held back fails when a later member reads, or the commit fails) rolls the whole
// batch back, and its members then run again one by one, each in its own transaction, so that
// exactly the writes that would have failed alone fail, with the same answers. A serialization
// failure or deadlock runs the whole batch again, as for any transaction.
//
// Members run in the order they arrived, each seeing the ones before it: the batch is the
// same as those writes made one after another.
//
// Whole batches. Savepoints keep members apart, at a price: each member's rows go as
// statements of their own, and PostgreSQL does a statement's fixed work (and a
// subtransaction's) for each. Writes that are rarely refused (account creates) therefore
// first run their batch whole: no savepoints, and their rows held back and sent as one
// multi-row INSERT a table (Tx.HoldInserts; on PostgreSQL all of them one statement), so that
// a batch of any size writes each of a create's tables once. Such a batch commits only when
// every member succeeds; otherwise it is rolled back and runs again member by member with
// savepoints, as above, so a refusal costs one transaction thrown away.
//
// Reads ahead. A member runs its statements, then waits for their answers, before the next
// member starts: a batch takes a round trip a member that waits. A transfer's only wait is
// its reads and move (Tx.ReadTransfers), so a batch of transfers first sends the reads of all
// its members together, locking their wallets (Tx.LockTransfers), and the members then run on
// what was read without waiting: each moves its money in memory, on the wallets as locked
// and as the members before it left them, and the batch writes each wallet once at the end
// (Tx.ApplyMoves). A batch of transfers out of one hot wallet so writes one version of its
// row, not one a transfer. The batch then runs whole, as above: a member whose move breaks
// a rule fails it, and the members run again with savepoints, where the database's own
// conditional move answers each.

// Gathering. Clients answered by one batch send their next writes while the next batch
// commits, so a batch takes only the writes that came during the one before: 8 clients
// that each wait for their answer fall into two cohorts of 4, each waiting a whole batch
// for the other. After a commit, the lane therefore waits briefly (GroupCommit.Gather) for
// as many writes as the batch just answered and those already queued, and commits them
// together: one cohort, one batch, its fixed cost (a COMMIT's flush, its round trips) paid
// once for all. The wait ends as soon as those writes are there, and a write that finds no
// lane running is not held back at all; a lane whose clients do not all come back waits
// the whole gather, once, then commits what came (or leaves, if nothing did).

// GroupCommit tunes a group of writes; zero fields take the defaults.
type GroupCommit struct {
	// Batches is how many batches of the group may be committing at once, each on its own
	// connection. Ledger movements use 1: two batches that each lock several wallets in their
	// members' order could deadlock. Creates use 1 too: on 2 CPUs a second measured slower.
	Batches int
	// Members is the most writes a batch takes (PostgreSQL keeps up to 64 subtransactions
	// of a transaction in shared memory; more slow every snapshot).
	Members int
	// Gather is the most a lane waits after a commit for the writes it answered to come
	// back (see Gathering above); negative does not wait.
	Gather time.Duration
}

// DefaultBatchMembers is GroupCommit.Members when unset; Batches defaults to 1 for both
// kinds (see GroupCommit.Batches).
const DefaultBatchMembers = 32

// DefaultGather is GroupCommit.Gather when unset: about one batch's time at 8 clients on a
// small machine. Measured there (2 CPUs, BENCHMARKS.md): batches of 6 writes instead of 4,
// and 12 to 23 % more writes a second at 8 clients.
const DefaultGather = time.Millisecond

// group batches writes of one kind.
type group struct {
	store Store
	o     GroupCommit

	mu      sync.Mutex
	queue   []*member
	running int // batches committing

	// whole: the group's writes are rarely refused, and its batches run whole first
	// (commitWhole); in a group without it, only batches of transfers do.
	whole bool

	// gathered, while the lane waits for writes after a commit, is closed once the queue
	// holds gatherWant of them.
	gathered   chan struct{}
	gatherWant int

	commits, writes, split, wholes, ahead atomic.Int64
}

// GroupStats counts a group's work since the service began: transactions committed (batches
// of one included), the writes in them, batches that failed whole and ran one by one, batches
// committed whole with their inserts held, and of those, batches of transfers whose reads
// went ahead.
type GroupStats struct {
	Commits, Writes, Split, Whole, Ahead int64
}

// GroupStatsByKind is what group commit has done for each kind of write that group-commits.
type GroupStatsByKind struct {
	Creates, Movements, CreditLines GroupStats
}

// GroupCommitStats is what group commit has done for account creates, ledger movements and
// the credit-line writes of composite parents.
func (s *Service) GroupCommitStats() GroupStatsByKind {
	return GroupStatsByKind{Creates: s.creates.stats(), Movements: s.movements.stats(), CreditLines: s.creditLines.stats()}
}

func (g *group) stats() GroupStats {
	return GroupStats{Commits: g.commits.Load(), Writes: g.writes.Load(), Split: g.split.Load(), Whole: g.wholes.Load(), Ahead: g.ahead.Load()}
}

// member is one write waiting in a group.
type member struct {
	ctx context.Context
	run func(Tx) error // the write in a transaction; it resets what an earlier run left
	// reads, when set, is the transfer the write makes first: a batch may read it ahead.
	reads *TransferQuery
	done  chan error
}

func newGroup(store Store, o GroupCommit, whole bool) *group {
	if o.Batches <= 0 {
		o.Batches = 1
	}
	if o.Members <= 0 {
		o.Members = DefaultBatchMembers
	}
	if o.Gather == 0 {
		o.Gather = DefaultGather
	}
	return &group{store: store, o: o, whole: whole}
}

// update runs fn in a transaction, alone or with other writes of g; nil g runs it alone.
// reads, when set, is the transfer fn reads first (Tx.ReadTransfers).
func (s *Service) update(ctx context.Context, g *group, reads *TransferQuery, fn func(Tx) error) error {
	if g == nil || g.o.Members == 1 {
		return s.store.Update(ctx, fn)
	}
	return g.update(ctx, reads, fn)
}

// update runs fn in a transaction with the other writes queued with it.
func (g *group) update(ctx context.Context, reads *TransferQuery, fn func(Tx) error) error {
	m := &member{ctx: ctx, run: recovered(fn), reads: reads, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, m)
	if g.gathered != nil && len(g.queue) >= g.gatherWant {
		close(g.gathered)
		g.gathered = nil
	}
	lead := g.running < g.o.Batches
	if lead {
		g.running++
	}
	g.mu.Unlock()
	if lead {
		g.commitNext()
	}
	return <-m.done
}

// commitNext commits the next batch of the queue (which holds the caller's own write, unless
// another batch took it), then leaves what queued meanwhile to a goroutine of its own, so that
// the caller answers as soon as its batch is committed.
func (g *group) commitNext() {
	g.mu.Lock()
	n := min(len(g.queue), g.o.Members)
	batch := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()
	if n > 0 {
		g.commitAnswered(batch)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gather(n)
	if len(g.queue) == 0 {
		g.running--
		return
	}
	go g.commitNext()
}

// gather waits, with g.mu held on entry and on return, for the queue to hold as many writes
// as the n just answered and those queued now (at most a batch), or for GroupCommit.Gather
// to pass.
func (g *group) gather(n int) {
	want := min(n+len(g.queue), g.o.Members)
	if g.o.Gather < 0 || n == 0 || len(g.queue) >= want {
		return
	}
	ch := make(chan struct{})
	g.gathered, g.gatherWant = ch, want
	g.mu.Unlock()
	t := time.NewTimer(g.o.Gather)
	select {
	case <-ch:
	case <-t.C:
	}
	t.Stop()
	g.mu.Lock()
	g.gathered = nil
}

// commitAnswered commits batch and makes sure that every member is answered, even when the
// commit itself panics (a bug outside the members' writes): then those not yet answered are
// told EINTERNAL, and the lane goes on.
func (g *group) commitAnswered(batch []*member) {
	defer func() {
		if p := recover(); p != nil {
			err := Panicked(p, "group commit")
			for _, m := range batch {
				select {
				case m.done <- err:
				default: // answered already
				}
			}
		}
	}()
	g.commit(batch)
}

// recovered is fn with a panic turned into its EINTERNAL: a write may run in a goroutine that
// is not its request's, where nothing else would recover it, and the other writes of its
// batch must still be answered.
func recovered(fn func(Tx) error) func(Tx) error {
	return func(tx Tx) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = Panicked(p, "write")
			}
		}()
		return fn(tx)
	}
}

// errUnattributed is a batch's failure that no one member can be told: the batch is rolled
// back and its members run alone.
var errUnattributed = errors.New("group commit: a failure no member can be told")

// commit runs batch in one transaction and tells each member its outcome.
func (g *group) commit(batch []*member) {
	if len(batch) == 1 {
		m := batch[0]
		err := g.store.Update(m.ctx, func(tx Tx) error {
			if !g.runsWhole(m) {
				return m.run(tx)
			}
			// Alone, a write fails whole anyway: its rows of one table may go together.
			return tx.HoldInserts(m.ctx, func() error { return m.run(tx) })
		})
		g.count(1, err)
		m.done <- err
		return
	}
	// The batch is no member's: one leaving (a client gone) does not end the others'. It
	// ends when the last member's deadline does.
	ctx, cancel := batchContext(batch)
	defer cancel()
	if g.commitWhole(ctx, batch) {
		return
	}
	outcomes := make([]error, len(batch))
	err := g.store.Update(ctx, func(tx Tx) error {
		for i, m := range batch {
			outcomes[i] = nil
			if err := m.ctx.Err(); err != nil {
				outcomes[i] = err
				continue
			}
			name := "m" + strconv.Itoa(i)
			if err := tx.Savepoint(ctx, name); err != nil {
				return err
			}
			err := m.run(tx)
			if err == nil {
				continue
			}
			if errors.Is(err, ErrRetry) {
				return err
			}
			// The savepoint is gone when a statement before it failed: then the failure is
			// not this member's to answer.
			if rerr := tx.RollbackTo(ctx, name); rerr != nil {
				if errors.Is(rerr, ErrRetry) {
					return rerr
				}
				return errUnattributed
			}
			outcomes[i] = err
		}
		return nil
	})
	if err == nil {
		committed := 0
		for _, o := range outcomes {
			if o == nil {
				committed++
			}
		}
		g.count(committed, nil)
		for i, m := range batch {
			m.done <- outcomes[i]
		}
		return
	}
	// Nothing of the batch committed: each member runs again on its own.
	g.split.Add(1)
	var wg sync.WaitGroup
	for _, m := range batch {
		wg.Go(func() {
			err := g.store.Update(m.ctx, m.run)
			g.count(1, err)
			m.done <- err
		})
	}
	wg.Wait()
}

// commitWhole commits batch as one, its members' inserts held and sent together
// (Tx.HoldInserts), and reports whether it did. It does not unless every member may run so
// (runsWhole) and its request goes on, and it rolls back, having committed nothing, when
// any member fails: the members then run with savepoints. A batch whose members are all
// transfers reads ahead: their reads and speculative moves go first, together (a batch of
// other movements too would write its entries out of the order of its moves).
func (g *group) commitWhole(ctx context.Context, batch []*member) bool {
	var qs []TransferQuery
	for _, m := range batch {
		if m.ctx.Err() != nil || !g.runsWhole(m) {
			return false
		}
		if m.reads != nil {
			qs = append(qs, *m.reads)
		}
	}
	if len(qs) != len(batch) {
		qs = nil
	}
	err := g.store.Update(ctx, func(tx Tx) error {
		var reads []TransferRead
		var moves *batchMoves
		if qs != nil {
			var locked []LockedBalance
			var err error
			if reads, locked, err = tx.LockTransfers(ctx, qs...); err != nil {
				return err
			}
			moves = newBatchMoves(locked)
		}
		return tx.HoldInserts(ctx, func() error {
			for i, m := range batch {
				mtx := tx
				if reads != nil {
					mtx = &readTx{Tx: tx, q: m.reads, read: &reads[i], moves: moves}
				}
				if err := m.run(mtx); err != nil {
					return err
				}
			}
			if moves != nil {
				return tx.ApplyMoves(ctx, moves.changes())
			}
			return nil
		})
	})
	if err != nil {
		return false
	}
	g.wholes.Add(1)
	if qs != nil {
		g.ahead.Add(1)
	}
	g.count(len(batch), nil)
	for _, m := range batch {
		m.done <- nil
	}
	return true
}

// runsWhole reports whether m may run in a batch that commits whole: every write of a group
// whose writes are rarely refused, and transfers, which read ahead.
func (g *group) runsWhole(m *member) bool { return g.whole || m.reads != nil }

// readTx is a member's transaction in a batch whose reads went ahead: the member's transfer
// reads what the batch read for it, once, and moves its money in the batch's memory.
type readTx struct {
	Tx
	q     *TransferQuery
	read  *TransferRead // nil once taken
	moves *batchMoves
}

func (t *readTx) ReadTransfers(ctx context.Context, qs ...TransferQuery) ([]TransferRead, error) {
	if t.read != nil && len(qs) == 1 && qs[0].same(t.q) {
		read := *t.read
		t.read = nil
		return []TransferRead{read}, nil
	}
	return t.Tx.ReadTransfers(ctx, qs...)
}

func (t *readTx) Move(_ context.Context, from, to, amount int64, limit Limit) (BalanceAmounts, BalanceAmounts, error) {
	return t.moves.move(from, to, amount, limit)
}

// errNotMovedAhead fails a batch that read ahead when a member's move breaks a rule on the
// balances as the batch holds them (or names a balance it did not lock): the batch runs
// member by member instead, where the database's conditional move says which rule.
var errNotMovedAhead = errors.New("group commit: a transfer read ahead could not move")

// batchMoves are the moves of a batch of transfers, made in memory on the wallets the batch
// locked (Tx.LockTransfers), in its members' order, and written at its end (Tx.ApplyMoves).
// A move keeps the rules of the database's own (Tx.Move): both balances active, the source
// covering the amount above what it holds, the target within limit.
type batchMoves struct {
	balances map[int64]*LockedBalance
	changed  map[int64]int64 // by balance id: what the moves added
}

func newBatchMoves(locked []LockedBalance) *batchMoves {
	b := &batchMoves{balances: make(map[int64]*LockedBalance, len(locked)), changed: map[int64]int64{}}
	for i := range locked {
		b.balances[locked[i].ID] = &locked[i]
	}
	return b
}

func (b *batchMoves) move(from, to, amount int64, limit Limit) (BalanceAmounts, BalanceAmounts, error) {
	f, t := b.balances[from], b.balances[to]
	if f == nil || t == nil || from == to || !f.Active || !t.Active || f.Amount-amount < f.Held ||
		(limit.Set && t.Amount+amount > limit.Cents) {
		return BalanceAmounts{}, BalanceAmounts{}, errNotMovedAhead
	}
	f.Amount -= amount
	t.Amount += amount
	b.changed[from] -= amount
	b.changed[to] += amount
	return f.BalanceAmounts, t.BalanceAmounts, nil
}

// changes are what the moves added to each balance, in id order.
func (b *batchMoves) changes() []BalanceChange {
	changes := make([]BalanceChange, 0, len(b.changed))
	for id, amount := range b.changed {
		changes = append(changes, BalanceChange{ID: id, Amount: amount})
	}
	slices.SortFunc(changes, func(x, y BalanceChange) int { return cmp.Compare(x.ID, y.ID) })
	return changes
}

// count counts a transaction of n writes that ended with err.
func (g *group) count(n int, err error) {
	if err == nil && n > 0 {
		g.commits.Add(1)
		g.writes.Add(int64(n))
	}
}

// batchContext is the context of a batch's transaction: not cancelled with any member's, and
// with the latest of their deadlines, if they all have one.
func batchContext(batch []*member) (context.Context, context.CancelFunc) {
	ctx := context.WithoutCancel(batch[0].ctx)
	var last time.Time
	for _, m := range batch {
		d, ok := m.ctx.Deadline()
		if !ok {
			return ctx, func() {}
		}
		if d.After(last) {
			last = d
		}
	}
	return context.WithDeadline(ctx, last)
}
