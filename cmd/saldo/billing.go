package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/saldo-mx/saldo"
)

// DefaultBillingInterval is how often serve runs the scheduled work of credit.
const DefaultBillingInterval = time.Minute

// billingMetrics count what this process's billing runs did. Summed over the replicas they
// are the work done, each piece once.
type billingMetrics struct {
	runs, failures                            prometheus.Counter
	holdsExpired, statements, overdue, purged prometheus.Counter
}

func newBillingMetrics(reg prometheus.Registerer) *billingMetrics {
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		reg.MustRegister(c)
		return c
	}
	return &billingMetrics{
		runs:         counter("saldo_billing_runs_total", "Runs of the scheduled work of credit."),
		failures:     counter("saldo_billing_run_failures_total", "Runs of the scheduled work of credit that stopped at an error."),
		holdsExpired: counter("saldo_billing_holds_expired_total", "Authorizations released because their hold ran out."),
		statements:   counter("saldo_billing_statements_total", "Statements written at a cut-off."),
		overdue:      counter("saldo_billing_overdue_total", "Parents made overdue for a minimum not paid by its due date."),
		purged:       counter("saldo_billing_idempotency_keys_purged_total", "Expired idempotency keys deleted."),
	}
}

func (m *billingMetrics) add(r saldo.BillingReport, err error) {
	m.runs.Inc()
	if err != nil {
		m.failures.Inc()
	}
	m.holdsExpired.Add(float64(r.HoldsExpired))
	m.statements.Add(float64(r.Statements))
	m.overdue.Add(float64(r.Overdue))
	m.purged.Add(float64(r.IdempotencyPurged))
}

// runBilling runs the scheduled work at once and then every interval until ctx ends. Every
// replica runs it: each piece of work is claimed in the database, so it is done once.
func runBilling(ctx context.Context, svc *saldo.Service, interval time.Duration, log *slog.Logger, m *billingMetrics) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		billingOnce(ctx, svc, log, m)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// billingOnce runs the work due now and logs one line when it did some or failed: counts
// only, never an id or a name.
func billingOnce(ctx context.Context, svc *saldo.Service, log *slog.Logger, m *billingMetrics) {
	started := time.Now()
	r, err := svc.BillingRun(ctx, started)
	if ctx.Err() != nil {
		err = nil // shutting down is no failure: the next start does what this run left
	}
	m.add(r, err)
	attrs := []any{"holds_expired", r.HoldsExpired, "statements", r.Statements, "overdue", r.Overdue,
		"idempotency_purged", r.IdempotencyPurged, "duration", time.Since(started)}
	switch {
	case err != nil:
		log.Error("billing run failed", append(attrs, "error", err)...)
	case r != saldo.BillingReport{}:
		log.Info("billing run", attrs...)
	}
}

func billingCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, billingUsage)
		return errors.New("billing: no command given: want run")
	}
	sub, args := args[0], args[1:]
	switch {
	case sub == "run":
		return billingRun(ctx, env, args)
	case isHelp(sub):
		return help(ctx, env, args, billingUsage, billingCmd)
	}
	return fmt.Errorf("billing: unknown command %q: want run; run 'saldo billing --help'", sub)
}

// billingReportJSON is how billing run prints what it did.
type billingReportJSON struct {
	HoldsExpired      int   `json:"holds_expired"`
	Statements        int   `json:"statements"`
	Overdue           int   `json:"overdue"`
	IdempotencyPurged int64 `json:"idempotency_purged"`
}

// billingRun does the scheduled work due at 00:00 Mexico City of --date, or now, once. It
// writes, so it migrates the database first.
func billingRun(ctx context.Context, env Env, args []string) error {
	var date string
	cfg, err := parse(env, "billing run", args, false, func(fs *flag.FlagSet) {
		fs.StringVar(&date, "date", "", "do the work due at 00:00 Mexico City of this day, YYYY-MM-DD, today or earlier (default: now)")
	})
	if err != nil {
		return err
	}
	now := time.Now()
	if date != "" {
		at, ok := parseBillingDate(date)
		if !ok {
			return fmt.Errorf("billing run: --date %q: want a day as YYYY-MM-DD", date)
		}
		// A cut-off closed early would leave the rest of its period's charges out of every
		// statement.
		if at.After(now) {
			return fmt.Errorf("billing run: --date %s is in the future in Mexico City: want today or earlier", date)
		}
		now = at
	}
	store, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	r, err := saldo.NewService(store, saldo.SystemClock{}).BillingRun(ctx, now)
	if err != nil {
		return fmt.Errorf("billing run: %w", err)
	}
	return json.NewEncoder(env.Stdout).Encode(billingReportJSON{HoldsExpired: r.HoldsExpired, Statements: r.Statements,
		Overdue: r.Overdue, IdempotencyPurged: r.IdempotencyPurged})
}

// parseBillingDate reads a day written YYYY-MM-DD, and returns its 00:00 in Mexico City.
func parseBillingDate(s string) (time.Time, bool) {
	day, err := time.Parse(time.DateOnly, s)
	if err != nil || day.Format(time.DateOnly) != s {
		return time.Time{}, false
	}
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, saldo.MexicoCity), true
}
