package http_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo/internal/testdb"
)

// walletError returns the code and hints of a style B error answer, checking its envelope.
func walletError(t testing.TB, a answer, path string) (float64, []string) {
	t.Helper()
	checkStyleB(t, a, path, "Error")
	e := a.body["error"].(map[string]any)
	var hints []string
	for _, h := range e["hints"].([]any) {
		hints = append(hints, h.(string))
	}
	if p, ok := a.body["payload"].(map[string]any); !ok || len(p) != 0 {
		t.Errorf("error payload = %v, want {}", a.body["payload"])
	}
	return e["code"].(float64), hints
}

var mexicoCityTimestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}-06:00$`)

func checkStyleB(t testing.TB, a answer, path, text string) {
	t.Helper()
	if a.body["text"] != text || a.body["endpoint"] != path || !mexicoCityTimestamp.MatchString(fmt.Sprint(a.body["timestamp"])) {
		t.Errorf("envelope text %v endpoint %v timestamp %v; want %s, %s, a Mexico City timestamp",
			a.body["text"], a.body["endpoint"], a.body["timestamp"], text, path)
	}
}

func payload(t testing.TB, a answer, path string) map[string]any {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("%s: status %d: %s", path, a.status, a.raw)
	}
	checkStyleB(t, a, path, "Success")
	if e, ok := a.body["error"].(map[string]any); !ok || len(e) != 0 {
		t.Errorf("success error = %v, want {}", a.body["error"])
	}
	return a.body["payload"].(map[string]any)
}

func TestCompositeBalanceRoutes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		created := h.create(1).body["rs"].(map[string]any)
		parentID := created["composite_balance"].(map[string]any)["parent"].(map[string]any)["id"].(string)
		ownerID := created["id"].(float64)
		parentPath := "/wallet/v1/composite-balance/parent/" + parentID

		p := payload(t, h.do(request{method: "GET", path: parentPath, token: h.composite}), parentPath)
		want := map[string]any{"id": parentID, "customer_id": ownerID, "credit_line": 10000000.0, "credit_limit": 10000000.0,
			"available_credit": 10000000.0, "children": 0.0, "min_due_payment": 0.0, "total_due_payment": 0.0,
			"status": 1.0, "status_string": "Active"}
		for k, v := range want {
			if p[k] != v {
				t.Errorf("parent.%s = %v, want %v", k, p[k], v)
			}
		}
		date := regexp.MustCompile(`^\d{4}-\d\d-\d\d$`)
		if !date.MatchString(fmt.Sprint(p["next_billing_date"])) || !date.MatchString(fmt.Sprint(p["next_due_date"])) || jsonType(p["balance_id"]) != "number" {
			t.Errorf("parent dates %v %v, balance_id %v", p["next_billing_date"], p["next_due_date"], p["balance_id"])
		}

		const childPath = "/wallet/v1/composite-balance/child"
		c := payload(t, h.do(request{path: childPath, token: h.composite, body: jsonBody(map[string]any{"parent_id": parentID, "credit_line": 4000000})}), childPath)
		childID := c["id"].(float64)
		for k, v := range map[string]any{"parent_id": parentID, "customer_id": ownerID, "credit_line": 4000000.0,
			"credit_limit": 4000000.0, "available_credit": 4000000.0, "debt": 0.0, "status": 1.0} {
			if c[k] != v {
				t.Errorf("child.%s = %v, want %v", k, c[k], v)
			}
		}

		updatePath := fmt.Sprintf("%s/%d/update-credit-line", childPath, int64(childID))
		u := payload(t, h.do(request{method: "PUT", path: updatePath, token: h.composite, body: jsonBody(map[string]any{"credit_line": 9000000})}), updatePath)
		if u["credit_line"] != 9000000.0 || u["parent"].(map[string]any)["available_credit"] != 1000000.0 || u["parent"].(map[string]any)["id"] != parentID {
			t.Errorf("updated child = %v", u)
		}
		getPath := fmt.Sprintf("%s/%d", childPath, int64(childID))
		if g := payload(t, h.do(request{method: "GET", path: getPath, token: h.composite}), getPath); g["credit_line"] != 9000000.0 {
			t.Errorf("child read back = %v", g)
		}
		if p := payload(t, h.do(request{method: "GET", path: parentPath, token: h.composite}), parentPath); p["available_credit"] != 1000000.0 || p["children"] != 1.0 {
			t.Errorf("parent after the update = %v", p)
		}

		for _, tt := range []struct {
			name, method, path, token string
			body                      any
			status                    int
			code                      float64
			hint                      string
		}{
			{"more than the parent has", "POST", childPath, h.composite, map[string]any{"parent_id": parentID, "credit_line": 1000001}, 409, 5001, ""},
			{"a raise past the parent's credit", "PUT", updatePath, h.composite, map[string]any{"credit_line": 10000001}, 409, 5001, ""},
			{"an unknown parent", "GET", "/wallet/v1/composite-balance/parent/" + strings.Repeat("ab", 16), h.composite, nil, 404, 5000, "incorrect parent_id"},
			{"another partner's parent", "GET", parentPath, h.plain, nil, 404, 5000, "incorrect parent_id"},
			{"a child for another partner's parent", "POST", childPath, h.plain, map[string]any{"parent_id": parentID, "credit_line": 1}, 404, 5000, "incorrect parent_id"},
			{"another partner's child", "GET", getPath, h.plain, nil, 404, 5000, "incorrect child_id"},
			{"a child id that is not a number", "GET", childPath + "/abc", h.composite, nil, 404, 5000, "incorrect child_id"},
			{"an unknown customer", "POST", childPath, h.composite, map[string]any{"parent_id": parentID, "credit_line": 1, "customer_id": 999999}, 404, 5000, "incorrect customer_id"},
			{"no credit line", "POST", childPath, h.composite, map[string]any{"parent_id": parentID}, 400, 5000, "credit_line:required"},
			{"a credit line of the wrong type", "POST", childPath, h.composite, map[string]any{"parent_id": parentID, "credit_line": "5"}, 400, 4400, "credit_line:must_be_integer"},
			{"a negative credit line", "PUT", updatePath, h.composite, map[string]any{"credit_line": -1}, 400, 5000, "credit_line:negative"},
			{"no partner credential", "GET", parentPath, "", nil, 401, 4401, ""},
			{"a wrong method", "DELETE", getPath, h.composite, nil, 405, 4404, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := request{method: tt.method, path: tt.path, token: tt.token}
				if tt.body != nil {
					r.body = jsonBody(tt.body)
				}
				a := h.do(r)
				code, hints := walletError(t, a, strings.Split(tt.path, "?")[0])
				if a.status != tt.status || code != tt.code {
					t.Errorf("status %d code %v, want %d %v (%s)", a.status, code, tt.status, tt.code, a.raw)
				}
				if tt.hint != "" && !strings.Contains(strings.Join(hints, "|"), tt.hint) {
					t.Errorf("hints %v lack %q", hints, tt.hint)
				}
			})
		}
	})
}

func TestChildrenListIsPaginatedWithOpaqueCursors(t *testing.T) {
	h := newHarness(t, testdb.Engines()[0])
	created := h.create(1).body["rs"].(map[string]any)
	parentID := created["composite_balance"].(map[string]any)["parent"].(map[string]any)["id"].(string)
	var ids []float64
	for i := range 5 {
		a := h.do(request{path: "/wallet/v1/composite-balance/child", token: h.composite, body: jsonBody(map[string]any{"parent_id": parentID, "credit_line": i})})
		ids = append(ids, payload(t, a, "/wallet/v1/composite-balance/child")["id"].(float64))
	}
	listPath := "/wallet/v1/composite-balance/parent/" + parentID + "/children"
	var seen []float64
	query := "?limit=2"
	for pages := 1; ; pages++ {
		p := payload(t, h.do(request{method: "GET", path: listPath + query, token: h.composite}), listPath)
		for _, c := range p["children"].([]any) {
			seen = append(seen, c.(map[string]any)["id"].(float64))
		}
		if p["next_cursor"] == nil {
			if pages != 3 {
				t.Errorf("%d pages, want 3", pages)
			}
			break
		}
		cursor := p["next_cursor"].(string)
		if cursor == fmt.Sprint(seen[len(seen)-1]) {
			t.Errorf("cursor %q is the bare id it continues after", cursor)
		}
		query = "?limit=2&cursor=" + cursor
	}
	if fmt.Sprint(seen) != fmt.Sprint(ids) {
		t.Errorf("listed %v, want %v", seen, ids)
	}
	if p := payload(t, h.do(request{method: "GET", path: listPath, token: h.composite}), listPath); len(p["children"].([]any)) != 5 {
		t.Errorf("default limit listed %d children, want all 5", len(p["children"].([]any)))
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?limit=x", "?cursor=bm90LWEtY3Vyc29y"} {
		a := h.do(request{method: "GET", path: listPath + q, token: h.composite})
		if code, _ := walletError(t, a, listPath); a.status != 400 || code != 5000 {
			t.Errorf("%s: status %d code %v, want 400 5000", q, a.status, code)
		}
	}
}

// next_cursor, the cursor's name in the answer, is the cursor parameter too: sent back as
// it reads, it continues the list instead of silently starting it over.
func TestChildrenListTakesNextCursorAsTheCursor(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		created := h.create(1).body["rs"].(map[string]any)
		parentID := created["composite_balance"].(map[string]any)["parent"].(map[string]any)["id"].(string)
		var ids []any
		for i := range 3 {
			a := h.do(request{path: "/wallet/v1/composite-balance/child", token: h.composite, body: jsonBody(map[string]any{"parent_id": parentID, "credit_line": i})})
			ids = append(ids, payload(t, a, "/wallet/v1/composite-balance/child")["id"])
		}
		listPath := "/wallet/v1/composite-balance/parent/" + parentID + "/children"
		list := func(query string) map[string]any {
			t.Helper()
			return payload(t, h.do(request{method: "GET", path: listPath + query, token: h.composite}), listPath)
		}
		idsOf := func(p map[string]any) []any {
			var out []any
			for _, c := range p["children"].([]any) {
				out = append(out, c.(map[string]any)["id"])
			}
			return out
		}
		first := list("?limit=2")
		cursor := first["next_cursor"].(string)
		for _, query := range []string{
			"?limit=2&next_cursor=" + cursor,
			"?limit=2&cursor=" + cursor + "&next_cursor=" + cursor, // the same value twice
			"?limit=2&cursor=" + cursor + "&next_cursor=",          // an empty one is absent
		} {
			if got := idsOf(list(query)); fmt.Sprint(got) != fmt.Sprint(ids[2:]) {
				t.Errorf("%s listed %v, want the second page %v", query, got, ids[2:])
			}
		}

		// Two different cursors are refused, not one of them picked.
		other := list("?limit=1")["next_cursor"].(string)
		for _, query := range []string{
			"?cursor=" + cursor + "&next_cursor=" + other,
			"?next_cursor=" + other + "&cursor=" + cursor,
		} {
			a := h.do(request{method: "GET", path: listPath + query, token: h.composite})
			if code, hints := walletError(t, a, listPath); a.status != 400 || code != 5000 || !slices.Contains(hints, "cursor:mismatch") {
				t.Errorf("%s: status %d code %v hints %q, want 400 5000 cursor:mismatch", query, a.status, code, hints)
			}
		}
		// A malformed next_cursor is refused like a malformed cursor.
		a := h.do(request{method: "GET", path: listPath + "?next_cursor=bm90LWEtY3Vyc29y", token: h.composite})
		if code, hints := walletError(t, a, listPath); a.status != 400 || code != 5000 || !slices.Contains(hints, "cursor:invalid") {
			t.Errorf("malformed next_cursor: status %d code %v hints %q, want 400 5000 cursor:invalid", a.status, code, hints)
		}
	})
}
