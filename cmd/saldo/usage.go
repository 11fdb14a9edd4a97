package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/saldo-mx/saldo/internal/cliflag"
)

const usage = `saldo onboards fintech customers for e-commerce partners.

Usage:
  saldo serve [--addr 127.0.0.1:8080] [--database-url URL]   run the API (migrates first)
  saldo migrate [--database-url URL]                         apply pending migrations
  saldo ecommerce create --name N [--composite-balances] [--max-credit-line C] [--strict-rfc]
                                                             register a partner (migrates first)
  saldo ecommerce list                                       list the partners (never migrates)
  saldo ecommerce rotate-token --id N                        issue a partner a new token
  saldo version                                              print the version (also --version)
  saldo help [COMMAND]                                       print this, or a command's flags

Run 'saldo COMMAND --help' for a command's flags. The settings can also come from the
environment: SALDO_ADDR, SALDO_DATABASE_URL, SALDO_SECRET_KEY or SALDO_SECRET_KEY_FILE,
SALDO_RETIRED_SECRET_KEYS or SALDO_RETIRED_SECRET_KEYS_FILE, SALDO_LOG_FORMAT,
SALDO_LOG_LEVEL, SALDO_RATE_LIMIT, SALDO_RATE_BURST and SALDO_SHUTDOWN_TIMEOUT; flags win.
`

const ecommerceUsage = `saldo ecommerce administers the e-commerce partners.

Usage:
  saldo ecommerce create --name N [flags]    register a partner; prints it with its token, once
  saldo ecommerce list                       print the partners, one JSON line each, no tokens
  saldo ecommerce rotate-token --id N        issue a partner a new token; the old one stops at once

Run 'saldo ecommerce COMMAND --help' for a command's flags.
`

// commandUsage is what a command's --help prints above its flags.
var commandUsage = map[string]string{
	"serve": `Usage: saldo serve [flags]

Applies pending migrations, then serves the API until SIGTERM or SIGINT.`,
	"migrate": `Usage: saldo migrate [--database-url URL]

Applies pending migrations, prints "schema is up to date" and exits.`,
	"ecommerce create": `Usage: saldo ecommerce create --name N [flags]

Registers a partner and prints it as one JSON object with its token, shown this once.
Migrates the database first.`,
	"ecommerce list": `Usage: saldo ecommerce list [--database-url URL]

Prints every partner as one JSON object a line, without tokens. Only reads: on a database
whose schema is behind this binary's it says so and exits 1, and never migrates.`,
	"ecommerce rotate-token": `Usage: saldo ecommerce rotate-token --id N [--database-url URL]

Issues the partner a new token and prints {"id":N,"token":"ek_…"}; the old token stops
working at once. Migrates the database first.`,
}

// isHelp tells whether an argument asks for help.
func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "--help" || arg == "-help"
}

// help prints a group's usage on stdout, or with a command after it (saldo help ecommerce
// create, saldo ecommerce help create) runs that command of the group with --help.
func help(ctx context.Context, env Env, args []string, usage string, group func(context.Context, Env, []string) error) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(env.Stdout, usage)
		return flag.ErrHelp
	}
	return group(ctx, env, append(slices.Clip(args), "--help"))
}

func versionCmd(env Env, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(env.Stdout, "Usage: saldo version\n\nPrints the module version and the VCS revision the binary was built from.")
		return flag.ErrHelp
	}
	if len(args) > 0 {
		return fmt.Errorf("version: unexpected argument %q", args[0])
	}
	fmt.Fprintln(env.Stdout, version())
	return nil
}

// printCommandUsage prints a command's usage and its flags, written with two dashes.
func printCommandUsage(w io.Writer, name string, fs *flag.FlagSet) {
	// The default shown may come from SALDO_DATABASE_URL: never its password.
	if f := fs.Lookup("database-url"); f != nil {
		f.DefValue = redactURL(f.DefValue)
	}
	fmt.Fprintf(w, "%s\n\nFlags:\n%s", commandUsage[name], cliflag.Defaults(fs))
}
