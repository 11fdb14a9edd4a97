package main

import (
	"net"
	"net/http"
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
