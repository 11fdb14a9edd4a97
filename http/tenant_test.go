package http_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo"
)

// outcome is what an answer reveals: its status, its contract code and hints (none for a
// success), whether it was a replay, and a success's body without its timestamp.
type outcome struct {
	status   int
	code     float64
	hints    string
	replayed string
	success  string
}

func outcomeOf(a answer) outcome {
	o := outcome{status: a.status, replayed: a.header.Get("Idempotent-Replayed")}
	e, _ := a.body["err"].(map[string]any)
	if e == nil {
		e, _ = a.body["error"].(map[string]any)
	}
	if len(e) != 0 {
		o.code, _ = e["code"].(float64)
		o.hints = fmt.Sprint(e["hints"])
		return o
	}
	body := map[string]any{}
	for k, v := range a.body {
		if k != "timestamp" && k != "endpoint" {
			body[k] = v
		}
	}
	o.success = fmt.Sprint(body)
	return o
}

var endpointField = regexp.MustCompile(`"endpoint":"[^"]*"`)

func TestPartnerBCannotReachPartnerAsResources(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		// Partner B has composite balances too, on the same server and database.
		_, tokenB, err := saldo.NewService(h.store, nil).CreatePartner(context.Background(), saldo.NewPartner{Name: "rival", CompositeBalances: true})
		if err != nil {
			t.Fatal(err)
		}
		tokenA := h.composite
		const childPath = "/wallet/v1/composite-balance/child"

		// Partner A's customer, with its parent, a child and its tokens.
		rsA := h.create(1).body["rs"].(map[string]any)
		idA := int64(rsA["id"].(float64))
		oauthA, refreshA, keyA := rsA["oauth_token"].(string), rsA["refresh_token"].(string), rsA["private_key"].(string)
		parentA := rsA["composite_balance"].(map[string]any)["parent"].(map[string]any)["id"].(string)
		childA := int64(payload(t, h.do(request{path: childPath, token: tokenA,
			body: jsonBody(map[string]any{"parent_id": parentA, "credit_line": 3000})}), childPath)["id"].(float64))
		// A's write under an Idempotency-Key, whose answer is stored.
		const keyOfA = "order-7781-child"
		childBodyA := map[string]any{"parent_id": parentA, "credit_line": 500}
		first := h.do(request{path: childPath, token: tokenA, body: jsonBody(childBodyA), header: map[string]string{"Idempotency-Key": keyOfA}})
		payload(t, first, childPath)
		if again := h.do(request{path: childPath, token: tokenA, body: jsonBody(childBodyA), header: map[string]string{"Idempotency-Key": keyOfA}}); again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("A's own retry is not replayed: %d %s", again.status, again.raw)
		}
		// Two more keys of A, each stored with its answer, for B to try once each.
		revokeBodyA := map[string]any{"token": strings.Repeat("ef", 32)}
		for _, key := range []string{"a-key-2", "a-key-3", "a-key-4"} {
			if a := h.do(request{path: "/oauth/v1/revoke", token: tokenA, body: jsonBody(revokeBodyA), header: map[string]string{"Idempotency-Key": key}}); a.status != 200 {
				t.Fatalf("A's revoke under %s: %d %s", key, a.status, a.raw)
			}
		}
		createBody := createJSON(5)
		const createKeyOfA = "signup-5"
		createdA := h.do(request{path: "/user/v1/account/create", token: tokenA, body: jsonBody(createBody), header: map[string]string{"Idempotency-Key": createKeyOfA}})
		if createdA.status != 200 {
			t.Fatalf("A's create under a key: %d %s", createdA.status, createdA.raw)
		}

		// Partner B's own customer and parent.
		rsB := h.do(request{path: "/user/v1/account/create", token: tokenB, body: jsonBody(createJSON(2))})
		if rsB.status != 200 {
			t.Fatalf("B's create: %d %s", rsB.status, rsB.raw)
		}
		parentB := rsB.body["rs"].(map[string]any)["composite_balance"].(map[string]any)["parent"].(map[string]any)["id"].(string)

		// Unknown counterparts of A's ids and tokens.
		unknownID := idA + 100000
		unknownParent := strings.Repeat("0", 31) + "1"
		unknownChild := childA + 100000
		unknownToken := strings.Repeat("ab", 32)
		unknownKey := "sk_" + strings.Repeat("cd", 32)

		get := func(path, token string, header map[string]string) func() answer {
			return func() answer { return h.do(request{method: http.MethodGet, path: path, token: token, header: header}) }
		}
		post := func(path string, body any, header map[string]string) func() answer {
			return func() answer { return h.do(request{path: path, token: tokenB, body: jsonBody(body), header: header}) }
		}
		put := func(path string, body any) func() answer {
			return func() answer {
				return h.do(request{method: http.MethodPut, path: path, token: tokenB, body: jsonBody(body)})
			}
		}
		connect := "/oauth/v1/get-customer-connection-token"
		parentPath := func(id string) string { return "/wallet/v1/composite-balance/parent/" + id }
		childGet := func(id int64) string { return fmt.Sprintf("%s/%d", childPath, id) }
		update := func(id int64) string { return fmt.Sprintf("%s/%d/update-credit-line", childPath, id) }

		tests := []struct {
			name         string
			ofA, unknown func() answer
			status       int    // the status both must get
			exact        string // when set, the exact body both must get
		}{
			{"GET A's account with B's credential",
				get(accountPath(idA), tokenB, nil), get(accountPath(unknownID), tokenB, nil), 404, ""},
			{"GET A's account with A's customer token and B's credential",
				get(accountPath(idA), tokenB, map[string]string{"Authorization-customer": oauthA}),
				get(accountPath(idA), tokenB, map[string]string{"Authorization-customer": unknownToken}), 401, ""},
			{"GET an unknown account with A's customer token and B's credential",
				get(accountPath(unknownID), tokenB, map[string]string{"Authorization-customer": oauthA}),
				get(accountPath(unknownID), tokenB, map[string]string{"Authorization-customer": unknownToken}), 401, ""},
			{"connection token with A's customer id and private key",
				post(connect, map[string]any{"customer_id": idA, "customer_private_key": keyA, "device_id": "phone"}, nil),
				post(connect, map[string]any{"customer_id": unknownID, "customer_private_key": unknownKey, "device_id": "phone"}, nil), 401, ""},
			{"connection token with A's customer id and an unknown private key",
				post(connect, map[string]any{"customer_id": idA, "customer_private_key": unknownKey, "device_id": "phone"}, nil),
				post(connect, map[string]any{"customer_id": unknownID, "customer_private_key": unknownKey, "device_id": "phone"}, nil), 401, ""},
			{"connection token with A's refresh token",
				post(connect, map[string]any{"customer_refresh_token": refreshA, "device_id": "phone"}, nil),
				post(connect, map[string]any{"customer_refresh_token": unknownToken, "device_id": "phone"}, nil), 401, ""},
			{"connection token with A's refresh token and customer id",
				post(connect, map[string]any{"customer_refresh_token": refreshA, "customer_id": idA, "device_id": "phone"}, nil),
				post(connect, map[string]any{"customer_refresh_token": unknownToken, "customer_id": unknownID, "device_id": "phone"}, nil), 401, ""},
			{"refresh with A's refresh token on A's device",
				post("/oauth/v1/refresh-customer-token", map[string]any{"customer_refresh_token": refreshA, "device_id": "phone"}, nil),
				post("/oauth/v1/refresh-customer-token", map[string]any{"customer_refresh_token": unknownToken, "device_id": "phone"}, nil), 401, ""},
			{"refresh with A's refresh token on another device",
				post("/oauth/v1/refresh-customer-token", map[string]any{"customer_refresh_token": refreshA, "device_id": "tablet"}, nil),
				post("/oauth/v1/refresh-customer-token", map[string]any{"customer_refresh_token": unknownToken, "device_id": "tablet"}, nil), 401, ""},
			{"revoke A's oauth token",
				post("/oauth/v1/revoke", map[string]any{"token": oauthA}, nil), post("/oauth/v1/revoke", map[string]any{"token": unknownToken}, nil),
				200, `{"response":{},"err":null}`},
			{"revoke A's refresh token",
				post("/oauth/v1/revoke", map[string]any{"token": refreshA}, nil), post("/oauth/v1/revoke", map[string]any{"token": unknownToken}, nil),
				200, `{"response":{},"err":null}`},
			{"revoke A's private key",
				post("/oauth/v1/revoke", map[string]any{"token": keyA}, nil), post("/oauth/v1/revoke", map[string]any{"token": unknownKey}, nil),
				200, `{"response":{},"err":null}`},
			{"introspect A's oauth token",
				post("/oauth/v1/introspect", map[string]any{"token": oauthA}, nil), post("/oauth/v1/introspect", map[string]any{"token": unknownToken}, nil),
				200, `{"response":{"active":false},"err":null}`},
			{"introspect A's refresh token",
				post("/oauth/v1/introspect", map[string]any{"token": refreshA}, nil), post("/oauth/v1/introspect", map[string]any{"token": unknownToken}, nil),
				200, `{"response":{"active":false},"err":null}`},
			{"GET A's parent",
				get(parentPath(parentA), tokenB, nil), get(parentPath(unknownParent), tokenB, nil), 404, ""},
			{"GET A's parent's children",
				get(parentPath(parentA)+"/children", tokenB, nil), get(parentPath(unknownParent)+"/children", tokenB, nil), 404, ""},
			{"GET A's parent's children with a limit",
				get(parentPath(parentA)+"/children?limit=1", tokenB, nil), get(parentPath(unknownParent)+"/children?limit=1", tokenB, nil), 404, ""},
			{"POST a child on A's parent",
				post(childPath, map[string]any{"parent_id": parentA, "credit_line": 1}, nil),
				post(childPath, map[string]any{"parent_id": unknownParent, "credit_line": 1}, nil), 404, ""},
			{"POST a child on A's parent for A's customer",
				post(childPath, map[string]any{"parent_id": parentA, "credit_line": 1, "customer_id": idA}, nil),
				post(childPath, map[string]any{"parent_id": unknownParent, "credit_line": 1, "customer_id": unknownID}, nil), 404, ""},
			{"POST a child beyond A's parent's credit",
				post(childPath, map[string]any{"parent_id": parentA, "credit_line": 999999999}, nil),
				post(childPath, map[string]any{"parent_id": unknownParent, "credit_line": 999999999}, nil), 404, ""},
			{"POST a child on B's own parent for A's customer",
				post(childPath, map[string]any{"parent_id": parentB, "credit_line": 1, "customer_id": idA}, nil),
				post(childPath, map[string]any{"parent_id": parentB, "credit_line": 1, "customer_id": unknownID}, nil), 404, ""},
			{"GET A's child",
				get(childGet(childA), tokenB, nil), get(childGet(unknownChild), tokenB, nil), 404, ""},
			{"PUT A's child's credit line",
				put(update(childA), map[string]any{"credit_line": 1}), put(update(unknownChild), map[string]any{"credit_line": 1}), 404, ""},
			{"PUT A's child's credit line to zero",
				put(update(childA), map[string]any{"credit_line": 0}), put(update(unknownChild), map[string]any{"credit_line": 0}), 404, ""},
			{"A's Idempotency-Key on A's very request",
				post(childPath, childBodyA, map[string]string{"Idempotency-Key": keyOfA}),
				post(childPath, childBodyA, map[string]string{"Idempotency-Key": "fresh-key-1"}), 404, ""},
			{"A's Idempotency-Key on another request",
				post(childPath, map[string]any{"parent_id": parentB, "credit_line": 1, "customer_id": idA}, map[string]string{"Idempotency-Key": "a-key-2"}),
				post(childPath, map[string]any{"parent_id": parentB, "credit_line": 1, "customer_id": unknownID}, map[string]string{"Idempotency-Key": "fresh-key-2"}), 404, ""},
			{"A's Idempotency-Key on A's very revoke",
				post("/oauth/v1/revoke", revokeBodyA, map[string]string{"Idempotency-Key": "a-key-3"}),
				post("/oauth/v1/revoke", revokeBodyA, map[string]string{"Idempotency-Key": "fresh-key-4"}),
				200, `{"response":{},"err":null}`},
			{"A's Idempotency-Key on a revoke of A's token",
				post("/oauth/v1/revoke", map[string]any{"token": oauthA}, map[string]string{"Idempotency-Key": "a-key-4"}),
				post("/oauth/v1/revoke", map[string]any{"token": unknownToken}, map[string]string{"Idempotency-Key": "fresh-key-3"}),
				200, `{"response":{},"err":null}`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ofA, unknown := tt.ofA(), tt.unknown()
				if ofA.status != tt.status {
					t.Errorf("on A's resource: status %d, want %d: %s", ofA.status, tt.status, ofA.raw)
				}
				if got, want := outcomeOf(ofA), outcomeOf(unknown); got != want {
					t.Errorf("A's resource is told apart from an unknown one:\n A's:     %+v (%s)\n unknown: %+v (%s)", got, ofA.raw, want, unknown.raw)
				}
				if tt.exact != "" && strings.TrimSpace(string(ofA.raw)) != tt.exact {
					t.Errorf("body %s, want exactly %s", ofA.raw, tt.exact)
				}
				if ofA.header.Get("Idempotent-Replayed") != "" {
					t.Errorf("B got a replay: %s", ofA.raw)
				}
				// What the answer says beyond the endpoint it echoes.
				said := endpointField.ReplaceAllString(string(ofA.raw), "")
				for _, secret := range []string{oauthA, refreshA, keyA, parentA, fmt.Sprintf(`"id":%d,`, idA), fmt.Sprintf(`"customer_id":%d,`, idA), fmt.Sprintf(`"id":%d,`, childA)} {
					if strings.Contains(said, secret) {
						t.Errorf("the answer shows %q of A: %s", secret, ofA.raw)
					}
				}
			})
		}

		t.Run("A's account create key used by B creates B's own customer", func(t *testing.T) {
			a := h.do(request{path: "/user/v1/account/create", token: tokenB, body: jsonBody(createBody), header: map[string]string{"Idempotency-Key": createKeyOfA}})
			if a.status != 200 || a.header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("status %d, replayed %q: %s", a.status, a.header.Get("Idempotent-Replayed"), a.raw)
			}
			rs, rsA := a.body["rs"].(map[string]any), createdA.body["rs"].(map[string]any)
			if rs["id"] == rsA["id"] || rs["oauth_token"] == rsA["oauth_token"] || rs["ecommerce_id"] == rsA["ecommerce_id"] {
				t.Errorf("B got A's customer: %s", a.raw)
			}
		})

		t.Run("A's resources are untouched", func(t *testing.T) {
			if a := h.do(request{method: http.MethodGet, path: accountPath(idA), header: map[string]string{"Authorization-customer": oauthA}}); a.status != 200 {
				t.Errorf("A's oauth token no longer authorizes its account: %d %s", a.status, a.raw)
			}
			for name, token := range map[string]string{"oauth": oauthA, "refresh": refreshA} {
				a := h.do(request{path: "/oauth/v1/introspect", token: tokenA, body: jsonBody(map[string]any{"token": token})})
				if rs := response(t, a); rs["active"] != true || rs["customer_id"] != float64(idA) {
					t.Errorf("A's %s token after B's attempts: %s", name, a.raw)
				}
			}
			p := payload(t, h.do(request{method: http.MethodGet, path: parentPath(parentA), token: tokenA}), parentPath(parentA))
			if p["children"] != 2.0 || p["available_credit"] != float64(10000000-3000-500) {
				t.Errorf("A's parent after B's attempts: %v", p)
			}
			c := payload(t, h.do(request{method: http.MethodGet, path: childGet(childA), token: tokenA}), childGet(childA))
			if c["credit_line"] != 3000.0 || c["customer_id"] != float64(idA) {
				t.Errorf("A's child after B's attempts: %v", c)
			}
			listPath := parentPath(parentA) + "/children"
			l := payload(t, h.do(request{method: http.MethodGet, path: listPath, token: tokenA}), listPath)
			var customers []float64
			for _, c := range l["children"].([]any) {
				customers = append(customers, c.(map[string]any)["customer_id"].(float64))
			}
			if !slices.Equal(customers, []float64{float64(idA), float64(idA)}) {
				t.Errorf("A's children after B's attempts: %v", l)
			}
			pB := payload(t, h.do(request{method: http.MethodGet, path: parentPath(parentB), token: tokenB}), parentPath(parentB))
			if pB["children"] != 0.0 {
				t.Errorf("B's parent has children after B's attempts on A's customer: %v", pB)
			}
		})
	})
}
