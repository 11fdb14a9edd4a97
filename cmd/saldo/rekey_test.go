package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/sqlite"
)

// Both commands that migrate also rekey customers stored under the older email rule, and log
// each pair of customers the current rule makes one as a WARN line of ids, without an email;
// a run after that finds nothing to do and logs nothing about it.
func TestMigrateAndServeRekeyCustomers(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, env map[string]string) (stderr string)
	}{
		{"migrate", func(t *testing.T, env map[string]string) string {
			_, stderr, code := cliOutput(env, "migrate")
			if code != 0 {
				t.Fatalf("migrate: exit %d: %s", code, stderr)
			}
			return stderr
		}},
		{"serve", func(t *testing.T, env map[string]string) string {
			r := start(t, env)
			if code := r.shutdown(t); code != 0 {
				t.Fatalf("serve: exit %d: %s", code, r.stderr)
			}
			return r.stderr.String()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "saldo.db")
			env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + path}
			first, second := storeCollidingCustomers(t, path)

			stderr := tt.run(t, env)
			want := fmt.Sprintf("level=WARN msg=\"two customers have one email under the current rule; the first keeps its old key\" ecommerce_id=1 customer_id=%d other_customer_id=%d\n", first, second)
			if strings.Count(stderr, "level=WARN") != 1 || !strings.Contains(stderr, want) || strings.Contains(stderr, "@") {
				t.Errorf("%s logged\n%s\nwant one WARN line, of ids only:\n%s", tt.name, stderr, want)
			}
			if again := tt.run(t, env); strings.Contains(again, "rekeyed") || strings.Contains(again, "level=WARN") {
				t.Errorf("%s again logged\n%s\nwant nothing about customers' emails", tt.name, again)
			}
		})
	}
}

// storeCollidingCustomers makes the SQLite database at path hold two customers of one partner
// whose email keys strings.ToLower made, as before email_key_version 2, and whose addresses
// the current rule makes one ("Maße" and "MASSE"). It returns their ids, in that order.
func storeCollidingCustomers(tb testing.TB, path string) (first, second int64) {
	tb.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	svc := saldo.NewService(s, nil)
	e, _, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "tienda"})
	if err != nil {
		tb.Fatal(err)
	}
	// A current UDI value, so that serve has no warning to log but the one under test.
	today := time.Now().In(saldo.MexicoCity).Format(time.DateOnly)
	if err := svc.SetUDIValues(ctx, []saldo.UDIValue{{Day: today, Micros: 8_600_000}}); err != nil {
		tb.Fatal(err)
	}
	var ids []int64
	for i, email := range []string{"Maße@example.com", "MASSE@example.com"} {
		out, err := svc.CreateCustomer(ctx, e, gen.Customer("", uint64(i+1)), nil)
		if err != nil {
			tb.Fatal(err)
		}
		err = s.Exec(ctx, "UPDATE customers SET email = $1, email_key = $2, email_key_version = 1 WHERE id = $3",
			email, strings.ToLower(email), out.Customer.ID)
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, out.Customer.ID)
	}
	return ids[0], ids[1]
}
