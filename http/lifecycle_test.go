package http_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

// userRefused checks a style A refusal: its status, code, and that every hint given is among
// its hints.
func userRefused(t testing.TB, a answer, what string, status int, code float64, want ...string) []string {
	t.Helper()
	got, hints := errorOf(t, a)
	if a.status != status || got != code {
		t.Errorf("%s: status %d code %v, want %d %v: %s", what, a.status, got, status, code, a.raw)
	}
	for _, h := range want {
		if !slices.Contains(hints, h) {
			t.Errorf("%s: hints %q lack %q", what, hints, h)
		}
	}
	return hints
}

// rsOf is the rs object of a style A success.
func rsOf(t testing.TB, a answer, what string) map[string]any {
	t.Helper()
	if a.status != http.StatusOK || a.body["err"] != nil {
		t.Fatalf("%s: status %d: %s", what, a.status, a.raw)
	}
	rs, ok := a.body["rs"].(map[string]any)
	if !ok {
		t.Fatalf("%s: rs is not an object: %s", what, a.raw)
	}
	return rs
}

// created is a customer created for the lifecycle tests, with its credentials.
type created struct {
	id                                int64
	wallet                            int64
	oauth, refresh, privateKey, email string
	rs                                map[string]any
}

func (h *harness) createdCustomer(token string, seq uint64, composite bool) created {
	h.t.Helper()
	req := createJSON(seq)
	if !composite {
		delete(req, "composite_balance")
	}
	rs := rsOf(h.t, h.do(request{path: "/user/v1/account/create", token: token, contentType: "application/json", body: jsonBody(req)}), "create")
	return created{id: int64(rs["id"].(float64)), wallet: int64(rs["ewallet_id"].(float64)), oauth: rs["oauth_token"].(string),
		refresh: rs["refresh_token"].(string), privateKey: rs["private_key"].(string), email: rs["email"].(string), rs: rs}
}

func (h *harness) patchAccount(token string, id any, body any, header map[string]string) answer {
	h.t.Helper()
	return h.do(request{method: http.MethodPatch, path: fmt.Sprintf("/user/v1/account/%v", id), token: token,
		contentType: "application/json", body: jsonBody(body), header: header})
}

func (h *harness) setStatus(id any, body any) answer {
	h.t.Helper()
	return h.do(request{path: fmt.Sprintf("/user/v1/account/%v/status", id), token: h.composite, contentType: "application/json", body: jsonBody(body)})
}

func (h *harness) getAccountAs(id int64, header map[string]string, token string) answer {
	h.t.Helper()
	return h.do(request{method: http.MethodGet, path: accountPath(id), token: token, header: header})
}

// level3Fields are the level 2 and 3 data gen.Level3 adds, as JSON with its types.
func level3Fields() map[string]any {
	r := gen.Level3(saldo.CreateCustomerRequest{})
	return map[string]any{
		"street": r.Street, "exterior": r.Exterior, "colony": r.Colony, "city": r.City, "zipcode": r.Zipcode,
		"state_id": 9, "nationality_id": 1, "identification_document_front": r.IdentificationDocumentFront,
		"identification_document_back": r.IdentificationDocumentBack, "identification_document_type": 1,
		"address_document_front": r.AddressDocumentFront, "address_document_type": 2, "selfie": r.Selfie,
	}
}

func TestUpdateAccount(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := h.createdCustomer(h.composite, 1, true)
		b := h.createdCustomer(h.composite, 2, true)

		// One address field: the rest stays, and the answer is the profile as GET shows it.
		rs := rsOf(t, h.patchAccount(h.composite, a.id, map[string]any{"city": "Guadalajara", "email": ""}, nil), "patch city")
		if rs["city"] != "Guadalajara" || rs["email"] != a.email || rs["first_name"] != "Juan" || rs["rfc"] != a.rs["rfc"] ||
			rs["account_level"] != 1.0 || rs["account_status_string"] != "Active" {
			t.Errorf("after a city update: %v", rs)
		}
		if _, ok := rs["oauth_token"]; ok {
			t.Error("the update's answer shows credentials")
		}
		got := rsOf(t, h.getAccountAs(a.id, nil, h.composite), "get")
		if !reflect.DeepEqual(got, rs) {
			t.Errorf("the update answered %v, GET answers %v", rs, got)
		}

		// kyc_level 3 without the data: every missing field, named for level 3.
		hints := userRefused(t, h.patchAccount(h.composite, b.id, map[string]any{"kyc_level": 3}, nil), "kyc_level 3 without data", 400, 5000)
		missing := []string{"street", "exterior", "colony", "city", "zipcode", "state_id", "nationality_id", "identification_document_front",
			"identification_document_back", "identification_document_type", "address_document_front", "address_document_type", "selfie"}
		for _, f := range missing {
			if !slices.Contains(hints, f+":required_for_level_3") {
				t.Errorf("hints %q lack %s:required_for_level_3", hints, f)
			}
		}
		if len(hints) != len(missing)+1 {
			t.Errorf("hints %q: want exactly the %d missing fields", hints, len(missing))
		}

		// The level 2 and 3 data raise the level to 3.
		up := level3Fields()
		up["kyc_level"] = 3
		if rs := rsOf(t, h.patchAccount(h.composite, b.id, up, nil), "upgrade"); rs["account_level"] != 3.0 || rs["selfie"] != "doc://selfie" || rs["state_id"] != 9.0 {
			t.Errorf("after the upgrade: level %v, selfie %v, state_id %v", rs["account_level"], rs["selfie"], rs["state_id"])
		}
		// Never lowered: a level 1 ask after it changes nothing.
		if rs := rsOf(t, h.patchAccount(h.composite, b.id, map[string]any{"kyc_level": 1, "telephone": "5512345678"}, nil), "kyc 1"); rs["account_level"] != 3.0 {
			t.Errorf("kyc_level 1 lowered the level to %v", rs["account_level"])
		}

		// Another customer's identifiers.
		userRefused(t, h.patchAccount(h.composite, b.id, map[string]any{"email": strings.ToUpper(a.email)}, nil), "another's email", 409, 4409, "email:duplicate")
		userRefused(t, h.patchAccount(h.composite, b.id, map[string]any{"email": a.email, "mobile": a.rs["mobile"]}, nil), "another's email and mobile",
			409, 4409, "email:duplicate", "mobile:duplicate")

		// What cannot change, with every failing field at once.
		userRefused(t, h.patchAccount(h.composite, a.id, map[string]any{"gender": 3}, nil), "gender 2 to 3", 400, 5000, "gender:not_allowed")
		userRefused(t, h.patchAccount(h.composite, a.id, map[string]any{"password": "a-long-password", "email": "nope"}, nil), "password",
			400, 5000, "password:not_allowed", "email:invalid")
		userRefused(t, h.patchAccount(h.composite, a.id, map[string]any{"composite_balance": map[string]any{"parent": map[string]any{"credit_line": 5}}}, nil),
			"a credit line", 400, 5000, "composite_balance:not_allowed")
		// The 0 that partner code sends with every form asks for nothing.
		if rs := rsOf(t, h.patchAccount(h.composite, a.id, map[string]any{"credit_line": 0, "city": "Toluca"}, nil), "credit_line 0"); rs["city"] != "Toluca" {
			t.Errorf("an update with credit_line 0 answered city %v", rs["city"])
		}
		userRefused(t, h.patchAccount(h.composite, a.id, map[string]any{"state_id": "9"}, nil), "a string state_id", 400, 4400, "state_id:must_be_integer")
		if rs := rsOf(t, h.patchAccount(h.composite, a.id, map[string]any{"gender": 1}, nil), "gender 2 to 1"); rs["gender_string"] != "Female" {
			t.Errorf("gender 2 to 1 answered %v", rs["gender_string"])
		}

		// Form bodies: every value a string.
		for i, encode := range []func(map[string]string) (string, string){formOf, multipartOf} {
			tel := fmt.Sprintf("551234567%d", i)
			text, ct := encode(map[string]string{"telephone": tel, "state_id": "14", "zipcode": "44100", "gender": "", "kyc_level": "1"})
			a := h.do(request{method: http.MethodPatch, path: accountPath(a.id), token: h.composite, contentType: ct, body: strings.NewReader(text)})
			if rs := rsOf(t, a, ct); rs["telephone"] != tel || rs["state_id"] != 14.0 || rs["zipcode"] != "44100" || rs["gender"] != 1.0 {
				t.Errorf("form update %d: %v %v %v %v", i, rs["telephone"], rs["state_id"], rs["zipcode"], rs["gender"])
			}
		}

		// Ids that name no customer of this partner.
		other := h.createdCustomer(h.plain, 1, false)
		for _, id := range []any{"abc", "0", "007", "-1", 999999, other.id} {
			userRefused(t, h.patchAccount(h.composite, id, map[string]any{"city": "x"}, nil), fmt.Sprint("id ", id), 404, 4404, "customer_id:not_found")
		}
		userRefused(t, h.patchAccount("", a.id, map[string]any{"city": "x"}, nil), "no partner token", 401, 4401, "Authorization-ecommerce:required")

		// An Idempotency-Key replays the update.
		key := map[string]string{"Idempotency-Key": "patch-key-1"}
		first := h.patchAccount(h.composite, a.id, map[string]any{"colony": "Centro"}, key)
		again := h.patchAccount(h.composite, a.id, map[string]any{"colony": "Centro"}, key)
		if first.status != 200 || again.status != 200 || string(first.raw) != string(again.raw) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: %d %s / %d %s (replayed %q)", first.status, first.raw, again.status, again.raw, again.header.Get("Idempotent-Replayed"))
		}
		userRefused(t, h.patchAccount(h.composite, a.id, map[string]any{"colony": "Otra"}, key), "key reused", 422, 4422, "idempotency_key:reused")
	})
}

func TestAccountStatus(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		loadUDI(t, h.store)
		a := h.createdCustomer(h.composite, 1, true)
		b := h.createdCustomer(h.composite, 2, true)
		topUp := h.do(request{path: topUpPath, token: h.composite, body: jsonBody(map[string]any{
			"externalTransactionId": "life-1", "balanceId": a.wallet, "amount": 50_000, "sourceCustomerID": a.id})})
		movementOf(t, topUp, topUpPath)
		asCustomer := func(token string) map[string]string { return map[string]string{"Authorization-customer": token} }
		transfer := func(from created, to int64, amount int) answer {
			return h.do(request{path: transferPath, token: h.composite, header: asCustomer(from.oauth),
				body: jsonBody(map[string]any{"sourceCustomerID": from.id, "targetID": to, "amount": amount})})
		}

		// Blocked: the customer's credentials are 403, the partner still reads the profile.
		rs := rsOf(t, h.setStatus(a.id, map[string]any{"status": 2, "reason": "fraud review"}), "block")
		if rs["account_status"] != 2.0 || rs["account_status_string"] != "Blocked" || rs["customer_status"] != 2.0 || rs["ewallet_status"] != 2.0 {
			t.Errorf("blocked profile: status %v %v, customer_status %v, ewallet_status %v", rs["account_status"], rs["account_status_string"],
				rs["customer_status"], rs["ewallet_status"])
		}
		if got := rsOf(t, h.getAccountAs(a.id, nil, h.composite), "partner reads a blocked customer"); !reflect.DeepEqual(got, rs) {
			t.Errorf("GET %v, status change answered %v", got, rs)
		}
		userRefused(t, h.getAccountAs(a.id, asCustomer(a.oauth), ""), "blocked GET account", 403, 4403, "account:blocked")
		userRefused(t, h.getAccountAs(a.id, asCustomer(a.oauth), h.composite), "blocked GET account with both headers", 403, 4403, "account:blocked")
		userRefused(t, h.do(request{method: "GET", path: "/user/v1/account/spei-clabe", header: asCustomer(a.oauth)}), "blocked spei-clabe", 403, 4403, "account:blocked")
		refused(t, h.do(request{method: "GET", path: transactionsPath(a.id), header: asCustomer(a.oauth)}), transactionsPath(a.id), 403, 4403, "account:blocked")
		refused(t, transfer(a, b.id, 100), transferPath, 403, 4403, "account:blocked")
		refused(t, h.do(request{path: cashoutPath, token: h.composite, header: asCustomer(a.oauth), body: jsonBody(map[string]any{
			"customerId": a.id, "amount": 100, "clabe": "646180110400000007", "beneficiaryName": "Juan"})}), cashoutPath, 403, 4403, "account:blocked")
		refused(t, transfer(b, a.id, 100), transferPath, 409, 5005, "targetID:not_active")
		for _, tt := range []struct {
			path string
			body map[string]any
		}{
			{"/oauth/v1/get-customer-connection-token", map[string]any{"customer_id": a.id, "customer_private_key": a.privateKey, "device_id": "phone"}},
			{"/oauth/v1/refresh-customer-token", map[string]any{"customer_refresh_token": a.refresh, "device_id": "phone"}},
		} {
			o := h.do(request{path: tt.path, token: h.composite, body: jsonBody(tt.body)})
			code, hints := errorOfC(t, o)
			if o.status != 403 || code != 4403 || !slices.Equal(hints, []string{"account:blocked"}) {
				t.Errorf("%s for a blocked customer: %d %v %q", tt.path, o.status, code, hints)
			}
		}
		intro := h.do(request{path: "/oauth/v1/introspect", token: h.composite, body: jsonBody(map[string]any{"token": a.oauth})})
		if r := response(t, intro); len(r) != 1 || r["active"] != false {
			t.Errorf("introspect of a blocked customer's token: %s", intro.raw)
		}

		// Unblocked, as a digit string: the same credentials work again.
		if rs := rsOf(t, h.setStatus(a.id, map[string]any{"status": "1"}), "unblock"); rs["account_status_string"] != "Active" || rs["ewallet_status"] != 1.0 {
			t.Errorf("unblocked: %v %v", rs["account_status_string"], rs["ewallet_status"])
		}
		rsOf(t, h.getAccountAs(a.id, asCustomer(a.oauth), ""), "GET as an unblocked customer")
		movementOf(t, transfer(a, b.id, 100), transferPath)

		// Closing needs an empty wallet.
		userRefused(t, h.setStatus(a.id, map[string]any{"status": 3}), "close with money", 409, 5005, "wallet:not_empty")
		rsOf(t, h.getAccountAs(a.id, asCustomer(a.oauth), ""), "GET after a refused close")

		// An empty customer closes, and its credentials are revoked.
		c := h.createdCustomer(h.composite, 3, true)
		rs = rsOf(t, h.setStatus(c.id, map[string]any{"status": 3}), "close")
		if rs["account_status"] != 3.0 || rs["account_status_string"] != "Closed" || rs["ewallet_status"] != 3.0 {
			t.Errorf("closed profile: %v %v %v", rs["account_status"], rs["account_status_string"], rs["ewallet_status"])
		}
		userRefused(t, h.getAccountAs(c.id, asCustomer(c.oauth), ""), "a closed customer's token", 401, 4401)
		o := h.do(request{path: "/oauth/v1/refresh-customer-token", token: h.composite,
			body: jsonBody(map[string]any{"customer_refresh_token": c.refresh, "device_id": "phone"})})
		if code, _ := errorOfC(t, o); o.status != 401 || code != 4401 {
			t.Errorf("a closed customer's refresh token: %d %s", o.status, o.raw)
		}
		// The private key is revoked too.
		o = h.do(request{path: "/oauth/v1/get-customer-connection-token", token: h.composite,
			body: jsonBody(map[string]any{"customer_id": c.id, "customer_private_key": c.privateKey, "device_id": "phone"})})
		if code, _ := errorOfC(t, o); o.status != 401 || code != 4401 {
			t.Errorf("a closed customer's private key: %d %s", o.status, o.raw)
		}
		// Closing is final.
		rsOf(t, h.setStatus(c.id, map[string]any{"status": 3}), "close again")
		userRefused(t, h.setStatus(c.id, map[string]any{"status": 1}), "reopen", 409, 5005, "account:closed")
		userRefused(t, h.patchAccount(h.composite, c.id, map[string]any{"city": "x"}, nil), "update a closed customer", 409, 5005, "account:closed")

		// Refused bodies and ids.
		for _, tt := range []struct {
			name   string
			body   any
			status int
			code   float64
			hints  []string
		}{
			{"status 4", map[string]any{"status": 4}, 400, 5000, []string{"status:invalid"}},
			{"status 0", map[string]any{"status": 0}, 400, 5000, []string{"status:invalid"}},
			{"status -1", map[string]any{"status": -1}, 400, 5000, []string{"status:invalid"}},
			{"no status", map[string]any{"reason": "x"}, 400, 5000, []string{"status:required"}},
			{"status text", map[string]any{"status": "blocked"}, 400, 5000, []string{"status:invalid"}},
			{"status 2^63", json.RawMessage(`{"status": 9223372036854775808}`), 400, 5000, []string{"status:invalid"}},
			{"status 1.0", json.RawMessage(`{"status": 1.0}`), 400, 4400, []string{"status:must_be_string_or_integer"}},
			{"reason not a string", map[string]any{"status": 2, "reason": 5}, 400, 4400, []string{"reason:must_be_string"}},
			{"a long reason", map[string]any{"status": 4, "reason": strings.Repeat("é", 256)}, 400, 5000, []string{"status:invalid", "reason:invalid"}},
		} {
			userRefused(t, h.setStatus(b.id, tt.body), tt.name, tt.status, tt.code, tt.hints...)
		}
		for _, id := range []any{"abc", "0", 999999} {
			userRefused(t, h.setStatus(id, map[string]any{"status": 2}), fmt.Sprint("status of id ", id), 404, 4404, "customer_id:not_found")
		}
		// Form bodies carry strings.
		for i, encode := range []func(map[string]string) (string, string){formOf, multipartOf} {
			status := []string{"2", "1"}[i]
			text, ct := encode(map[string]string{"status": status, "reason": "por formulario"})
			rs := rsOf(t, h.do(request{path: fmt.Sprintf("/user/v1/account/%d/status", b.id), token: h.composite, contentType: ct, body: strings.NewReader(text)}), ct)
			if fmt.Sprint(rs["account_status"]) != status {
				t.Errorf("form status %s answered %v", status, rs["account_status"])
			}
		}
	})
}

func TestSearchAccounts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		var all []created
		for seq := uint64(1); seq <= 5; seq++ {
			all = append(all, h.createdCustomer(h.composite, seq, true))
		}
		// Another partner's customer with the very same identifiers as the first.
		stranger := h.createdCustomer(h.plain, 1, false)
		search := func(query string) answer {
			return h.do(request{method: "GET", path: "/user/v1/accounts?" + query, token: h.composite})
		}
		ids := func(query string) (found []int64, next any) {
			t.Helper()
			rs := rsOf(t, search(query), query)
			for _, c := range rs["customers"].([]any) {
				p := c.(map[string]any)
				if p["ecommerce_id"] != float64(h.compID) {
					t.Errorf("%s: another partner's customer %v", query, p["id"])
				}
				found = append(found, int64(p["id"].(float64)))
			}
			return found, rs["next_cursor"]
		}
		want := func(query string, expect ...created) {
			t.Helper()
			found, next := ids(query)
			var ws []int64
			for _, c := range expect {
				ws = append(ws, c.id)
			}
			if !slices.Equal(found, ws) || next != nil {
				t.Errorf("%s: found %v (next %v), want %v", query, found, next, ws)
			}
		}

		// Each customer is shown as GET shows it.
		rs := rsOf(t, search("email="+url.QueryEscape(strings.ToUpper(all[0].email))), "by email")
		list := rs["customers"].([]any)
		if len(list) != 1 || !reflect.DeepEqual(list[0], rsOf(t, h.getAccountAs(all[0].id, nil, h.composite), "get")) || rs["next_cursor"] != nil {
			t.Errorf("search by email in upper case answered %s", search("email="+url.QueryEscape(strings.ToUpper(all[0].email))).raw)
		}
		// A changed email is found in another case.
		rsOf(t, h.patchAccount(h.composite, all[1].id, map[string]any{"email": "juan@example.com"}, nil), "set email")
		want("email="+url.QueryEscape("JUAN@Example.com"), all[1])
		want("rfc="+strings.ToLower(gen.RFC(3)), all[2])
		want("curp="+strings.ToLower(gen.CURP(4)), all[3])
		want("mobile="+gen.Customer("", 5).Mobile, all[4])
		want("email=nobody@example.com")

		rsOf(t, h.setStatus(all[2].id, map[string]any{"status": 2}), "block")
		want("status=2", all[2])
		want("status=1", all[0], all[1], all[3], all[4])
		up := level3Fields()
		rsOf(t, h.patchAccount(h.composite, all[3].id, up, nil), "upgrade")
		want("account_level=3", all[3])
		want("account_level=3&status=2")

		today := time.Now().In(saldo.MexicoCity)
		want("created_from="+today.AddDate(0, 0, -1).Format("2006-01-02")+"&created_to="+today.Format("2006-01-02"), all...)
		want("created_to=" + today.AddDate(0, 0, -1).Format("2006-01-02"))
		want("created_from=" + today.AddDate(0, 0, 1).Format("2006-01-02"))

		// Pages of two until next_cursor is null.
		var paged []int64
		pages, query := 0, "limit=2"
		for {
			found, next := ids(query)
			paged = append(paged, found...)
			pages++
			if next == nil {
				break
			}
			if pages > 5 {
				t.Fatal("next_cursor never null")
			}
			query = "limit=2&cursor=" + url.QueryEscape(next.(string))
			if pages == 2 {
				query = "limit=2&next_cursor=" + url.QueryEscape(next.(string)) // the alias
			}
		}
		var every []int64
		for _, c := range all {
			every = append(every, c.id)
		}
		if !slices.Equal(paged, every) || pages != 3 || slices.Contains(paged, stranger.id) {
			t.Errorf("pages gave %v in %d pages, want %v in 3", paged, pages, every)
		}
		if found, _ := ids(""); !slices.Equal(found, every) {
			t.Errorf("no filter: %v", found)
		}

		// Bad parameters, every one named.
		userRefused(t, search("limit=0&cursor=xyz&mobile=123&status=4&account_level=9&created_from=2026-13-01&created_to=nope"), "bad parameters",
			400, 5000, "limit:invalid", "cursor:invalid", "mobile:invalid", "status:invalid", "account_level:invalid", "created_from:invalid", "created_to:invalid")
		userRefused(t, search("limit=101"), "limit 101", 400, 5000, "limit:invalid")
		userRefused(t, search("created_from=2026-05-02&created_to=2026-05-01"), "to before from", 400, 5000, "created_to:before_created_from")
		userRefused(t, search("cursor=a&next_cursor=b"), "two cursors", 400, 5000, "cursor:mismatch")
		userRefused(t, h.do(request{method: "GET", path: "/user/v1/accounts"}), "no partner token", 401, 4401, "Authorization-ecommerce:required")
		// A children list's cursor is not this list's.
		parent := all[0].rs["composite_balance"].(map[string]any)["parent"].(map[string]any)["id"].(string)
		for i := 0; i < 2; i++ {
			h.do(request{path: "/wallet/v1/composite-balance/child", token: h.composite,
				body: jsonBody(map[string]any{"parent_id": parent, "credit_line": 10, "customer_id": all[1+i].id})})
		}
		childrenPath := "/wallet/v1/composite-balance/parent/" + parent + "/children"
		children := payload(t, h.do(request{method: "GET", path: childrenPath + "?limit=1", token: h.composite}), childrenPath)
		if c, ok := children["next_cursor"].(string); !ok {
			t.Errorf("children: %v", children)
		} else {
			userRefused(t, search("cursor="+url.QueryEscape(c)), "a children cursor", 400, 5000, "cursor:invalid")
		}
	})
}

// The update's request schemas are the create's, every field optional, without the composite
// balance credit line: a field added to the create and not to the update fails here.
func TestOpenAPIUpdateSchemasAreTheCreatesWithoutTheCreditLine(t *testing.T) {
	schemas := openAPI(t).spec.Components.Schemas
	for create, update := range map[string]string{"CreateAccountRequest": "UpdateAccountRequest", "CreateAccountForm": "UpdateAccountForm"} {
		c, u := schemas[create].Value, schemas[update].Value
		var want, got []string
		for name := range c.Properties {
			if name != "composite_balance" && name != "credit_line" {
				want = append(want, name)
			}
		}
		for name, p := range u.Properties {
			got = append(got, name)
			if cp := c.Properties[name]; cp != nil && (!slices.Equal(cp.Value.Type.Slice(), p.Value.Type.Slice()) || len(cp.Value.OneOf) != len(p.Value.OneOf)) {
				t.Errorf("%s.%s has another type than %s.%s", update, name, create, name)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) || len(u.Required) != 0 {
			t.Errorf("%s has fields %v (required %v), want %v, none required", update, got, u.Required, want)
		}
	}
}
