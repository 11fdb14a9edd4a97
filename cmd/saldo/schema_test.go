package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/sqlite"
)

// A command that only reads never migrates: on a database that is missing, empty or behind the
// binary's schema, ecommerce list, ledger verify and kyc-levels list say so, name the command
// that migrates it, exit 1 and leave the database as they found it; once migrated, they run.
func TestReadOnlyCommandsNeverMigrate(t *testing.T) {
	tests := []struct {
		name         string
		open         func(tb testing.TB) cliDatabase
		prepare      func(tb testing.TB, db cliDatabase)
		wantErr      string
		thenMigrated bool // run migrate and list again
	}{
		{"a sqlite file that does not exist", sqliteDatabase, func(testing.TB, cliDatabase) {}, "no database file", true},
		{"an empty sqlite file", sqliteDatabase, func(tb testing.TB, db cliDatabase) {
			if err := os.WriteFile(strings.TrimPrefix(db.url, "sqlite:"), nil, 0o600); err != nil {
				tb.Fatal(err)
			}
		}, "no saldo schema", true},
		{"a sqlite database one migration behind", sqliteDatabase, oneMigrationBehind, "schema is behind", false},
		{"an empty postgres schema", postgresDatabase, func(testing.TB, cliDatabase) {}, "no saldo schema", true},
		{"a postgres database one migration behind", postgresDatabase, oneMigrationBehind, "schema is behind", false},
	}
	for _, command := range []struct {
		args []string
		// migrated is what it prints on a database just migrated.
		migrated string
	}{
		{[]string{"ecommerce", "list"}, ""},
		{[]string{"ledger", "verify"}, "ledger OK"},
		{[]string{"kyc-levels", "list"}, "no UDI value is known"},
	} {
		name := strings.Join(command.args, " ")
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				db := tt.open(t)
				tt.prepare(t, db)
				env := map[string]string{"SALDO_DATABASE_URL": db.url, "SALDO_SECRET_KEY": strings.Repeat("ab", 32)}
				before := db.tables(t)

				stdout, stderr, code := cliOutput(env, command.args...)
				fix := "run: saldo migrate --database-url '" + db.url + "'\n"
				if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "saldo: "+name+": ") ||
					!strings.Contains(stderr, tt.wantErr) || !strings.HasSuffix(stderr, fix) {
					t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and saldo: %s: …%s… %s", code, stdout, stderr, name, tt.wantErr, fix)
				}
				if after := db.tables(t); after != before {
					t.Errorf("the database had %d tables before %s and %d after (-1: no database)", before, name, after)
				}
				if !tt.thenMigrated {
					return
				}
				if _, code := cli(t, env, "migrate"); code != 0 {
					t.Fatal("migrate failed")
				}
				if out, code := cli(t, env, command.args...); code != 0 || !strings.Contains(out, command.migrated) || command.migrated == "" && out != "" {
					t.Errorf("%s after migrate: exit %d, %q; want 0 and %q", name, code, out, command.migrated)
				}
			})
		}
	}
}

// cliDatabase is a database for the command's tests, with ways into it that bypass saldo.
type cliDatabase struct {
	url    string
	tables func(tb testing.TB) int // how many tables it has; -1: there is no database
	exec   func(tb testing.TB, sql string)
}

func sqliteDatabase(tb testing.TB) cliDatabase {
	path := testdb.SQLitePath(tb)
	open := func(tb testing.TB) *sqlite.Store {
		tb.Helper()
		s, err := sqlite.Open(path)
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}
	return cliDatabase{
		url: "sqlite:" + path,
		tables: func(tb testing.TB) int {
			tb.Helper()
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return -1
			}
			s := open(tb)
			defer s.Close()
			var n int
			if err := s.DB().QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&n); err != nil {
				tb.Fatal(err)
			}
			return n
		},
		exec: func(tb testing.TB, sql string) {
			tb.Helper()
			s := open(tb)
			defer s.Close()
			if err := s.Exec(context.Background(), sql); err != nil {
				tb.Fatal(err)
			}
		},
	}
}

func postgresDatabase(tb testing.TB) cliDatabase {
	url := testdb.PostgresURL(tb)
	run := func(tb testing.TB, fn func(ctx context.Context, conn *pgx.Conn) error) {
		tb.Helper()
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			tb.Fatal(err)
		}
		defer conn.Close(ctx)
		if err := fn(ctx, conn); err != nil {
			tb.Fatal(err)
		}
	}
	return cliDatabase{
		url: url,
		tables: func(tb testing.TB) (n int) {
			run(tb, func(ctx context.Context, conn *pgx.Conn) error {
				return conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").Scan(&n)
			})
			return n
		},
		exec: func(tb testing.TB, sql string) {
			run(tb, func(ctx context.Context, conn *pgx.Conn) error {
				_, err := conn.Exec(ctx, sql)
				return err
			})
		},
	}
}

// oneMigrationBehind migrates db and then forgets its last migration, as a database that an
// older binary migrated looks to a newer one.
func oneMigrationBehind(tb testing.TB, db cliDatabase) {
	tb.Helper()
	if _, code := cli(tb, map[string]string{"SALDO_DATABASE_URL": db.url}, "migrate"); code != 0 {
		tb.Fatal("migrate failed")
	}
	db.exec(tb, "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
}
