package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo/internal/testdb"
)

// saldo webhooks: the endpoints' lifecycle from the command line, on each engine.
func TestWebhooksCommands(t *testing.T) {
	for _, eng := range []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"sqlite", func(t *testing.T) map[string]string {
			return map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
		}},
		{"postgres", func(t *testing.T) map[string]string {
			return map[string]string{"SALDO_DATABASE_URL": testdb.PostgresURL(t), "SALDO_SECRET_KEY": strings.Repeat("ab", 32)}
		}},
	} {
		t.Run(eng.name, func(t *testing.T) {
			env := eng.env(t)
			out, code := cli(t, env, "ecommerce", "create", "--name", "Tienda")
			var partner struct {
				ID int64 `json:"id"`
			}
			if code != 0 || json.Unmarshal([]byte(out), &partner) != nil {
				t.Fatalf("ecommerce create: %d %q", code, out)
			}
			eid := fmt.Sprint(partner.ID)
			type endpoint struct {
				ID             int64    `json:"id"`
				URL            string   `json:"url"`
				Events         []string `json:"events"`
				Enabled        bool     `json:"enabled"`
				DisabledReason string   `json:"disabled_reason"`
				Secret         string   `json:"secret"`
			}
			endpointOut := func(args ...string) endpoint {
				t.Helper()
				out, code := cli(t, env, append([]string{"webhooks"}, args...)...)
				var w endpoint
				if code != 0 || json.Unmarshal([]byte(out), &w) != nil {
					t.Fatalf("webhooks %v: %d %q", args, code, out)
				}
				return w
			}
			// An IP literal: the command line resolves names with the system resolver.
			w := endpointOut("create", "--ecommerce-id", eid, "--url", "https://93.184.216.34/hook",
				"--events", "customer.created,transaction.created", "--description", "cli")
			if !strings.HasPrefix(w.Secret, "whsec_") || len(w.Events) != 2 || !w.Enabled {
				t.Errorf("create printed %+v", w)
			}
			id := fmt.Sprint(w.ID)
			if got := endpointOut("get", "--ecommerce-id", eid, "--id", id); got.Secret != "" || got.URL != w.URL {
				t.Errorf("get printed %+v, want the endpoint without its secret", got)
			}
			if list, _ := cli(t, env, "webhooks", "list", "--ecommerce-id", eid); !strings.Contains(list, `"id":`+id) || strings.Contains(list, "whsec_") {
				t.Errorf("list printed %q", list)
			}
			if got := endpointOut("update", "--ecommerce-id", eid, "--id", id, "--enabled", "false", "--events", "*"); got.Enabled ||
				got.DisabledReason != "disabled" || len(got.Events) != 1 || got.Events[0] != "*" {
				t.Errorf("update printed %+v", got)
			}
			endpointOut("update", "--ecommerce-id", eid, "--id", id, "--enabled", "true")
			if rotated := endpointOut("rotate-secret", "--ecommerce-id", eid, "--id", id); rotated.Secret == w.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") {
				t.Errorf("rotate-secret printed %+v", rotated)
			}
			out, code = cli(t, env, "webhooks", "test", "--ecommerce-id", eid, "--id", id)
			var d struct {
				DeliveryID int64  `json:"delivery_id"`
				EventID    int64  `json:"event_id"`
				Status     string `json:"status"`
			}
			if code != 0 || json.Unmarshal([]byte(out), &d) != nil || d.Status != "pending" {
				t.Fatalf("test printed %d %q", code, out)
			}
			if out, code := cli(t, env, "webhooks", "attempts", "--ecommerce-id", eid, "--id", id); code != 0 || strings.TrimSpace(out) != `{"attempts":[],"next_cursor":null}` {
				t.Errorf("attempts printed %d %q", code, out)
			}
			if out, code := cli(t, env, "webhooks", "redeliver", "--ecommerce-id", eid, "--event-id", fmt.Sprint(d.EventID)); code != 0 || !strings.Contains(out, `"endpoint_id":`+id) {
				t.Errorf("redeliver printed %d %q", code, out)
			}

			// Refusals name the rule.
			for _, c := range []struct {
				args []string
				want string
			}{
				{[]string{"create", "--ecommerce-id", eid, "--url", "https://169.254.169.254/", "--events", "*"}, "url:address_not_allowed"},
				{[]string{"create", "--ecommerce-id", eid, "--url", "http://93.184.216.34/", "--events", "*"}, "url:https_required"},
				{[]string{"create", "--ecommerce-id", eid, "--url", "https://93.184.216.34/", "--events", "nope"}, "events:unknown_type"},
				{[]string{"create", "--ecommerce-id", eid, "--url", "https://93.184.216.34/"}, "--url and --events are required"},
				{[]string{"get", "--ecommerce-id", eid}, "--id is required"},
				{[]string{"get", "--ecommerce-id", eid, "--id", "99999"}, "endpoint_id:not_found"},
				{[]string{"get", "--ecommerce-id", "99999", "--id", id}, "no e-commerce with id 99999"},
				{[]string{"update", "--ecommerce-id", eid, "--id", id, "--enabled", "maybe"}, "--enabled: want true or false"},
				{[]string{"redeliver", "--ecommerce-id", eid, "--event-id", "99999"}, "event_id:not_found"},
				{[]string{"frobnicate"}, `webhooks: unknown command "frobnicate"`},
			} {
				_, stderr, code := cliOutput(env, append([]string{"webhooks"}, c.args...)...)
				if code == 0 || !strings.Contains(stderr, c.want) {
					t.Errorf("webhooks %v: exit %d, stderr %q; want %q", c.args, code, stderr, c.want)
				}
			}

			if out, code := cli(t, env, "webhooks", "delete", "--ecommerce-id", eid, "--id", id); code != 0 || strings.TrimSpace(out) != `{"deleted":`+id+`}` {
				t.Errorf("delete printed %d %q", code, out)
			}
			if _, stderr, code := cliOutput(env, "webhooks", "get", "--ecommerce-id", eid, "--id", id); code == 0 || !strings.Contains(stderr, "endpoint_id:not_found") {
				t.Errorf("get after delete: %d %q", code, stderr)
			}
		})
	}
}

// The reads never migrate: on a database that does not exist they say so and create nothing.
func TestWebhooksReadsNeverMigrate(t *testing.T) {
	env := map[string]string{"SALDO_DATABASE_URL": "sqlite:" + testdb.SQLitePath(t)}
	for _, sub := range []string{"list", "get", "attempts"} {
		_, stderr, code := cliOutput(env, "webhooks", sub, "--ecommerce-id", "1", "--id", "1")
		if sub == "list" {
			_, stderr, code = cliOutput(env, "webhooks", sub, "--ecommerce-id", "1")
		}
		if code == 0 || !strings.Contains(stderr, "never creates") {
			t.Errorf("webhooks %s on no database: %d %q", sub, code, stderr)
		}
	}
}

func TestWebhooksHelp(t *testing.T) {
	for _, args := range [][]string{{"webhooks", "--help"}, {"help", "webhooks"}, {"webhooks", "create", "--help"}, {"webhooks", "help", "attempts"}} {
		out, _, code := cliOutput(nil, args...)
		if code != 0 || !strings.Contains(out, "saldo webhooks") {
			t.Errorf("%v: %d %q", args, code, out)
		}
	}
}
