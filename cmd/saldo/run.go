package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/console"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/cliflag"
	"github.com/saldo-mx/saldo/webhooks"
)

// Env is the outside world of one run of the command, so tests can drive it in-process.
type Env struct {
	Args           []string
	Getenv         func(string) string
	Stdout, Stderr io.Writer
	// Listening, when set, is told the address serve listens on (tests listen on port 0).
	Listening func(addr string)
}

// Main runs the command line in env and returns the exit code.
func Main(ctx context.Context, env Env) int {
	if err := run(ctx, env, env.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(env.Stderr, "saldo:", err)
		return 1
	}
	return 0
}

// run runs the command args name.
func run(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return errors.New("no command given")
	}
	cmd, args := args[0], args[1:]
	switch {
	case cmd == "serve":
		return serve(ctx, env, args)
	case cmd == "migrate":
		return migrateCmd(ctx, env, args)
	case cmd == "ecommerce":
		return ecommerceCmd(ctx, env, args)
	case cmd == "ledger":
		return ledgerCmd(ctx, env, args)
	case cmd == "udi":
		return udiCmd(ctx, env, args)
	case cmd == "kyc-levels":
		return kycLevelsCmd(ctx, env, args)
	case cmd == "webhooks":
		return webhooksCmd(ctx, env, args)
	case cmd == "billing":
		return billingCmd(ctx, env, args)
	case cmd == "operator":
		return operatorCmd(ctx, env, args)
	case cmd == "version" || cmd == "--version":
		return versionCmd(env, args)
	case isHelp(cmd):
		return help(ctx, env, args, usage, run)
	}
	return fmt.Errorf("unknown command %q; run 'saldo help' for the commands", cmd)
}

// parse parses a command's flags into a validated Config. --help, -h or a first argument help
// prints the command's usage on stdout and returns flag.ErrHelp. A flag error names the flag
// with two dashes, as the usage and the docs write them.
func parse(env Env, name string, args []string, serveFlags bool, more func(*flag.FlagSet)) (*Config, error) {
	cfg, _, err := parseArgs(env, name, args, serveFlags, more, 0)
	return cfg, err
}

// parseArgs is parse for a command that takes up to maxArgs arguments besides its flags, which
// may come before, between or after them; it returns the arguments.
func parseArgs(env Env, name string, args []string, serveFlags bool, more func(*flag.FlagSet), maxArgs int) (*Config, []string, error) {
	fs := flag.NewFlagSet("saldo "+name, flag.ContinueOnError)
	// The flag package's own messages name flags with one dash and lack the saldo: prefix.
	cliflag.Quiet(fs)
	cfg := &Config{}
	cfg.registerFlags(fs, env.Getenv, serveFlags)
	if more != nil {
		more(fs)
	}
	// The flag package stops at the first argument: parse what follows it again.
	var positional []string
	err := fs.Parse(args)
	for err == nil && fs.NArg() > 0 && fs.Arg(0) != "help" && len(positional) < maxArgs {
		positional = append(positional, fs.Arg(0))
		err = fs.Parse(fs.Args()[1:])
	}
	if err == nil && fs.Arg(0) == "help" {
		err = flag.ErrHelp
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		printCommandUsage(env.Stdout, name, fs)
		return nil, nil, flag.ErrHelp
	case err != nil:
		return nil, nil, fmt.Errorf("%s: %s; run 'saldo %s --help' for its flags", name, cliflag.DoubleDash(err.Error()), name)
	case fs.NArg() > 0:
		return nil, nil, fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))
	}
	return cfg, positional, cfg.validate()
}

func serve(ctx context.Context, env Env, args []string) error {
	cfg, err := parse(env, "serve", args, true, nil)
	if err != nil {
		return err
	}
	tuneGC(env.Getenv)
	var handler slog.Handler = slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel})
	if cfg.LogFormat == "json" {
		handler = slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel})
	}
	log := slog.New(handler)

	secretKey, err := cfg.secretKey()
	if err != nil {
		return err
	}
	retiredKeys, err := cfg.retiredSecretKeys()
	if err != nil {
		return err
	}
	if cfg.engine() == "sqlite" {
		// One serve per SQLite file: a second one is refused before it opens the file.
		unlock, err := lockDatabase(cfg.sqlitePath())
		if err != nil {
			return err
		}
		defer unlock()
	}
	store, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	insecure, why := cfg.webhooksInsecure()
	svc := saldo.NewService(store, saldo.SystemClock{}, saldo.WithSecretKey(secretKey), saldo.WithRetiredSecretKeys(retiredKeys...),
		saldo.WithWebhookPolicy(saldo.WebhookPolicy{AllowInsecure: insecure}),
		saldo.WithGroupCommit(cfg.groupCommit(), cfg.groupCommit()))
	if err := rekeyCustomers(ctx, svc, log); err != nil {
		return err
	}
	// The scheduled work runs beside the API and stops before the store closes.
	reg := newRegistry(store)
	registerGroupCommitMetrics(reg, svc)
	billingCtx, stopBilling := context.WithCancel(ctx)
	billed := make(chan struct{})
	go func() { runBilling(billingCtx, svc, cfg.BillingInterval, log, newBillingMetrics(reg)); close(billed) }()
	defer func() { stopBilling(); <-billed }()

	if cfg.engine() == "sqlite" {
		e, token, created, err := svc.EnsureSandbox(ctx)
		if err != nil {
			return err
		}
		if created {
			// Printed, never logged: the token is a secret and this is its only showing.
			fmt.Fprintf(env.Stdout, "Created the sandbox e-commerce (id %d, composite balances enabled).\n"+
				"Its token is shown only this once; send it as the Authorization-ecommerce header:\n\n  %s\n\n", e.ID, token)
			if err := seedPlaceholderUDI(ctx, svc, log); err != nil {
				return err
			}
		}
	}
	if err := warnStaleUDI(ctx, svc, log); err != nil {
		return err
	}
	// Webhook delivery runs beside the API and stops, its attempts drained, before the store
	// closes.
	log.Info("webhook delivery", "allow_insecure", insecure, "because", why, "lease", cfg.WebhooksLease, "workers", cfg.WebhooksWorkers)
	// Delivery yields to the API while the API is busy.
	load := saldohttp.NewLoad(0)
	deliverer := webhooks.NewDeliverer(svc, log, webhooks.Options{AllowInsecure: insecure, Workers: cfg.WebhooksWorkers,
		Lease: cfg.WebhooksLease, Drain: cfg.ShutdownTimeout, Busy: load.Busy, BusyRate: cfg.WebhooksBusyRate})
	registerDeliveryMetrics(reg, deliverer.Stats())
	deliverCtx, stopDelivery := context.WithCancel(ctx)
	delivered := make(chan struct{})
	go func() { deliverer.Run(deliverCtx); close(delivered) }()
	defer func() { stopDelivery(); <-delivered }()
	return listenAndServe(ctx, env, cfg, svc, reg, load, handler)
}

// listenAndServe serves the API of svc on cfg.Addr until ctx ends, then shuts down.
func listenAndServe(ctx context.Context, env Env, cfg *Config, svc *saldo.Service, reg *prometheus.Registry, load *saldohttp.Load, handler slog.Handler) error {
	log := slog.New(handler)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	api := saldohttp.NewServer(svc, log, saldohttp.WithRateLimit(cfg.RateLimit, cfg.RateBurst), saldohttp.WithMetrics(reg, reg), saldohttp.WithLoad(load))
	web := console.New(svc, log, console.Options{SecureCookies: cfg.ConsoleSecureCookies})
	var root http.Handler = api
	if cfg.ConsoleAddr == "" {
		root = withConsole(api, web)
	} else {
		stop, err := serveConsole(cfg.ConsoleAddr, web, handler, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
	}
	if cfg.DebugAddr != "" {
		stop, err := serveDebug(cfg.DebugAddr, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
	}
	srv := &http.Server{Handler: root, ErrorLog: slog.NewLogLogger(handler, slog.LevelWarn)}
	saldohttp.ConfigureServer(srv)
	// "listening" is said once every listener is open: the API's, the console's and the
	// profiler's.
	log.Info("listening", "addr", ln.Addr().String(), "engine", cfg.engine(), "version", version())
	if env.Listening != nil {
		env.Listening(ln.Addr().String())
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(api.Listener(ln)) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	return shutdown(srv, cfg.ShutdownTimeout, log)
}

// withConsole serves the console's paths with web, before the API's route table and
// envelopes see them, and everything else with api.
func withConsole(api, web http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, "/console/") {
			web.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// serveGCPercent is Go's GOGC for saldo serve when the environment sets none. The server's
// live heap is a few MiB, so at Go's default of 100 it is collected every few hundred
// requests: profiled on 2 CPUs under 8 clients' creates, 17 % of the server's CPU went to the
// collector (marking, sweeping, assists). At 400 that falls to 3 %, and peak RSS grows from
// about 30 to 42 MiB.
const serveGCPercent = 400

// tuneGC sets serveGCPercent unless GOGC is set, which keeps its own meaning.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}

// serveConsole serves the console on a listener of its own, "/" sending to /console/, until
// the returned function stops it.
func serveConsole(addr string, web http.Handler, handler slog.Handler, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("console address: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/console/", web)
	mux.Handle("/{$}", http.RedirectHandler("/console/", http.StatusSeeOther))
	srv := &http.Server{Handler: mux, ErrorLog: slog.NewLogLogger(handler, slog.LevelWarn)}
	saldohttp.ConfigureServer(srv)
	log.Info("console listening", "addr", ln.Addr().String())
	go srv.Serve(ln)
	return func() { _ = shutdown(srv, 5*time.Second, log) }, nil
}

// shutdown stops srv: it stops accepting, lets in-flight requests finish for up to timeout,
// then closes the connections left. Each request runs in its own transaction, and a closed
// connection cancels its request's context, so nothing is half-written either way.
func shutdown(srv *http.Server, timeout time.Duration, log *slog.Logger) error {
	log.Info("shutting down", "timeout", timeout)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown timeout: closing the connections left", "timeout", timeout)
		err = srv.Close()
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func migrateCmd(ctx context.Context, env Env, args []string) error {
	cfg, err := parse(env, "migrate", args, false, nil)
	if err != nil {
		return err
	}
	store, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := rekeyCustomers(ctx, saldo.NewService(store, saldo.SystemClock{}), slog.New(slog.NewTextHandler(env.Stderr, nil))); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "schema is up to date")
	return nil
}

// partnerJSON is how the CLI prints a partner; the token only when just issued.
type partnerJSON struct {
	ID                    int64  `json:"id"`
	Name                  string `json:"name"`
	CompositeBalances     bool   `json:"composite_balances"`
	MaxCreditLine         int64  `json:"max_credit_line"`
	StrictRFC             bool   `json:"strict_rfc"`
	MaxKYCLevel           int    `json:"max_kyc_level"`
	BillingDay            int    `json:"billing_day"`
	PaymentDueDays        int    `json:"payment_due_days"`
	Overlimit             int64  `json:"overlimit"`
	OAuthTokenTTL         string `json:"oauth_token_ttl"`
	RefreshTokenTTL       string `json:"refresh_token_ttl"`
	CLABEPrefix           string `json:"clabe_prefix"`
	AuthorizationHoldDays int    `json:"authorization_hold_days"`
	MinPaymentPercent     int    `json:"min_payment_percent"`
	MinPaymentFloor       int64  `json:"min_payment_floor"`
	Token                 string `json:"token,omitempty"`
}

func newPartnerJSON(e *saldo.Partner, token string) partnerJSON {
	return partnerJSON{ID: e.ID, Name: e.Name, CompositeBalances: e.CompositeBalances, MaxCreditLine: e.MaxCreditLine,
		StrictRFC: e.StrictRFC, MaxKYCLevel: e.MaxKYCLevel, BillingDay: e.BillingDay, PaymentDueDays: e.PaymentDueDays,
		Overlimit: e.Overlimit, OAuthTokenTTL: e.OAuthTokenTTL.String(), RefreshTokenTTL: e.RefreshTokenTTL.String(),
		CLABEPrefix: e.CLABEPrefix, AuthorizationHoldDays: e.AuthorizationHoldDays, MinPaymentPercent: e.MinPaymentPercent,
		MinPaymentFloor: e.MinPaymentFloor, Token: token}
}

func ecommerceCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, ecommerceUsage)
		return errors.New("ecommerce: no command given: want create, update, list or rotate-token")
	}
	sub, args := args[0], args[1:]
	switch {
	case sub == "create":
		return ecommerceCreate(ctx, env, args)
	case sub == "update":
		return ecommerceUpdate(ctx, env, args)
	case sub == "list":
		return ecommerceList(ctx, env, args)
	case sub == "rotate-token":
		return ecommerceRotateToken(ctx, env, args)
	case isHelp(sub):
		return help(ctx, env, args, ecommerceUsage, ecommerceCmd)
	}
	return fmt.Errorf("ecommerce: unknown command %q: want create, update, list or rotate-token; run 'saldo ecommerce --help'", sub)
}

// ecommerceCreate registers a partner and prints it with its token. It writes, so it migrates
// the database first, as serve does.
func ecommerceCreate(ctx context.Context, env Env, args []string) error {
	var n saldo.NewPartner
	cfg, err := parse(env, "ecommerce create", args, false, func(fs *flag.FlagSet) { createFlags(fs, &n) })
	if err != nil {
		return err
	}
	if n.Name == "" {
		return errors.New("ecommerce create: --name is required")
	}
	store, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	e, token, err := saldo.NewService(store, saldo.SystemClock{}).CreatePartner(ctx, n)
	if err != nil {
		return fmt.Errorf("ecommerce create: %w", err)
	}
	return json.NewEncoder(env.Stdout).Encode(newPartnerJSON(e, token))
}

// createFlags are the partner's settings ecommerce create takes, and ecommerce update changes.
func createFlags(fs *flag.FlagSet, n *saldo.NewPartner) {
	n.AuthorizationHoldDays, n.MinPaymentPercent, n.MinPaymentFloor = new(int), new(int), new(int64)
	fs.StringVar(&n.Name, "name", "", "partner name (required)")
	fs.BoolVar(&n.CompositeBalances, "composite-balances", false, "open a composite balance parent for every customer")
	fs.Int64Var(&n.MaxCreditLine, "max-credit-line", saldo.DefaultMaxCreditLine, "largest parent credit line, in cents")
	fs.BoolVar(&n.StrictRFC, "strict-rfc", false, "enforce the RFC check digit")
	fs.IntVar(&n.MaxKYCLevel, "max-kyc-level", saldo.DefaultMaxKYCLevel, "highest KYC level assigned at creation (1-3)")
	fs.IntVar(&n.BillingDay, "billing-day", 0, "billing day of parents (1-28; 0: the day each parent is created)")
	fs.IntVar(&n.PaymentDueDays, "payment-due-days", saldo.DefaultPaymentDueDays, "days from billing to due date")
	fs.Int64Var(&n.Overlimit, "overlimit", 0, "cents a parent may spend beyond its credit line")
	fs.DurationVar(&n.OAuthTokenTTL, "oauth-token-ttl", saldo.DefaultOAuthTokenTTL, "lifetime of customer oauth tokens")
	fs.DurationVar(&n.RefreshTokenTTL, "refresh-token-ttl", saldo.DefaultRefreshTokenTTL, "lifetime of customer refresh tokens")
	fs.StringVar(&n.CLABEPrefix, "clabe-prefix", "", `the 3-digit bank and 3-digit plaza codes of the partner's SPEI participant, which its wallets' CLABEs start with; "" for none`)
	fs.IntVar(n.AuthorizationHoldDays, "authorization-hold-days", saldo.DefaultAuthorizationHoldDays, "days a card authorization holds credit before it is released (1-30)")
	fs.IntVar(n.MinPaymentPercent, "min-payment-percent", saldo.DefaultMinPaymentPercent, "minimum payment of a statement, in percent of its balance (0-100)")
	fs.Int64Var(n.MinPaymentFloor, "min-payment-floor", saldo.DefaultMinPaymentFloor, "least minimum payment, in cents, unless the balance is lower")
}

// setPartnerFlag copies the setting of the create flag name from src to dst, and reports
// whether name is one.
func setPartnerFlag(name string, dst, src *saldo.NewPartner) bool {
	switch name {
	case "name":
		dst.Name = src.Name
	case "composite-balances":
		dst.CompositeBalances = src.CompositeBalances
	case "max-credit-line":
		dst.MaxCreditLine = src.MaxCreditLine
	case "strict-rfc":
		dst.StrictRFC = src.StrictRFC
	case "max-kyc-level":
		dst.MaxKYCLevel = src.MaxKYCLevel
	case "billing-day":
		dst.BillingDay = src.BillingDay
	case "payment-due-days":
		dst.PaymentDueDays = src.PaymentDueDays
	case "overlimit":
		dst.Overlimit = src.Overlimit
	case "oauth-token-ttl":
		dst.OAuthTokenTTL = src.OAuthTokenTTL
	case "refresh-token-ttl":
		dst.RefreshTokenTTL = src.RefreshTokenTTL
	case "clabe-prefix":
		dst.CLABEPrefix = src.CLABEPrefix
	case "authorization-hold-days":
		dst.AuthorizationHoldDays = src.AuthorizationHoldDays
	case "min-payment-percent":
		dst.MinPaymentPercent = src.MinPaymentPercent
	case "min-payment-floor":
		dst.MinPaymentFloor = src.MinPaymentFloor
	default:
		return false
	}
	return true
}

// ecommerceUpdate changes the settings of a partner that its flags give, keeps the others and
// its token, and prints it without the token. It writes, so it migrates the database first.
func ecommerceUpdate(ctx context.Context, env Env, args []string) error {
	var (
		id    int64
		n     saldo.NewPartner
		flags *flag.FlagSet
	)
	cfg, err := parse(env, "ecommerce update", args, false, func(fs *flag.FlagSet) {
		flags = fs
		fs.Int64Var(&id, "id", 0, "partner id (required)")
		createFlags(fs, &n)
	})
	if err != nil {
		return err
	}
	if id <= 0 {
		return errors.New("ecommerce update: --id is required")
	}
	var given []string
	flags.Visit(func(f *flag.Flag) {
		if f.Name != "id" && f.Name != "database-url" {
			given = append(given, f.Name)
		}
	})
	if len(given) == 0 {
		return errors.New("ecommerce update: no setting given to change; run 'saldo ecommerce update --help' for them")
	}
	store, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	e, err := saldo.NewService(store, saldo.SystemClock{}).UpdatePartner(ctx, id, func(cur *saldo.NewPartner) {
		for _, name := range given {
			setPartnerFlag(name, cur, &n)
		}
	})
	if saldo.ErrorCode(err) == saldo.ENOTFOUND {
		return fmt.Errorf("ecommerce update: no partner with id %d", id)
	}
	if err != nil {
		return fmt.Errorf("ecommerce update: %w", err)
	}
	return json.NewEncoder(env.Stdout).Encode(newPartnerJSON(e, ""))
}

// ecommerceList prints every partner, one JSON line each. It only reads: it never migrates,
// and refuses a database whose schema is behind the binary's.
func ecommerceList(ctx context.Context, env Env, args []string) error {
	cfg, err := parse(env, "ecommerce list", args, false, nil)
	if err != nil {
		return err
	}
	store, err := cfg.openCurrent(ctx, "ecommerce list")
	if err != nil {
		return err
	}
	defer store.Close()
	list, err := saldo.NewService(store, saldo.SystemClock{}).Partners(ctx)
	if err != nil {
		return err
	}
	out := json.NewEncoder(env.Stdout)
	for _, e := range list {
		if err := out.Encode(newPartnerJSON(e, "")); err != nil {
			return err
		}
	}
	return nil
}

// ecommerceRotateToken issues a partner a new token and prints it. It writes, so it migrates
// the database first, as serve does.
func ecommerceRotateToken(ctx context.Context, env Env, args []string) error {
	var id int64
	cfg, err := parse(env, "ecommerce rotate-token", args, false, func(fs *flag.FlagSet) {
		fs.Int64Var(&id, "id", 0, "partner id (required)")
	})
	if err != nil {
		return err
	}
	if id <= 0 {
		return errors.New("ecommerce rotate-token: --id is required")
	}
	store, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	token, err := saldo.NewService(store, saldo.SystemClock{}).RotatePartnerToken(ctx, id)
	if saldo.ErrorCode(err) == saldo.ENOTFOUND {
		return fmt.Errorf("ecommerce rotate-token: no partner with id %d", id)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(env.Stdout).Encode(map[string]any{"id": id, "token": token})
}

// version is the module version and VCS revision the binary was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "saldo (unknown version)"
	}
	v := "saldo " + info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += " (modified)"
			}
		}
	}
	return v
}
