package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// engines are both engines' databases for the commands, as environments.
var engines = []struct {
	name string
	db   func(tb testing.TB) cliDatabase
}{
	{"sqlite", sqliteDatabase},
	{"postgres", postgresDatabase},
}

func dbEnv(db cliDatabase) map[string]string {
	return map[string]string{"SALDO_DATABASE_URL": db.url, "SALDO_SECRET_KEY": strings.Repeat("ab", 32)}
}

// openService opens the database at url, as it is, for a test to look into through the service.
func openService(tb testing.TB, url string) *saldo.Service {
	tb.Helper()
	store, err := (&Config{DatabaseURL: url}).open(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return saldo.NewService(store, saldo.SystemClock{})
}

func latestUDI(tb testing.TB, url string) saldo.UDIValue {
	tb.Helper()
	v, err := openService(tb, url).LatestUDIValue(context.Background())
	if err != nil {
		tb.Fatalf("LatestUDIValue: %v", err)
	}
	return v
}

// udi import stores the sample's fifteen values and says so; udi set stores one; a file with a
// malformed row is refused naming the line, and stores nothing of it.
func TestUDICommands(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			db := eng.db(t)
			env := dbEnv(db)
			out, code := cli(t, env, "udi", "import", "../../testdata/udis-sample.csv")
			if want := "stored 15 UDI values, from 2024-09-26 (8.245227) to 2024-10-10 (8.252018)\n"; code != 0 || out != want {
				t.Fatalf("udi import: exit %d, %q; want %q", code, out, want)
			}
			if v := latestUDI(t, db.url); v != (saldo.UDIValue{Day: "2024-10-10", Micros: 8_252_018}) {
				t.Errorf("newest value after the import: %+v", v)
			}
			list, code := cli(t, env, "kyc-levels", "list")
			if code != 0 || !strings.Contains(list, "newest UDI value: 8.252018 on 2024-10-10") {
				t.Errorf("kyc-levels list after the import: exit %d:\n%s", code, list)
			}

			out, code = cli(t, env, "udi", "set", "--date", "2024-10-11", "--value", "8.512345")
			if code != 0 || out != "stored the UDI value of 2024-10-11: 8.512345\n" {
				t.Errorf("udi set: exit %d, %q", code, out)
			}
			if v := latestUDI(t, db.url); v != (saldo.UDIValue{Day: "2024-10-11", Micros: 8_512_345}) {
				t.Errorf("newest value after udi set: %+v", v)
			}

			bad := filepath.Join(t.TempDir(), "bad.csv")
			if err := os.WriteFile(bad, []byte("\"Fecha\",\"Valor\"\n\"12/10/2024\",\"8.6\"\n\"13/10/2024\",\"8,6\"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code := cliOutput(env, "udi", "import", bad)
			if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "saldo: udi import: "+bad+": line 3: value \"8,6\"") {
				t.Errorf("a malformed file: exit %d, stdout %q, stderr %q; want exit 1 naming line 3", code, stdout, stderr)
			}
			if v := latestUDI(t, db.url); v.Day != "2024-10-11" {
				t.Errorf("a malformed file stored values: the newest is %+v", v)
			}
		})
	}
}

// kyc-levels set changes the limits given and keeps the other; list shows them.
func TestKYCLevelCommands(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			db := eng.db(t)
			env := dbEnv(db)
			if _, code := cli(t, env, "migrate"); code != 0 {
				t.Fatal("migrate failed")
			}
			list, code := cli(t, env, "kyc-levels", "list")
			if code != 0 || !levelRow(1, "750", "1000").MatchString(list) || !levelRow(4, "none", "none").MatchString(list) ||
				!strings.Contains(list, "no UDI value is known") {
				t.Fatalf("kyc-levels list: exit %d:\n%s", code, list)
			}
			if out, code := cli(t, env, "kyc-levels", "set", "--level", "2", "--balance-cap", "5000"); code != 0 || !levelRow(2, "3000", "5000").MatchString(out) {
				t.Errorf("kyc-levels set --balance-cap: exit %d:\n%s", code, out)
			}
			if out, code := cli(t, env, "kyc-levels", "set", "--level", "1", "--monthly-deposit-limit", "none"); code != 0 || !levelRow(1, "none", "1000").MatchString(out) {
				t.Errorf("kyc-levels set --monthly-deposit-limit none: exit %d:\n%s", code, out)
			}
			list, _ = cli(t, env, "kyc-levels", "list")
			for _, row := range []*regexp.Regexp{levelRow(1, "none", "1000"), levelRow(2, "3000", "5000"), levelRow(3, "10000", "none")} {
				if !row.MatchString(list) {
					t.Errorf("kyc-levels list lacks %s:\n%s", row, list)
				}
			}
			levels, err := openService(t, db.url).KYCLevels(context.Background())
			if err != nil || len(levels) != 4 || levels[0].MonthlyDepositLimit != nil || *levels[0].BalanceCap != 1000 || *levels[1].BalanceCap != 5000 {
				t.Errorf("KYCLevels: %+v, %v", levels, err)
			}
			for _, args := range [][]string{
				{"--level", "5", "--balance-cap", "1"},
				{"--level", "1", "--balance-cap", "10000001"},
				{"--level", "1", "--balance-cap", "lots"},
				{"--level", "1"},
			} {
				if _, stderr, code := cliOutput(env, append([]string{"kyc-levels", "set"}, args...)...); code != 1 || !strings.HasPrefix(stderr, "saldo: kyc-levels set: ") {
					t.Errorf("kyc-levels set %v: exit %d, %q; want a refusal", args, code, stderr)
				}
			}
		})
	}
}

func levelRow(level int, monthly, cap string) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`(?m)^%d +%s +%s$`, level, monthly, cap))
}

// ecommerce create takes the money settings and prints them; ecommerce update changes the one
// given and keeps the others and the token; ecommerce list shows them.
func TestEcommerceUpdateChangesOnlyTheSettingsGiven(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			db := eng.db(t)
			env := dbEnv(db)
			out, code := cli(t, env, "ecommerce", "create", "--name", "Tienda", "--clabe-prefix", "646180", "--min-payment-floor", "5000",
				"--strict-rfc", "--max-credit-line", "300000")
			var created map[string]any
			if code != 0 || json.Unmarshal([]byte(out), &created) != nil || created["clabe_prefix"] != "646180" ||
				created["authorization_hold_days"] != 7.0 || created["min_payment_percent"] != 10.0 || created["min_payment_floor"] != 5000.0 {
				t.Fatalf("ecommerce create: exit %d, %q", code, out)
			}
			id := fmt.Sprint(created["id"])
			out, code = cli(t, env, "ecommerce", "update", "--id", id, "--authorization-hold-days", "3")
			var updated map[string]any
			if code != 0 || json.Unmarshal([]byte(out), &updated) != nil {
				t.Fatalf("ecommerce update: exit %d, %q", code, out)
			}
			if _, ok := updated["token"]; ok || strings.Contains(out, "ek_") {
				t.Errorf("ecommerce update printed a token: %s", out)
			}
			created["authorization_hold_days"] = 3.0
			token, _ := created["token"].(string)
			delete(created, "token")
			if fmt.Sprint(updated) != fmt.Sprint(created) {
				t.Errorf("ecommerce update --authorization-hold-days 3 printed\n%v\nwant\n%v", updated, created)
			}
			list, _ := cli(t, env, "ecommerce", "list")
			if strings.TrimSpace(list) != strings.TrimSpace(out) {
				t.Errorf("ecommerce list %q; want %q", list, out)
			}
			// The token stays: the partner still authenticates with it.
			if e, err := openService(t, db.url).AuthenticatePartner(context.Background(), token); err != nil || e.AuthorizationHoldDays != 3 {
				t.Errorf("the token after the update: %+v, %v", e, err)
			}

			out, code = cli(t, env, "ecommerce", "update", "--id", id, "--clabe-prefix", "", "--min-payment-percent", "0", "--name", "Tienda Dos")
			if code != 0 || !strings.Contains(out, `"name":"Tienda Dos"`) || !strings.Contains(out, `"clabe_prefix":""`) ||
				!strings.Contains(out, `"min_payment_percent":0,`) || !strings.Contains(out, `"authorization_hold_days":3,`) || !strings.Contains(out, `"max_credit_line":300000,`) {
				t.Errorf("ecommerce update of three settings: exit %d, %q", code, out)
			}
			for _, tt := range []struct {
				args []string
				want string
			}{
				{[]string{"--id", id, "--clabe-prefix", "12345"}, "clabe_prefix:invalid"},
				{[]string{"--id", id, "--authorization-hold-days", "31"}, "authorization_hold_days:invalid"},
				{[]string{"--id", id}, "no setting given"},
				{[]string{"--id", "99999", "--name", "x"}, "no partner with id 99999"},
				{[]string{"--name", "x"}, "--id is required"},
			} {
				_, stderr, code := cliOutput(env, append([]string{"ecommerce", "update"}, tt.args...)...)
				if code != 1 || !strings.HasPrefix(stderr, "saldo: ecommerce update: ") || !strings.Contains(stderr, tt.want) {
					t.Errorf("ecommerce update %v: exit %d, %q; want a refusal with %q", tt.args, code, stderr, tt.want)
				}
			}
		})
	}
}

// Every flag of ecommerce create is a setting ecommerce update can change.
func TestEveryCreateFlagIsUpdatable(t *testing.T) {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	var n saldo.NewPartner
	createFlags(fs, &n)
	fs.VisitAll(func(f *flag.Flag) {
		if !setPartnerFlag(f.Name, &saldo.NewPartner{}, &n) {
			t.Errorf("ecommerce update cannot change --%s", f.Name)
		}
	})
}

// On a new embedded database, serve stores a placeholder UDI value for today with the sandbox
// partner, and says so; never again, and never on PostgreSQL, where it warns that none is known.
func TestServeSeedsAPlaceholderUDIOnlyOnANewSQLiteDatabase(t *testing.T) {
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
	r := start(t, env)
	logs := r.stderr.String()
	if strings.Count(logs, "placeholder UDI value") != 1 || !strings.Contains(logs, "saldo udi import") || strings.Contains(logs, "no UDI value is known") {
		t.Errorf("serve on a new SQLite database logged:\n%s\nwant one line on the placeholder UDI value", logs)
	}
	r.shutdown(t)
	today := time.Now().In(saldo.MexicoCity).Format(time.DateOnly)
	if v := latestUDI(t, env["SALDO_DATABASE_URL"]); v != (saldo.UDIValue{Day: today, Micros: 8_600_000}) {
		t.Errorf("the placeholder: %+v, want 8.600000 on %s", v, today)
	}
	again := start(t, env)
	if logs := again.stderr.String(); strings.Contains(logs, "placeholder") || strings.Contains(logs, "UDI") {
		t.Errorf("the second start logged:\n%s", logs)
	}
	again.shutdown(t)

	pg := dbEnv(postgresDatabase(t))
	r = start(t, pg)
	if logs := r.stderr.String(); strings.Contains(logs, "placeholder") || strings.Count(logs, "no UDI value is known") != 1 {
		t.Errorf("serve on PostgreSQL logged:\n%s\nwant one warning that no UDI value is known", logs)
	}
	r.shutdown(t)
	if _, err := openService(t, pg["SALDO_DATABASE_URL"]).LatestUDIValue(context.Background()); saldo.ErrorCode(err) != saldo.ENOTFOUND {
		t.Errorf("LatestUDIValue on PostgreSQL after serve: %v, want none", err)
	}
}

// serve warns once when the newest UDI value is more than seven days old.
func TestServeWarnsOfAStaleUDIValue(t *testing.T) {
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
	// A partner first: no sandbox, so no placeholder value.
	if _, code := cli(t, env, "ecommerce", "create", "--name", "Tienda"); code != 0 {
		t.Fatal("ecommerce create failed")
	}
	daysAgo := func(n int) string { return time.Now().In(saldo.MexicoCity).AddDate(0, 0, -n).Format(time.DateOnly) }

	r := start(t, env)
	if logs := r.stderr.String(); strings.Count(logs, "no UDI value is known") != 1 {
		t.Errorf("serve without UDI values logged:\n%s", logs)
	}
	r.shutdown(t)

	if _, code := cli(t, env, "udi", "set", "--date", daysAgo(8), "--value", "8.5"); code != 0 {
		t.Fatal("udi set failed")
	}
	r = start(t, env)
	if logs := r.stderr.String(); strings.Count(logs, "UDI value is stale") != 1 || !strings.Contains(logs, "days_old=8") {
		t.Errorf("serve with a value 8 days old logged:\n%s\nwant one warning", logs)
	}
	r.shutdown(t)

	if _, code := cli(t, env, "udi", "set", "--date", daysAgo(7), "--value", "8.5"); code != 0 {
		t.Fatal("udi set failed")
	}
	r = start(t, env)
	if logs := r.stderr.String(); strings.Contains(logs, "UDI") {
		t.Errorf("serve with a value 7 days old logged:\n%s\nwant no warning", logs)
	}
}

// ledger verify exits 0 on a sound ledger and 1 once a balance no longer sums its entries.
func TestLedgerVerify(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			db := eng.db(t)
			env := dbEnv(db)
			out, code := cli(t, env, "ecommerce", "create", "--name", "Tienda", "--composite-balances")
			token := tokenRE.FindString(out)
			if code != 0 || token == "" {
				t.Fatalf("ecommerce create: exit %d, %q", code, out)
			}
			r := start(t, env)
			for seq := range uint64(2) {
				if _, err := partner(r.addr, token).CreateAccount(context.Background(), customerRequest(seq+1)); err != nil {
					t.Fatal(err)
				}
			}
			r.shutdown(t)

			out, code = cli(t, env, "ledger", "verify")
			if code != 0 || !regexp.MustCompile(`(?m)^balances +[1-9]`).MatchString(out) || !strings.HasSuffix(out, "ledger OK\n") {
				t.Fatalf("ledger verify on a sound ledger: exit %d:\n%s", code, out)
			}

			db.exec(t, "UPDATE balances SET amount = amount + 1")
			stdout, stderr, code := cliOutput(env, "ledger", "verify")
			if code != 1 || !regexp.MustCompile(`(?m)^mismatched balance \d+ \(\w+\): amount 0\.01 \(1 cents\), held 0\.00 \(0 cents\), Σ its entries 0\.00 \(0 cents\)$`).MatchString(stdout) ||
				!strings.HasSuffix(stdout, "ledger NOT OK\n") ||
				!strings.HasPrefix(stderr, "saldo: ledger verify: the ledger is not sound: ") || !strings.Contains(stderr, "mismatched balances") {
				t.Errorf("ledger verify on a corrupt balance: exit %d, stdout:\n%s\nstderr %q", code, stdout, stderr)
			}
		})
	}
}
