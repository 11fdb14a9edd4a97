package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// harness is a real server over a real store, with two partners: one with composite balances
// and one without.
type harness struct {
	t         testing.TB
	srv       *httptest.Server
	store     saldo.Store
	composite string // token of the partner with composite balances
	plain     string // token of the partner without
	compID    int64
	svc       *saldo.Service // the server's service
	// answersChecked is set when srv checks every answer against the OpenAPI document as it
	// writes it (newHarness); do then checks only the requests it sends.
	answersChecked bool
}

func newHarness(t testing.TB, eng testdb.Engine) *harness {
	t.Helper()
	return harnessOn(t, eng.Open(t), serving{})
}

// serving is how a harness' server differs from newHarness's.
type serving struct {
	clock saldo.Clock  // the service's clock; nil: the real one
	log   *slog.Logger // the request log; nil: discarded
	opts  []saldohttp.Option
	// through, when set, is the store the server's service works on instead of the harness'
	// own, which holds the partners.
	through saldo.Store
	// svcOpts configure the server's service.
	svcOpts []saldo.Option
}

// harnessOn is a harness over store, its server set up as cfg says.
func harnessOn(t testing.TB, store saldo.Store, cfg serving) *harness {
	t.Helper()
	svc := saldo.NewService(store, cfg.clock, cfg.svcOpts...)
	ctx := context.Background()
	e, composite, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "tienda", CompositeBalances: true})
	if err != nil {
		t.Fatal(err)
	}
	_, plain, err := svc.CreatePartner(ctx, saldo.NewPartner{Name: "otra"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.through != nil {
		svc = saldo.NewService(cfg.through, cfg.clock, cfg.svcOpts...)
	}
	if cfg.log == nil {
		cfg.log = slog.New(slog.DiscardHandler)
	}
	// Every answer is checked against the OpenAPI document, also those to requests that do not
	// go through do (the hostile corpus, raw connections).
	srv := serveLikeSaldo(t, saldohttp.NewServer(svc, cfg.log, cfg.opts...), checkAnswers)
	return &harness{t: t, srv: srv, store: store, composite: composite, plain: plain, compID: e.ID, svc: svc, answersChecked: true}
}

// serveLikeSaldo serves api as saldo serve does, with its http.Server settings and on its
// listener, over a real TCP connection; wrap, when given, wraps the handler.
func serveLikeSaldo(t testing.TB, api *saldohttp.Server, wrap func(testing.TB, http.Handler) http.Handler) *httptest.Server {
	var h http.Handler = api
	if wrap != nil {
		h = wrap(t, api)
	}
	srv := httptest.NewUnstartedServer(h)
	saldohttp.ConfigureServer(srv.Config)
	srv.Listener = api.Listener(srv.Listener)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// forEachEngine runs test on SQLite and on PostgreSQL.
func forEachEngine(t *testing.T, test func(t *testing.T, h *harness)) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) { test(t, newHarness(t, eng)) })
	}
}

type request struct {
	method, path, token, contentType string
	body                             io.Reader
	header                           map[string]string
	contentLength                    int64 // -1: unknown (chunked)
}

// answer is a decoded response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (h *harness) do(r request) answer {
	h.t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	req, err := http.NewRequest(r.method, h.srv.URL+r.path, r.body)
	if err != nil {
		h.t.Fatal(err)
	}
	if r.contentLength != 0 {
		req.ContentLength = r.contentLength
	}
	// The body is kept to check the request against the OpenAPI document afterwards; it is
	// sent as before, with the length (or none) NewRequest gave it. An empty one stays
	// http.NoBody: a copy of it would go out chunked, not with Content-Length 0.
	var sent []byte
	if req.Body != nil && req.Body != http.NoBody {
		if sent, err = io.ReadAll(req.Body); err != nil {
			h.t.Fatal(err)
		}
		req.Body = io.NopCloser(bytes.NewReader(sent))
	}
	if r.token != "" {
		req.Header.Set("Authorization-ecommerce", r.token)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	checkExchange(h.t, !h.answersChecked, req, sent, resp.StatusCode, resp.Header, raw)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		h.t.Fatalf("%s %s: body is not a JSON object: %q", r.method, r.path, raw)
	}
	return a
}

// harness.do sends a body as the request gives it: keeping a copy for the OpenAPI check
// changes nothing on the wire.
func TestHarnessSendsBodiesAsGiven(t *testing.T) {
	var (
		mu  sync.Mutex
		got []string
	)
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, fmt.Sprintf("%d %v %s", r.ContentLength, r.TransferEncoding, body))
		mu.Unlock()
		w.WriteHeader(http.StatusNotFound) // the request of a 404 is not checked against the document
		io.WriteString(w, "{}")
	}))
	defer stub.Close()
	h := &harness{t: t, srv: stub, answersChecked: true} // nor is the stub's answer
	h.do(request{path: "/x", body: strings.NewReader("")})
	h.do(request{path: "/x", body: strings.NewReader("{}")})
	h.do(request{path: "/x", body: strings.NewReader("{}"), contentLength: -1})
	h.do(request{path: "/x"})
	want := []string{"0 [] ", "2 [] {}", "-1 [chunked] {}", "0 [] "}
	if !slices.Equal(got, want) {
		t.Errorf("the server got (Content-Length, Transfer-Encoding, body) %q, want %q", got, want)
	}
}

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

// createJSON is a valid JSON create for the composite partner.
func createJSON(seq uint64) map[string]any {
	c := gen.Customer("", seq)
	return map[string]any{
		"email": c.Email, "mobile": json.Number(c.Mobile), "first_name": c.FirstName, "last_name": c.LastName,
		"second_last_name": c.SecondLastName, "gender": 2, "rfc": strings.ToLower(c.RFC), "curp": c.CURP,
		"date_of_birth": c.DateOfBirth, "device_id": "phone",
		"composite_balance": map[string]any{"parent": map[string]any{"credit_line": 10000000}},
	}
}

func (h *harness) create(seq uint64) answer {
	h.t.Helper()
	a := h.do(request{path: "/user/v1/account/create", token: h.composite, contentType: "application/json", body: jsonBody(createJSON(seq))})
	if a.status != http.StatusOK {
		h.t.Fatalf("create: %d %s", a.status, a.raw)
	}
	return a
}

// errorOf returns the contract error of a style A answer.
func errorOf(t testing.TB, a answer) (code float64, hints []string) {
	t.Helper()
	e, ok := a.body["err"].(map[string]any)
	if !ok {
		t.Fatalf("answer has no err object: %s", a.raw)
	}
	if a.body["rs"] != nil {
		t.Errorf("error answer has rs = %v, want null", a.body["rs"])
	}
	for _, h := range e["hints"].([]any) {
		hints = append(hints, h.(string))
	}
	if len(hints) == 0 || strings.Contains(hints[0], ":") {
		t.Errorf("first hint %q is not a sentence", hints)
	}
	return e["code"].(float64), hints
}

// seedFields are the names and JSON types of the seed page's rs object, plus the fields the
// contract adds.
var seedFields = map[string]string{
	"account_level": "number", "account_status": "number", "account_status_string": "string", "address": "string",
	"address_document_back": "string", "address_document_back_url": "string", "address_document_front": "string",
	"address_document_front_url": "string", "address_document_type": "number", "are_account_resources_of_user": "bool",
	"business_name": "string", "business_purpose": "string", "clabe": "string", "city": "string", "colony": "string",
	"constitution_date": "string", "correspondence_address": "string", "country_of_birth": "string",
	"date_of_birth": "string", "ecommerce_id": "number", "email": "string", "exterior": "string", "first_name": "string",
	"gender": "number", "gender_string": "string", "id": "number", "identification_document_back": "string",
	"identification_document_back_url": "string", "identification_document_front": "string",
	"identification_document_front_url": "string", "identification_document_type": "number", "interior": "string",
	"is_business": "bool", "last_name": "string", "mobile": "number", "mobile_country_code": "string",
	"nationality_id": "number", "oauth_token": "string", "occupation_id": "number", "person_type": "number",
	"private_key": "string", "rfc": "string", "refresh_token": "string", "risk_level": "number",
	"second_last_name": "string", "society_type": "number", "selfie": "string", "selfie_url": "string",
	"state_id": "number", "street": "string", "telephone": "string", "zipcode": "string", "composite_balance": "object",
	// Added by the contract.
	"middle_name": "string", "curp": "string", "ewallet_id": "number", "ewallet_status": "number",
	"expiration_timestamp": "string", "refresh_expiration_timestamp": "string",
}

var secretFields = []string{"oauth_token", "refresh_token", "private_key", "expiration_timestamp", "refresh_expiration_timestamp"}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// expiryText is how the contract writes a credential's expiry: a JSON string, RFC 3339 in
// UTC with milliseconds.
func expiryText(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// parseExpiry reads an expiry from a decoded answer, failing unless it is such a string.
func parseExpiry(tb testing.TB, v any) time.Time {
	tb.Helper()
	s, _ := v.(string)
	t, err := time.Parse("2006-01-02T15:04:05.000Z", s)
	if err != nil {
		tb.Fatalf("expiry %#v is not RFC 3339 UTC with milliseconds: %v", v, err)
	}
	return t
}

var (
	hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)
	hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

func TestCreateAccountAnswersWithEverySeedField(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		req := createJSON(1)
		req["email"] = "  Juan.Perez@Example.com "
		a := h.do(request{path: "/user/v1/account/create", token: h.composite, contentType: "application/json", body: jsonBody(req)})
		if a.status != http.StatusOK || a.body["err"] != nil {
			t.Fatalf("status %d, body %s", a.status, a.raw)
		}
		rs := a.body["rs"].(map[string]any)
		for name, typ := range seedFields {
			if got := jsonType(rs[name]); got != typ {
				t.Errorf("rs.%s is %s (%v), want %s", name, got, rs[name], typ)
			}
		}
		for name := range rs {
			if _, ok := seedFields[name]; !ok {
				t.Errorf("rs has unexpected field %q", name)
			}
		}
		c := gen.Customer("", 1)
		checks := map[string]any{
			"email": "Juan.Perez@Example.com", "mobile": mustFloat(c.Mobile), "mobile_country_code": "52",
			"rfc": c.RFC, "curp": c.CURP, "gender": 2.0, "gender_string": "Male", "person_type": 1.0, "is_business": false,
			"account_level": 1.0, "account_status": 1.0, "account_status_string": "Active", "ewallet_status": 1.0,
			"ecommerce_id": float64(h.compID), "first_name": "Juan", "last_name": "Pérez", "second_last_name": "Gómez",
			"date_of_birth": gen.BirthDate, "clabe": "", "risk_level": 0.0,
		}
		for name, want := range checks {
			if rs[name] != want {
				t.Errorf("rs.%s = %#v, want %#v", name, rs[name], want)
			}
		}
		if !hex64.MatchString(rs["oauth_token"].(string)) || !hex64.MatchString(rs["refresh_token"].(string)) ||
			!strings.HasPrefix(rs["private_key"].(string), "sk_") || !hex64.MatchString(strings.TrimPrefix(rs["private_key"].(string), "sk_")) {
			t.Errorf("credentials have the wrong shape: %v %v %v", rs["oauth_token"], rs["refresh_token"], rs["private_key"])
		}
		exp, rexp := parseExpiry(t, rs["expiration_timestamp"]), parseExpiry(t, rs["refresh_expiration_timestamp"])
		if rexp.Sub(exp) != 90*24*time.Hour-time.Hour {
			t.Errorf("token expiries %v and %v are not 1 hour and 90 days from issue", exp, rexp)
		}
		parent := rs["composite_balance"].(map[string]any)["parent"].(map[string]any)
		if !hex32.MatchString(parent["id"].(string)) || parent["credit_line"] != 10000000.0 || jsonType(parent["balance_id"]) != "number" {
			t.Errorf("composite_balance.parent = %v", parent)
		}
		if a.header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id on the answer")
		}
		if got := a.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q on an answer with credentials, want no-store", got)
		}
	})
}

func mustFloat(s string) float64 {
	var f float64
	fmt.Sscan(s, &f)
	return f
}

func TestCreateAccountWithoutCompositeBalancesAnswersNullParent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		req := createJSON(1)
		delete(req, "composite_balance")
		a := h.do(request{path: "/user/v1/account/create", token: h.plain, contentType: "application/json", body: jsonBody(req)})
		if a.status != http.StatusOK {
			t.Fatalf("status %d: %s", a.status, a.raw)
		}
		rs := a.body["rs"].(map[string]any)
		if v, ok := rs["composite_balance"]; !ok || v != nil {
			t.Errorf("composite_balance = %v (present %v), want null", v, ok)
		}
	})
}

// formFields is a valid create as flat text fields.
func formFields(seq uint64) map[string]string {
	c := gen.Customer("form", seq)
	return map[string]string{
		"email": c.Email, "mobile": c.Mobile, "mobile_country_code": "+52", "first_name": c.FirstName, "last_name": c.LastName,
		"gender": "2", "rfc": c.RFC, "state_id": "9", "zipcode": "06600", "campaign_id": "spring",
	}
}

func TestCreateAccountAcceptsFormBodies(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		tests := []struct {
			name      string
			multipart bool
			credit    map[string]string
		}{
			{"urlencoded with a top-level credit_line", false, map[string]string{"credit_line": "2500"}},
			{"urlencoded with composite_balance as JSON text", false, map[string]string{"composite_balance": `{"parent":{"credit_line":2500}}`}},
			{"multipart with a top-level credit_line", true, map[string]string{"credit_line": "2500"}},
			{"multipart with composite_balance as JSON text", true, map[string]string{"composite_balance": `{"parent":{"credit_line":2500}}`}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				fields := formFields(uint64(i))
				for k, v := range tt.credit {
					fields[k] = v
				}
				var body io.Reader
				var contentType string
				if tt.multipart {
					var buf bytes.Buffer
					w := multipart.NewWriter(&buf)
					for k, v := range fields {
						w.WriteField(k, v)
					}
					fw, _ := w.CreateFormFile("selfie_file", "selfie.jpg") // a file part is ignored
					fw.Write([]byte("\xff\xd8 not really a jpeg"))
					w.Close()
					body, contentType = &buf, w.FormDataContentType()
				} else {
					v := url.Values{}
					for k, s := range fields {
						v.Set(k, s)
					}
					body, contentType = strings.NewReader(v.Encode()), "application/x-www-form-urlencoded"
				}
				a := h.do(request{path: "/user/v1/account/create", token: h.composite, contentType: contentType, body: body})
				if a.status != http.StatusOK {
					t.Fatalf("status %d: %s", a.status, a.raw)
				}
				rs := a.body["rs"].(map[string]any)
				if rs["mobile"] != mustFloat(fields["mobile"]) || rs["mobile_country_code"] != "52" || rs["state_id"] != 9.0 || rs["zipcode"] != "06600" {
					t.Errorf("mobile %v, country code %v, state %v, zipcode %v", rs["mobile"], rs["mobile_country_code"], rs["state_id"], rs["zipcode"])
				}
				parent := rs["composite_balance"].(map[string]any)["parent"].(map[string]any)
				if parent["credit_line"] != 2500.0 {
					t.Errorf("credit_line = %v, want 2500", parent["credit_line"])
				}
			})
		}
	})
}

func TestBadRequestsGetContractErrorsAndWriteNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		big := `{"email":"` + strings.Repeat("a", saldohttp.MaxBodyBytes) + `"}`
		wrongTypes := createJSON(1)
		wrongTypes["email"], wrongTypes["gender"], wrongTypes["first_name"], wrongTypes["composite_balance"] = 5, "2", []any{"x"}, "lots"
		invalid := map[string]any{"email": "no-at-sign", "mobile": "12345", "gender": 2, "first_name": "R2D2", "last_name": "",
			"rfc": "NOTANRFC", "zipcode": "123", "composite_balance": map[string]any{"parent": map[string]any{"credit_line": -5}}}
		level2 := createJSON(2)
		level2["kyc_level"] = 2
		noCredit := createJSON(3)
		delete(noCredit, "composite_balance")

		tests := []struct {
			name   string
			req    request
			status int
			code   float64
			hints  []string
		}{
			{"no partner credential", request{body: jsonBody(createJSON(1))}, 401, 4401, nil},
			{"unknown partner credential", request{token: saldo.NewSecret("ek_"), body: jsonBody(createJSON(1))}, 401, 4401, nil},
			{"malformed partner credential", request{token: "ek_' OR 1=1 --", body: jsonBody(createJSON(1))}, 401, 4401, nil},
			{"body that is not JSON", request{body: strings.NewReader(`{"email": `)}, 400, 4400, []string{"body:invalid_json"}},
			{"JSON array body", request{body: strings.NewReader(`[1,2]`)}, 400, 4400, []string{"body:invalid_json"}},
			{"every wrong JSON type is named", request{body: jsonBody(wrongTypes)}, 400, 4400,
				[]string{"email:must_be_string", "gender:must_be_integer", "first_name:must_be_string", "composite_balance:must_be_object"}},
			{"every failing rule is named", request{body: jsonBody(invalid)}, 400, 5000,
				[]string{"email:invalid", "mobile:invalid", "first_name:invalid", "last_name:required", "rfc:invalid", "zipcode:invalid", "credit_line:negative"}},
			{"a credit line for a partner without composite balances", request{token: "plain", body: jsonBody(createJSON(4))}, 400, 5000,
				[]string{"composite_balance:not_enabled"}},
			{"no credit line for a partner with composite balances", request{body: jsonBody(noCredit)}, 400, 5000, []string{"credit_line:required"}},
			{"a KYC level the data does not support", request{body: jsonBody(level2)}, 400, 5000,
				[]string{"street:required_for_level_2", "exterior:required_for_level_2", "colony:required_for_level_2", "city:required_for_level_2",
					"zipcode:required_for_level_2", "state_id:required_for_level_2", "nationality_id:required_for_level_2"}},
			{"a body over 1 MiB announced by Content-Length", request{body: strings.NewReader(big)}, 413, 4400, []string{"body:too_large"}},
			{"a body over 1 MiB sent chunked", request{body: strings.NewReader(big), contentLength: -1}, 413, 4400, []string{"body:too_large"}},
			{"an unsupported content type", request{contentType: "text/plain", body: strings.NewReader("email=x")}, 415, 4400, []string{"content_type:unsupported"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := tt.req
				r.path = "/user/v1/account/create"
				switch r.token {
				case "":
					if tt.status != 401 {
						r.token = h.composite
					}
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
				code, hints := errorOf(t, a)
				if code != tt.code {
					t.Errorf("code = %v, want %v", code, tt.code)
				}
				got := slices.Clone(hints[1:])
				slices.Sort(got)
				want := slices.Clone(tt.hints)
				slices.Sort(want)
				if tt.hints != nil && !slices.Equal(got, want) {
					t.Errorf("hints = %v, want %v", got, want)
				}
			})
		}
		for _, table := range []string{"customers", "balances", "customer_tokens", "composite_parents", "events"} {
			if rows := testdb.Rows(t, h.store, table); len(rows) != 0 {
				t.Errorf("%s holds %d rows after only rejected requests", table, len(rows))
			}
		}
	})
}

func TestDuplicateCustomerIsAConflictNamingEveryField(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		h.create(1)
		again := createJSON(1)
		again["email"] = strings.ToUpper(again["email"].(string))
		a := h.do(request{path: "/user/v1/account/create", token: h.composite, contentType: "application/json", body: jsonBody(again)})
		if a.status != http.StatusConflict {
			t.Fatalf("status %d: %s", a.status, a.raw)
		}
		code, hints := errorOf(t, a)
		hints = hints[1:]
		slices.Sort(hints)
		if code != 4409 || !slices.Equal(hints, []string{"curp:duplicate", "email:duplicate", "mobile:duplicate", "rfc:duplicate"}) {
			t.Errorf("code %v hints %v", code, hints)
		}
	})
}

func TestGetAccountShowsTheProfileWithoutSecrets(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		created := h.create(1).body["rs"].(map[string]any)
		id := int64(created["id"].(float64))
		path := fmt.Sprintf("/user/v1/account/%d", id)

		a := h.do(request{method: http.MethodGet, path: path, token: h.composite})
		if a.status != http.StatusOK {
			t.Fatalf("status %d: %s", a.status, a.raw)
		}
		rs := a.body["rs"].(map[string]any)
		for _, secret := range secretFields {
			if _, ok := rs[secret]; ok {
				t.Errorf("profile shows %s", secret)
			}
			delete(created, secret)
		}
		for _, s := range []string{"oauth_token", "refresh_token", "private_key", "password"} {
			if bytes.Contains(a.raw, []byte(s)) {
				t.Errorf("profile mentions %s", s)
			}
		}
		// The profile adds the names real partner code reads for the status and the state.
		if rs["customer_status"] != created["account_status"] || rs["state"] != created["state_id"] {
			t.Errorf("customer_status %v and state %v, want account_status %v and state_id %v",
				rs["customer_status"], rs["state"], created["account_status"], created["state_id"])
		}
		created["customer_status"], created["state"] = created["account_status"], created["state_id"]
		if fmt.Sprint(rs) != fmt.Sprint(created) {
			t.Errorf("profile differs from the create's answer:\n got %v\nwant %v", rs, created)
		}

		for _, tt := range []struct{ name, path, token string }{
			{"another partner's customer", path, h.plain},
			{"an unknown id", fmt.Sprintf("/user/v1/account/%d", id+100), h.composite},
			{"an id that is not a number", "/user/v1/account/abc", h.composite},
			{"the id with a plus sign", fmt.Sprintf("/user/v1/account/+%d", id), h.composite},
			{"the id with a leading zero", fmt.Sprintf("/user/v1/account/0%d", id), h.composite},
		} {
			t.Run(tt.name, func(t *testing.T) {
				a := h.do(request{method: http.MethodGet, path: tt.path, token: tt.token})
				if code, _ := errorOf(t, a); a.status != 404 || code != 4404 {
					t.Errorf("status %d code %v, want 404 4404", a.status, code)
				}
			})
		}
		if a := h.do(request{method: http.MethodGet, path: path}); a.status != 401 {
			t.Errorf("without a credential: status %d, want 401", a.status)
		}
	})
}

func TestRoutesAnswerInTheirEnvelopeStyle(t *testing.T) {
	h := newHarness(t, testdb.Engines()[0])
	tests := []struct {
		name, method, path string
		status             int
		allow              string
		check              func(t *testing.T, body map[string]any)
	}{
		{"unknown user route: style A", "GET", "/user/v1/nope", 404, "", func(t *testing.T, b map[string]any) {
			if _, ok := b["rs"]; !ok || b["err"].(map[string]any)["code"] != 4404.0 {
				t.Errorf("body %v", b)
			}
		}},
		{"unknown wallet route: style B", "GET", "/wallet/v1/nope?x=1", 404, "", func(t *testing.T, b map[string]any) {
			ts, _ := b["timestamp"].(string)
			if b["text"] != "Error" || b["endpoint"] != "/wallet/v1/nope" || !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}-0[56]:00$`).MatchString(ts) ||
				b["error"].(map[string]any)["code"] != 4404.0 || len(b["payload"].(map[string]any)) != 0 {
				t.Errorf("body %v", b)
			}
		}},
		{"unknown oauth route: style C", "POST", "/oauth/v1/nope", 404, "", func(t *testing.T, b map[string]any) {
			if _, ok := b["response"]; !ok || b["err"].(map[string]any)["code"] != 4404.0 {
				t.Errorf("body %v", b)
			}
		}},
		{"wrong method on a known path", "GET", "/user/v1/account/create", 405, "POST", func(t *testing.T, b map[string]any) {
			if b["err"].(map[string]any)["code"] != 4404.0 {
				t.Errorf("body %v", b)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := h.do(request{method: tt.method, path: tt.path, token: h.composite})
			if a.status != tt.status {
				t.Errorf("status %d, want %d", a.status, tt.status)
			}
			if got := a.header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			tt.check(t, a.body)
		})
	}
}

func TestRequestIDIsEchoedWhenSafe(t *testing.T) {
	h := newHarness(t, testdb.Engines()[0])
	for _, tt := range []struct {
		name, given string
		echoed      bool
	}{
		{"a plain id is echoed", "req-123_abc", true},
		{"an id with spaces is replaced", "a b", false},
		{"an overlong id is replaced", strings.Repeat("x", 129), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := h.do(request{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": tt.given}})
			got := a.header.Get("X-Request-Id")
			if (got == tt.given) != tt.echoed || got == "" {
				t.Errorf("X-Request-Id = %q for %q", got, tt.given)
			}
		})
	}
}

// /healthz and /readyz answer in style A, as every path outside /wallet/ and /oauth/ does,
// whether they succeed or fail.
func TestHealthAndReadiness(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		for path, want := range map[string]string{"/healthz": `{"rs":{"status":"ok"},"err":null}`, "/readyz": `{"rs":{"status":"ready"},"err":null}`} {
			if a := h.do(request{method: "GET", path: path}); a.status != 200 || strings.TrimSpace(string(a.raw)) != want {
				t.Errorf("%s: status %d %s, want 200 %s", path, a.status, a.raw, want)
			}
		}
	})
}

// With the database gone, requests are 503 with Retry-After, never 500.
func TestUnreachableDatabaseIsServiceUnavailable(t *testing.T) {
	eng := testdb.Engines()[1]
	h := newHarness(t, eng)
	h.store.Close()
	for _, r := range []request{
		{method: "GET", path: "/readyz"},
		{path: "/user/v1/account/create", token: h.composite, contentType: "application/json", body: jsonBody(createJSON(1))},
	} {
		a := h.do(r)
		if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" {
			t.Errorf("%s: status %d, Retry-After %q; want 503 with Retry-After (%s)", r.path, a.status, a.header.Get("Retry-After"), a.raw)
		}
	}
}

// One line per request, with the request id, the route pattern, the status, the duration and
// the partner; never the customer's personal data.
func TestEachRequestLogsOneLineWithoutPersonalData(t *testing.T) {
	var logs lockedBuffer
	h := harnessOn(t, testdb.OpenSQLite(t), serving{log: slog.New(slog.NewJSONHandler(&logs, nil))})
	token := h.composite
	req := createJSON(1)
	h.do(request{path: "/user/v1/account/create", token: token, body: jsonBody(req), header: map[string]string{"X-Request-Id": "trace-42"}})
	h.do(request{path: "/user/v1/account/create", token: token, body: jsonBody(req), header: map[string]string{"X-Request-Id": "trace-43"}})

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2: %s", len(lines), logs.String())
	}
	var line, refusal map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &refusal); err != nil {
		t.Fatal(err)
	}
	// The refusal of the same customer again names the duplicate fields, not their values.
	if hints := fmt.Sprint(refusal["hints"]); refusal["status"] != 409.0 || !strings.Contains(hints, "email:duplicate") {
		t.Errorf("the duplicate's log line: status %v hints %v, want 409 and email:duplicate", refusal["status"], hints)
	}
	if _, ok := line["hints"]; ok {
		t.Errorf("a success logs hints: %v", line["hints"])
	}
	for k, want := range map[string]any{"request_id": "trace-42", "route": "/user/v1/account/create", "status": 200.0,
		"method": "POST", "ecommerce_id": float64(h.compID)} {
		if line[k] != want {
			t.Errorf("log %s = %v, want %v", k, line[k], want)
		}
	}
	if _, ok := line["duration"]; !ok {
		t.Error("log line has no duration")
	}
	for _, personal := range []string{req["email"].(string), fmt.Sprint(req["mobile"]), req["curp"].(string), "Pérez"} {
		if strings.Contains(logs.String(), personal) {
			t.Errorf("the log holds %q", personal)
		}
	}
}
