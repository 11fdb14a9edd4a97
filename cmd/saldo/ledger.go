package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/saldo-mx/saldo"
)

func ledgerCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, ledgerUsage)
		return errors.New("ledger: no command given: want verify")
	}
	sub, args := args[0], args[1:]
	switch {
	case sub == "verify":
		return ledgerVerify(ctx, env, args)
	case isHelp(sub):
		return help(ctx, env, args, ledgerUsage, ledgerCmd)
	}
	return fmt.Errorf("ledger: unknown command %q: want verify; run 'saldo ledger --help'", sub)
}

// ledgerVerify prints what Service.VerifyLedger found and fails when the ledger is not
// sound. It only reads: it never migrates, and refuses a database whose schema is behind.
func ledgerVerify(ctx context.Context, env Env, args []string) error {
	cfg, err := parse(env, "ledger verify", args, false, nil)
	if err != nil {
		return err
	}
	store, err := cfg.openCurrent(ctx, "ledger verify")
	if err != nil {
		return err
	}
	defer store.Close()
	r, err := saldo.NewService(store, saldo.SystemClock{}).VerifyLedger(ctx)
	if err != nil {
		return fmt.Errorf("ledger verify: %w", err)
	}
	t := r.Totals
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "transactions\t%d\n", t.Transactions)
	fmt.Fprintf(w, "entries\t%d\n", t.Entries)
	fmt.Fprintf(w, "balances\t%d\n", t.Balances)
	fmt.Fprintf(w, "Σ balances\t%s\n", pesos(t.InBalances))
	fmt.Fprintf(w, "Σ system accounts\t%s\n", pesos(t.InSystemAccounts))
	fmt.Fprintf(w, "Σ balances + Σ system accounts\t%s\n", pesos(t.InBalances+t.InSystemAccounts))
	w.Flush()
	for _, u := range r.Unbalanced {
		fmt.Fprintf(env.Stdout, "unbalanced transaction %d: %d entries summing to %s\n", u.ID, u.Entries, pesos(u.Sum))
	}
	for _, m := range r.Mismatched {
		fmt.Fprintf(env.Stdout, "mismatched balance %d (%s): amount %s, held %s, Σ its entries %s\n",
			m.ID, m.Kind, pesos(m.Amount), pesos(m.Held), pesos(m.Computed))
	}
	if r.OK() {
		fmt.Fprintln(env.Stdout, "ledger OK")
		return nil
	}
	var faults []string
	if n := len(r.Unbalanced); n > 0 {
		faults = append(faults, count(n, "unbalanced transaction"))
	}
	if n := len(r.Mismatched); n > 0 {
		faults = append(faults, count(n, "mismatched balance"))
	}
	if t.InBalances+t.InSystemAccounts != 0 {
		faults = append(faults, "Σ balances + Σ system accounts is "+pesos(t.InBalances+t.InSystemAccounts)+", not 0")
	}
	fmt.Fprintln(env.Stdout, "ledger NOT OK")
	return fmt.Errorf("ledger verify: the ledger is not sound: %s", strings.Join(faults, "; "))
}

// count is n things, and "or more" at the report's limit, past which VerifyLedger lists none.
func count(n int, thing string) string {
	s := strconv.Itoa(n) + " " + thing
	if n != 1 {
		s += "s"
	}
	if n >= 100 {
		s += " (the first 100 listed; there may be more)"
	}
	return s
}

// pesos writes cents as pesos with two decimals and the cents in parentheses: -12.34 (-1234).
func pesos(cents int64) string {
	sign, abs := "", uint64(cents)
	if cents < 0 {
		sign, abs = "-", uint64(-cents)
	}
	return fmt.Sprintf("%s%d.%02d (%d cents)", sign, abs/100, abs%100, cents)
}

func kycLevelsCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, kycLevelsUsage)
		return errors.New("kyc-levels: no command given: want list or set")
	}
	sub, args := args[0], args[1:]
	switch {
	case sub == "list":
		return kycLevelsList(ctx, env, args)
	case sub == "set":
		return kycLevelsSet(ctx, env, args)
	case isHelp(sub):
		return help(ctx, env, args, kycLevelsUsage, kycLevelsCmd)
	}
	return fmt.Errorf("kyc-levels: unknown command %q: want list or set; run 'saldo kyc-levels --help'", sub)
}

// kycLevelsList prints the levels' limits in UDIs and the newest UDI value. It only reads.
func kycLevelsList(ctx context.Context, env Env, args []string) error {
	cfg, err := parse(env, "kyc-levels list", args, false, nil)
	if err != nil {
		return err
	}
	store, err := cfg.openCurrent(ctx, "kyc-levels list")
	if err != nil {
		return err
	}
	defer store.Close()
	svc := saldo.NewService(store, saldo.SystemClock{})
	levels, err := svc.KYCLevels(ctx)
	if err != nil {
		return fmt.Errorf("kyc-levels list: %w", err)
	}
	printLevels(env, levels...)
	latest, err := svc.LatestUDIValue(ctx)
	switch {
	case saldo.ErrorCode(err) == saldo.ENOTFOUND:
		fmt.Fprintln(env.Stdout, "\nno UDI value is known: load them with saldo udi import FILE")
	case err != nil:
		return fmt.Errorf("kyc-levels list: %w", err)
	default:
		fmt.Fprintf(env.Stdout, "\nnewest UDI value: %s on %s\n", saldo.FormatUDIValue(latest.Micros), latest.Day)
	}
	return nil
}

func printLevels(env Env, levels ...saldo.KYCLevel) {
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "level\tmonthly deposit limit (UDIs)\tbalance cap (UDIs)")
	for _, l := range levels {
		fmt.Fprintf(w, "%d\t%s\t%s\n", l.Level, udis(l.MonthlyDepositLimit), udis(l.BalanceCap))
	}
	w.Flush()
}

// udis writes a limit in UDIs, or none.
func udis(v *int64) string {
	if v == nil {
		return "none"
	}
	return strconv.FormatInt(*v, 10)
}

// limitFlag is a limit in whole UDIs, or none; set tells whether the flag was given.
type limitFlag struct {
	v   *int64
	set bool
}

func (f *limitFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return udis(f.v)
}

func (f *limitFlag) Set(s string) error {
	f.set = true
	if s == "none" {
		f.v = nil
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return errors.New("want whole UDIs, such as 3000, or none")
	}
	f.v = &n
	return nil
}

// kycLevelsSet changes a level's limits that its flags give and keeps the other. It writes,
// so it migrates the database first.
func kycLevelsSet(ctx context.Context, env Env, args []string) error {
	var (
		level             int
		monthly, capLimit limitFlag
	)
	cfg, err := parse(env, "kyc-levels set", args, false, func(fs *flag.FlagSet) {
		fs.IntVar(&level, "level", 0, "KYC level, 1-4 (required)")
		fs.Var(&monthly, "monthly-deposit-limit", "what a wallet may be credited in a calendar month, in UDIs, or none")
		fs.Var(&capLimit, "balance-cap", "the most a wallet may hold, in UDIs, or none")
	})
	if err != nil {
		return err
	}
	if level == 0 {
		return errors.New("kyc-levels set: --level is required")
	}
	if !monthly.set && !capLimit.set {
		return errors.New("kyc-levels set: give --monthly-deposit-limit, --balance-cap or both")
	}
	store, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := saldo.NewService(store, saldo.SystemClock{})
	l, err := svc.SetKYCLevel(ctx, level, func(l *saldo.KYCLevel) {
		if monthly.set {
			l.MonthlyDepositLimit = monthly.v
		}
		if capLimit.set {
			l.BalanceCap = capLimit.v
		}
	})
	if saldo.ErrorCode(err) == saldo.ENOTFOUND {
		return fmt.Errorf("kyc-levels set: no level %d", level)
	}
	if err != nil {
		return fmt.Errorf("kyc-levels set: %w", err)
	}
	printLevels(env, l)
	return nil
}
