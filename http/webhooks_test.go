package http_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/testdb"
)

const endpointsPath = "/webhooks/v1/endpoints"

func endpointPath(id int64) string { return fmt.Sprintf("%s/%d", endpointsPath, id) }

// webhookPolicy resolves every name to a public address, but internal.example to a private
// one and nowhere.example to nothing.
var webhookPolicy = saldo.WebhookPolicy{Resolve: func(_ context.Context, host string) ([]netip.Addr, error) {
	switch host {
	case "internal.example":
		return []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.1.2.3")}, nil
	case "nowhere.example":
		return nil, errors.New("no such host")
	}
	return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
}}

// forEachWebhookEngine runs test on each engine with a server whose service has webhookPolicy.
func forEachWebhookEngine(t *testing.T, test func(t *testing.T, h *harness)) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			test(t, harnessOn(t, eng.Open(t), serving{svcOpts: []saldo.Option{saldo.WithWebhookPolicy(webhookPolicy)}}))
		})
	}
}

// wireEndpoint is an endpoint answer's payload, its JSON types checked.
type wireEndpoint struct {
	id                               int64
	url, description, reason, secret string
	events                           []string
	enabled                          bool
	created, updated                 string
}

func endpointOf(t testing.TB, a answer, path string, withSecret bool) wireEndpoint {
	t.Helper()
	payload(t, a, path)
	p := numbers(t, a.raw)["payload"].(map[string]any)
	want := 8
	if withSecret {
		want = 9
	}
	if len(p) != want {
		t.Errorf("%s: payload %v has %d fields, want %d (secret: %v)", path, p, len(p), want, withSecret)
	}
	w := wireEndpoint{id: integer(t, "id", p["id"])}
	w.url, _ = p["url"].(string)
	w.description, _ = p["description"].(string)
	w.reason, _ = p["disabled_reason"].(string)
	w.enabled, _ = p["enabled"].(bool)
	w.created, _ = p["created"].(string)
	w.updated, _ = p["updated"].(string)
	for _, e := range p["events"].([]any) {
		w.events = append(w.events, e.(string))
	}
	if !mexicoCityTimestamp.MatchString(w.created) || !mexicoCityTimestamp.MatchString(w.updated) {
		t.Errorf("%s: created %q updated %q, want the envelope's timestamp format", path, w.created, w.updated)
	}
	if withSecret {
		w.secret, _ = p["secret"].(string)
		if !strings.HasPrefix(w.secret, "whsec_") || len(w.secret) != len("whsec_")+44 {
			t.Errorf("%s: secret %q is not whsec_ + base64 of 32 bytes", path, w.secret)
		}
	}
	return w
}

func (h *harness) createEndpoint(t testing.TB, token string, body map[string]any) answer {
	t.Helper()
	return h.do(request{path: endpointsPath, token: token, body: jsonBody(body)})
}

func TestWebhookEndpointLifecycle(t *testing.T) {
	forEachWebhookEngine(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		a := h.createEndpoint(t, h.composite, map[string]any{
			"url": "https://hooks.example.com/saldo", "events": []string{"customer.created", "transaction.created"}, "description": "tienda"})
		created := endpointOf(t, a, endpointsPath, true)
		if created.url != "https://hooks.example.com/saldo" || created.description != "tienda" || !created.enabled || created.reason != "" ||
			!slices.Equal(created.events, []string{"customer.created", "transaction.created"}) {
			t.Errorf("created %+v", created)
		}
		if cc := a.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("create answer Cache-Control %q, want no-store: it carries the secret", cc)
		}
		path := endpointPath(created.id)

		// Reads never show the secret.
		got := endpointOf(t, h.do(request{method: http.MethodGet, path: path, token: h.composite}), path, false)
		if got.id != created.id || got.url != created.url || !slices.Equal(got.events, created.events) {
			t.Errorf("GET %+v, want %+v without its secret", got, created)
		}
		list := h.do(request{method: http.MethodGet, path: endpointsPath, token: h.composite})
		p := payload(t, list, endpointsPath)
		if items, _ := p["endpoints"].([]any); len(items) != 1 || len(items[0].(map[string]any)) != 8 || strings.Contains(string(list.raw), created.secret) {
			t.Errorf("list %s: want the one endpoint without its secret", list.raw)
		}
		if other := payload(t, h.do(request{method: http.MethodGet, path: endpointsPath, token: h.plain}), endpointsPath); len(other["endpoints"].([]any)) != 0 {
			t.Errorf("the other partner lists %v", other)
		}

		// PATCH: any of the fields; disable and enable.
		patched := endpointOf(t, h.do(request{method: http.MethodPatch, path: path, token: h.composite,
			body: jsonBody(map[string]any{"events": []string{"*"}, "description": ""})}), path, false)
		if !slices.Equal(patched.events, []string{"*"}) || patched.description != "" || patched.url != created.url {
			t.Errorf("patched %+v", patched)
		}
		disabled := endpointOf(t, h.do(request{method: http.MethodPatch, path: path, token: h.composite,
			body: jsonBody(map[string]any{"enabled": false})}), path, false)
		if disabled.enabled || disabled.reason != "disabled" {
			t.Errorf("disabled %+v", disabled)
		}
		form, ct := formOf(map[string]string{"enabled": "true", "url": "https://hooks.example.com/v2"})
		enabled := endpointOf(t, h.do(request{method: http.MethodPatch, path: path, token: h.composite, contentType: ct,
			body: strings.NewReader(form)}), path, false)
		if !enabled.enabled || enabled.reason != "" || enabled.url != "https://hooks.example.com/v2" {
			t.Errorf("enabled %+v", enabled)
		}

		// Rotation shows a new secret, once.
		rotatePath := path + "/rotate-secret"
		rotated := endpointOf(t, h.do(request{path: rotatePath, token: h.composite}), rotatePath, true)
		if rotated.secret == created.secret || rotated.id != created.id {
			t.Errorf("rotated %+v: want a new secret", rotated)
		}

		// A test send queues a delivery; its attempts appear once it is tried.
		attemptsPath := path + "/attempts"
		testPath := path + "/test"
		var events []int64
		for range 3 {
			a := h.do(request{path: testPath, token: h.composite})
			payload(t, a, testPath)
			d := numbers(t, a.raw)["payload"].(map[string]any)
			if len(d) != 3 || d["status"] != "pending" {
				t.Errorf("test answer %v: want delivery_id, event_id and status pending", d)
			}
			integer(t, "delivery_id", d["delivery_id"])
			events = append(events, integer(t, "event_id", d["event_id"]))
		}
		empty := payload(t, h.do(request{method: http.MethodGet, path: attemptsPath, token: h.composite}), attemptsPath)
		if len(empty["attempts"].([]any)) != 0 || empty["next_cursor"] != nil {
			t.Errorf("attempts before any delivery: %v", empty)
		}
		claimed, err := h.svc.ClaimDeliveries(ctx, time.Minute, 10)
		if err != nil || len(claimed) != 3 {
			t.Fatalf("claimed %d deliveries, %v; want 3", len(claimed), err)
		}
		outcomes := []saldo.WebhookAttempt{
			{StatusCode: 500, Duration: 120 * time.Millisecond, Response: strings.Repeat("x", 2000), Error: "500 Internal Server Error"},
			{StatusCode: 0, Duration: 10 * time.Second, Error: "timeout"},
			{StatusCode: 200, Duration: 35 * time.Millisecond, Response: "ok"},
		}
		for i := range claimed {
			outcomes[i].AttemptedAt = time.Now()
			if err := h.svc.RecordAttempt(ctx, &claimed[i], outcomes[i]); err != nil {
				t.Fatal(err)
			}
		}
		page1 := h.do(request{method: http.MethodGet, path: attemptsPath + "?limit=2", token: h.composite})
		p1 := numbers(t, page1.raw)["payload"].(map[string]any)
		payload(t, page1, attemptsPath)
		items := p1["attempts"].([]any)
		next, _ := p1["next_cursor"].(string)
		if len(items) != 2 || next == "" {
			t.Fatalf("first page %s: want 2 attempts and a cursor", page1.raw)
		}
		first := items[0].(map[string]any)
		if len(first) != 8 || first["status_code"] != json200() || first["response"] != "ok" || integer(t, "duration_ms", first["duration_ms"]) != 35 {
			t.Errorf("newest attempt %v: want the 200 one", first)
		}
		if second := items[1].(map[string]any); second["status_code"] != nil || second["error"] != "timeout" || integer(t, "duration_ms", second["duration_ms"]) != 10_000 {
			t.Errorf("second attempt %v: want the one without an answer", second)
		}
		page2 := h.do(request{method: http.MethodGet, path: attemptsPath + "?limit=2&cursor=" + url.QueryEscape(next), token: h.composite})
		p2 := numbers(t, page2.raw)["payload"].(map[string]any)
		payload(t, page2, attemptsPath)
		items2 := p2["attempts"].([]any)
		if len(items2) != 1 || p2["next_cursor"] != nil {
			t.Fatalf("last page %s: want 1 attempt and no cursor", page2.raw)
		}
		last := items2[0].(map[string]any)
		if last["status_code"] != jsonNumber(500) || len(last["response"].(string)) != 1024 {
			t.Errorf("oldest attempt %v: want the 500 with the first KiB of its answer", last)
		}
		if integer(t, "event_id", last["event_id"]) != events[0] || integer(t, "id", last["id"]) >= integer(t, "id", first["id"]) {
			t.Errorf("attempts not newest first: %v then %v", first, last)
		}
		for _, q := range []string{"?limit=0", "?limit=101", "?cursor=bm9wZQ", "?cursor=" + url.QueryEscape(next) + "&next_cursor=x"} {
			a := h.do(request{method: http.MethodGet, path: attemptsPath + q, token: h.composite})
			refused(t, a, attemptsPath, http.StatusBadRequest, 5000, "")
		}

		// Redelivery queues the event again to every endpoint that wants it.
		redeliverPath := fmt.Sprintf("/webhooks/v1/events/%d/redeliver", events[0])
		rd := h.do(request{path: redeliverPath, token: h.composite})
		payload(t, rd, redeliverPath)
		ds := numbers(t, rd.raw)["payload"].(map[string]any)["deliveries"].([]any)
		if len(ds) != 1 {
			t.Fatalf("redeliver %s: want one delivery", rd.raw)
		}
		if d := ds[0].(map[string]any); len(d) != 3 || integer(t, "endpoint_id", d["endpoint_id"]) != created.id || d["status"] != "pending" {
			t.Errorf("redelivery %v", d)
		}
		integer(t, "delivery_id", ds[0].(map[string]any)["delivery_id"])
		refused(t, h.do(request{path: redeliverPath, token: h.plain}), redeliverPath, http.StatusNotFound, 4404, "event_id:not_found")
		unknownEvent := "/webhooks/v1/events/999999999/redeliver"
		refused(t, h.do(request{path: unknownEvent, token: h.composite}), unknownEvent, http.StatusNotFound, 4404, "event_id:not_found")

		// Another partner's endpoint is unknown to it, whatever the route.
		for _, r := range []request{
			{method: http.MethodGet, path: path}, {method: http.MethodPatch, path: path, body: jsonBody(map[string]any{"enabled": false})},
			{method: http.MethodDelete, path: path}, {path: rotatePath}, {path: testPath}, {method: http.MethodGet, path: attemptsPath},
		} {
			r.token = h.plain
			refused(t, h.do(r), r.path, http.StatusNotFound, 4404, "endpoint_id:not_found")
		}
		for _, bad := range []string{endpointsPath + "/0", endpointsPath + "/01", endpointsPath + "/x"} {
			refused(t, h.do(request{method: http.MethodGet, path: bad, token: h.composite}), bad, http.StatusNotFound, 4404, "endpoint_id:not_found")
		}

		// Delete, then the endpoint is gone.
		del := h.do(request{method: http.MethodDelete, path: path, token: h.composite})
		if p := payload(t, del, path); len(p) != 0 {
			t.Errorf("delete payload %v, want {}", p)
		}
		refused(t, h.do(request{method: http.MethodGet, path: path, token: h.composite}), path, http.StatusNotFound, 4404, "endpoint_id:not_found")
		refused(t, h.do(request{method: http.MethodDelete, path: path, token: h.composite}), path, http.StatusNotFound, 4404, "endpoint_id:not_found")
		refused(t, h.do(request{method: http.MethodGet, path: attemptsPath, token: h.composite}), attemptsPath, http.StatusNotFound, 4404, "endpoint_id:not_found")
	})
}

func json200() any         { return jsonNumber(200) }
func jsonNumber(n int) any { return json.Number(fmt.Sprint(n)) }

func TestWebhookEndpointsRefuseUnsafeURLsAndBadFields(t *testing.T) {
	forEachWebhookEngine(t, func(t *testing.T, h *harness) {
		valid := func(changes map[string]any) map[string]any {
			body := map[string]any{"url": "https://hooks.example.com/saldo", "events": []string{"*"}, "description": "x"}
			for k, v := range changes {
				if v == nil {
					delete(body, k)
				} else {
					body[k] = v
				}
			}
			return body
		}
		cases := []struct {
			body   map[string]any
			status int
			code   float64
			hint   string
		}{
			{valid(map[string]any{"url": "http://hooks.example.com/saldo"}), 400, 5000, "url:https_required"},
			{valid(map[string]any{"url": "https://127.0.0.1/hook"}), 400, 5000, "url:address_not_allowed"},
			{valid(map[string]any{"url": "https://10.0.0.1/hook"}), 400, 5000, "url:address_not_allowed"},
			{valid(map[string]any{"url": "https://169.254.169.254/latest/meta-data"}), 400, 5000, "url:address_not_allowed"},
			{valid(map[string]any{"url": "https://[::1]/hook"}), 400, 5000, "url:address_not_allowed"},
			{valid(map[string]any{"url": "https://internal.example/hook"}), 400, 5000, "url:address_not_allowed"},
			{valid(map[string]any{"url": "https://nowhere.example/hook"}), 400, 5000, "url:unresolvable"},
			{valid(map[string]any{"url": "https://user:pw@hooks.example.com/"}), 400, 5000, "url:invalid"},
			{valid(map[string]any{"url": nil}), 400, 5000, "url:required"},
			{valid(map[string]any{"events": nil}), 400, 5000, "events:required"},
			{valid(map[string]any{"events": []string{}}), 400, 5000, "events:required"},
			{valid(map[string]any{"events": []string{"customer.created", "money.printed"}}), 400, 5000, "events:unknown_type"},
			{valid(map[string]any{"description": strings.Repeat("d", 256)}), 400, 5000, "description:invalid"},
			{valid(map[string]any{"events": "customer.created"}), 400, 4400, "events:must_be_array"},
			{valid(map[string]any{"events": []any{1}}), 400, 4400, "events:must_be_array_of_strings"},
			{valid(map[string]any{"url": 7}), 400, 4400, "url:must_be_string"},
		}
		for _, c := range cases {
			a := h.createEndpoint(t, h.composite, c.body)
			refused(t, a, endpointsPath, c.status, c.code, c.hint)
		}
		list := payload(t, h.do(request{method: http.MethodGet, path: endpointsPath, token: h.composite}), endpointsPath)
		if n := len(list["endpoints"].([]any)); n != 0 {
			t.Errorf("%d endpoints registered by refused requests", n)
		}

		// An update is held to the same rules, and enabled must be a boolean.
		w := endpointOf(t, h.createEndpoint(t, h.composite, valid(nil)), endpointsPath, true)
		path := endpointPath(w.id)
		for _, c := range []struct {
			body map[string]any
			code float64
			hint string
		}{
			{map[string]any{"url": "https://10.0.0.1/"}, 5000, "url:address_not_allowed"},
			{map[string]any{"events": []string{}}, 5000, "events:required"},
			{map[string]any{"enabled": "false"}, 4400, "enabled:must_be_boolean"},
		} {
			refused(t, h.do(request{method: http.MethodPatch, path: path, token: h.composite, body: jsonBody(c.body)}), path, 400, c.code, c.hint)
		}
		form, ct := formOf(map[string]string{"enabled": "maybe"})
		refused(t, h.do(request{method: http.MethodPatch, path: path, token: h.composite, contentType: ct, body: strings.NewReader(form)}),
			path, 400, 5000, "enabled:invalid")
		if got := endpointOf(t, h.do(request{method: http.MethodGet, path: path, token: h.composite}), path, false); got.url != w.url || !got.enabled {
			t.Errorf("after refused updates: %+v", got)
		}
	})
}

func TestWebhookEndpointFormBodiesAndIdempotency(t *testing.T) {
	forEachWebhookEngine(t, func(t *testing.T, h *harness) {
		// Repeated events values and comma-separated lists both read as one list.
		v := url.Values{"url": {"https://hooks.example.com/form"}, "events": {"customer.created, customer.updated", "transaction.created"},
			"description": {"form"}}
		a := h.do(request{path: endpointsPath, token: h.composite, contentType: "application/x-www-form-urlencoded", body: strings.NewReader(v.Encode())})
		w := endpointOf(t, a, endpointsPath, true)
		if !slices.Equal(w.events, []string{"customer.created", "customer.updated", "transaction.created"}) || w.description != "form" {
			t.Errorf("form create %+v", w)
		}
		body, ct := multipartOf(map[string]string{"url": "https://hooks.example.com/multipart", "events": "*"})
		m := endpointOf(t, h.do(request{path: endpointsPath, token: h.composite, contentType: ct, body: strings.NewReader(body)}), endpointsPath, true)
		if !slices.Equal(m.events, []string{"*"}) || m.description != "" {
			t.Errorf("multipart create %+v", m)
		}

		// The same Idempotency-Key answers the same endpoint, with the same secret, once.
		key := map[string]string{"Idempotency-Key": "hook-1"}
		req := map[string]any{"url": "https://hooks.example.com/idem", "events": []string{"*"}}
		first := h.do(request{path: endpointsPath, token: h.composite, body: jsonBody(req), header: key})
		again := h.do(request{path: endpointsPath, token: h.composite, body: jsonBody(req), header: key})
		a1, a2 := endpointOf(t, first, endpointsPath, true), endpointOf(t, again, endpointsPath, true)
		if a1.id != a2.id || a1.secret != a2.secret || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: %+v then %+v (replayed %q)", a1, a2, again.header.Get("Idempotent-Replayed"))
		}
		list := payload(t, h.do(request{method: http.MethodGet, path: endpointsPath, token: h.composite}), endpointsPath)
		if n := len(list["endpoints"].([]any)); n != 3 {
			t.Errorf("%d endpoints, want 3", n)
		}
	})
}
