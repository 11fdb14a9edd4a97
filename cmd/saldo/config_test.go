package main

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo/internal/testdb"
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
