package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo/client"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/sqlite"
)

// syncBuffer is an io.Writer safe to read while the server writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// running is a serve started by Main in-process.
type running struct {
	addr   string
	stdout *syncBuffer
	stderr *syncBuffer
	stop   context.CancelFunc
	exit   chan int
}

// start runs "saldo serve" with env on port 0 and waits until it listens.
func start(t *testing.T, env map[string]string, args ...string) *running {
	t.Helper()
	return startServe(t, env, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
}

// startServe runs saldo with args, a serve command, and env, and waits until it listens.
func startServe(t *testing.T, env map[string]string, args []string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &syncBuffer{}, stderr: &syncBuffer{}, stop: cancel, exit: make(chan int, 1)}
	listening := make(chan string, 1)
	go func() {
		r.exit <- Main(ctx, Env{
			Args:      args,
			Getenv:    func(k string) string { return env[k] },
			Stdout:    r.stdout,
			Stderr:    r.stderr,
			Listening: func(addr string) { listening <- addr },
		})
	}()
	select {
	case r.addr = <-listening:
	case code := <-r.exit:
		t.Fatalf("serve exited with %d before listening: %s", code, r.stderr)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not listen within 30s")
	}
	t.Cleanup(func() { r.shutdown(t) })
	return r
}

// shutdown stops the server as SIGTERM does and returns its exit code.
func (r *running) shutdown(t *testing.T) int {
	t.Helper()
	r.stop()
	select {
	case code := <-r.exit:
		r.exit <- code
		return code
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not stop within 40s")
		return -1
	}
}

// cli runs one non-serve command and returns its stdout.
func cli(t testing.TB, env map[string]string, args ...string) (string, int) {
	t.Helper()
	stdout, stderr, code := cliOutput(env, args...)
	if code != 0 {
		t.Logf("saldo %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return stdout, code
}

// cliOutput runs one non-serve command and returns what it printed on stdout and stderr.
func cliOutput(env map[string]string, args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = Main(context.Background(), Env{Args: args, Getenv: func(k string) string { return env[k] }, Stdout: &out, Stderr: &errOut})
	return out.String(), errOut.String(), code
}

// partner returns a client of the server at addr that calls as the partner with token.
func partner(addr, token string) *client.Client {
	return client.New("http://"+addr, token)
}

// customerRequest is the customer of customerJSON(seq, true) as a client request.
func customerRequest(seq uint64) *client.CreateAccountRequest {
	c := gen.Customer("e2e", seq)
	return &client.CreateAccountRequest{
		Email: c.Email, Mobile: c.Mobile, FirstName: "Juan", LastName: "Pérez", Gender: client.GenderMale, RFC: c.RFC,
		CompositeBalance: &client.CompositeBalanceRequest{Parent: client.CompositeParentRequest{CreditLine: 10000000}},
	}
}

func customerJSON(seq uint64, creditLine bool) string {
	c := gen.Customer("e2e", seq)
	s := fmt.Sprintf(`{"email":%q,"mobile":%s,"first_name":"Juan","last_name":"Pérez","gender":2,"rfc":%q`, c.Email, c.Mobile, c.RFC)
	if creditLine {
		s += `,"composite_balance":{"parent":{"credit_line":10000000}}`
	}
	return s + "}"
}

var tokenRE = regexp.MustCompile(`ek_[0-9a-f]{64}`)

func TestFirstServeOnTheEmbeddedDefaultCreatesTheSandboxOnce(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + filepath.Join(dir, "saldo.db")}

	r := start(t, env)
	token := tokenRE.FindString(r.stdout.String())
	if token == "" {
		t.Fatalf("no sandbox token printed: %q", r.stdout)
	}
	if strings.Contains(r.stderr.String(), token) {
		t.Error("the sandbox token reached the log")
	}
	info, err := os.Stat(filepath.Join(dir, "saldo.db.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("generated secret key file: %v, mode %v; want mode 0600", err, info.Mode().Perm())
	}
	acct, err := partner(r.addr, token).CreateAccount(context.Background(), customerRequest(1))
	if err != nil || acct.CompositeBalance == nil {
		t.Fatalf("create with the sandbox token: %+v, %v; want a customer with a composite parent", acct, err)
	}
	if code := r.shutdown(t); code != 0 {
		t.Fatalf("exit code %d: %s", code, r.stderr)
	}

	again := start(t, env)
	if out := again.stdout.String(); strings.Contains(out, "ek_") {
		t.Errorf("second start printed a token again: %q", out)
	}
	if _, err := partner(again.addr, token).CreateAccount(context.Background(), customerRequest(2)); err != nil {
		t.Errorf("the sandbox token after a restart: %v", err)
	}
}

func TestPartnerCommands(t *testing.T) {
	for _, eng := range []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"sqlite", func(t *testing.T) map[string]string {
			return map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
		}},
		{"postgres", func(t *testing.T) map[string]string {
			return map[string]string{"SALDO_DATABASE_URL": testdb.PostgresURL(t), "SALDO_SECRET_KEY": strings.Repeat("ab", 32)}
		}},
	} {
		t.Run(eng.name, func(t *testing.T) {
			env := eng.env(t)
			if out, code := cli(t, env, "migrate"); code != 0 || !strings.Contains(out, "up to date") {
				t.Fatalf("migrate: %d %q", code, out)
			}
			out, code := cli(t, env, "ecommerce", "create", "--name", "Tienda Uno", "--composite-balances", "--max-credit-line", "10000000", "--strict-rfc")
			if code != 0 {
				t.Fatal("ecommerce create failed")
			}
			var created struct {
				ID                int64  `json:"id"`
				Name              string `json:"name"`
				CompositeBalances bool   `json:"composite_balances"`
				MaxCreditLine     int64  `json:"max_credit_line"`
				StrictRFC         bool   `json:"strict_rfc"`
				Token             string `json:"token"`
			}
			if err := json.Unmarshal([]byte(out), &created); err != nil || !tokenRE.MatchString(created.Token) ||
				created.Name != "Tienda Uno" || !created.CompositeBalances || created.MaxCreditLine != 10000000 || !created.StrictRFC {
				t.Fatalf("ecommerce create printed %q (%v)", out, err)
			}
			list, code := cli(t, env, "ecommerce", "list")
			if code != 0 || !strings.Contains(list, `"name":"Tienda Uno"`) || strings.Contains(list, "ek_") {
				t.Errorf("ecommerce list printed %q; want the partner without its token", list)
			}

			r := start(t, env)
			if strings.Contains(r.stdout.String(), "ek_") {
				t.Error("a sandbox was created on a database that has partners")
			}
			ctx := context.Background()
			if _, err := partner(r.addr, created.Token).CreateAccount(ctx, customerRequest(1)); err != nil {
				t.Errorf("create with the CLI's token: %v", err)
			}
			// The partner's settings are the flags': a credit line over --max-credit-line and an RFC
			// with a wrong check digit (--strict-rfc) are refused.
			over := customerRequest(4)
			over.CompositeBalance.Parent.CreditLine = 10000001
			_, err := partner(r.addr, created.Token).CreateAccount(ctx, over)
			wantAPIError(t, "a credit line over --max-credit-line", err, 400, client.CodeValidation, "credit_line:above_maximum")
			badDigit := customerRequest(5)
			badDigit.RFC = "VACE460910SX6" // its check digit should be 5
			_, err = partner(r.addr, created.Token).CreateAccount(ctx, badDigit)
			wantAPIError(t, "an RFC with a wrong check digit under --strict-rfc", err, 400, client.CodeValidation, "rfc:invalid_check_digit")
			out, code = cli(t, env, "ecommerce", "rotate-token", "--id", fmt.Sprint(created.ID))
			rotated := tokenRE.FindString(out)
			if code != 0 || rotated == "" || rotated == created.Token {
				t.Fatalf("rotate-token printed %q", out)
			}
			if _, err := partner(r.addr, created.Token).CreateAccount(ctx, customerRequest(2)); !client.IsUnauthorized(err) {
				t.Errorf("the old token after rotation: %v, want a 4401", err)
			}
			if _, err := partner(r.addr, rotated).CreateAccount(ctx, customerRequest(3)); err != nil {
				t.Errorf("the rotated token: %v", err)
			}
			if _, code := cli(t, env, "ecommerce", "rotate-token", "--id", "99999"); code == 0 {
				t.Error("rotating an unknown partner succeeded")
			}
		})
	}
}

func TestServeOnPostgresWithoutASecretKeyRefusesToStart(t *testing.T) {
	url := testdb.PostgresURL(t)
	var stderr bytes.Buffer
	code := Main(context.Background(), Env{
		Args:   []string{"serve", "--addr", "127.0.0.1:0", "--database-url", url},
		Getenv: func(string) string { return "" }, Stdout: io.Discard, Stderr: &stderr,
	})
	if code == 0 || !strings.Contains(stderr.String(), "SALDO_SECRET_KEY") {
		t.Errorf("exit %d, stderr %q; want a failure naming SALDO_SECRET_KEY", code, stderr.String())
	}
}

// A command it cannot run exits 1 with one line on stderr that starts with saldo: and names
// flags with two dashes, as the usage and the docs write them.
func TestBadConfigurationIsRefused(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"an unknown database scheme", []string{"migrate", "--database-url", "mysql://x"}, nil, `database url "mysql://x"`},
		{"a secret key that is not 64 hex", []string{"serve", "--addr", "127.0.0.1:0"}, map[string]string{"SALDO_SECRET_KEY": "abc"}, "secret key"},
		{"an unknown command", []string{"frobnicate"}, nil, `unknown command "frobnicate"; run 'saldo help'`},
		{"an unknown ecommerce command", []string{"ecommerce", "frobnicate"}, nil, `ecommerce: unknown command "frobnicate"`},
		{"ecommerce create without a name", []string{"ecommerce", "create"}, nil, "ecommerce create: --name is required"},
		{"a stray argument", []string{"migrate", "extra"}, nil, `migrate: unexpected argument "extra"`},
		{"ecommerce update without an id", []string{"ecommerce", "update", "--name", "x"}, nil, "ecommerce update: --id is required"},
		{"an unknown ledger command", []string{"ledger", "balance"}, nil, `ledger: unknown command "balance"`},
		{"an unknown udi command", []string{"udi", "get"}, nil, `udi: unknown command "get"`},
		{"udi import without a file", []string{"udi", "import"}, nil, "udi import: no file given"},
		{"udi import of two files", []string{"udi", "import", "a.csv", "b.csv"}, nil, `udi import: unexpected argument "b.csv"`},
		{"udi import of a missing file", []string{"udi", "import", "/nonexistent/udis.csv"}, nil, "udi import: open /nonexistent/udis.csv"},
		{"udi set without a value", []string{"udi", "set", "--date", "2024-10-01"}, nil, "udi set: --date and --value are required"},
		{"udi set of a value with a comma", []string{"udi", "set", "--date", "2024-10-01", "--value", "8,5"}, nil, `udi set: --value "8,5"`},
		{"udi set of a float's notation", []string{"udi", "set", "--date", "2024-10-01", "--value", "8.5e0"}, nil, `udi set: --value "8.5e0"`},
		{"udi set of an impossible date", []string{"udi", "set", "--date", "2024-02-30", "--value", "8.5"}, nil, `udi set: --date "2024-02-30"`},
		{"kyc-levels set without a level", []string{"kyc-levels", "set", "--balance-cap", "1"}, nil, "kyc-levels set: --level is required"},
		{"kyc-levels set of a negative limit", []string{"kyc-levels", "set", "--level", "1", "--balance-cap", "-5"}, nil, `invalid value "-5" for flag --balance-cap`},
		{"a stray argument to version", []string{"version", "extra"}, nil, `version: unexpected argument "extra"`},
		{"an unknown flag", []string{"migrate", "--bogus"}, nil, "migrate: flag provided but not defined: --bogus; run 'saldo migrate --help'"},
		{"an unknown flag with one dash", []string{"ecommerce", "list", "-bogus"}, nil, "flag provided but not defined: --bogus"},
		{"a flag without its value", []string{"ecommerce", "create", "--name"}, nil, "flag needs an argument: --name"},
		{"a number flag that is not a number", []string{"ecommerce", "create", "--name", "x", "--max-credit-line", "many"}, nil, `invalid value "many" for flag --max-credit-line`},
		{"a boolean flag that is not a boolean", []string{"ecommerce", "create", "--name", "x", "--strict-rfc=maybe"}, nil, `invalid boolean value "maybe" for --strict-rfc`},
		{"a negative rate limit", []string{"serve", "--addr", "127.0.0.1:0", "--rate-limit", "-1"}, nil, "rate limit"},
		{"a rate limit in the environment that is not a number", []string{"serve", "--addr", "127.0.0.1:0"}, map[string]string{"SALDO_RATE_LIMIT": "ten"}, "SALDO_RATE_LIMIT"},
		{"an unknown log level in the environment", []string{"serve", "--addr", "127.0.0.1:0"}, map[string]string{"SALDO_LOG_LEVEL": "loud"}, "SALDO_LOG_LEVEL"},
		{"a retired secret key that is not 64 hex", []string{"serve", "--addr", "127.0.0.1:0"}, map[string]string{"SALDO_RETIRED_SECRET_KEYS": strings.Repeat("ab", 32) + ",abc"}, "retired secret key 2"},
		{"a shutdown timeout that is not positive", []string{"serve", "--addr", "127.0.0.1:0", "--shutdown-timeout", "0s"}, nil, "shutdown timeout 0s: want a positive duration"},
		{"a shutdown timeout in the environment that is not a duration", []string{"serve", "--addr", "127.0.0.1:0"}, map[string]string{"SALDO_SHUTDOWN_TIMEOUT": "soon"}, "SALDO_SHUTDOWN_TIMEOUT"},
		{"a billing interval that is not positive", []string{"serve", "--addr", "127.0.0.1:0", "--billing-interval", "0s"}, nil, "billing interval 0s: want a positive duration"},
		{"a billing interval in the environment that is not a duration", []string{"serve", "--addr", "127.0.0.1:0"}, map[string]string{"SALDO_BILLING_INTERVAL": "often"}, "SALDO_BILLING_INTERVAL"},
		{"an unknown billing command", []string{"billing", "close"}, nil, `billing: unknown command "close"`},
		{"billing run of an impossible date", []string{"billing", "run", "--date", "2025-02-29"}, nil, `billing run: --date "2025-02-29": want a day as YYYY-MM-DD`},
		{"billing run of a date written another way", []string{"billing", "run", "--date", "15/12/2026"}, nil, `billing run: --date "15/12/2026"`},
		{"billing run of a day to come", []string{"billing", "run", "--date", "2999-01-01"}, nil, "billing run: --date 2999-01-01 is in the future"},
		{"billing run with a stray argument", []string{"billing", "run", "now"}, nil, `billing run: unexpected argument "now"`},
		{"retired secret keys both in the environment and in a file", []string{"serve", "--addr", "127.0.0.1:0", "--retired-secret-keys-file", "/dev/null"}, map[string]string{"SALDO_RETIRED_SECRET_KEYS": strings.Repeat("ab", 32)}, "not both"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
			for k, v := range tt.env {
				env[k] = v
			}
			stdout, stderr, code := cliOutput(env, tt.args...)
			if code != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q; want exit 1 and nothing on stdout", code, stdout)
			}
			if !strings.HasPrefix(stderr, "saldo: ") || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q; want one line saldo: …%s…", stderr, tt.want)
			}
			if singleDashFlag.MatchString(stderr) {
				t.Errorf("stderr %q names a flag with one dash", stderr)
			}
		})
	}
}

// singleDashFlag is a flag written -name rather than --name.
var singleDashFlag = regexp.MustCompile(`(^|[\s(\[])-[a-z]`)

// --help, -h and help print the usage on stdout and exit 0 at every level, without opening
// the database; the flags are written with two dashes.
func TestHelpPrintsTheUsage(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"saldo --help", []string{"--help"}, "saldo ecommerce rotate-token --id N"},
		{"saldo -h", []string{"-h"}, "saldo help [COMMAND]"},
		{"saldo help", []string{"help"}, "saldo migrate [--database-url URL]"},
		{"saldo help on a command", []string{"help", "ecommerce", "create"}, "--max-credit-line int"},
		{"saldo ecommerce --help", []string{"ecommerce", "--help"}, "saldo ecommerce list"},
		{"saldo ecommerce -h", []string{"ecommerce", "-h"}, "saldo ecommerce create --name N"},
		{"saldo ecommerce help", []string{"ecommerce", "help"}, "saldo ecommerce rotate-token --id N"},
		{"saldo ecommerce help on a command", []string{"ecommerce", "help", "rotate-token"}, "--id int"},
		{"saldo ecommerce create --help", []string{"ecommerce", "create", "--help"}, "--strict-rfc"},
		{"saldo ecommerce create -h after flags", []string{"ecommerce", "create", "--name", "x", "-h"}, "--composite-balances"},
		{"saldo ecommerce create help", []string{"ecommerce", "create", "help"}, "--name string"},
		{"saldo ecommerce list --help", []string{"ecommerce", "list", "--help"}, "never migrates"},
		{"saldo serve --help", []string{"serve", "--help"}, "--addr string"},
		{"saldo serve --help shows the shutdown wait's default", []string{"serve", "--help"}, "(default 15s)"},
		{"saldo migrate -h", []string{"migrate", "-h"}, "--database-url string"},
		{"saldo version --help", []string{"version", "--help"}, "Usage: saldo version"},
		{"saldo --help lists the ledger", []string{"--help"}, "saldo ledger verify"},
		{"saldo --help lists the UDI import", []string{"--help"}, "saldo udi import FILE"},
		{"saldo --help lists the KYC levels", []string{"--help"}, "saldo kyc-levels set --level N"},
		{"saldo --help lists ecommerce update", []string{"--help"}, "saldo ecommerce update --id N"},
		{"saldo ecommerce help on update", []string{"ecommerce", "help", "update"}, "--authorization-hold-days int"},
		{"saldo help ecommerce create shows the CLABE prefix", []string{"help", "ecommerce", "create"}, "--clabe-prefix string"},
		{"saldo help ledger", []string{"help", "ledger"}, "saldo ledger verify"},
		{"saldo help ledger verify", []string{"help", "ledger", "verify"}, "never migrates"},
		{"saldo ledger verify --help", []string{"ledger", "verify", "--help"}, "--database-url string"},
		{"saldo udi", []string{"udi", "--help"}, "SP68257"},
		{"saldo help udi set", []string{"help", "udi", "set"}, "--value string"},
		{"saldo udi import --help", []string{"udi", "import", "--help"}, "N/E"},
		{"saldo udi import FILE --help", []string{"udi", "import", "FILE", "--help"}, "Usage: saldo udi import FILE"},
		{"saldo help kyc-levels", []string{"help", "kyc-levels"}, "saldo kyc-levels list"},
		{"saldo kyc-levels help set", []string{"kyc-levels", "help", "set"}, "--balance-cap value"},
		{"saldo kyc-levels list -h", []string{"kyc-levels", "list", "-h"}, "never migrates"},
		{"saldo --help lists billing run", []string{"--help"}, "saldo billing run [--date YYYY-MM-DD]"},
		{"saldo billing --help", []string{"billing", "--help"}, "saldo billing run [--date YYYY-MM-DD]"},
		{"saldo help billing run", []string{"help", "billing", "run"}, "--date string"},
		{"saldo billing run --help says it migrates", []string{"billing", "run", "--help"}, "Migrates the database first."},
		{"saldo serve --help shows the billing interval's default", []string{"serve", "--help"}, "(env SALDO_BILLING_INTERVAL) (default 1m0s)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := testdb.SQLitePath(t)
			stdout, stderr, code := cliOutput(map[string]string{"SALDO_DATABASE_URL": "sqlite:" + path}, tt.args...)
			if code != 0 || stderr != "" || !strings.Contains(stdout, tt.want) {
				t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant exit 0, nothing on stderr and %q on stdout", code, stderr, stdout, tt.want)
			}
			if singleDashFlag.MatchString(stdout) {
				t.Errorf("the usage names a flag with one dash:\n%s", stdout)
			}
			if _, err := os.Stat(path); err == nil {
				t.Error("help opened the database")
			}
		})
	}
}

// A request in flight when SIGTERM arrives completes, and the server then exits cleanly.
func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
	r := start(t, env)
	token := tokenRE.FindString(r.stdout.String())

	body := customerJSON(1, true)
	pr, pw := io.Pipe()
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+r.addr+"/user/v1/account/create", pr)
		req.Header.Set("Authorization-ecommerce", token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		resp.Body.Close()
		done <- result{status: resp.StatusCode}
	}()
	half := len(body) / 2
	if _, err := pw.Write([]byte(body[:half])); err != nil {
		t.Fatal(err)
	}
	// Wait until the server is reading the body, then ask it to stop.
	time.Sleep(200 * time.Millisecond)
	r.stop()
	time.Sleep(200 * time.Millisecond)
	if _, err := pw.Write([]byte(body[half:])); err != nil {
		t.Fatal(err)
	}
	pw.Close()

	res := <-done
	if res.err != nil || res.status != 200 {
		t.Errorf("in-flight request: status %d, err %v; want 200", res.status, res.err)
	}
	if code := r.shutdown(t); code != 0 {
		t.Errorf("exit code %d: %s", code, r.stderr)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, code := cli(t, nil, args...)
			if code != 0 || !strings.HasPrefix(out, "saldo ") || strings.Count(out, "\n") != 1 {
				t.Errorf("printed %q, exit %d; want one line saldo …", out, code)
			}
		})
	}
}

func TestServeAppliesTheRateLimit(t *testing.T) {
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t), "SALDO_RATE_LIMIT": "0.001"}
	r := start(t, env, "--rate-burst", "1")
	token := tokenRE.FindString(r.stdout.String())
	c := partner(r.addr, token)
	if _, err := c.CreateAccount(context.Background(), customerRequest(1)); err != nil {
		t.Fatalf("first request: %v", err)
	}
	_, err := c.CreateAccount(context.Background(), customerRequest(2))
	if e, ok := errors.AsType[*client.Error](err); !ok || e.StatusCode != 429 || e.Code != client.CodeTooManyRequests || e.RetryAfter <= 0 {
		t.Errorf("second request past a burst of 1: %v, want a 429 (4429) with Retry-After", err)
	}
}

func TestMetricsShowTheDatabasePool(t *testing.T) {
	for _, eng := range []struct {
		name   string
		series []string
		env    func(t *testing.T) map[string]string
	}{
		{"sqlite", []string{`saldo_db_connections_in_use{pool="write"}`}, func(t *testing.T) map[string]string {
			return map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
		}},
		{"postgres", []string{`saldo_db_connections{state="idle"}`, "saldo_db_transaction_retries_total"}, func(t *testing.T) map[string]string {
			return map[string]string{"SALDO_DATABASE_URL": testdb.PostgresURL(t), "SALDO_SECRET_KEY": strings.Repeat("cd", 32)}
		}},
	} {
		t.Run(eng.name, func(t *testing.T) {
			r := start(t, eng.env(t))
			resp, err := http.Get("http://" + r.addr + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			text, _ := io.ReadAll(resp.Body)
			for _, want := range append(eng.series, "go_goroutines", "process_resident_memory_bytes") {
				if !strings.Contains(string(text), want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
		})
	}
}

// /metrics counts group commit by kind of write: one create is one create commit and write,
// and no movement or credit-line write.
func TestMetricsCountGroupCommitsByKind(t *testing.T) {
	r := start(t, map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)})
	c := partner(r.addr, tokenRE.FindString(r.stdout.String()))
	if _, err := c.CreateAccount(context.Background(), customerRequest(1)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + r.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`saldo_group_commits_total{kind="create"} 1`, `saldo_group_writes_total{kind="create"} 1`,
		`saldo_group_commits_total{kind="movement"} 0`, `saldo_group_whole_total{kind="movement"} 0`,
		`saldo_group_commits_total{kind="credit_line"} 0`} {
		if !strings.Contains(string(text), want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// After a rotation of the server secret key, a retry of a write made before it replays only
// while the old key is configured as retired, from the environment or from a file; without
// it, the retry is a 409.
func TestRotatedSecretKeyReplaysWhileRetired(t *testing.T) {
	ctx := context.Background()
	oldKey, newKey := strings.Repeat("0a", 32), strings.Repeat("0b", 32)
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t), "SALDO_SECRET_KEY": oldKey}
	r := start(t, env)
	token := tokenRE.FindString(r.stdout.String())
	first, err := partner(r.addr, token).CreateAccount(ctx, customerRequest(1), client.WithIdempotencyKey("before-rotation"))
	if err != nil {
		t.Fatal(err)
	}
	r.shutdown(t)

	retry := func(t *testing.T, env map[string]string) (*client.CreatedAccount, bool, error) {
		t.Helper()
		r := start(t, env)
		defer r.shutdown(t)
		var info client.ResponseInfo
		got, err := partner(r.addr, token).CreateAccount(ctx, customerRequest(1), client.WithIdempotencyKey("before-rotation"), client.WithResponseInfo(&info))
		return got, info.Replayed, err
	}
	env["SALDO_SECRET_KEY"] = newKey
	_, _, err = retry(t, env)
	wantAPIError(t, "the retry without the old key", err, 409, client.CodeConflict, "idempotency_key:unreadable")

	env["SALDO_RETIRED_SECRET_KEYS"] = oldKey
	got, replayed, err := retry(t, env)
	if err != nil || !replayed || got.ID != first.ID || got.PrivateKey != first.PrivateKey {
		t.Errorf("the retry with the old key retired: %+v, %v (replayed %v); want the first answer", got, err, replayed)
	}

	delete(env, "SALDO_RETIRED_SECRET_KEYS")
	env["SALDO_RETIRED_SECRET_KEYS_FILE"] = filepath.Join(t.TempDir(), "retired")
	if err := os.WriteFile(env["SALDO_RETIRED_SECRET_KEYS_FILE"], []byte(strings.Repeat("0c", 32)+"\n"+oldKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, replayed, err = retry(t, env)
	if err != nil || !replayed || got.ID != first.ID {
		t.Errorf("the retry with the old key second in the retired keys file: %+v, %v (replayed %v); want the first answer", got, err, replayed)
	}
}

// On SIGTERM, a client that keeps its request open holds the shutdown no longer than
// --shutdown-timeout: its connection is then closed, nothing of its request is written, and
// serve exits 0.
func TestShutdownTimeoutClosesWhatIsLeft(t *testing.T) {
	path := testdb.SQLitePath(t)
	r := start(t, map[string]string{"SALDO_DATABASE_URL": "sqlite:" + path}, "--shutdown-timeout", "500ms")
	token := tokenRE.FindString(r.stdout.String())

	body := customerJSON(1, true)
	pr, pw := io.Pipe()
	defer pw.Close()
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+r.addr+"/user/v1/account/create", pr)
		req.Header.Set("Authorization-ecommerce", token)
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = int64(len(body))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("an answer: %d", resp.StatusCode)
		}
		done <- err
	}()
	// Half the body, and then nothing: the request stays in flight.
	if _, err := pw.Write([]byte(body[:len(body)/2])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	began := time.Now()
	r.stop()
	select {
	case code := <-r.exit:
		r.exit <- code
		if code != 0 {
			t.Errorf("exit code %d: %s", code, r.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("serve still running 10s after SIGTERM with --shutdown-timeout 500ms: %s", r.stderr)
	}
	if took := time.Since(began); took < 500*time.Millisecond || took > 3*time.Second {
		t.Errorf("shutdown took %v, want about 500ms", took)
	}
	// The client's transport waits for its body writer: let it end.
	pw.CloseWithError(errors.New("the test is done"))
	if err := <-done; err == nil || strings.Contains(err.Error(), "an answer") {
		t.Errorf("the slow client: %v, want its connection closed", err)
	}
	if !strings.Contains(r.stderr.String(), "shutdown timeout") {
		t.Errorf("no shutdown timeout logged: %s", r.stderr)
	}
	out, code := cli(t, map[string]string{"SALDO_DATABASE_URL": "sqlite:" + path}, "ecommerce", "list")
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("ecommerce list after the shutdown: %d %q", code, out)
	}
	store, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if n := len(testdb.Rows(t, store, "customers")); n != 0 {
		t.Errorf("%d customers written by the request cut short", n)
	}
}

// A second serve on the SQLite file a serve is running on is refused with one saldo: line;
// once the first stops, serve starts again. On PostgreSQL, replicas share a database.
func TestSecondServeOnOneSQLiteFileIsRefused(t *testing.T) {
	path := testdb.SQLitePath(t)
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + path}
	first := start(t, env)
	var stderr syncBuffer
	// Were it not refused, the second serve would serve until this context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code := Main(ctx, Env{Args: []string{"serve", "--addr", "127.0.0.1:0"},
		Getenv: func(k string) string { return env[k] }, Stdout: io.Discard, Stderr: &stderr})
	if code != 1 || !strings.HasPrefix(stderr.String(), "saldo: another saldo serve is running on "+path) || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("second serve: exit %d, stderr %q; want exit 1 and one saldo: line naming the file", code, stderr.String())
	}
	if resp, err := http.Get("http://" + first.addr + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("the first serve after the second was refused: %v %v", resp, err)
	}
	first.shutdown(t)
	again := start(t, env)
	if resp, err := http.Get("http://" + again.addr + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("serve after the first stopped: %v %v", resp, err)
	}

	pg := map[string]string{"SALDO_DATABASE_URL": testdb.PostgresURL(t), "SALDO_SECRET_KEY": strings.Repeat("ef", 32)}
	a, b := start(t, pg), start(t, pg)
	for _, r := range []*running{a, b} {
		if resp, err := http.Get("http://" + r.addr + "/readyz"); err != nil || resp.StatusCode != 200 {
			t.Errorf("two serves on one PostgreSQL database: %v %v", resp, err)
		}
	}
}

// What saldo serve answers before any route (a path that is not canonical, OPTIONS *,
// headers over the limits, a malformed request) is in the envelope with an X-Request-Id.
func TestServeAnswersRefusalsInTheEnvelope(t *testing.T) {
	r := start(t, map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)})
	for _, tt := range []struct {
		name, req, want string
		status          int
	}{
		{"a path that is not canonical", "GET //user/v1/account/1 HTTP/1.1\r\nHost: x\r\n\r\n", `"route:not_found"`, 404},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", `{"rs":{},"err":null}`, 200},
		{"HEAD where GET works", "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "", 200},
		{"headers over 64 KiB", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("p", 70<<10) + "\r\n\r\n", `"headers:too_large"`, 431},
		{"headers over 1 MiB", "GET /wallet/v1/x HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("p", 1<<20) + "\r\n\r\n", `"endpoint":"/wallet/v1/x"`, 431},
		{"a malformed request line", "GET /oauth/v1/revoke\r\n\r\n", `{"response":null,"err":{"code":4400`, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", r.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			go io.WriteString(conn, tt.req)
			method, _, _ := strings.Cut(tt.req, " ")
			resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || resp.Header.Get("X-Request-Id") == "" || resp.Header.Get("Content-Type") != "application/json" ||
				!strings.Contains(string(body), tt.want) {
				t.Errorf("%d %v %s; want %d, application/json with X-Request-Id, and %s", resp.StatusCode, resp.Header, body, tt.status, tt.want)
			}
		})
	}
}
