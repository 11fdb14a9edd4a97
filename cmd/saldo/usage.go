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
  saldo ecommerce update --id N [--clabe-prefix P] [...]     change some of a partner's settings
  saldo ecommerce list                                       list the partners (never migrates)
  saldo ecommerce rotate-token --id N                        issue a partner a new token
  saldo ledger verify                                        check the ledger sums up (never migrates)
  saldo udi set --date YYYY-MM-DD --value 8.512345           store one day's UDI value
  saldo udi import FILE                                      store the UDI values of a Banxico CSV file
  saldo kyc-levels list                                      print the KYC levels' limits (never migrates)
  saldo kyc-levels set --level N [--monthly-deposit-limit UDIS|none] [--balance-cap UDIS|none]
                                                             change a KYC level's limits
  saldo webhooks list|get|attempts --ecommerce-id N [...]    read a partner's webhook endpoints (never migrates)
  saldo webhooks create|update|delete|rotate-secret|test|redeliver --ecommerce-id N [...]
                                                             change them, as /webhooks/v1 does
  saldo billing run [--date YYYY-MM-DD]                      do the scheduled work of credit now (migrates first)
  saldo version                                              print the version (also --version)
  saldo help [COMMAND]                                       print this, or a command's flags

Run 'saldo COMMAND --help' for a command's flags. The settings can also come from the
environment: SALDO_ADDR, SALDO_DATABASE_URL, SALDO_SECRET_KEY or SALDO_SECRET_KEY_FILE,
SALDO_RETIRED_SECRET_KEYS or SALDO_RETIRED_SECRET_KEYS_FILE, SALDO_LOG_FORMAT,
SALDO_LOG_LEVEL, SALDO_RATE_LIMIT, SALDO_RATE_BURST, SALDO_SHUTDOWN_TIMEOUT, SALDO_DEBUG_ADDR,
SALDO_WEBHOOKS_ALLOW_INSECURE, SALDO_WEBHOOKS_LEASE, SALDO_WEBHOOKS_WORKERS and
SALDO_BILLING_INTERVAL; flags win.
`

const ecommerceUsage = `saldo ecommerce administers the e-commerce partners.

Usage:
  saldo ecommerce create --name N [flags]    register a partner; prints it with its token, once
  saldo ecommerce update --id N [flags]      change the settings given, keep the others and the token
  saldo ecommerce list                       print the partners, one JSON line each, no tokens
  saldo ecommerce rotate-token --id N        issue a partner a new token; the old one stops at once

Run 'saldo ecommerce COMMAND --help' for a command's flags.
`

const ledgerUsage = `saldo ledger checks the ledger.

Usage:
  saldo ledger verify    recompute every balance from its entries and check that every
                         transaction sums to zero; exit 1 on any mismatch

Run 'saldo ledger verify --help' for its flags.
`

const udiUsage = `saldo udi loads the UDI values the KYC limits are converted at.

Usage:
  saldo udi set --date YYYY-MM-DD --value 8.512345    store one day's value
  saldo udi import FILE                               store the values of a CSV file of date
                                                      and value, as Banco de México publishes
                                                      them (SIE series SP68257)

Run 'saldo udi COMMAND --help' for a command's flags.
`

const webhooksUsage = `saldo webhooks administers a partner's webhook endpoints, as /webhooks/v1 does.

Usage:
  saldo webhooks list --ecommerce-id N                   print the endpoints, without secrets
  saldo webhooks get --ecommerce-id N --id N             print one endpoint, without its secret
  saldo webhooks create --ecommerce-id N --url U --events T[,T…] [--description D]
                                                         register an endpoint; prints its secret, once
  saldo webhooks update --ecommerce-id N --id N [--url U] [--events T,…] [--description D] [--enabled true|false]
                                                         change the fields given, keep the others
  saldo webhooks delete --ecommerce-id N --id N          delete an endpoint; its pending deliveries fail
  saldo webhooks rotate-secret --ecommerce-id N --id N   issue a new secret, printed once; the old one
                                                         signs beside it for 24 hours
  saldo webhooks test --ecommerce-id N --id N            queue a webhook.test delivery to the endpoint
  saldo webhooks attempts --ecommerce-id N --id N [--limit 20] [--cursor C]
                                                         print its delivery attempts, newest first
  saldo webhooks redeliver --ecommerce-id N --event-id N queue an event again to the endpoints that want it

Each prints one JSON object. The reads (list, get, attempts) never migrate; the others
migrate the database first, and seal secrets under the server secret key. URLs must be
public https:// here, on any database; on the embedded sandbox, register a local http://
receiver through the API, which serve's --webhooks-allow-insecure governs.
Run 'saldo webhooks COMMAND --help' for a command's flags.
`

const billingUsage = `saldo billing does the scheduled work of credit, which serve also does every
--billing-interval.

Usage:
  saldo billing run [--date YYYY-MM-DD]    release the expired holds, close the periods due into
                                           statements, mark overdue the parents whose minimum
                                           is unpaid, purge expired idempotency keys; prints
                                           the counts as one JSON object

Run 'saldo billing run --help' for its flags.
`

const kycLevelsUsage = `saldo kyc-levels administers the KYC levels' limits, in UDIs.

Usage:
  saldo kyc-levels list                                 print each level's monthly deposit limit
                                                        and balance cap ("none": no limit)
  saldo kyc-levels set --level N [--monthly-deposit-limit UDIS|none] [--balance-cap UDIS|none]
                                                        change a level's limits; a limit not
                                                        given keeps its value

Run 'saldo kyc-levels COMMAND --help' for a command's flags.
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
	"ecommerce update": `Usage: saldo ecommerce update --id N [flags]

Changes the partner's settings that the flags give and keeps the others, and its token.
Prints the partner as one JSON object, without a token. Migrates the database first.`,
	"ledger verify": `Usage: saldo ledger verify [--database-url URL]

Recomputes every balance from its ledger entries and checks that every transaction's entries
sum to zero and that the customer balances and the system accounts sum to zero together, in
one read-only transaction. Prints the totals and every fault found (at most 100 of each
kind), and exits 1 when there is one. Only reads: on a database whose schema is behind this
binary's it says so and exits 1, and never migrates.`,
	"udi set": `Usage: saldo udi set --date YYYY-MM-DD --value 8.512345 [--database-url URL]

Stores the UDI's value in pesos on a day (up to 6 decimals, read exactly), replacing any
value of that day. Migrates the database first.`,
	"udi import": `Usage: saldo udi import FILE [--database-url URL]

Stores the UDI values of FILE, a CSV file of date and value as Banco de México and the
Diario Oficial publish them (SIE series SP68257): the title and header lines before the first
row that starts with a date are skipped; dates are DD/MM/YYYY or YYYY-MM-DD; values have up
to 6 decimals; fields may be quoted. Days without a value (N/E) are skipped. A malformed row
after the first dated one is an error naming its line, and then nothing is stored. Values
of days already stored are replaced. Prints how many values it stored and their days.
Migrates the database first.`,
	"kyc-levels list": `Usage: saldo kyc-levels list [--database-url URL]

Prints each KYC level's monthly deposit limit and balance cap in UDIs ("none" for no limit),
and the newest UDI value. Only reads: on a database whose schema is behind this binary's it
says so and exits 1, and never migrates.`,
	"kyc-levels set": `Usage: saldo kyc-levels set --level N [--monthly-deposit-limit UDIS|none] [--balance-cap UDIS|none]

Changes a level's limits, in whole UDIs or none for no limit; a limit not given keeps its
value. Prints the level. Migrates the database first.`,
	"webhooks list": `Usage: saldo webhooks list --ecommerce-id N [--database-url URL]

Prints the partner's webhook endpoints, oldest first, as {"endpoints": […]}, without their
secrets. Only reads: never migrates.`,
	"webhooks get": `Usage: saldo webhooks get --ecommerce-id N --id N [--database-url URL]

Prints one endpoint as a JSON object, without its secret. Only reads: never migrates.`,
	"webhooks attempts": `Usage: saldo webhooks attempts --ecommerce-id N --id N [--limit 20] [--cursor C]

Prints the endpoint's delivery attempts, newest first, with next_cursor (null on the last
page; pass it as --cursor for the next). Only reads: never migrates.`,
	"webhooks create": `Usage: saldo webhooks create --ecommerce-id N --url U --events T[,T…] [--description D]

Registers an endpoint under the rules of POST /webhooks/v1/endpoints (https, public
addresses only, known event types or *) and prints it with its signing secret, shown this
once. Migrates the database first; the secret is sealed under the server secret key.`,
	"webhooks update": `Usage: saldo webhooks update --ecommerce-id N --id N [flags]

Changes the fields the flags give and keeps the others; --enabled true enables the endpoint
and forgets its failures. Prints it, without its secret. Migrates the database first.`,
	"webhooks delete": `Usage: saldo webhooks delete --ecommerce-id N --id N

Deletes the endpoint; its pending deliveries fail. Prints {"deleted": N}. Migrates the
database first.`,
	"webhooks rotate-secret": `Usage: saldo webhooks rotate-secret --ecommerce-id N --id N

Gives the endpoint a new signing secret and prints it, once; the old one keeps signing
beside it for 24 hours. Migrates the database first.`,
	"webhooks test": `Usage: saldo webhooks test --ecommerce-id N --id N

Records a webhook.test event and queues its delivery to this endpoint alone; prints the
delivery. Migrates the database first.`,
	"webhooks redeliver": `Usage: saldo webhooks redeliver --ecommerce-id N --event-id N

Queues the partner's event again to every enabled endpoint that wants it; prints the
deliveries queued. Migrates the database first.`,
	"billing run": `Usage: saldo billing run [--date YYYY-MM-DD] [--database-url URL]

Does the scheduled work of credit due at 00:00 Mexico City of --date (today or earlier), or
now without it, once: releases the authorizations whose hold ran out, closes each parent's
periods whose cut-off has come into statements, marks overdue the parents whose minimum was
not paid by its due date, and deletes expired idempotency keys. Prints the counts as
{"holds_expired", "statements", "overdue", "idempotency_purged"}. Work done already, by serve
or an earlier run, is not done again, so it is safe beside running servers.
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
