package http_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo/internal/testdb"
)

const feedPath = "/events/v1"

// feedEvent is an event of the feed, its JSON types checked.
type feedEvent struct {
	id      int64
	typ     string
	created time.Time
	data    map[string]any // numbers as json.Number
}

// feedPage reads GET /events/v1 with query as partner token, checking the answer's JSON types.
func (h *harness) feedPage(t *testing.T, token, query string) (events []feedEvent, nextAfter int64) {
	t.Helper()
	a := h.do(request{method: http.MethodGet, path: feedPath + query, token: token})
	payload(t, a, feedPath)
	p := numbers(t, a.raw)["payload"].(map[string]any)
	if len(p) != 2 {
		t.Errorf("payload %v: want events and next_after", p)
	}
	list, ok := p["events"].([]any)
	if !ok {
		t.Fatalf("events = %#v, want an array", p["events"])
	}
	for _, item := range list {
		ev, ok := item.(map[string]any)
		if !ok || len(ev) != 4 {
			t.Fatalf("event %#v: want an object of id, type, created and data", item)
		}
		e := feedEvent{id: integer(t, "id", ev["id"])}
		e.typ, _ = ev["type"].(string)
		text, _ := ev["created"].(string)
		if !mexicoCityTimestamp.MatchString(text) {
			t.Errorf("event %d created %q, want the envelope's timestamp format", e.id, text)
		}
		e.created, _ = time.Parse(time.RFC3339Nano, text)
		if e.data, ok = ev["data"].(map[string]any); !ok {
			t.Fatalf("event %d data = %#v, want a JSON object", e.id, ev["data"])
		}
		events = append(events, e)
	}
	return events, integer(t, "next_after", p["next_after"])
}

// waitForFeed reads the partner's whole feed once it holds n events: on PostgreSQL an event
// is served only once no transaction still running could commit before it, and a test of
// another package may hold one open for a moment.
func (h *harness) waitForFeed(t *testing.T, token string, n int) []feedEvent {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		events, _ := h.feedPage(t, token, "?limit=100")
		if len(events) >= n || time.Now().After(deadline) {
			return events
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEventFeed(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		start := time.Now()
		loadUDI(t, h.store)
		// The partners' writes interleaved: two customers of the composite partner (each with
		// its parent), one of the other partner's, and a top-up.
		a := h.newWallet(h.composite, 1, true)
		other := h.newWallet(h.plain, 2, false)
		b := h.newWallet(h.composite, 3, true)
		topUp := map[string]any{"externalTransactionId": "feed-1", "balanceId": b.wallet, "amount": 25_000, "sourceCustomerID": b.customer}
		m := movementOf(t, h.do(request{path: topUpPath, token: h.composite, body: jsonBody(topUp)}), topUpPath)

		type want struct {
			typ   string
			field string
			value int64
		}
		wants := []want{
			{"customer.created", "customer_id", a.customer}, {"composite_parent.created", "customer_id", a.customer},
			{"customer.created", "customer_id", b.customer}, {"composite_parent.created", "customer_id", b.customer},
			{"transaction.created", "transaction_id", m.id},
		}
		all := h.waitForFeed(t, h.composite, len(wants))
		if len(all) != len(wants) {
			t.Fatalf("the feed holds %d events, want %d: %+v", len(all), len(wants), all)
		}
		for i, e := range all {
			w := wants[i]
			if e.typ != w.typ || integer(t, w.field, e.data[w.field]) != w.value {
				t.Errorf("event %d: %s %v, want %s with %s %d", i, e.typ, e.data, w.typ, w.field, w.value)
			}
			if i > 0 && e.id <= all[i-1].id {
				t.Errorf("event %d has id %d after %d", i, e.id, all[i-1].id)
			}
			if e.created.Before(start.Add(-time.Second)) || e.created.After(time.Now().Add(time.Second)) {
				t.Errorf("event %d created %v, not during the test", i, e.created)
			}
		}
		if d := all[0].data; integer(t, "wallet_id", d["wallet_id"]) != a.wallet || integer(t, "account_level", d["account_level"]) < 1 {
			t.Errorf("customer.created data %v, want wallet_id %d and an account_level", d, a.wallet)
		}
		entries, _ := all[4].data["entries"].([]any)
		if integer(t, "amount", all[4].data["amount"]) != 25_000 || all[4].data["kind"] != "top_up" || len(entries) != 2 {
			t.Errorf("transaction.created data %v", all[4].data)
		}

		// Pages of two, each from the last one's next_after, until one is empty.
		var paged []feedEvent
		var after int64
		for pages := 0; ; pages++ {
			if pages > len(wants) {
				t.Fatal("the feed never ends")
			}
			events, next := h.feedPage(t, h.composite, fmt.Sprintf("?after=%d&limit=2", after))
			if len(events) > 2 {
				t.Fatalf("a page of limit 2 holds %d events", len(events))
			}
			if len(events) == 0 {
				if next != after {
					t.Errorf("an empty page after %d has next_after %d, want %d", after, next, after)
				}
				break
			}
			if last := events[len(events)-1].id; next != last {
				t.Errorf("next_after %d, want the last event's id %d", next, last)
			}
			paged = append(paged, events...)
			after = next
		}
		ids := func(events []feedEvent) (out []int64) {
			for _, e := range events {
				out = append(out, e.id)
			}
			return out
		}
		if !slices.Equal(ids(paged), ids(all)) {
			t.Errorf("pages of two read %v, one page %v", ids(paged), ids(all))
		}
		// The defaults: from the first event, up to 20.
		if events, next := h.feedPage(t, h.composite, ""); !slices.Equal(ids(events), ids(all)) || next != all[len(all)-1].id {
			t.Errorf("the feed without parameters read %v next_after %d, want %v", ids(events), next, ids(all))
		}
		if events, _ := h.feedPage(t, h.composite, "?after=0&limit=1"); !slices.Equal(ids(events), ids(all[:1])) {
			t.Errorf("after=0&limit=1 read %v", ids(events))
		}

		// The other partner sees its own event alone, and the composite partner's never.
		otherEvents := h.waitForFeed(t, h.plain, 1)
		if len(otherEvents) != 1 || otherEvents[0].typ != "customer.created" || integer(t, "customer_id", otherEvents[0].data["customer_id"]) != other.customer {
			t.Fatalf("the other partner's feed: %+v", otherEvents)
		}
		if slices.Contains(ids(all), otherEvents[0].id) {
			t.Errorf("the other partner's event %d is in the composite partner's feed", otherEvents[0].id)
		}
		// Another partner's event id, or an unknown one, as the cursor.
		for _, tc := range []struct {
			token string
			after int64
		}{{h.composite, otherEvents[0].id}, {h.plain, all[0].id}, {h.composite, all[len(all)-1].id + 1000}} {
			a := h.do(request{method: http.MethodGet, path: fmt.Sprintf("%s?after=%d", feedPath, tc.after), token: tc.token})
			refused(t, a, feedPath, 404, 4404, "after:not_found")
		}

		// Bad parameters, each named.
		for query, hints := range map[string][]string{
			"?after=abc": {"after:invalid"}, "?after=-1": {"after:invalid"}, "?after=1.5": {"after:invalid"},
			"?after=+1": {"after:invalid"}, "?after=01": {"after:invalid"}, "?after=99999999999999999999": {"after:invalid"},
			"?limit=0": {"limit:invalid"}, "?limit=101": {"limit:invalid"}, "?limit=-2": {"limit:invalid"}, "?limit=x": {"limit:invalid"},
			"?after=-1&limit=abc": {"after:invalid", "limit:invalid"},
		} {
			a := h.do(request{method: http.MethodGet, path: feedPath + query, token: h.composite})
			refused(t, a, feedPath, 400, 5000, "")
			if _, got := walletError(t, a, feedPath); !slices.Equal(got[1:], hints) {
				t.Errorf("%s: hints %q, want %q", query, got[1:], hints)
			}
		}

		// Credentials.
		refused(t, h.do(request{method: http.MethodGet, path: feedPath}), feedPath, 401, 4401, "Authorization-ecommerce:required")
		refused(t, h.do(request{method: http.MethodGet, path: feedPath, token: strings.Repeat("ab", 32)}), feedPath, 401, 4401, "Authorization-ecommerce:invalid")
		// A customer's token is no partner's.
		refused(t, h.do(request{method: http.MethodGet, path: feedPath, token: a.token}), feedPath, 401, 4401, "Authorization-ecommerce:invalid")
	})
}

// HEAD is answered as GET without the body; other methods and the paths around the route
// answer in the wallet envelope, as everything under /events/ and /webhooks/ does.
func TestEventFeedMethodsAndEnvelope(t *testing.T) {
	h := newHarness(t, testdb.Engines()[0])
	req, err := http.NewRequest(http.MethodHead, h.srv.URL+feedPath+"?limit=5", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization-ecommerce", h.composite)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || len(body) != 0 || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("HEAD: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}

	post := h.do(request{method: http.MethodPost, path: feedPath, token: h.composite, body: jsonBody(map[string]any{})})
	refused(t, post, feedPath, 405, 4404, "method:not_allowed")
	if got := post.header.Get("Allow"); got != "GET, HEAD" {
		t.Errorf("Allow = %q, want GET, HEAD", got)
	}
	for _, path := range []string{"/events/v1/", "/events/v2", "/events/v1/nope", "/webhooks/v1", "/webhooks/v1/nope"} {
		refused(t, h.do(request{method: http.MethodGet, path: path, token: h.composite}), path, 404, 4404, "route:not_found")
	}
	// Only the prefixes: /events alone, or /eventsx, is in the user envelope.
	for _, path := range []string{"/events", "/eventsv1", "/webhooks"} {
		a := h.do(request{method: http.MethodGet, path: path, token: h.composite})
		if code, hints := errorOf(t, a); a.status != 404 || code != 4404 || !slices.Contains(hints, "route:not_found") {
			t.Errorf("%s: %d %v %q", path, a.status, code, hints)
		}
	}
}
