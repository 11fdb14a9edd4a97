// Command saldo-load drives a running saldo over HTTP with account creates and reports their
// throughput, latency percentiles and errors, optionally reading every created customer back.
//
//	saldo-load --url http://127.0.0.1:8080 --token ek_… --concurrency 8 --duration 10s --composite --verify
//
// With --scenario transfers it drives wallet-to-wallet transfers instead (transfer.go): it
// creates --wallets customers through the API, funds each wallet with a top-up (or reads
// them from --wallets-file), then sends transfers between random wallets (--mode random) or
// out of one hot wallet to random others (--mode hot).
//
//	saldo-load --url … --token ek_… --composite --scenario transfers --mode hot --wallets 1000 --concurrency 16
//
// With --scenario charges it drives charges on composite children (charge.go): it creates
// --children customers with a composite parent of --credit-line and one child of
// --child-credit-line each (or reads them from --children-file), then charges a random child
// (--mode random) or one hot child (--mode hot), each charge with an externalTransactionId of
// its own.
//
//	saldo-load --url … --token ek_… --scenario charges --mode hot --children 1000 --credit-line 1000000000000 --concurrency 16
//
// Every customer it sends is unique and valid (saldo/internal/gen), also across runs against
// the same database: see --prefix and --seq-offset. It exits non-zero when any request failed
// or, with --verify, when any created customer is missing or differs from what was sent. The
// first 401 stops the whole run with an error and no report: every request would be refused.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"

	"github.com/saldo-mx/saldo/internal/cliflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "saldo-load:", err)
		os.Exit(1)
	}
}

// config is a run's validated flags.
type config struct {
	url         string
	token       string
	concurrency int
	duration    time.Duration // 0: run until count creates were sent
	count       int64         // 0: run for duration
	composite   bool
	creditLine  int64
	prefix      string
	seqOffset   uint64
	verify      bool
	jsonOut     bool
	timeout     time.Duration
	idempotency bool
	progress    bool

	// The transfers scenario.
	scenario    string
	mode        string
	wallets     int
	amount      int64
	fund        int64
	hotFund     int64
	walletsFile string
	setupOnly   bool

	// The charges scenario (mode, amount and setupOnly too).
	children        int
	childCreditLine int64
	childrenFile    string
}

// validPrefix keeps the prefix usable in an email's local part and in a JSON string unescaped.
var validPrefix = regexp.MustCompile(`^[A-Za-z0-9._+-]{0,64}$`)

// parseFlags reads args; --help writes the usage to stdout and returns flag.ErrHelp.
func parseFlags(args []string, stdout io.Writer, now time.Time) (*config, error) {
	fs := flag.NewFlagSet("saldo-load", flag.ContinueOnError)
	cliflag.Quiet(fs)
	c := &config{}
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "base URL of the saldo server")
	fs.StringVar(&c.token, "token", "", "partner ek_ token (default: env SALDO_LOAD_TOKEN)")
	fs.IntVar(&c.concurrency, "concurrency", 8, "requests in flight at once")
	fs.DurationVar(&c.duration, "duration", 0, "send creates for this long (default 10s unless --count is set)")
	fs.Int64Var(&c.count, "count", 0, "send exactly this many creates")
	fs.BoolVar(&c.composite, "composite", false, "send a composite_balance credit line (the partner must have composite balances)")
	fs.Int64Var(&c.creditLine, "credit-line", 10_000_000, "credit line in cents sent with --composite (charges: each parent's, by default its child's)")
	fs.StringVar(&c.prefix, "prefix", "", "email prefix that keeps runs apart (default: derived from the time)")
	seqOffset := fs.Int64("seq-offset", -1, "first sequence number, which makes mobile, RFC and CURP unique (default: derived from the time)")
	fs.BoolVar(&c.verify, "verify", false, "after the run, read back every created customer and check it")
	fs.BoolVar(&c.jsonOut, "json", false, "print the final report as one JSON object")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "timeout of one request")
	fs.BoolVar(&c.idempotency, "idempotency-key", false, "send a fresh Idempotency-Key header with every create")
	fs.BoolVar(&c.progress, "progress", true, "show progress on stderr once a second")
	fs.StringVar(&c.scenario, "scenario", "creates", "what to send: creates, transfers between wallets, or charges on composite children")
	fs.StringVar(&c.mode, "mode", modeRandom, "transfers and charges: random (wallets or child at random) or hot (all out of one wallet, all on one child)")
	fs.IntVar(&c.wallets, "wallets", 1000, "transfers: how many customers the set-up creates and funds")
	fs.Int64Var(&c.amount, "amount", 1, "transfers and charges: cents per transfer or charge")
	fs.Int64Var(&c.fund, "fund", 100_000, "transfers: cents the set-up tops each wallet up with")
	fs.Int64Var(&c.hotFund, "hot-fund", 600_000, "transfers: cents the set-up tops the first (hot) wallet up with")
	fs.StringVar(&c.walletsFile, "wallets-file", "", "transfers: read the set-up's wallets from this file; when it does not exist, set up and write it")
	fs.BoolVar(&c.setupOnly, "setup-only", false, "transfers and charges: set up the wallets or children (and write --wallets-file or --children-file), send nothing else")
	fs.IntVar(&c.children, "children", 1000, "charges: how many customers the set-up creates, each with a composite parent of --credit-line and one child")
	fs.Int64Var(&c.childCreditLine, "child-credit-line", 1_000_000_000, "charges: credit line in cents of each child the set-up creates")
	fs.StringVar(&c.childrenFile, "children-file", "", "charges: read the set-up's children from this file; when it does not exist, set up and write it")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "usage: saldo-load [flags]\n\nFlags:\n%s", cliflag.Defaults(fs))
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("%s; run 'saldo-load --help' for its flags", cliflag.DoubleDash(err.Error()))
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.token == "" {
		c.token = os.Getenv("SALDO_LOAD_TOKEN")
	}
	switch {
	case c.token == "":
		return nil, errors.New("no token: pass --token or set SALDO_LOAD_TOKEN")
	case c.concurrency < 1:
		return nil, errors.New("--concurrency must be at least 1")
	case c.duration < 0 || c.count < 0:
		return nil, errors.New("--duration and --count must not be negative")
	case c.duration > 0 && c.count > 0:
		return nil, errors.New("give --duration or --count, not both")
	case c.count > seqSpace:
		return nil, fmt.Errorf("--count may be at most %d (the unique RFCs gen can make)", seqSpace)
	case c.creditLine < 0:
		return nil, errors.New("--credit-line must not be negative")
	case !validPrefix.MatchString(c.prefix):
		return nil, errors.New("--prefix: at most 64 of A-Z a-z 0-9 . _ + -")
	case c.scenario != "creates" && c.scenario != "transfers" && c.scenario != "charges":
		return nil, fmt.Errorf("--scenario %q: creates, transfers or charges", c.scenario)
	case c.mode != modeRandom && c.mode != modeHot:
		return nil, fmt.Errorf("--mode %q: random or hot", c.mode)
	case c.scenario != "creates" && c.verify:
		return nil, fmt.Errorf("--verify reads creates back; the %s scenario has none to read", c.scenario)
	case c.scenario == "transfers" && (c.wallets < 2 || c.wallets > seqSpace):
		return nil, errors.New("--wallets must be at least 2")
	case c.amount < 1 || c.fund < 1 || c.hotFund < 1:
		return nil, errors.New("--amount, --fund and --hot-fund must be positive")
	case c.setupOnly && c.scenario == "creates":
		return nil, errors.New("--setup-only sets up the transfers or charges scenario: give --scenario transfers or charges")
	case c.scenario == "charges" && (c.children < 1 || c.children > seqSpace):
		return nil, errors.New("--children must be at least 1")
	case c.childCreditLine < 1:
		return nil, errors.New("--child-credit-line must be positive")
	case c.scenario == "charges" && len(c.prefix) > maxChargePrefix:
		// The externalTransactionId is the prefix, "chg" and the request's index, at most 64.
		return nil, fmt.Errorf("--prefix: at most %d characters with --scenario charges", maxChargePrefix)
	}
	if c.scenario == "charges" {
		// Its set-up creates composite parents, each with one child: without --credit-line,
		// a parent's credit line is its child's.
		c.composite = true
		lineGiven := false
		fs.Visit(func(f *flag.Flag) { lineGiven = lineGiven || f.Name == "credit-line" })
		if !lineGiven {
			c.creditLine = c.childCreditLine
		}
	}
	if c.duration == 0 && c.count == 0 {
		c.duration = 10 * time.Second
	}
	if c.prefix == "" {
		c.prefix = "load" + now.UTC().Format("20060102T150405.000") + "."
	}
	if *seqOffset >= 0 {
		c.seqOffset = uint64(*seqOffset) % seqSpace
	} else {
		c.seqOffset = defaultSeqOffset(now)
	}
	return c, nil
}

// run is the whole command; main only wires it to the process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stdout, time.Now())
	if err != nil {
		return err
	}
	var rep outcome
	switch cfg.scenario {
	case "transfers":
		rep, err = newLoader(cfg, stderr).runTransfers(ctx)
	case "charges":
		rep, err = newLoader(cfg, stderr).runCharges(ctx)
	default:
		rep, err = newLoader(cfg, stderr).run(ctx)
	}
	if err != nil {
		return err
	}
	if cfg.jsonOut {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeText(stdout)
	}
	if err != nil {
		return err
	}
	return rep.failure()
}

// outcome is a run's report, of either scenario.
type outcome interface {
	writeJSON(io.Writer) error
	writeText(io.Writer) error
	failure() error
}
