package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/migrate"
	"github.com/saldo-mx/saldo/postgres"
	"github.com/saldo-mx/saldo/sqlite"
	"github.com/saldo-mx/saldo/webhooks"
)

// DefaultDatabaseURL is the embedded default: an SQLite file in the working directory.
const DefaultDatabaseURL = "sqlite:saldo.db"

// DefaultShutdownTimeout is how long serve waits on SIGTERM for in-flight requests.
const DefaultShutdownTimeout = 15 * time.Second

// Config is everything the commands read from flags and the environment, validated once.
type Config struct {
	Addr          string
	DatabaseURL   string
	SecretKeyFile string
	// RetiredSecretKeysFile holds the keys a rotation replaced, one per line: they still open
	// stored answers, and never seal new ones.
	RetiredSecretKeysFile string
	LogFormat             string // text or json
	LogLevel              slog.Level
	RateLimit             float64 // requests a second per partner; 0: no limit
	RateBurst             int     // requests a partner may make at once; 0: twice the rate
	// ShutdownTimeout bounds how long serve waits on SIGTERM for in-flight requests; then it
	// closes the connections left.
	ShutdownTimeout time.Duration
	// DebugAddr, when set, is a listener of its own for Go's profiler (/debug/pprof/), never
	// the API's: for operators on an internal network.
	DebugAddr string
	// WebhooksAllowInsecure allows http:// webhook endpoints and local addresses, for
	// development and tests. Unset, it is on for the embedded SQLite sandbox and off otherwise.
	WebhooksAllowInsecure bool
	webhooksInsecureSet   bool // the operator set it, by flag or environment
	// WebhooksLease is how long a claimed batch or retry is one process's before another may
	// take it up, should that process die.
	WebhooksLease time.Duration
	// WebhooksWorkers is how many webhook attempts a process runs at once.
	WebhooksWorkers int
	// GroupCommitMembers is the most writes a group commit puts in one transaction; 1 turns
	// group commit off.
	GroupCommitMembers int
	// GroupCommitGather is the most a group commit waits after a commit for the writes it
	// answered to come back; 0 does not wait.
	GroupCommitGather time.Duration
	// WebhooksBusyRate is how many webhook attempts a second a process starts while its API
	// is busy (on average as many requests in flight as CPUs); delivery catches up when it is not.
	WebhooksBusyRate float64
	// BillingInterval is how often serve runs the scheduled work of credit: expired holds,
	// cut-offs, overdue parents and the idempotency purge.
	BillingInterval time.Duration
	// ConsoleAddr, when set, is a listener of its own for the web console, which is then not
	// on the API's: for a console reachable only from an internal network.
	ConsoleAddr string
	// ConsoleSecureCookies marks the console's cookies Secure on plain connections too: for a
	// proxy that ends TLS without saying so in X-Forwarded-Proto.
	ConsoleSecureCookies bool

	secretKeyHex string // from SALDO_SECRET_KEY; never a flag, so it stays out of ps
	retiredHex   string // from SALDO_RETIRED_SECRET_KEYS, for the same reason
	serve        bool   // the serve settings were registered
	envErrs      []error
}

// engine tells which storage engine a database URL names.
func (c *Config) engine() string {
	if strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return "postgres"
	}
	return "sqlite"
}

func (c *Config) sqlitePath() string { return strings.TrimPrefix(c.DatabaseURL, "sqlite:") }

// registerFlags adds the flags of the settings a command uses, defaulting to the environment.
func (c *Config) registerFlags(fs *flag.FlagSet, getenv func(string) string, serve bool) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.DatabaseURL, "database-url", env("SALDO_DATABASE_URL", DefaultDatabaseURL),
		"database: sqlite:PATH or postgres://… (env SALDO_DATABASE_URL)")
	c.secretKeyHex = getenv("SALDO_SECRET_KEY")
	c.retiredHex = getenv("SALDO_RETIRED_SECRET_KEYS")
	c.serve = serve
	if serve {
		fs.StringVar(&c.Addr, "addr", env("SALDO_ADDR", "127.0.0.1:8080"), "listen address (env SALDO_ADDR)")
		fs.StringVar(&c.SecretKeyFile, "secret-key-file", getenv("SALDO_SECRET_KEY_FILE"),
			"file holding the 64-hex server secret key (env SALDO_SECRET_KEY_FILE; or SALDO_SECRET_KEY)")
		fs.StringVar(&c.RetiredSecretKeysFile, "retired-secret-keys-file", getenv("SALDO_RETIRED_SECRET_KEYS_FILE"),
			"file holding the secret keys a rotation replaced, one per line, so that answers stored under them still replay (env SALDO_RETIRED_SECRET_KEYS_FILE; or SALDO_RETIRED_SECRET_KEYS, comma-separated)")
		fs.StringVar(&c.LogFormat, "log-format", env("SALDO_LOG_FORMAT", "text"), "log format: text or json (env SALDO_LOG_FORMAT)")
		// A malformed environment value is refused at start, as the same flag would be.
		var level slog.Level
		if err := level.UnmarshalText([]byte(env("SALDO_LOG_LEVEL", "info"))); err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("SALDO_LOG_LEVEL: %w", err))
		}
		fs.TextVar(&c.LogLevel, "log-level", level, "log level: debug, info, warn, error (env SALDO_LOG_LEVEL)")
		rate, err := strconv.ParseFloat(env("SALDO_RATE_LIMIT", "0"), 64)
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("SALDO_RATE_LIMIT: %w", err))
		}
		burst, err := strconv.Atoi(env("SALDO_RATE_BURST", "0"))
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("SALDO_RATE_BURST: %w", err))
		}
		timeout, err := time.ParseDuration(env("SALDO_SHUTDOWN_TIMEOUT", DefaultShutdownTimeout.String()))
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("SALDO_SHUTDOWN_TIMEOUT: %w", err))
		}
		fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", timeout,
			"on SIGTERM, how long in-flight requests may take to finish before their connections are closed (env SALDO_SHUTDOWN_TIMEOUT)")
		fs.StringVar(&c.DebugAddr, "debug-addr", getenv("SALDO_DEBUG_ADDR"),
			"listen address of Go's profiler, /debug/pprof/; off when empty, never on the API's address (env SALDO_DEBUG_ADDR)")
		insecure, err := optionalBool(getenv("SALDO_WEBHOOKS_ALLOW_INSECURE"))
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("SALDO_WEBHOOKS_ALLOW_INSECURE: %w", err))
		}
		c.WebhooksAllowInsecure, c.webhooksInsecureSet = insecure, getenv("SALDO_WEBHOOKS_ALLOW_INSECURE") != ""
		fs.Var(&setBool{&c.WebhooksAllowInsecure, &c.webhooksInsecureSet}, "webhooks-allow-insecure",
			"allow http:// webhook endpoints and loopback, private and link-local addresses, for development and tests; "+
				"on by default for the embedded SQLite sandbox, off otherwise (env SALDO_WEBHOOKS_ALLOW_INSECURE)")
		lease, err := time.ParseDuration(env("SALDO_WEBHOOKS_LEASE", webhooks.DefaultLease.String()))
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("SALDO_WEBHOOKS_LEASE: %w", err))
		}
		fs.DurationVar(&c.WebhooksLease, "webhooks-lease", lease,
			"how long a claimed batch of an endpoint's webhooks, or a claimed retry, is one process's; if it dies, another takes it up after this (env SALDO_WEBHOOKS_LEASE)")
		workers, err := strconv.Atoi(env("SALDO_WEBHOOKS_WORKERS", strconv.Itoa(webhooks.DefaultWorkers)))
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("SALDO_WEBHOOKS_WORKERS: %w", err))
		}
		fs.IntVar(&c.WebhooksWorkers, "webhooks-workers", workers, "webhook attempts a process makes at once (env SALDO_WEBHOOKS_WORKERS)")
		members, err := strconv.Atoi(env("SALDO_GROUP_COMMIT_MEMBERS", strconv.Itoa(saldo.DefaultBatchMembers)))
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("SALDO_GROUP_COMMIT_MEMBERS: %w", err))
		}
		fs.IntVar(&c.GroupCommitMembers, "group-commit-members", members,
			"the most concurrent writes of one kind (account creates, ledger movements, credit-line changes) committed in one transaction; 1 commits each alone (env SALDO_GROUP_COMMIT_MEMBERS)")
		gather, err := time.ParseDuration(env("SALDO_GROUP_COMMIT_GATHER", saldo.DefaultGather.String()))
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("SALDO_GROUP_COMMIT_GATHER: %w", err))
		}
		fs.DurationVar(&c.GroupCommitGather, "group-commit-gather", gather,
			"the most a group commit waits after a commit for the writes it answered to come back, so that they commit together; 0 does not wait (env SALDO_GROUP_COMMIT_GATHER)")
		busyRate, err := strconv.ParseFloat(env("SALDO_WEBHOOKS_BUSY_RATE", strconv.Itoa(webhooks.DefaultBusyRate)), 64)
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("SALDO_WEBHOOKS_BUSY_RATE: %w", err))
		}
		fs.Float64Var(&c.WebhooksBusyRate, "webhooks-busy-rate", busyRate,
			"webhook attempts a second a process starts while its API is busy, so that delivery yields the CPUs to the API and catches up after (env SALDO_WEBHOOKS_BUSY_RATE)")
		interval, err := time.ParseDuration(env("SALDO_BILLING_INTERVAL", DefaultBillingInterval.String()))
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("SALDO_BILLING_INTERVAL: %w", err))
		}
		fs.DurationVar(&c.BillingInterval, "billing-interval", interval,
			"how often to release expired holds, close due periods into statements, mark overdue parents and purge expired idempotency keys; every replica may run it (env SALDO_BILLING_INTERVAL)")
		fs.StringVar(&c.ConsoleAddr, "console-addr", getenv("SALDO_CONSOLE_ADDR"),
			"listen address of the web console; empty: at /console/ on the API's address (env SALDO_CONSOLE_ADDR)")
		secureCookies, err := optionalBool(getenv("SALDO_CONSOLE_SECURE_COOKIES"))
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("SALDO_CONSOLE_SECURE_COOKIES: %w", err))
		}
		fs.BoolVar(&c.ConsoleSecureCookies, "console-secure-cookies", secureCookies,
			"mark the console's cookies Secure even on plain HTTP, behind a proxy that ends TLS; they are on requests over TLS "+
				"or with X-Forwarded-Proto: https anyway (env SALDO_CONSOLE_SECURE_COOKIES)")
		fs.Float64Var(&c.RateLimit, "rate-limit", rate, "requests a second per partner; 0 for no limit (env SALDO_RATE_LIMIT)")
		fs.IntVar(&c.RateBurst, "rate-burst", burst, "requests a partner may make at once; 0 for twice the rate (env SALDO_RATE_BURST)")
	}
}

// validate checks the settings together.
func (c *Config) validate() error {
	if len(c.envErrs) > 0 {
		return errors.Join(c.envErrs...)
	}
	switch {
	case c.engine() == "sqlite" && !strings.HasPrefix(c.DatabaseURL, "sqlite:"):
		return fmt.Errorf("database url %q: want sqlite:PATH or postgres://…", c.DatabaseURL)
	case c.engine() == "sqlite" && c.sqlitePath() == "":
		return errors.New("database url sqlite: needs a file path")
	case c.LogFormat != "" && c.LogFormat != "text" && c.LogFormat != "json":
		return fmt.Errorf("log format %q: want text or json", c.LogFormat)
	case c.secretKeyHex != "" && c.SecretKeyFile != "":
		return errors.New("set SALDO_SECRET_KEY or SALDO_SECRET_KEY_FILE, not both")
	case c.retiredHex != "" && c.RetiredSecretKeysFile != "":
		return errors.New("set SALDO_RETIRED_SECRET_KEYS or SALDO_RETIRED_SECRET_KEYS_FILE, not both")
	case c.RateLimit < 0 || math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) || c.RateBurst < 0:
		return errors.New("rate limit and burst must be zero or positive numbers")
	case c.serve && c.DebugAddr != "" && c.DebugAddr == c.Addr:
		return fmt.Errorf("debug address %s: the profiler needs a listener of its own, not the API's", c.DebugAddr)
	case c.serve && c.ConsoleAddr != "" && (c.ConsoleAddr == c.Addr || c.ConsoleAddr == c.DebugAddr):
		return fmt.Errorf("console address %s: the console needs a listener of its own, not the API's or the profiler's", c.ConsoleAddr)
	case c.serve && c.WebhooksLease < 2*time.Second:
		return fmt.Errorf("webhooks lease %v: want at least 2s (an attempt lasts at most half the lease)", c.WebhooksLease)
	case c.serve && c.WebhooksWorkers < 1:
		return fmt.Errorf("webhooks workers %d: want at least 1", c.WebhooksWorkers)
	case c.serve && (c.GroupCommitMembers < 1 || c.GroupCommitMembers > 64):
		return fmt.Errorf("group commit members %d: want 1 to 64", c.GroupCommitMembers)
	case c.serve && (c.GroupCommitGather < 0 || c.GroupCommitGather > time.Second):
		return fmt.Errorf("group commit gather %v: want 0 to 1s", c.GroupCommitGather)
	case c.serve && !(c.WebhooksBusyRate > 0):
		return fmt.Errorf("webhooks busy rate %v: want a positive number of attempts a second", c.WebhooksBusyRate)
	case c.serve && c.ShutdownTimeout <= 0:
		return fmt.Errorf("shutdown timeout %v: want a positive duration such as 15s", c.ShutdownTimeout)
	case c.serve && c.BillingInterval <= 0:
		return fmt.Errorf("billing interval %v: want a positive duration such as 1m", c.BillingInterval)
	}
	if c.RateBurst == 0 {
		c.RateBurst = max(1, int(math.Ceil(2*c.RateLimit)))
	}
	return nil
}

// webhooksInsecure reports whether webhooks may go to http:// and local addresses, and why:
// the operator's setting, or else on for the embedded SQLite sandbox and off on PostgreSQL.
func (c *Config) webhooksInsecure() (allow bool, why string) {
	switch {
	case c.webhooksInsecureSet:
		return c.WebhooksAllowInsecure, "set by --webhooks-allow-insecure or SALDO_WEBHOOKS_ALLOW_INSECURE"
	case c.engine() == "sqlite":
		return true, "the embedded SQLite sandbox; set --webhooks-allow-insecure=false to refuse them"
	}
	return false, "the default"
}

// setBool is a boolean flag that remembers whether it was given.
type setBool struct{ v, set *bool }

func (b *setBool) String() string {
	if b == nil || b.v == nil {
		return "false"
	}
	return strconv.FormatBool(*b.v)
}

func (b *setBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*b.v, *b.set = v, true
	return nil
}

func (b *setBool) IsBoolFlag() bool { return true }

// optionalBool parses an environment variable's boolean; "" is false.
func optionalBool(s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	return strconv.ParseBool(s)
}

// secretKey returns the 32-byte server secret key. On the embedded default without one, it
// generates one into a file beside the database (mode 0600) and reuses it on later starts; on
// PostgreSQL a missing key is an error, since replicas must share it.
func (c *Config) secretKey() ([32]byte, error) {
	text, err := settingText(c.secretKeyHex, c.SecretKeyFile, "secret key file")
	switch {
	case err != nil:
		return [32]byte{}, err
	case text == "" && c.engine() == "postgres":
		return [32]byte{}, errors.New("no secret key: set SALDO_SECRET_KEY (64 hex) or SALDO_SECRET_KEY_FILE")
	case text == "":
		return generatedKey(c.sqlitePath() + ".key")
	}
	key, ok := parseKey(text)
	if !ok {
		return key, errors.New("secret key: want 64 hexadecimal characters (256 bits)")
	}
	return key, nil
}

// retiredSecretKeys returns the keys a rotation replaced, from SALDO_RETIRED_SECRET_KEYS
// (separated by commas or spaces) or the retired keys file (one per line).
func (c *Config) retiredSecretKeys() ([][32]byte, error) {
	text, err := settingText(c.retiredHex, c.RetiredSecretKeysFile, "retired secret keys file")
	if err != nil {
		return nil, err
	}
	var keys [][32]byte
	for i, field := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		key, ok := parseKey(field)
		if !ok {
			// Named by position: a key's text is a secret, even when malformed.
			return nil, fmt.Errorf("retired secret key %d: want 64 hexadecimal characters (256 bits)", i+1)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// settingText returns a secret setting's text: the named file's without surrounding white
// space (a final newline, say), when there is one, or else the environment variable's.
func settingText(env, file, what string) (string, error) {
	if file == "" {
		return env, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// parseKey reads a key written as 64 hexadecimal characters.
func parseKey(text string) (key [32]byte, ok bool) {
	if len(text) != hex.EncodedLen(len(key)) {
		return key, false
	}
	_, err := hex.Decode(key[:], []byte(text))
	return key, err == nil
}

func generatedKey(path string) ([32]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, ok := parseKey(strings.TrimSpace(string(b)))
		if !ok {
			return key, fmt.Errorf("secret key file %s: want 64 hexadecimal characters", path)
		}
		return key, nil
	}
	var key [32]byte
	if !errors.Is(err, fs.ErrNotExist) {
		return key, fmt.Errorf("secret key file: %w", err)
	}
	_, _ = rand.Read(key[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return key, err
	}
	// O_EXCL: two processes starting together must not each write a different key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return generatedKey(path)
	}
	if err != nil {
		return key, fmt.Errorf("secret key file: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(hex.EncodeToString(key[:]) + "\n"); err != nil {
		return key, fmt.Errorf("secret key file: %w", err)
	}
	return key, f.Sync()
}

// schemaStore is either engine's store as the commands use it.
type schemaStore interface {
	saldo.Store
	Migrate(context.Context) error
	CheckSchema(context.Context) error
}

// open opens the configured database without migrating it.
func (c *Config) open(ctx context.Context) (schemaStore, error) {
	if c.engine() == "postgres" {
		return postgres.Open(ctx, c.DatabaseURL, postgres.Options{})
	}
	return sqlite.Open(c.sqlitePath())
}

// openStore opens and migrates the configured database.
func (c *Config) openStore(ctx context.Context) (saldo.Store, error) {
	s, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openCurrent opens the configured database for cmd, a command that only reads, and changes
// nothing in it: a database that does not exist yet, has no saldo schema or lacks one of this
// binary's migrations is an error naming the command that migrates it.
func (c *Config) openCurrent(ctx context.Context, cmd string) (saldo.Store, error) {
	fix := "saldo migrate --database-url " + shellQuote(redactURL(c.DatabaseURL))
	if c.engine() == "sqlite" {
		if _, err := os.Stat(c.sqlitePath()); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no database file %s; %s only reads and never creates one. To create it, run: %s",
				cmd, c.sqlitePath(), cmd, fix)
		}
	}
	s, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	err = s.CheckSchema(ctx)
	if _, behind := errors.AsType[*migrate.BehindError](err); behind {
		err = fmt.Errorf("%s: %w; %s only reads and never migrates. To migrate it, run: %s", cmd, err, cmd, fix)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// redactURL is a database URL with any password replaced by xxxxx, fit for messages.
func redactURL(s string) string {
	if !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// shellQuote quotes s for a POSIX shell, so that a URL's ? and & survive a copy and paste.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// groupCommit is the group commit of both kinds of writes: a gather of 0 waits not at all,
// which saldo.GroupCommit says with a negative one (its zero takes the default).
func (c *Config) groupCommit() saldo.GroupCommit {
	g := saldo.GroupCommit{Members: c.GroupCommitMembers, Gather: c.GroupCommitGather}
	if g.Gather == 0 {
		g.Gather = -1
	}
	return g
}
