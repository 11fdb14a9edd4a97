package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/saldo-mx/saldo"
)

const operatorUsage = `saldo operator administers the people who use the web console (/console/).

Usage:
  saldo operator create --email E --role admin|viewer   create an operator; prints its password, once
  saldo operator list                                   print the operators, one JSON line each
  saldo operator disable --email E                      stop an operator logging in; ends its sessions
  saldo operator reset-password --email E               issue a new password, once; lifts a lockout, ends its sessions

The console is off until an operator exists. Run 'saldo operator COMMAND --help' for a command's flags.
`

func operatorCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, operatorUsage)
		return errors.New("operator: no command given: want create, list, disable or reset-password")
	}
	sub, args := args[0], args[1:]
	switch {
	case sub == "create":
		return operatorCreate(ctx, env, args)
	case sub == "list":
		return operatorList(ctx, env, args)
	case sub == "disable":
		return operatorDisable(ctx, env, args)
	case sub == "reset-password":
		return operatorResetPassword(ctx, env, args)
	case isHelp(sub):
		return help(ctx, env, args, operatorUsage, operatorCmd)
	}
	return fmt.Errorf("operator: unknown command %q: want create, list, disable or reset-password; run 'saldo operator --help'", sub)
}

// operatorJSON is how the CLI prints an operator; the password only when just issued.
type operatorJSON struct {
	ID          int64      `json:"id"`
	Email       string     `json:"email"`
	Role        string     `json:"role"`
	Disabled    bool       `json:"disabled"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	Password    string     `json:"password,omitempty"`
}

func newOperatorJSON(o *saldo.Operator, password string) operatorJSON {
	j := operatorJSON{ID: o.ID, Email: o.Email, Role: o.Role, Disabled: o.Disabled(), CreatedAt: o.CreatedAt, Password: password}
	if o.LockedUntil.After(time.Now()) {
		j.LockedUntil = &o.LockedUntil
	}
	return j
}

// operatorService opens the database (migrating it: these commands write) and returns the
// service and a function that closes it.
func operatorService(ctx context.Context, cfg *Config) (*saldo.Service, func(), error) {
	store, err := cfg.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	return saldo.NewService(store, saldo.SystemClock{}), func() { store.Close() }, nil
}

func operatorCreate(ctx context.Context, env Env, args []string) error {
	var email, role string
	cfg, err := parse(env, "operator create", args, false, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the operator's email, which it logs in with (required)")
		fs.StringVar(&role, "role", "", "admin (may act) or viewer (only looks; sees personal data masked) (required)")
	})
	if err != nil {
		return err
	}
	if email == "" || role == "" {
		return errors.New("operator create: --email and --role are required")
	}
	svc, done, err := operatorService(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	o, password, err := svc.NewOperator(ctx, email, role)
	if err != nil {
		return fmt.Errorf("operator create: %w", err)
	}
	return json.NewEncoder(env.Stdout).Encode(newOperatorJSON(o, password))
}

// operatorList only reads: it never migrates.
func operatorList(ctx context.Context, env Env, args []string) error {
	cfg, err := parse(env, "operator list", args, false, nil)
	if err != nil {
		return err
	}
	store, err := cfg.openCurrent(ctx, "operator list")
	if err != nil {
		return err
	}
	defer store.Close()
	list, err := saldo.NewService(store, saldo.SystemClock{}).Operators(ctx)
	if err != nil {
		return err
	}
	out := json.NewEncoder(env.Stdout)
	for i := range list {
		if err := out.Encode(newOperatorJSON(&list[i], "")); err != nil {
			return err
		}
	}
	return nil
}

// emailFlag parses a command whose one flag is --email.
func emailFlag(env Env, name string, args []string) (*Config, string, error) {
	var email string
	cfg, err := parse(env, name, args, false, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the operator's email (required)")
	})
	if err == nil && email == "" {
		err = fmt.Errorf("%s: --email is required", name)
	}
	return cfg, email, err
}

func operatorDisable(ctx context.Context, env Env, args []string) error {
	cfg, email, err := emailFlag(env, "operator disable", args)
	if err != nil {
		return err
	}
	svc, done, err := operatorService(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	o, err := svc.DisableOperator(ctx, email)
	if err != nil {
		return fmt.Errorf("operator disable: %w", err)
	}
	return json.NewEncoder(env.Stdout).Encode(newOperatorJSON(o, ""))
}

func operatorResetPassword(ctx context.Context, env Env, args []string) error {
	cfg, email, err := emailFlag(env, "operator reset-password", args)
	if err != nil {
		return err
	}
	svc, done, err := operatorService(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	o, password, err := svc.ResetOperatorPassword(ctx, email)
	if err != nil {
		return fmt.Errorf("operator reset-password: %w", err)
	}
	return json.NewEncoder(env.Stdout).Encode(newOperatorJSON(o, password))
}
