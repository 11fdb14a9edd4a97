package http_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo/internal/gen"
)

// The requests below are byte for byte what a real UnDosTres partner integration (TypeScript,
// axios, Prisma) sends: a multipart sign-up whose every value is a string, then its login
// flows with the partner token in the body instead of the header. The answers must have the
// JSON types it stores: the expiries are strings, written to string columns.

// partnerMultipart is a sign-up as Node's form-data writes it for axios: every value a string,
// mobile_country_code with its "+", kyc_level, credit_line=0 whatever the partner, a bcrypt
// hash as the password, and a campaign id.
func partnerMultipart(seq uint64) (body, contentType string) {
	c := gen.Customer("", seq)
	const boundary = "--------------------------487682300036072392114180"
	fields := [][2]string{
		{"email", c.Email}, {"mobile", c.Mobile}, {"mobile_country_code", "+52"},
		{"first_name", c.FirstName}, {"last_name", c.LastName}, {"second_last_name", c.SecondLastName},
		{"gender", c.Gender}, {"rfc", c.RFC}, {"curp", c.CURP}, {"date_of_birth", c.DateOfBirth},
		{"password", "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"device_id", "web-3f9a"}, {"kyc_level", "1"}, {"credit_line", "0"}, {"campaign_id", "spring-2026"},
	}
	var b strings.Builder
	for _, f := range fields {
		fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n", boundary, f[0], f[1])
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.String(), "multipart/form-data; boundary=" + boundary
}

// axiosJSON sends body as axios does: JSON, with its Accept header, and no partner header.
func axiosJSON(path, body string) request {
	return request{path: path, contentType: "application/json", body: strings.NewReader(body),
		header: map[string]string{"Accept": "application/json, text/plain, */*"}}
}

func TestRealPartnerCodeSignsUpAndLogsIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		for _, tt := range []struct {
			name      string
			token     string
			composite bool
		}{
			{"partner without composite balances ignores credit_line=0", h.plain, false},
			{"partner with composite balances opens a parent of 0", h.composite, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				seq := uint64(1)
				if tt.composite {
					seq = 2
				}
				body, contentType := partnerMultipart(seq)
				a := h.do(request{path: "/user/v1/account/create", token: tt.token, contentType: contentType, body: strings.NewReader(body)})
				if a.status != http.StatusOK {
					t.Fatalf("sign-up: status %d: %s", a.status, a.raw)
				}
				rs := a.body["rs"].(map[string]any)
				checkTypes(t, "sign-up", rs, map[string]string{
					"id": "number", "mobile": "number", "mobile_country_code": "string", "account_level": "number",
					"oauth_token": "string", "refresh_token": "string", "private_key": "string",
					"expiration_timestamp": "string", "refresh_expiration_timestamp": "string",
				})
				parseExpiry(t, rs["expiration_timestamp"])
				parseExpiry(t, rs["refresh_expiration_timestamp"])
				if rs["mobile_country_code"] != "52" || rs["campaign_id"] != nil {
					t.Errorf("mobile_country_code %v, campaign_id shown %v", rs["mobile_country_code"], rs["campaign_id"])
				}
				parent, _ := rs["composite_balance"].(map[string]any)
				if (parent != nil) != tt.composite {
					t.Errorf("composite_balance = %v, want a parent: %v", rs["composite_balance"], tt.composite)
				}
				partnerLogsIn(t, h, tt.token, rs)
			})
		}
	})
}

// partnerLogsIn runs the client's login flows for the customer created as rs, with the partner
// token only in the bodies.
func partnerLogsIn(t *testing.T, h *harness, token string, rs map[string]any) {
	t.Helper()
	id := int64(rs["id"].(float64))

	// Refresh: the stored refresh token, the device, the partner token and extra_login_data.
	a := h.do(axiosJSON("/oauth/v1/refresh-customer-token", fmt.Sprintf(
		`{"customer_refresh_token":%q,"device_id":"web-3f9a","ecommerce_token":%q,"extra_login_data":{"ip":"189.203.1.7","user_agent":"Mozilla/5.0"}}`,
		rs["refresh_token"], token)))
	refreshed := response(t, a)
	checkTypes(t, "refresh", refreshed, map[string]string{"oauth_token": "string", "expiration_timestamp": "string"})
	if exp := parseExpiry(t, refreshed["expiration_timestamp"]); time.Until(exp) < 59*time.Minute || time.Until(exp) > time.Hour {
		t.Errorf("refreshed oauth token expires at %v, want in an hour", exp)
	}

	// Connection token: all three credential fields, "" for the private key it lacks.
	a = h.do(axiosJSON("/oauth/v1/get-customer-connection-token", fmt.Sprintf(
		`{"customer_id":%d,"customer_private_key":"","customer_refresh_token":%q,"device_id":"web-3f9a","client_state":1,"ecommerce_token":%q,"extra_login_data":{}}`,
		id, rs["refresh_token"], token)))
	conn := response(t, a)
	checkTypes(t, "connection token", conn, map[string]string{"customer_oauth_token": "string", "expiration_timestamp": "string",
		"customer_refresh_token": "string", "refresh_expiration_timestamp": "string", "client_state_ret": "number"})

	// And with both credentials filled in, the refresh token decides.
	a = h.do(axiosJSON("/oauth/v1/get-customer-connection-token", fmt.Sprintf(
		`{"customer_id":%d,"customer_private_key":%q,"customer_refresh_token":%q,"device_id":"web-3f9a","ecommerce_token":%q}`,
		id, rs["private_key"], conn["customer_refresh_token"], token)))
	again := response(t, a)
	if again["customer_refresh_token"] == conn["customer_refresh_token"] {
		t.Error("the refresh token was not rotated")
	}

	// The new oauth token opens the profile, with the names the client reads.
	p := h.do(request{method: http.MethodGet, path: fmt.Sprintf("/user/v1/account/%d", id),
		header: map[string]string{"Authorization-customer": again["customer_oauth_token"].(string)}})
	if p.status != http.StatusOK {
		t.Fatalf("profile: status %d: %s", p.status, p.raw)
	}
	checkTypes(t, "profile", p.body["rs"].(map[string]any), map[string]string{"customer_status": "number", "state": "number"})
}

func checkTypes(t *testing.T, what string, obj map[string]any, want map[string]string) {
	t.Helper()
	for name, typ := range want {
		if got := jsonType(obj[name]); got != typ {
			t.Errorf("%s: %s is %s (%v), want %s", what, name, got, obj[name], typ)
		}
	}
}

// On the /oauth/v1 routes the partner token may come in the body; with the header as well,
// both must be the same token.
func TestOAuthRoutesTakeThePartnerTokenFromTheBody(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		rs := h.create(1).body["rs"].(map[string]any)
		body := func(token string) string {
			return fmt.Sprintf(`{"customer_refresh_token":%q,"device_id":"phone","ecommerce_token":%q}`, rs["refresh_token"], token)
		}
		for _, tt := range []struct {
			name   string
			req    request
			status int
			hint   string
		}{
			{"the same token in the header and the body", withHeader(axiosJSON("/oauth/v1/refresh-customer-token", body(h.composite)), h.composite), 200, ""},
			{"another partner's token in the body beside the header", withHeader(axiosJSON("/oauth/v1/refresh-customer-token", body(h.plain)), h.composite), 401, "ecommerce_token:mismatch"},
			{"an unknown token in the body", axiosJSON("/oauth/v1/refresh-customer-token", body("ek_"+strings.Repeat("0", 64))), 401, "Authorization-ecommerce:invalid"},
			{"the token as a form field", request{path: "/oauth/v1/introspect", contentType: "application/x-www-form-urlencoded",
				body: strings.NewReader("token=" + rs["oauth_token"].(string) + "&ecommerce_token=" + h.composite)}, 200, ""},
			{"no token anywhere", axiosJSON("/oauth/v1/introspect", `{"token":"x"}`), 401, "Authorization-ecommerce:required"},
			{"a body token is not read on /user/v1", request{path: "/user/v1/account/create", contentType: "application/json",
				body: strings.NewReader(`{"ecommerce_token":"` + h.composite + `"}`)}, 401, "Authorization-ecommerce:required"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				a := h.do(tt.req)
				if a.status != tt.status {
					t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.raw)
				}
				if tt.hint != "" && !strings.Contains(string(a.raw), `"`+tt.hint+`"`) {
					t.Errorf("answer %s, want the hint %s", a.raw, tt.hint)
				}
			})
		}
	})
}

func withHeader(r request, token string) request {
	r.token = token
	return r
}

// curlData sends body as `curl -d BODY` does without -H 'Content-Type: …': curl labels every
// -d body application/x-www-form-urlencoded. When body is JSON, that label is a mistake the
// server forgives: the request is not one the OpenAPI document describes, so it goes around
// harness.do's request check. Its answer is still checked, by the server's wrapper.
func curlData(t *testing.T, h *harness, path, token, body string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization-ecommerce", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s: body is not a JSON object: %q", path, raw)
	}
	return a
}

// A JSON object sent with curl -d and no Content-Type is read as the JSON it is, on every
// route that reads a body, instead of as a form whose fields are then all missing.
func TestJSONSentAsCurlDataIsReadAsJSON(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		c := gen.Customer("", 1)
		body := fmt.Sprintf(`{"email": %q, "mobile": %s, "first_name": %q, "last_name": %q, "gender": 2,
			"composite_balance": {"parent": {"credit_line": 10000000}}}`, c.Email, c.Mobile, c.FirstName, c.LastName)
		a := curlData(t, h, "/user/v1/account/create", h.composite, body)
		if a.status != http.StatusOK {
			t.Fatalf("create: %d %s", a.status, a.raw)
		}
		rs := a.body["rs"].(map[string]any)
		parent := rs["composite_balance"].(map[string]any)["parent"].(map[string]any)
		if rs["email"] != c.Email || fmt.Sprintf("%.0f", rs["mobile"]) != c.Mobile || parent["credit_line"] != float64(10000000) {
			t.Errorf("created %v %v with credit line %v, want %s %s with 10000000", rs["email"], rs["mobile"], parent["credit_line"], c.Email, c.Mobile)
		}

		// A wallet route.
		a = curlData(t, h, "/wallet/v1/composite-balance/child", h.composite, fmt.Sprintf(`{"parent_id": %q, "credit_line": 250000}`, parent["id"]))
		if p := payload(t, a, "/wallet/v1/composite-balance/child"); p["credit_line"] != float64(250000) {
			t.Errorf("child credit line %v, want 250000", p["credit_line"])
		}

		// An oauth route, with the partner token in the JSON body instead of the header.
		a = curlData(t, h, "/oauth/v1/introspect", "", fmt.Sprintf(`{"token": %q, "ecommerce_token": %q}`, rs["refresh_token"], h.composite))
		if a.status != http.StatusOK || a.body["response"].(map[string]any)["active"] != true {
			t.Errorf("introspect: %d %s, want the refresh token active", a.status, a.raw)
		}

		// JSON types are JSON's, and a body that starts like JSON and is not says so.
		for body, hint := range map[string]string{`{"email": "a@b.mx", "gender": "2"}`: "gender:must_be_integer", `{email=a%40b.mx`: "body:invalid_json"} {
			a := curlData(t, h, "/user/v1/account/create", h.composite, body)
			if code, hints := errorOf(t, a); a.status != http.StatusBadRequest || code != 4400 || !slices.Contains(hints, hint) {
				t.Errorf("%s: %d %v %q, want 400 4400 %s", body, a.status, code, hints, hint)
			}
		}
	})
}
