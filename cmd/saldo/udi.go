package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/saldo-mx/saldo"
)

// placeholderUDIMicros is the UDI value serve stores on a new embedded database so that the
// API can be tried at once: near the UDI's value in 2025, and no real one.
const placeholderUDIMicros = 8_600_000

// seedPlaceholderUDI stores a placeholder UDI value for today in Mexico City, when none is
// known. serve calls it on the embedded default only, with the sandbox partner: never on
// PostgreSQL, where the real values must be loaded.
func seedPlaceholderUDI(ctx context.Context, svc *saldo.Service, log *slog.Logger) error {
	if _, err := svc.LatestUDIValue(ctx); saldo.ErrorCode(err) != saldo.ENOTFOUND {
		return err
	}
	day := time.Now().In(saldo.MexicoCity).Format(time.DateOnly)
	if err := svc.SetUDIValues(ctx, []saldo.UDIValue{{Day: day, Micros: placeholderUDIMicros}}); err != nil {
		return err
	}
	log.Warn("stored a placeholder UDI value, for trying the API only: the KYC limits are in UDIs; "+
		"load the real values with saldo udi import FILE", "day", day, "value", saldo.FormatUDIValue(placeholderUDIMicros))
	return nil
}

// warnStaleUDI logs a warning, once, when the newest UDI value is older than
// saldo.StaleUDIAge or none is known: credits at limited KYC levels then use an old value, or
// are refused.
func warnStaleUDI(ctx context.Context, svc *saldo.Service, log *slog.Logger) error {
	days, known, err := svc.UDIStaleness(ctx)
	switch {
	case err != nil:
		return err
	case !known:
		log.Warn("no UDI value is known: credits to wallets at KYC levels with limits are refused until " +
			"saldo udi import FILE loads the values")
	case time.Duration(days)*24*time.Hour > saldo.StaleUDIAge:
		log.Warn("the newest UDI value is stale: KYC limits are converted at it; load the new values with saldo udi import FILE",
			"days_old", days)
	}
	return nil
}

func udiCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, udiUsage)
		return errors.New("udi: no command given: want set or import")
	}
	sub, args := args[0], args[1:]
	switch {
	case sub == "set":
		return udiSet(ctx, env, args)
	case sub == "import":
		return udiImport(ctx, env, args)
	case isHelp(sub):
		return help(ctx, env, args, udiUsage, udiCmd)
	}
	return fmt.Errorf("udi: unknown command %q: want set or import; run 'saldo udi --help'", sub)
}

// udiSet stores one day's UDI value. It writes, so it migrates the database first.
func udiSet(ctx context.Context, env Env, args []string) error {
	var date, value string
	cfg, err := parse(env, "udi set", args, false, func(fs *flag.FlagSet) {
		fs.StringVar(&date, "date", "", "day of the value, YYYY-MM-DD (or DD/MM/YYYY) (required)")
		fs.StringVar(&value, "value", "", "UDI value in pesos, up to 6 decimals, such as 8.245227 (required)")
	})
	if err != nil {
		return err
	}
	if date == "" || value == "" {
		return errors.New("udi set: --date and --value are required")
	}
	day, ok := saldo.ParseUDIDay(date)
	if !ok {
		return fmt.Errorf("udi set: --date %q: want YYYY-MM-DD", date)
	}
	micros, ok := saldo.ParseUDIValue(value)
	if !ok {
		return fmt.Errorf("udi set: --value %q: want pesos with up to 6 decimals, such as 8.245227", value)
	}
	store, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := saldo.NewService(store, saldo.SystemClock{}).SetUDIValues(ctx, []saldo.UDIValue{{Day: day, Micros: micros}}); err != nil {
		return fmt.Errorf("udi set: %w", err)
	}
	fmt.Fprintf(env.Stdout, "stored the UDI value of %s: %s\n", day, saldo.FormatUDIValue(micros))
	return nil
}

// udiImport stores the UDI values of a CSV file as Banco de México publishes them, all in one
// transaction: a file with a malformed row stores nothing. It writes, so it migrates the
// database first.
func udiImport(ctx context.Context, env Env, args []string) error {
	cfg, files, err := parseArgs(env, "udi import", args, false, nil, 1)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("udi import: no file given: saldo udi import FILE")
	}
	f, err := os.Open(files[0])
	if err != nil {
		return fmt.Errorf("udi import: %w", err)
	}
	defer f.Close()
	values, err := saldo.ReadUDICSV(f)
	if err != nil {
		return fmt.Errorf("udi import: %s: %w", files[0], err)
	}
	if len(values) == 0 {
		return fmt.Errorf("udi import: %s: no values, only days without one (N/E)", files[0])
	}
	store, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := saldo.NewService(store, saldo.SystemClock{}).SetUDIValues(ctx, values); err != nil {
		return fmt.Errorf("udi import: %w", err)
	}
	first := slices.MinFunc(values, func(a, b saldo.UDIValue) int { return cmp.Compare(a.Day, b.Day) })
	last := slices.MaxFunc(values, func(a, b saldo.UDIValue) int { return cmp.Compare(a.Day, b.Day) })
	fmt.Fprintf(env.Stdout, "stored %d UDI values, from %s (%s) to %s (%s)\n", len(values),
		first.Day, saldo.FormatUDIValue(first.Micros), last.Day, saldo.FormatUDIValue(last.Micros))
	return nil
}
