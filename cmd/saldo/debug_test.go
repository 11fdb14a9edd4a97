package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo/internal/testdb"
)

// The profiler answers on --debug-addr, and never on the API's address.
func TestServeProfilesOnTheDebugAddressOnly(t *testing.T) {
	debug := freeAddr(t)
	r := start(t, map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}, "--debug-addr", debug)
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("http://" + debug + "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("the profiler on %s: %d %.80q", debug, code, body)
	}
	if code, body := get("http://" + debug + "/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("a goroutine profile: %d %.80q", code, body)
	}
	if code, _ := get("http://" + r.addr + "/debug/pprof/"); code != 404 {
		t.Errorf("the API's address answered the profiler's path with %d, want 404", code)
	}
}

func TestServeWithoutDebugAddressHasNoProfiler(t *testing.T) {
	r := start(t, map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)})
	resp, err := http.Get("http://" + r.addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("/debug/pprof/ on the API: %d, want 404", resp.StatusCode)
	}
}
