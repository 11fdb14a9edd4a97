package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/sqlite"
	"github.com/saldo-mx/saldo/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open:  func(tb testing.TB) saldo.Store { return testdb.OpenSQLite(tb) },
		Query: testdb.Query,
		Exec:  testdb.Exec,
	})
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	s := testdb.OpenSQLite(t)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
}

// The database holds customers' personal data: only its owner may read it.
func TestDatabaseFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "private.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), perm)
		}
	}
}

// A transaction that keeps meeting a locked database (SQLITE_BUSY past the busy timeout, which
// the store turns into saldo.ErrRetry) gives up as contention: 503, hint database:contention.
func TestLockedDatabaseThatOutlastsTheRetriesSaysContention(t *testing.T) {
	s := testdb.OpenSQLite(t)
	attempts := 0
	err := s.Update(context.Background(), func(saldo.Tx) error {
		attempts++
		return fmt.Errorf("%w: database is locked (SQLITE_BUSY)", saldo.ErrRetry)
	})
	if saldo.ErrorCode(err) != saldo.EUNAVAILABLE || !slices.Contains(saldo.ErrorHints(err), saldo.HintContention) || !errors.Is(err, saldo.ErrRetry) {
		t.Errorf("after %d attempts: %v, want %s with the hint %s", attempts, err, saldo.EUNAVAILABLE, saldo.HintContention)
	}
}
