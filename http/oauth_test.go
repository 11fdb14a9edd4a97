package http_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// oauthNow is where the oauth tests' clock starts.
var oauthNow = time.Date(2026, 11, 24, 16, 26, 49, 0, time.UTC)

// lockedBuffer is a log destination the server's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// oauthHarness is the server harness with a clock the test moves and the server's log
// lines, at debug level, kept.
type oauthHarness struct {
	*harness
	clock *saldo.ManualClock
	logs  *lockedBuffer
}

func newOAuthHarness(t testing.TB, eng testdb.Engine) *oauthHarness {
	t.Helper()
	clock := saldo.NewManualClock(oauthNow)
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &oauthHarness{harness: harnessOn(t, eng.Open(t), serving{clock: clock, log: log}), clock: clock, logs: logs}
}

func forEachEngineOAuth(t *testing.T, test func(t *testing.T, h *oauthHarness)) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) { test(t, newOAuthHarness(t, eng)) })
	}
}

// customer is a created customer's id and credentials.
type customer struct {
	id                         int64
	oauth, refresh, privateKey string
}

func (h *oauthHarness) customer(seq uint64) customer {
	h.t.Helper()
	rs := h.create(seq).body["rs"].(map[string]any)
	return customer{id: int64(rs["id"].(float64)), oauth: rs["oauth_token"].(string),
		refresh: rs["refresh_token"].(string), privateKey: rs["private_key"].(string)}
}

// post sends body as JSON to an /oauth/v1 route as the composite partner.
func (h *oauthHarness) post(path string, body any) answer {
	h.t.Helper()
	return h.do(request{path: path, token: h.composite, contentType: "application/json", body: jsonBody(body)})
}

// response returns the response object of a successful style C answer.
func response(t testing.TB, a answer) map[string]any {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.raw)
	}
	if e, ok := a.body["err"]; !ok || e != nil || len(a.body) != 2 {
		t.Fatalf("not a style C success envelope: %s", a.raw)
	}
	rs, ok := a.body["response"].(map[string]any)
	if !ok {
		t.Fatalf("response is not an object: %s", a.raw)
	}
	return rs
}

// errorOfC returns the contract error of a style C answer; its first hint is the sentence,
// the rest are returned.
func errorOfC(t testing.TB, a answer) (code float64, hints []string) {
	t.Helper()
	e, ok := a.body["err"].(map[string]any)
	if !ok {
		t.Fatalf("answer has no err object: %s", a.raw)
	}
	if v, ok := a.body["response"]; !ok || v != nil || len(a.body) != 2 {
		t.Errorf("not a style C error envelope: %s", a.raw)
	}
	all := e["hints"].([]any)
	if len(all) == 0 || strings.Contains(all[0].(string), ":") {
		t.Errorf("first hint %v is not a sentence", all)
	}
	for _, h := range all[1:] {
		hints = append(hints, h.(string))
	}
	return e["code"].(float64), hints
}

// account reads GET /user/v1/account/{id} with the given headers only.
func (h *oauthHarness) account(path string, header map[string]string) answer {
	h.t.Helper()
	return h.do(request{method: http.MethodGet, path: path, header: header})
}

func accountPath(id int64) string { return fmt.Sprintf("/user/v1/account/%d", id) }

func TestCustomerTokenAuthorizesItsOwnAccount(t *testing.T) {
	forEachEngineOAuth(t, func(t *testing.T, h *oauthHarness) {
		c, other := h.customer(1), h.customer(2)
		viaPartner := h.account(accountPath(c.id), map[string]string{"Authorization-ecommerce": h.composite})
		viaCustomer := h.account(accountPath(c.id), map[string]string{"Authorization-customer": c.oauth})
		if viaCustomer.status != http.StatusOK || !bytes.Equal(viaCustomer.raw, viaPartner.raw) {
			t.Fatalf("with the fresh oauth token alone: %d %s; want what the partner reads: %s", viaCustomer.status, viaCustomer.raw, viaPartner.raw)
		}

		superseded := h.customer(3)
		response(t, h.post("/oauth/v1/get-customer-connection-token", map[string]any{
			"customer_id": superseded.id, "customer_private_key": superseded.privateKey, "device_id": "phone"}))

		tests := []struct {
			name   string
			path   string
			header map[string]string
			status int
		}{
			{"both credentials, agreeing", accountPath(c.id), map[string]string{"Authorization-customer": c.oauth, "Authorization-ecommerce": h.composite}, 200},
			{"another customer's token", accountPath(c.id), map[string]string{"Authorization-customer": other.oauth}, 401},
			{"a token on another customer's account", accountPath(other.id), map[string]string{"Authorization-customer": c.oauth}, 401},
			{"a token revoked by a connection token", accountPath(superseded.id), map[string]string{"Authorization-customer": superseded.oauth}, 401},
			{"a refresh token", accountPath(c.id), map[string]string{"Authorization-customer": c.refresh}, 401},
			{"a private key", accountPath(c.id), map[string]string{"Authorization-customer": c.privateKey}, 401},
			{"a malformed token", accountPath(c.id), map[string]string{"Authorization-customer": "Bearer " + c.oauth}, 401},
			{"a token and a path that is no id", "/user/v1/account/abc", map[string]string{"Authorization-customer": c.oauth}, 401},
			{"another partner's credential with the customer's token", accountPath(c.id), map[string]string{"Authorization-customer": c.oauth, "Authorization-ecommerce": h.plain}, 401},
			{"the partner's credential with a bad customer token", accountPath(c.id), map[string]string{"Authorization-customer": other.oauth, "Authorization-ecommerce": h.composite}, 401},
			{"no credential at all", accountPath(c.id), nil, 401},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := h.account(tt.path, tt.header)
				if a.status != tt.status {
					t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.raw)
				}
				if tt.status == 401 {
					if code, _ := errorOf(t, a); code != 4401 {
						t.Errorf("code %v, want 4401", code)
					}
				}
			})
		}

		t.Run("an expired token", func(t *testing.T) {
			h.clock.Advance(time.Hour)
			a := h.account(accountPath(c.id), map[string]string{"Authorization-customer": c.oauth})
			if code, _ := errorOf(t, a); a.status != 401 || code != 4401 {
				t.Errorf("an hour after issue: status %d code %v, want 401 4401", a.status, code)
			}
		})
	})
}

func TestConnectionTokenIssuesANewSession(t *testing.T) {
	forEachEngineOAuth(t, func(t *testing.T, h *oauthHarness) {
		c := h.customer(1)
		h.clock.Advance(time.Minute)
		a := h.post("/oauth/v1/get-customer-connection-token", map[string]any{
			"customer_id": c.id, "customer_private_key": c.privateKey, "device_id": "tablet", "client_state": 7})
		rs := response(t, a)
		want := map[string]string{"customer_oauth_token": "string", "expiration_timestamp": "string", "customer_refresh_token": "string",
			"refresh_expiration_timestamp": "string", "client_state_ret": "number"}
		if len(rs) != len(want) {
			t.Errorf("response has fields %v, want exactly %v", rs, want)
		}
		for name, typ := range want {
			if got := jsonType(rs[name]); got != typ {
				t.Errorf("response.%s is %s, want %s", name, got, typ)
			}
		}
		issued := oauthNow.Add(time.Minute)
		if !hex64.MatchString(rs["customer_oauth_token"].(string)) || !hex64.MatchString(rs["customer_refresh_token"].(string)) ||
			rs["expiration_timestamp"] != expiryText(issued.Add(time.Hour)) ||
			rs["refresh_expiration_timestamp"] != expiryText(issued.Add(90*24*time.Hour)) || rs["client_state_ret"] != 7.0 {
			t.Errorf("response = %v", rs)
		}
		if got := a.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", got)
		}
		fresh := rs["customer_oauth_token"].(string)
		if a := h.account(accountPath(c.id), map[string]string{"Authorization-customer": fresh}); a.status != 200 {
			t.Errorf("the new oauth token: status %d", a.status)
		}
		if a := h.account(accountPath(c.id), map[string]string{"Authorization-customer": c.oauth}); a.status != 401 {
			t.Errorf("the earlier oauth token: status %d, want 401", a.status)
		}

		// Refresh token mode, as a form body; no client_state is echoed as 0.
		form := url.Values{"customer_refresh_token": {rs["customer_refresh_token"].(string)}, "device_id": {"tablet"}}
		b := h.do(request{path: "/oauth/v1/get-customer-connection-token", token: h.composite,
			contentType: "application/x-www-form-urlencoded", body: strings.NewReader(form.Encode())})
		if rs2 := response(t, b); rs2["client_state_ret"] != 0.0 || rs2["customer_refresh_token"] == rs["customer_refresh_token"] {
			t.Errorf("refresh token mode = %v", rs2)
		}
	})
}

func TestRefreshCustomerTokenIssuesAnOAuthToken(t *testing.T) {
	forEachEngineOAuth(t, func(t *testing.T, h *oauthHarness) {
		c := h.customer(1)
		h.clock.Advance(2 * time.Hour) // the first oauth token has expired; the refresh token has not
		a := h.post("/oauth/v1/refresh-customer-token", map[string]any{"customer_refresh_token": c.refresh, "device_id": "phone"})
		rs := response(t, a)
		if len(rs) != 2 || !hex64.MatchString(fmt.Sprint(rs["oauth_token"])) ||
			rs["expiration_timestamp"] != expiryText(oauthNow.Add(3*time.Hour)) {
			t.Errorf("response = %v, want oauth_token and expiration_timestamp an hour from now", rs)
		}
		if got := a.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", got)
		}
		if a := h.account(accountPath(c.id), map[string]string{"Authorization-customer": rs["oauth_token"].(string)}); a.status != 200 {
			t.Errorf("the refreshed oauth token: status %d", a.status)
		}
	})
}

func TestOAuthRoutesRefuseBadRequests(t *testing.T) {
	forEachEngineOAuth(t, func(t *testing.T, h *oauthHarness) {
		c := h.customer(1)
		const (
			connect = "/oauth/v1/get-customer-connection-token"
			refresh = "/oauth/v1/refresh-customer-token"
		)
		tests := []struct {
			name   string
			path   string
			req    request
			status int
			code   float64
			hints  []string
		}{
			{"no partner credential", connect, request{token: "-", body: jsonBody(map[string]any{"customer_refresh_token": c.refresh, "device_id": "phone"})}, 401, 4401,
				[]string{"Authorization-ecommerce:required"}},
			{"body that is not JSON", refresh, request{body: strings.NewReader(`{"device_id":`)}, 400, 4400, []string{"body:invalid_json"}},
			{"JSON array body", connect, request{body: strings.NewReader(`[]`)}, 400, 4400, []string{"body:invalid_json"}},
			{"every wrong JSON type is named", connect, request{body: jsonBody(map[string]any{
				"customer_id": "7", "customer_private_key": 5, "device_id": true, "client_state": 1.5})}, 400, 4400,
				[]string{"customer_id:must_be_integer", "customer_private_key:must_be_string", "device_id:must_be_string", "client_state:must_be_integer"}},
			{"every missing field is named", connect, request{body: strings.NewReader(`{}`)}, 400, 5000,
				[]string{"customer_id:required", "customer_private_key:required", "device_id:required"}},
			{"both credentials with an unknown refresh token: no fallback to the private key", connect, request{body: jsonBody(map[string]any{
				"customer_id": c.id, "customer_private_key": c.privateKey, "customer_refresh_token": saldo.NewSecret(""), "device_id": "phone"})}, 401, 4401, nil},
			{"refresh without fields", refresh, request{body: strings.NewReader(`{"device_id": null}`)}, 400, 5000,
				[]string{"customer_refresh_token:required", "device_id:required"}},
			{"an unknown refresh token", refresh, request{body: jsonBody(map[string]any{"customer_refresh_token": saldo.NewSecret(""), "device_id": "phone"})}, 401, 4401, nil},
			{"a malformed refresh token", refresh, request{body: jsonBody(map[string]any{"customer_refresh_token": "abc", "device_id": "phone"})}, 401, 4401, nil},
			{"a private key of another customer id", connect, request{body: jsonBody(map[string]any{"customer_id": c.id + 1, "customer_private_key": c.privateKey, "device_id": "phone"})}, 401, 4401, nil},
			{"a device not registered under the refresh token", refresh, request{body: jsonBody(map[string]any{"customer_refresh_token": c.refresh, "device_id": "laptop"})}, 401, 4401,
				[]string{"device_id:not_registered"}},
			{"another partner's customer", connect, request{token: "plain", body: jsonBody(map[string]any{"customer_id": c.id, "customer_private_key": c.privateKey, "device_id": "phone"})}, 401, 4401, nil},
			{"an unsupported content type", refresh, request{contentType: "text/plain", body: strings.NewReader("x")}, 415, 4400, []string{"content_type:unsupported"}},
			{"a file where a field belongs", connect, request{contentType: "multipart/form-data; boundary=b", body: strings.NewReader(
				"--b\r\nContent-Disposition: form-data; name=\"device_id\"; filename=\"d.txt\"\r\n\r\nphone\r\n--b--\r\n")}, 400, 4400, []string{"device_id:must_be_string"}},
			{"revoke without a token", "/oauth/v1/revoke", request{body: strings.NewReader(`{}`)}, 400, 5000, []string{"token:required"}},
			{"introspect with a token of the wrong type", "/oauth/v1/introspect", request{body: strings.NewReader(`{"token": 5}`)}, 400, 4400, []string{"token:must_be_string"}},
			{"introspect without a partner credential", "/oauth/v1/introspect", request{token: "-", body: jsonBody(map[string]any{"token": c.oauth})}, 401, 4401,
				[]string{"Authorization-ecommerce:required"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := tt.req
				r.path = tt.path
				switch r.token {
				case "":
					r.token = h.composite
				case "-":
					r.token = ""
				case "plain":
					r.token = h.plain
				}
				if r.contentType == "" {
					r.contentType = "application/json"
				}
				a := h.do(r)
				if a.status != tt.status {
					t.Errorf("status = %d, want %d (%s)", a.status, tt.status, a.raw)
				}
				code, hints := errorOfC(t, a)
				slices.Sort(hints)
				want := slices.Clone(tt.hints)
				slices.Sort(want)
				if code != tt.code || !slices.Equal(hints, want) {
					t.Errorf("code %v hints %v, want %v %v", code, hints, tt.code, want)
				}
			})
		}
		// None of the refusals changed the customer's tokens.
		if a := h.account(accountPath(c.id), map[string]string{"Authorization-customer": c.oauth}); a.status != 200 {
			t.Errorf("the customer's oauth token after the refusals: status %d", a.status)
		}
		t.Run("a known route with the wrong method", func(t *testing.T) {
			a := h.do(request{method: http.MethodGet, path: refresh, token: h.composite})
			if code, _ := errorOfC(t, a); a.status != 405 || code != 4404 || a.header.Get("Allow") != "POST" {
				t.Errorf("status %d code %v Allow %q, want 405 4404 POST", a.status, code, a.header.Get("Allow"))
			}
		})
	})
}

func TestReusedRefreshTokenRevokesTheSessionOverHTTP(t *testing.T) {
	forEachEngineOAuth(t, func(t *testing.T, h *oauthHarness) {
		c := h.customer(1)
		rs := response(t, h.post("/oauth/v1/get-customer-connection-token", map[string]any{"customer_refresh_token": c.refresh, "device_id": "phone"}))
		current := rs["customer_oauth_token"].(string)

		a := h.post("/oauth/v1/refresh-customer-token", map[string]any{"customer_refresh_token": c.refresh, "device_id": "phone"})
		if code, hints := errorOfC(t, a); a.status != 401 || code != 4401 || len(hints) != 0 {
			t.Fatalf("the rotated refresh token again: status %d code %v hints %v, want 401 4401 and no hint", a.status, code, hints)
		}
		if a := h.account(accountPath(c.id), map[string]string{"Authorization-customer": current}); a.status != 401 {
			t.Errorf("the session issued by the rotation survived the reuse: status %d", a.status)
		}
		for _, tok := range []string{current, rs["customer_refresh_token"].(string)} {
			if got := response(t, h.post("/oauth/v1/introspect", map[string]any{"token": tok})); got["active"] != false {
				t.Errorf("introspect after reuse = %v", got)
			}
		}
		// The private key still connects the customer.
		response(t, h.post("/oauth/v1/get-customer-connection-token", map[string]any{
			"customer_id": c.id, "customer_private_key": c.privateKey, "device_id": "phone"}))
	})
}

func TestRevokeAndIntrospect(t *testing.T) {
	forEachEngineOAuth(t, func(t *testing.T, h *oauthHarness) {
		c := h.customer(1)

		got := response(t, h.post("/oauth/v1/introspect", map[string]any{"token": c.oauth}))
		want := map[string]any{"active": true, "customer_id": float64(c.id), "device_id": "phone", "token_type": "access_token",
			"exp": float64(oauthNow.Add(time.Hour).Unix()), "iat": float64(oauthNow.Unix())}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("introspect an active oauth token = %v, want %v", got, want)
		}
		got = response(t, h.post("/oauth/v1/introspect", map[string]any{"token": c.refresh}))
		if got["active"] != true || got["token_type"] != "refresh_token" || got["exp"] != float64(oauthNow.Add(90*24*time.Hour).Unix()) {
			t.Errorf("introspect the refresh token = %v", got)
		}

		// RFC 7009 and RFC 7662 clients send form bodies.
		form := url.Values{"token": {c.oauth}, "token_type_hint": {"access_token"}}
		a := h.do(request{path: "/oauth/v1/revoke", token: h.composite, contentType: "application/x-www-form-urlencoded", body: strings.NewReader(form.Encode())})
		if a.status != 200 || string(bytes.TrimSpace(a.raw)) != `{"response":{},"err":null}` {
			t.Errorf("revoke: %d %s, want 200 with an empty response", a.status, a.raw)
		}
		if a := h.account(accountPath(c.id), map[string]string{"Authorization-customer": c.oauth}); a.status != 401 {
			t.Errorf("the revoked oauth token: status %d, want 401", a.status)
		}

		other := h.customerOf(h.plain, 2)
		inactive := map[string]string{
			"a revoked token":         c.oauth,
			"an unknown token":        saldo.NewSecret(""),
			"a malformed token":       "%%%",
			"a private key":           c.privateKey,
			"another partner's token": other.oauth,
		}
		for name, tok := range inactive {
			t.Run(name, func(t *testing.T) {
				a := h.post("/oauth/v1/introspect", map[string]any{"token": tok})
				if a.status != 200 || string(bytes.TrimSpace(a.raw)) != `{"response":{"active":false},"err":null}` {
					t.Errorf("introspect: %d %s, want exactly {\"active\": false}", a.status, a.raw)
				}
			})
		}
		for name, tok := range map[string]string{"an unknown token": saldo.NewSecret(""), "a revoked token": c.oauth, "a malformed token": "x",
			"another partner's token": other.oauth} {
			t.Run("revoke "+name, func(t *testing.T) {
				if a := h.post("/oauth/v1/revoke", map[string]any{"token": tok}); a.status != 200 {
					t.Errorf("status %d: %s", a.status, a.raw)
				}
			})
		}
		if a := h.account(accountPath(other.id), map[string]string{"Authorization-customer": other.oauth}); a.status != 200 {
			t.Errorf("another partner's revoke reached its token: status %d", a.status)
		}
		t.Run("an expired refresh token", func(t *testing.T) {
			h.clock.Advance(90 * 24 * time.Hour)
			a := h.post("/oauth/v1/introspect", map[string]any{"token": c.refresh})
			if string(bytes.TrimSpace(a.raw)) != `{"response":{"active":false},"err":null}` {
				t.Errorf("introspect: %s, want exactly {\"active\": false}", a.raw)
			}
		})
	})
}

// customerOf creates customer seq of the partner whose token is given, without a credit line.
func (h *oauthHarness) customerOf(token string, seq uint64) customer {
	h.t.Helper()
	req := createJSON(seq)
	delete(req, "composite_balance")
	a := h.do(request{path: "/user/v1/account/create", token: token, contentType: "application/json", body: jsonBody(req)})
	if a.status != http.StatusOK {
		h.t.Fatalf("create: %d %s", a.status, a.raw)
	}
	rs := a.body["rs"].(map[string]any)
	return customer{id: int64(rs["id"].(float64)), oauth: rs["oauth_token"].(string),
		refresh: rs["refresh_token"].(string), privateKey: rs["private_key"].(string)}
}

// Every credential the flows below issue or present is looked for in the server's log lines,
// which are kept at debug level.
func TestTokensNeverReachTheLogs(t *testing.T) {
	forEachEngineOAuth(t, func(t *testing.T, h *oauthHarness) {
		secrets := []string{h.composite, h.plain}
		keep := func(vals ...any) {
			for _, v := range vals {
				if s, ok := v.(string); ok && s != "" {
					secrets = append(secrets, s)
				}
			}
		}
		c := h.customer(1)
		keep(c.oauth, c.refresh, c.privateKey)
		rs := response(t, h.post("/oauth/v1/get-customer-connection-token", map[string]any{
			"customer_id": c.id, "customer_private_key": c.privateKey, "device_id": "tablet", "client_state": 3}))
		keep(rs["customer_oauth_token"], rs["customer_refresh_token"])
		rotated := response(t, h.post("/oauth/v1/get-customer-connection-token", map[string]any{
			"customer_refresh_token": rs["customer_refresh_token"], "device_id": "tablet"}))
		keep(rotated["customer_oauth_token"], rotated["customer_refresh_token"])
		refreshed := response(t, h.post("/oauth/v1/refresh-customer-token", map[string]any{
			"customer_refresh_token": rotated["customer_refresh_token"], "device_id": "tablet"}))
		keep(refreshed["oauth_token"])
		h.account(accountPath(c.id), map[string]string{"Authorization-customer": refreshed["oauth_token"].(string)})
		h.post("/oauth/v1/introspect", map[string]any{"token": refreshed["oauth_token"]})
		h.post("/oauth/v1/revoke", map[string]any{"token": refreshed["oauth_token"]})
		// Refusals: a wrong device, a reuse, an unknown token, a malformed one.
		h.post("/oauth/v1/refresh-customer-token", map[string]any{"customer_refresh_token": rotated["customer_refresh_token"], "device_id": "x"})
		h.post("/oauth/v1/refresh-customer-token", map[string]any{"customer_refresh_token": rs["customer_refresh_token"], "device_id": "tablet"})
		unknown := saldo.NewSecret("")
		keep(unknown)
		h.post("/oauth/v1/refresh-customer-token", map[string]any{"customer_refresh_token": unknown, "device_id": "tablet"})
		h.account(accountPath(c.id), map[string]string{"Authorization-customer": unknown})
		h.do(request{path: "/oauth/v1/introspect", token: unknown[:60], contentType: "application/json", body: jsonBody(map[string]any{"token": unknown})})

		logs := h.logs.String()
		if strings.Count(logs, `"msg":"request"`) < 12 {
			t.Fatalf("the server logged too little to tell anything:\n%s", logs)
		}
		for _, s := range secrets {
			if strings.Contains(logs, s) || strings.Contains(logs, strings.TrimPrefix(strings.TrimPrefix(s, "sk_"), "ek_")) {
				t.Errorf("a credential is in the logs:\n%s", logs)
				break
			}
		}
	})
}

// A race over HTTP: one refresh token, many refreshes at once; one oauth token stays active.
func TestConcurrentRefreshesOverHTTPLeaveOneOAuthToken(t *testing.T) {
	forEachEngineOAuth(t, func(t *testing.T, h *oauthHarness) {
		c := h.customer(1)
		const n = 8
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			tokens []string
		)
		body, _ := json.Marshal(map[string]any{"customer_refresh_token": c.refresh, "device_id": "phone"})
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/oauth/v1/refresh-customer-token", bytes.NewReader(body))
				req.Header.Set("Authorization-ecommerce", h.composite)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				var env struct {
					Response struct {
						OAuthToken string `json:"oauth_token"`
					} `json:"response"`
				}
				if resp.StatusCode != 200 || json.Unmarshal(raw, &env) != nil {
					t.Errorf("refresh: %d %s", resp.StatusCode, raw)
					return
				}
				mu.Lock()
				tokens = append(tokens, env.Response.OAuthToken)
				mu.Unlock()
			}()
		}
		wg.Wait()
		active := 0
		for _, tok := range append(tokens, c.oauth) {
			if h.account(accountPath(c.id), map[string]string{"Authorization-customer": tok}).status == 200 {
				active++
			}
		}
		if len(tokens) != n || active != 1 {
			t.Errorf("%d refreshes succeeded, %d oauth tokens work; want %d and 1", len(tokens), active, n)
		}
	})
}
