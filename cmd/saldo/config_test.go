package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo/client"
	"github.com/saldo-mx/saldo/internal/testdb"
	"github.com/saldo-mx/saldo/sqlite"
)

// Without --addr, serve listens on SALDO_ADDR.
func TestServeListensOnSALDO_ADDR(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String() // a port free a moment ago, and not the default 8080
	ln.Close()
	r := startServe(t, map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t), "SALDO_ADDR": addr}, []string{"serve"})
	if r.addr != addr {
		t.Errorf("serve listens on %s, want SALDO_ADDR %s", r.addr, addr)
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /healthz on SALDO_ADDR: %v %v", resp, err)
	}
}

// Without SALDO_DATABASE_URL or --database-url, the database is the SQLite file saldo.db in
// the working directory.
func TestDefaultDatabaseIsSaldoDBInTheWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if out, code := cli(t, nil, "migrate"); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %d %q", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "saldo.db")); err != nil {
		t.Errorf("no saldo.db in the working directory after migrate: %v", err)
	}
}

// SALDO_SECRET_KEY_FILE gives serve its secret key: none is generated beside the database,
// and an answer stored under the file's key replays under the same key given as
// SALDO_SECRET_KEY.
func TestServeReadsTheSecretKeyFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := strings.Repeat("5e", 32)
	keyFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "saldo.db")
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + dbPath, "SALDO_SECRET_KEY_FILE": keyFile}
	r := start(t, env)
	token := tokenRE.FindString(r.stdout.String())
	first, err := partner(r.addr, token).CreateAccount(ctx, customerRequest(1), client.WithIdempotencyKey("with-the-file"))
	if err != nil {
		t.Fatal(err)
	}
	if code := r.shutdown(t); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
	if _, err := os.Stat(dbPath + ".key"); err == nil {
		t.Error("serve generated a key beside the database although SALDO_SECRET_KEY_FILE was set")
	}

	again := start(t, map[string]string{"SALDO_DATABASE_URL": "sqlite:" + dbPath, "SALDO_SECRET_KEY": key})
	var info client.ResponseInfo
	got, err := partner(again.addr, token).CreateAccount(ctx, customerRequest(1), client.WithIdempotencyKey("with-the-file"), client.WithResponseInfo(&info))
	if err != nil || !info.Replayed || got.ID != first.ID || got.PrivateKey != first.PrivateKey {
		t.Errorf("the retry under the file's key given as SALDO_SECRET_KEY: %+v, %v (replayed %v); want the first answer", got, err, info.Replayed)
	}
}

// On PostgreSQL, serve never creates a sandbox partner, even on an empty database.
func TestServeOnPostgresCreatesNoSandbox(t *testing.T) {
	env := map[string]string{"SALDO_DATABASE_URL": testdb.PostgresURL(t), "SALDO_SECRET_KEY": strings.Repeat("7d", 32)}
	r := start(t, env)
	if out := r.stdout.String(); strings.Contains(out, "ek_") || strings.Contains(out, "sandbox") {
		t.Errorf("serve on an empty PostgreSQL database printed %q; want no sandbox", out)
	}
	if out, code := cli(t, env, "ecommerce", "list"); code != 0 || out != "" {
		t.Errorf("ecommerce list after serve on PostgreSQL: exit %d, %q; want 0 and no partners", code, out)
	}
}

// The binary links the zone database (time/tzdata), so that the America/Mexico_City
// timestamps work on a machine without one.
func TestBinaryEmbedsTheZoneDatabase(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the binary's packages")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	if !slices.Contains(strings.Fields(string(out)), "time/tzdata") {
		t.Error("cmd/saldo does not link time/tzdata")
	}
}

// serve purges the idempotency keys older than 24 hours as it starts (and every --billing-interval after),
// and keeps the younger ones.
func TestServePurgesExpiredIdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	path := testdb.SQLitePath(t)
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + path}
	r := start(t, env)
	c := partner(r.addr, tokenRE.FindString(r.stdout.String()))
	for i, key := range []string{"old", "young"} {
		if _, err := c.CreateAccount(ctx, customerRequest(uint64(i+1)), client.WithIdempotencyKey(key)); err != nil {
			t.Fatal(err)
		}
	}
	if code := r.shutdown(t); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
	store, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// Instants are INTEGER microseconds on SQLite.
	testdb.Exec(t, store, "UPDATE idempotency_keys SET created_at = created_at - $1 WHERE key = 'old'", (24*time.Hour + time.Minute).Microseconds())

	start(t, env)
	keys := func() (keys []string) {
		for _, row := range testdb.Query(t, store, "SELECT key FROM idempotency_keys ORDER BY key") {
			keys = append(keys, fmt.Sprint(row[0]))
		}
		return keys
	}
	deadline := time.Now().Add(10 * time.Second)
	for slices.Contains(keys(), "old") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := keys(); !slices.Equal(got, []string{"young"}) {
		t.Errorf("idempotency keys after serve started: %q, want the young one alone", got)
	}
}
