package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/postgres"
)

// Concurrent takes get every id once, in the counts asked, across block refills.
func TestIDBlocksHandOutEachIDOnce(t *testing.T) {
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
	defer pool.Close()
	if _, err := pool.Exec(ctx, "CREATE TEMP SEQUENCE customers_id_seq; CREATE TEMP SEQUENCE balances_id_seq; CREATE TEMP SEQUENCE ledger_transactions_id_seq"); err != nil {
		t.Fatal(err)
	}

	var (
		blocks     postgres.IDBlocks
		mu         sync.Mutex
		seen       = map[[2]int64]int{} // {0 customer / 1 balance / 2 transaction, id} → times handed out
		wg         sync.WaitGroup
		workers    = 8
		takes      = 50 // 400 takes of 1 customer, 2 balances and 3 transactions: many refills of 32
		wantCounts = map[int]int{0: workers * takes, 1: 2 * workers * takes, 2: 3 * workers * takes}
	)
	for range workers {
		wg.Go(func() {
			for range takes {
				ids, err := blocks.TakeFrom(ctx, pool, saldo.IDCounts{Customers: 1, Balances: 2, Transactions: 3})
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
