package postgres_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/sqlstore"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/postgres"
	"github.com/saldo-mx/saldo/storetest"
)

// tempSequences is a pool of one connection with session-local copies of the id sequences.
func tempSequences(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(testdb.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1 // the temporary sequences live in one session
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, "CREATE TEMP SEQUENCE customers_id_seq; CREATE TEMP SEQUENCE balances_id_seq; CREATE TEMP SEQUENCE ledger_transactions_id_seq"); err != nil {
		t.Fatal(err)
	}
	return pool
}

// countedConn counts the statements that wait for their rows, and fails the first fail of
// them.
type countedConn struct {
	sqlstore.Conn
	rows atomic.Int64
	fail int64
}

func (c *countedConn) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	if c.rows.Add(1) <= c.fail {
		return failedRow{}
	}
	return c.Conn.QueryRow(ctx, sql, args...)
}

type failedRow struct{}

func (failedRow) Scan(...any) error { return errors.New("the database is down") }

// Once a sequence has been taken from, its next block is taken ahead, on a connection of its
// own, before the ids run out: a transaction that takes ids waits only for the first block.
func TestIDBlocksAreTakenAheadOfTheTransactions(t *testing.T) {
	ctx := context.Background()
	pool := tempSequences(t)
	ahead := &countedConn{Conn: postgres.PoolConn(pool)}
	tx := &countedConn{Conn: postgres.PoolConn(pool)}
	blocks := postgres.NewIDBlocks(ahead, time.Hour)
	seen := map[[2]int64]bool{} // {0 customer / 1 balance, id}
	// 4 blocks of customer ids and 8 of balance ids: past the first of each, 3 and 7 refills,
	// and one more of each as the last block passes its half.
	const takes = 4 * postgres.IDBlock
	for range takes {
		ids, err := blocks.Take(ctx, tx, saldo.IDCounts{Customers: 1, Balances: 2})
		if err != nil {
			t.Fatal(err)
		}
		for seq, list := range [][]int64{ids.Customers, ids.Balances} {
			for _, id := range list {
				seen[[2]int64{int64(seq), id}] = true
			}
		}
		blocks.WaitRefills() // as when the refill answers before the ids run out
	}
	if got := tx.rows.Load(); got != 1 {
		t.Errorf("the transactions took ids from the database %d times, want once, for the first block", got)
	}
	if got := ahead.rows.Load(); got != 12 {
		t.Errorf("%d refills ahead, want 12", got)
	}
	if len(seen) != 3*takes {
		t.Errorf("%d distinct ids handed out, want %d", len(seen), 3*takes)
	}
}

// A refill that fails (the database down) leaves the ids to the transactions, and after a
// pause the refills go on.
func TestIDBlocksRefillAgainAfterAFailedRefill(t *testing.T) {
	ctx := context.Background()
	pool := tempSequences(t)
	ahead := &countedConn{Conn: postgres.PoolConn(pool), fail: 1}
	tx := &countedConn{Conn: postgres.PoolConn(pool)}
	const pause = 50 * time.Millisecond
	blocks := postgres.NewIDBlocks(ahead, pause)
	take := func() {
		t.Helper()
		if _, err := blocks.Take(ctx, tx, saldo.IDCounts{Customers: 1}); err != nil {
			t.Fatal(err)
		}
		blocks.WaitRefills()
	}
	for range postgres.IDBlock/2 + 1 { // the first block, past its half: the refill fails
		take()
	}
	if got := ahead.rows.Load(); got != 1 {
		t.Fatalf("%d refills tried past the first block's half, want 1", got)
	}
	take() // within the pause: no refill
	if got := ahead.rows.Load(); got != 1 {
		t.Errorf("%d refills tried within the pause after a failure, want 1", got)
	}
	time.Sleep(pause)
	take()
	if got := ahead.rows.Load(); got != 2 {
		t.Errorf("%d refills tried after the pause, want 2", got)
	}
	for range postgres.IDBlock {
		take()
	}
	if got := tx.rows.Load(); got != 1 {
		t.Errorf("the transactions took ids from the database %d times, want once: the refill after the pause covers them", got)
	}
}

// A store on one connection, which its transaction holds while it takes ids, still refills
// ahead: the refill waits for the connection and never holds up the take.
func TestIDBlocksRefillOnAStoreOfOneConnection(t *testing.T) {
	s := testdb.OpenPostgres(t, postgres.Options{MaxConns: 1})
	svc := saldo.NewService(s, saldo.NewManualClock(storetest.Now))
	// A take that waited for its refill would wait for ever: the deadline fails it instead.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, token, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "tienda"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := svc.AuthenticatePartnerForWrite(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	// Each create takes a customer id and a balance id: past a block's half, and past the
	// first block, with refills between.
	for i := range postgres.IDBlock + postgres.IDBlock/2 {
		if _, err := svc.CreateCustomer(ctx, e, gen.Customer("", uint64(i+1)), nil); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
}

// Concurrent takes get every id once, in the counts asked, across block refills.
func TestIDBlocksHandOutEachIDOnce(t *testing.T) {
	ctx := context.Background()
	pool := tempSequences(t)

	var (
		blocks     = postgres.NewIDBlocks(postgres.PoolConn(pool), 0) // refills ahead race the takes
		mu         sync.Mutex
		seen       = map[[2]int64]int{} // {0 customer / 1 balance / 2 transaction, id} → times handed out
		wg         sync.WaitGroup
		workers    = 8
		takes      = postgres.IDBlock / 4 // 1 customer, 2 balances and 3 transactions a take: 6 blocks of transactions
		wantCounts = map[int]int{0: workers * takes, 1: 2 * workers * takes, 2: 3 * workers * takes}
	)
	for range workers {
		wg.Go(func() {
			for range takes {
				ids, err := blocks.Take(ctx, postgres.PoolConn(pool), saldo.IDCounts{Customers: 1, Balances: 2, Transactions: 3})
				if err != nil {
					t.Error(err)
					return
				}
				if len(ids.Customers) != 1 || len(ids.Balances) != 2 || len(ids.Transactions) != 3 {
					t.Errorf("took %d customer, %d balance and %d transaction ids, want 1, 2 and 3",
						len(ids.Customers), len(ids.Balances), len(ids.Transactions))
				}
				mu.Lock()
				for seq, list := range [][]int64{ids.Customers, ids.Balances, ids.Transactions} {
					for _, id := range list {
						seen[[2]int64{int64(seq), id}]++
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	blocks.WaitRefills()
	counts := map[int]int{}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("id %d of sequence %d handed out %d times", k[1], k[0], n)
		}
		counts[int(k[0])]++
	}
	if counts[0] != wantCounts[0] || counts[1] != wantCounts[1] || counts[2] != wantCounts[2] {
		t.Errorf("distinct ids handed out: %v, want %v", counts, wantCounts)
	}
}
