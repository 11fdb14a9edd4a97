package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo/internal/testdb"
)

func TestOperatorCommands(t *testing.T) {
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
	type operator struct {
		ID       int64
		Email    string
		Role     string
		Disabled bool
		Password string
	}
	decode := func(out string) operator {
		t.Helper()
		var o operator
		if err := json.Unmarshal([]byte(out), &o); err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		return o
	}
	out, code := cli(t, env, "operator", "create", "--email", "ana@example.com", "--role", "admin")
	created := decode(out)
	if code != 0 || created.ID == 0 || created.Role != "admin" || len(created.Password) < 20 {
		t.Fatalf("create: exit %d, %+v", code, created)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"the same email again", []string{"operator", "create", "--email", "ANA@example.com", "--role", "viewer"}, "email:duplicate"},
		{"a role that does not exist", []string{"operator", "create", "--email", "b@example.com", "--role", "root"}, "role:invalid"},
		{"create without a role", []string{"operator", "create", "--email", "b@example.com"}, "--email and --role are required"},
		{"disable an unknown operator", []string{"operator", "disable", "--email", "nobody@example.com"}, "operator:not_found"},
		{"an unknown subcommand", []string{"operator", "delete"}, `unknown command "delete"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := cliOutput(env, tt.args...)
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tt.want)
			}
		})
	}
	out, code = cli(t, env, "operator", "reset-password", "--email", "ana@example.com")
	if reset := decode(out); code != 0 || reset.Password == "" || reset.Password == created.Password {
		t.Errorf("reset-password: exit %d, %+v", code, reset)
	}
	if out, code = cli(t, env, "operator", "disable", "--email", "ana@example.com"); code != 0 || !decode(out).Disabled {
		t.Errorf("disable: exit %d, %s", code, out)
	}
	out, code = cli(t, env, "operator", "list")
	if listed := decode(out); code != 0 || listed.Email != "ana@example.com" || !listed.Disabled || listed.Password != "" ||
		strings.Contains(out, "password") {
		t.Errorf("list: exit %d, %s", code, out)
	}
}

// get fetches url without following redirects.
func get(tb testing.TB, url string) (int, http.Header, string) {
	tb.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// serve answers the console at /console/, before the API's route table, once an operator
// exists; every other path stays the API's.
func TestServeMountsTheConsoleBesideTheAPI(t *testing.T) {
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
	r := start(t, env)
	base := "http://" + r.addr
	if status, _, body := get(t, base+"/console/login"); status != http.StatusNotFound || strings.Contains(body, "<form") {
		t.Errorf("the console without operators: %d %q", status, body)
	}
	if _, code := cli(t, env, "operator", "create", "--email", "ana@example.com", "--role", "viewer"); code != 0 {
		t.Fatal("operator create failed")
	}
	status, header, body := get(t, base+"/console/login")
	if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "text/html") || !strings.Contains(body, `name="csrf_token"`) {
		t.Errorf("the login page: %d %s %q", status, header.Get("Content-Type"), body)
	}
	if status, header, _ := get(t, base+"/console/"); status != http.StatusSeeOther || header.Get("Location") != "/console/login" {
		t.Errorf("the overview without a session: %d to %q", status, header.Get("Location"))
	}
	if status, _, body := get(t, base+"/consoles"); status != http.StatusNotFound || !strings.Contains(body, `"route:not_found"`) {
		t.Errorf("a path beside the console is the API's: %d %q", status, body)
	}
}

// With --console-addr the console has a listener of its own and is not on the API's.
func TestConsoleOnItsOwnAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	consoleAddr := ln.Addr().String()
	ln.Close()
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
	if _, code := cli(t, env, "operator", "create", "--email", "ana@example.com", "--role", "admin"); code != 0 {
		t.Fatal("operator create failed")
	}
	r := start(t, env, "--console-addr", consoleAddr)
	if status, _, body := get(t, "http://"+r.addr+"/console/login"); status != http.StatusNotFound || !strings.Contains(body, `"route:not_found"`) {
		t.Errorf("the console on the API's address: %d %q", status, body)
	}
	if status, _, _ := get(t, "http://"+consoleAddr+"/console/login"); status != http.StatusOK {
		t.Errorf("the console on its own address: %d", status)
	}
	if status, header, _ := get(t, "http://"+consoleAddr+"/"); status != http.StatusSeeOther || header.Get("Location") != "/console/" {
		t.Errorf("/ on the console's address: %d to %q", status, header.Get("Location"))
	}
	if _, stderr, code := cliOutput(env, "serve", "--addr", "127.0.0.1:8089", "--console-addr", "127.0.0.1:8089"); code != 1 ||
		!strings.Contains(stderr, "listener of its own") {
		t.Errorf("the console on the API's address: exit %d, %q", code, stderr)
	}
}
