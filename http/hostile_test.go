package http_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// injections are hostile strings a request may carry; no answer may echo one in its hints.
var injections = []string{
	"1 OR 1=1",
	"'; DROP TABLE customers; --",
	`" OR ""="`,
	"admin'--",
	"1; SELECT pg_sleep(5); --",
	"' UNION SELECT token_hash FROM ecommerces --",
}

// leakMarkers are signs of internal details in a hint, compared case-insensitively.
var leakMarkers = []string{"sql", "pq:", "pgx", "sqlite", "panic", "goroutine", ".go", "constraint", "syntax error", "runtime error"}

// writtenTables are every table a request could write to.
var writtenTables = []string{"customers", "balances", "customer_tokens", "composite_parents", "composite_children", "events", "idempotency_keys"}

// stringCreateFields are the create fields a partner sends as text.
var stringCreateFields = []string{"email", "mobile", "mobile_country_code", "first_name", "middle_name", "last_name", "second_last_name",
	"rfc", "curp", "date_of_birth", "password", "device_id", "telephone", "address", "correspondence_address", "street", "exterior",
	"interior", "colony", "city", "country_of_birth", "zipcode", "identification_document_front", "identification_document_back",
	"address_document_front", "address_document_back", "selfie", "business_name", "business_purpose", "constitution_date", "campaign_id"}

// hostileRequest is one malformed or malicious request and what it must get.
type hostileRequest struct {
	name        string
	method      string // POST when empty
	path        string
	contentType string // application/json when empty; "-" sends none
	body        string
	chunked     bool
	header      [][2]string // added in order, so a header may repeat
	auth        string      // the composite partner's token when empty; "-" sends none
	status      int         // the exact status wanted; 0: any 4xx
	ok          string      // for revoke and introspect: the exact 200 response wanted instead of an error
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// withField returns a valid create (a fresh seq, so that it would write if accepted) with field
// set to the raw JSON value.
func withField(seq uint64, field, rawValue string) string {
	m := createJSON(seq)
	delete(m, field)
	valid := mustJSON(m)
	return strings.TrimSuffix(valid, "}") + `,"` + field + `":` + rawValue + "}"
}

// everyStringField is a create body with every text field set to s.
func everyStringField(s string) map[string]any {
	m := map[string]any{"gender": 2, "composite_balance": map[string]any{"parent": map[string]any{"credit_line": 1000}}}
	for _, f := range stringCreateFields {
		m[f] = s
	}
	return m
}

func formBody(fields map[string]any) string {
	v := url.Values{}
	for k, s := range fields {
		switch s := s.(type) {
		case string:
			v.Set(k, s)
		case map[string]any:
			v.Set(k, mustJSON(s))
		default:
			v.Set(k, fmt.Sprint(s))
		}
	}
	return v.Encode()
}

// multipartBody returns a multipart body of fields and its content type.
func multipartBody(fields map[string]any) (string, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch s := fields[k].(type) {
		case string:
			w.WriteField(k, s)
		case map[string]any:
			w.WriteField(k, mustJSON(s))
		default:
			w.WriteField(k, fmt.Sprint(s))
		}
	}
	w.Close()
	return buf.String(), w.FormDataContentType()
}

func deepNesting(n int) string {
	return strings.Repeat("[", n) + strings.Repeat("]", n)
}

// sendHostile sends r to the harness' server, following redirects, and returns the answer and
// the path finally answered. Unlike harness.do, a body that is not JSON is returned, not fatal.
func sendHostile(t *testing.T, h *harness, r hostileRequest) (answer, string, error) {
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(method, h.srv.URL+r.path, body)
	if err != nil {
		t.Fatalf("building the request: %v", err)
	}
	if r.chunked {
		req.ContentLength = -1
		req.Body = io.NopCloser(strings.NewReader(r.body))
	}
	switch r.auth {
	case "":
		req.Header.Set("Authorization-ecommerce", h.composite)
	case "-":
	default:
		req.Header.Set("Authorization-ecommerce", r.auth)
	}
	switch r.contentType {
	case "":
		req.Header.Set("Content-Type", "application/json")
	case "-":
	default:
		req.Header.Set("Content-Type", r.contentType)
	}
	for _, kv := range r.header {
		req.Header.Add(kv[0], kv[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, "", err
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &a.body)
	return a, resp.Request.URL.Path, nil
}

// jsonText is s as it reads after a JSON round trip: each invalid UTF-8 byte is U+FFFD.
func jsonText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += size
	}
	return b.String()
}

// contractErrorOf checks a's envelope in the style of path and returns its error object.
func contractErrorOf(t *testing.T, a answer, path string) map[string]any {
	t.Helper()
	if a.body == nil {
		t.Fatalf("body is not a JSON object: %q", a.raw)
	}
	var e map[string]any
	switch {
	case strings.HasPrefix(path, "/wallet/"), strings.HasPrefix(path, "/events/"), strings.HasPrefix(path, "/webhooks/"):
		if a.body["text"] != "Error" || a.body["endpoint"] != jsonText(path) || !mexicoCityTimestamp.MatchString(fmt.Sprint(a.body["timestamp"])) {
			t.Errorf("not a style B error envelope for %s: %s", path, a.raw)
		}
		if p, ok := a.body["payload"].(map[string]any); !ok || len(p) != 0 {
			t.Errorf("style B error payload is not {}: %s", a.raw)
		}
		e, _ = a.body["error"].(map[string]any)
	case strings.HasPrefix(path, "/oauth/"):
		if v, ok := a.body["response"]; !ok || v != nil || len(a.body) != 2 {
			t.Errorf("not a style C error envelope: %s", a.raw)
		}
		e, _ = a.body["err"].(map[string]any)
	default:
		if v, ok := a.body["rs"]; !ok || v != nil || len(a.body) != 2 {
			t.Errorf("not a style A error envelope: %s", a.raw)
		}
		e, _ = a.body["err"].(map[string]any)
	}
	if e == nil {
		t.Fatalf("no error object: %s", a.raw)
	}
	return e
}

// checkNoLeak fails when a hint or the error text echoes an injection string or holds an
// internal detail.
func checkNoLeak(t *testing.T, e map[string]any, extra ...string) {
	t.Helper()
	texts := []string{fmt.Sprint(e["text"])}
	hints, ok := e["hints"].([]any)
	if !ok || len(hints) == 0 {
		t.Errorf("no hints: %v", e)
	}
	for _, h := range hints {
		s, ok := h.(string)
		if !ok {
			t.Errorf("hint %v is not a string", h)
		}
		texts = append(texts, s)
	}
	for _, s := range texts {
		for _, inj := range append(slices.Clone(injections), extra...) {
			if strings.Contains(s, inj) {
				t.Errorf("hint %q echoes the input %q", s, inj)
			}
		}
		low := strings.ToLower(s)
		for _, m := range leakMarkers {
			if strings.Contains(low, m) {
				t.Errorf("hint %q holds an internal detail (%q)", s, m)
			}
		}
		if strings.ContainsRune(s, 0) {
			t.Errorf("hint %q holds a NUL byte", s)
		}
	}
}

var contractCodes = []float64{4400, 4401, 4404, 4409, 4422, 4429, 5000}

func TestHostileRequestsGetContractErrorsAndWriteNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		// What the test sets up: one customer with its parent, and one child.
		created := h.create(1).body["rs"].(map[string]any)
		customerID := int64(created["id"].(float64))
		parentID := created["composite_balance"].(map[string]any)["parent"].(map[string]any)["id"].(string)
		privateKey := created["private_key"].(string)
		const childPath = "/wallet/v1/composite-balance/child"
		childID := int64(payload(t, h.do(request{path: childPath, token: h.composite,
			body: jsonBody(map[string]any{"parent_id": parentID, "credit_line": 1000})}), childPath)["id"].(float64))
		before := map[string]int{}
		for _, table := range writtenTables {
			before[table] = len(testdb.Rows(t, h.store, table))
		}

		const create = "/user/v1/account/create"
		const connect = "/oauth/v1/get-customer-connection-token"
		const refresh = "/oauth/v1/refresh-customer-token"
		const revoke = "/oauth/v1/revoke"
		const introspect = "/oauth/v1/introspect"
		parentPath := "/wallet/v1/composite-balance/parent/" + parentID
		childrenPath := parentPath + "/children"
		childGet := fmt.Sprintf("%s/%d", childPath, childID)
		updatePath := fmt.Sprintf("%s/%d/update-credit-line", childPath, childID)
		account := fmt.Sprintf("/user/v1/account/%d", customerID)
		huge := `{"email":"` + strings.Repeat("a", saldohttp.MaxBodyBytes) + `"}`
		deep := `{"email":` + deepNesting(10000) + `}`
		mpInjection, mpInjectionType := multipartBody(everyStringField(injections[1]))
		mpInjection2, mpInjectionType2 := multipartBody(everyStringField(injections[0]))
		mpCredit, mpCreditType := multipartBody(map[string]any{"credit_line": "1.5e3"})
		mpValidFields := map[string]any{}
		for k, v := range formFields(50) {
			mpValidFields[k] = v
		}
		mpValidFields["credit_line"] = "1000"
		mpValidFields["address"] = "Calle\x00Falsa 123"
		mpNUL, mpNULType := multipartBody(mpValidFields)
		enc := url.PathEscape
		b64 := base64.RawURLEncoding.EncodeToString

		var rows []hostileRequest
		// POST /user/v1/account/create, JSON: every kind of field with the wrong JSON type.
		for i, wt := range []struct{ field, value, what string }{
			{"email", `5`, "a number"}, {"email", `["a@b.mx"]`, "an array"}, {"email", `{"a":"b"}`, "an object"}, {"email", `true`, "a boolean"},
			{"mobile", `true`, "a boolean"}, {"mobile", `5512345678.0`, "a float"}, {"mobile", `5.512345678e9`, "an exponent"}, {"mobile", `{"n":1}`, "an object"},
			{"mobile", `99999999999999999999999`, "a number beyond int64"}, {"mobile_country_code", `[52]`, "an array"},
			{"gender", `"2"`, "a string"}, {"gender", `2.5`, "a float"}, {"gender", `2e0`, "an exponent"}, {"gender", `true`, "a boolean"},
			{"gender", `9223372036854775808`, "a number beyond int64"}, {"gender", `-9223372036854775809`, "a number below int64"}, {"gender", `0`, "zero"},
			{"first_name", `["Juan"]`, "an array"}, {"last_name", `7`, "a number"}, {"rfc", `{"rfc":"x"}`, "an object"}, {"curp", `false`, "a boolean"},
			{"date_of_birth", `19900101`, "a number"}, {"password", `12345678`, "a number"}, {"device_id", `{"id":1}`, "an object"},
			{"kyc_level", `"2"`, "a string"}, {"kyc_level", `1.0`, "a float"}, {"kyc_level", `-1`, "a negative number"},
			{"state_id", `"9"`, "a string"}, {"state_id", `9.5`, "a float"}, {"state_id", `0`, "zero"}, {"state_id", `-9`, "a negative number"},
			{"nationality_id", `-1`, "a negative number"}, {"occupation_id", `1e308`, "a huge exponent"}, {"zipcode", `[6600]`, "an array"},
			{"composite_balance", `"lots"`, "a string"}, {"composite_balance", `[1]`, "an array"},
			{"composite_balance", `{"parent":[1]}`, "a parent that is an array"},
			{"composite_balance", `{"parent":{"credit_line":"100"}}`, "a credit line that is a string"},
			{"composite_balance", `{"parent":{"credit_line":100.5}}`, "a credit line that is a float"},
			{"composite_balance", `{"parent":{"credit_line":1e7}}`, "a credit line that is an exponent"},
			{"composite_balance", `{"parent":{"credit_line":99999999999999999999}}`, "a credit line beyond int64"},
			{"composite_balance", `{"parent":{"credit_line":-99999999999999999999}}`, "a credit line below int64"},
			{"composite_balance", `{"parent":{"credit_line":-1}}`, "a negative credit line"},
			{"credit_line", `"1 OR 1=1"`, "a top-level credit line with SQL"},
		} {
			rows = append(rows, hostileRequest{name: fmt.Sprintf("create: %s as %s", wt.field, wt.what), path: create, body: withField(uint64(100+i), wt.field, wt.value)})
		}
		rows = append(rows,
			hostileRequest{name: "create: every field null", path: create, body: `{"email":null,"mobile":null,"first_name":null,"gender":null}`, status: 400},
			hostileRequest{name: "create: an empty body", path: create, status: 400},
			hostileRequest{name: "create: a null body", path: create, body: `null`, status: 400},
			hostileRequest{name: "create: a string body", path: create, body: `"email"`, status: 400},
			hostileRequest{name: "create: a number body", path: create, body: `42`, status: 400},
			hostileRequest{name: "create: truncated JSON", path: create, body: `{"email":"a@b.mx","mobile":`, status: 400},
			hostileRequest{name: "create: two JSON objects", path: create, body: withField(200, "email", `"a@b.mx"`) + `{}`, status: 400},
			hostileRequest{name: "create: a body over 1 MiB", path: create, body: huge, status: 413},
			hostileRequest{name: "create: a body over 1 MiB sent chunked", path: create, body: huge, chunked: true, status: 413},
			hostileRequest{name: "create: a field nested 10,000 deep", path: create, body: deep, status: 400},
			hostileRequest{name: "create: a body nested 10,000 deep", path: create, body: deepNesting(10000), status: 400},
			hostileRequest{name: "create: 100,000 unknown fields", path: create, body: "{" + strings.Repeat(`"x":1,`, 100000) + `"y":1}`, status: 400},
			hostileRequest{name: "create: invalid UTF-8 in the names", path: create, body: strings.Replace(withField(201, "first_name", "\"Ju\xff\xfean\""), `"last_name":"Pérez"`, "\"last_name\":\"P\xc3\"", 1), status: 400},
			hostileRequest{name: "create: invalid UTF-8 as a field name", path: create, body: "{\"\xff\xfe\":1}", status: 400},
			hostileRequest{name: "create: an escaped NUL in the email", path: create, body: withField(202, "email", `"juan\u0000@example.com"`), status: 400},
			hostileRequest{name: "create: an escaped NUL in the address", path: create, body: withField(203, "address", `"Calle\u0000Falsa 123"`), status: 400},
			hostileRequest{name: "create: an escaped NUL in the device id", path: create, body: withField(204, "device_id", `"phone\u0000"`), status: 400},
			hostileRequest{name: "create: an escaped NUL in the password", path: create, body: withField(205, "password", `"secret\u0000secret"`), status: 400},
			hostileRequest{name: "create: a raw NUL byte in a string", path: create, body: withField(206, "first_name", "\"Ju\x00an\""), status: 400},
			hostileRequest{name: "create: a NUL in a field name", path: create, body: strings.Replace(withField(207, "email", `"a@b.mx"`), `"email"`, `"em\u0000ail"`, 1), status: 400},
			hostileRequest{name: "create: a credit line beyond the partner's maximum", path: create, body: withField(208, "composite_balance", `{"parent":{"credit_line":9223372036854775807}}`), status: 400},
		)
		for _, inj := range injections {
			rows = append(rows, hostileRequest{name: "create: SQL injection in every text field: " + inj, path: create, body: mustJSON(everyStringField(inj)), status: 400})
		}
		rows = append(rows,
			hostileRequest{name: "create urlencoded: SQL injection in every text field", path: create, contentType: "application/x-www-form-urlencoded", body: formBody(everyStringField(injections[1])), status: 400},
			hostileRequest{name: "create urlencoded: SQL injection in the credit line", path: create, contentType: "application/x-www-form-urlencoded", body: formBody(map[string]any{"credit_line": injections[0], "email": "x"}), status: 400},
			hostileRequest{name: "create urlencoded: bad percent-encoding", path: create, contentType: "application/x-www-form-urlencoded", body: "email=%zz&mobile=%", status: 400},
			hostileRequest{name: "create urlencoded: composite_balance that is not JSON", path: create, contentType: "application/x-www-form-urlencoded", body: "composite_balance=%7Bparent", status: 400},
			hostileRequest{name: "create urlencoded: a float credit line", path: create, contentType: "application/x-www-form-urlencoded", body: formBody(map[string]any{"credit_line": "1.5"}), status: 400},
			hostileRequest{name: "create urlencoded: a credit line beyond int64", path: create, contentType: "application/x-www-form-urlencoded", body: formBody(map[string]any{"credit_line": "99999999999999999999"}), status: 400},
			hostileRequest{name: "create urlencoded: a mobile with an exponent", path: create, contentType: "application/x-www-form-urlencoded", body: formBody(map[string]any{"mobile": "5.5e9"}), status: 400},
			hostileRequest{name: "create urlencoded: invalid UTF-8 in a free-text field of a valid create", path: create, contentType: "application/x-www-form-urlencoded",
				body: func() string {
					f := formFields(51)
					f["credit_line"] = "1000"
					v := url.Values{}
					for k, s := range f {
						v.Set(k, s)
					}
					return v.Encode() + "&address=%FF%FE"
				}(), status: 400},
			hostileRequest{name: "create urlencoded: a NUL in a free-text field of a valid create", path: create, contentType: "application/x-www-form-urlencoded",
				body: func() string {
					f := formFields(52)
					f["credit_line"] = "1000"
					v := url.Values{}
					for k, s := range f {
						v.Set(k, s)
					}
					return v.Encode() + "&street=a%00b"
				}(), status: 400},
			hostileRequest{name: "create urlencoded: a NUL in a field name", path: create, contentType: "application/x-www-form-urlencoded", body: "em%00ail=a%40b.mx", status: 400},
			hostileRequest{name: "create multipart: SQL injection in every text field", path: create, contentType: mpInjectionType, body: mpInjection, status: 400},
			hostileRequest{name: "create multipart: SQL injection, OR 1=1 variant", path: create, contentType: mpInjectionType2, body: mpInjection2, status: 400},
			hostileRequest{name: "create multipart: an exponent credit line", path: create, contentType: mpCreditType, body: mpCredit, status: 400},
			hostileRequest{name: "create multipart: a NUL in a free-text field of a valid create", path: create, contentType: mpNULType, body: mpNUL, status: 400},
			hostileRequest{name: "create multipart: no boundary parameter", path: create, contentType: "multipart/form-data", body: "--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.mx\r\n--x--\r\n", status: 400},
			hostileRequest{name: "create multipart: a boundary the body never uses", path: create, contentType: "multipart/form-data; boundary=abc", body: "--xyz\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.mx\r\n--xyz--\r\n", status: 400},
			hostileRequest{name: "create multipart: no closing boundary", path: create, contentType: "multipart/form-data; boundary=abc", body: "--abc\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.mx\r\n", status: 400},
			hostileRequest{name: "create multipart: a part without headers", path: create, contentType: "multipart/form-data; boundary=abc", body: "--abc\r\n\r\n\r\n--abc--\r\n", status: 400},
			hostileRequest{name: "create multipart: a 200-character boundary", path: create, contentType: "multipart/form-data; boundary=" + strings.Repeat("b", 200), body: "--" + strings.Repeat("b", 200) + "\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nx\r\n--" + strings.Repeat("b", 200) + "--\r\n", status: 400},
			hostileRequest{name: "create multipart: a file under the email's name", path: create, contentType: "multipart/form-data; boundary=abc",
				body: "--abc\r\nContent-Disposition: form-data; name=\"email\"; filename=\"../../etc/passwd\"\r\n\r\nroot:x:0:0\r\n--abc--\r\n", status: 400},
			hostileRequest{name: "create: text/plain", path: create, contentType: "text/plain", body: "email=x", status: 415},
			hostileRequest{name: "create: XML", path: create, contentType: "application/xml", body: "<email>x</email>", status: 415},
			hostileRequest{name: "create: a garbage content type", path: create, contentType: ";;;", body: "{}", status: 415},
			hostileRequest{name: "create: a list of content types", path: create, contentType: "application/json, text/plain", body: "{}", status: 415},
			hostileRequest{name: "create: two Content-Type headers, JSON first with a form body", path: create, header: [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}}, body: "email=a%40b.mx", status: 400},
			hostileRequest{name: "create: no partner credential", path: create, auth: "-", body: withField(209, "email", `"a@b.mx"`), status: 401},
			hostileRequest{name: "create: SQL injection as the partner credential", path: create, auth: "ek_' OR '1'='1", body: withField(210, "email", `"a@b.mx"`), status: 401},
			hostileRequest{name: "create: an 8 KiB partner credential", path: create, auth: "ek_" + strings.Repeat("a", 8192), body: withField(211, "email", `"a@b.mx"`), status: 401},
			hostileRequest{name: "create: a partner credential in upper case", path: create, auth: strings.ToUpper(h.composite), body: withField(212, "email", `"a@b.mx"`), status: 401},
			hostileRequest{name: "create: a 256-character Idempotency-Key", path: create, header: [][2]string{{"Idempotency-Key", strings.Repeat("k", 256)}}, body: withField(213, "email", `"a@b.mx"`), status: 400},
			hostileRequest{name: "create: a non-ASCII Idempotency-Key", path: create, header: [][2]string{{"Idempotency-Key", "clé-ü"}}, body: withField(214, "email", `"a@b.mx"`), status: 400},
			hostileRequest{name: "create: an empty Idempotency-Key", path: create, header: [][2]string{{"Idempotency-Key", ""}}, body: withField(215, "email", `"a@b.mx"`), status: 400},
			hostileRequest{name: "create: two Idempotency-Key headers", path: create, header: [][2]string{{"Idempotency-Key", "a"}, {"Idempotency-Key", "b"}}, body: withField(216, "email", `"a@b.mx"`), status: 400},
			hostileRequest{name: "create: SQL injection as the Idempotency-Key of an invalid create", path: create, header: [][2]string{{"Idempotency-Key", "'; DROP TABLE idempotency_keys; --"}}, body: withField(217, "email", `"no-at-sign"`), status: 400},
			hostileRequest{name: "create: an 8 KiB X-Request-Id", path: create, header: [][2]string{{"X-Request-Id", strings.Repeat("r", 8192)}}, body: withField(218, "email", `"no-at-sign"`), status: 400},
			hostileRequest{name: "create: SQL injection as the X-Request-Id", path: create, header: [][2]string{{"X-Request-Id", injections[1]}}, body: withField(219, "email", `"no-at-sign"`), status: 400},
			hostileRequest{name: "create: a 60 KiB header", path: create, header: [][2]string{{"X-Padding", strings.Repeat("p", 60<<10)}}, body: withField(220, "email", `"no-at-sign"`), status: 400},
			hostileRequest{name: "create: headers over 64 KiB", path: create, header: [][2]string{{"X-Padding", strings.Repeat("p", 64<<10)}}, body: withField(221, "email", `"no-at-sign"`), status: 431},
			hostileRequest{name: "create: PROPFIND", method: "PROPFIND", path: create, body: "{}", status: 405},
			hostileRequest{name: "create: an invented method", method: "FROBNICATE", path: create, body: "{}", status: 405},
			hostileRequest{name: "create: PUT", method: "PUT", path: create, body: withField(221, "email", `"a@b.mx"`), status: 405},
		)
		// GET /user/v1/account/{id}.
		for _, id := range []struct{ what, id string }{
			{"SQL injection OR 1=1", enc("1 OR 1=1")}, {"SQL injection DROP TABLE", enc("'; DROP TABLE customers; --")},
			{"SQL injection UNION", enc(fmt.Sprint(customerID) + " UNION SELECT 1")}, {"zero", "0"}, {"a negative id", "-1"},
			{"the negative of a real id", fmt.Sprint(-customerID)}, {"an id beyond int64", "99999999999999999999"},
			{"the largest int64", "9223372036854775807"}, {"an exponent", "1e0"}, {"a float", fmt.Sprintf("%d.0", customerID)},
			{"hexadecimal", "0x1"}, {"a NUL byte", fmt.Sprintf("%d%%00", customerID)}, {"invalid UTF-8", "%FF%FE"},
			{"an encoded path traversal", "..%2F..%2F..%2Fetc%2Fpasswd"}, {"a trailing space", fmt.Sprintf("%d%%20", customerID)},
		} {
			rows = append(rows, hostileRequest{name: "get account: " + id.what, method: "GET", path: "/user/v1/account/" + id.id, contentType: "-", status: 404})
		}
		rows = append(rows,
			hostileRequest{name: "get account: a path traversal", method: "GET", path: "/user/v1/account/../../../etc/passwd", contentType: "-", status: 404},
			hostileRequest{name: "get account: a dot-dot to the create route", method: "GET", path: "/user/v1/account/x/../create", contentType: "-", status: 404},
			hostileRequest{name: "get account: SQL injection as the customer token", method: "GET", path: account, contentType: "-", auth: "-", header: [][2]string{{"Authorization-customer", injections[0]}}, status: 401},
			hostileRequest{name: "get account: an 8 KiB customer token", method: "GET", path: account, contentType: "-", auth: "-", header: [][2]string{{"Authorization-customer", strings.Repeat("a", 8192)}}, status: 401},
			hostileRequest{name: "get account: the private key as the customer token", method: "GET", path: account, contentType: "-", auth: "-", header: [][2]string{{"Authorization-customer", privateKey}}, status: 401},
			hostileRequest{name: "get account: no credential", method: "GET", path: account, contentType: "-", auth: "-", status: 401},
			hostileRequest{name: "get account: DELETE", method: "DELETE", path: account, contentType: "-", status: 405},
			hostileRequest{name: "get account: TRACE", method: "TRACE", path: account, contentType: "-", status: 405},
			hostileRequest{name: "get account: POST with a body", path: account, body: "{}", status: 405},
			hostileRequest{name: "unknown route under /user", method: "GET", path: "/user/v1/account", contentType: "-", status: 404},
		)
		// The /oauth/v1 routes.
		connectBody := func(field, raw string) string {
			m := map[string]any{"customer_id": customerID, "customer_private_key": privateKey, "device_id": "phone"}
			delete(m, field)
			if raw == "" {
				return mustJSON(m)
			}
			return strings.TrimSuffix(mustJSON(m), "}") + `,"` + field + `":` + raw + "}"
		}
		for _, c := range []struct {
			what, field, raw string
			status           int
		}{
			{"customer_id as SQL text", "customer_id", mustJSON(injections[0]), 400},
			{"customer_id as a float", "customer_id", fmt.Sprintf("%d.0", customerID), 400},
			{"customer_id as an exponent", "customer_id", "1e2", 400},
			{"customer_id beyond int64", "customer_id", "99999999999999999999", 400},
			{"customer_id zero", "customer_id", "0", 400},
			{"customer_id negative", "customer_id", "-1", 400},
			{"customer_id as an array", "customer_id", "[1]", 400},
			{"private key as SQL", "customer_private_key", mustJSON(injections[1]), 401},
			{"private key as a number", "customer_private_key", "123", 400},
			{"private key with a NUL", "customer_private_key", mustJSON(privateKey[:20] + "\x00" + privateKey[21:]), 401},
			{"private key in upper case", "customer_private_key", mustJSON(strings.ToUpper(privateKey)), 401},
			{"device_id with a NUL", "device_id", `"pho\u0000ne"`, 400},
			{"device_id as an array", "device_id", `["phone"]`, 400},
			{"device_id of 10,000 characters", "device_id", mustJSON(strings.Repeat("d", 10000)), 400},
			{"device_id missing", "device_id", "", 400},
			{"client_state as a string", "client_state", `"1"`, 400},
			{"client_state beyond int64", "client_state", "18446744073709551616", 400},
			{"client_state as a float", "client_state", "1.5", 400},
			{"refresh token as SQL with a private key: the refresh token decides", "customer_refresh_token", mustJSON(injections[2]), 401},
		} {
			rows = append(rows, hostileRequest{name: "connection token: " + c.what, path: connect, body: connectBody(c.field, c.raw), status: c.status})
		}
		rows = append(rows,
			hostileRequest{name: "connection token: a refresh token as SQL alone", path: connect, body: mustJSON(map[string]any{"customer_refresh_token": injections[1], "device_id": "phone"}), status: 401},
			hostileRequest{name: "connection token: a body that is not JSON", path: connect, body: "customer_id=1", status: 400},
			hostileRequest{name: "connection token: a body over 1 MiB", path: connect, body: huge, status: 413},
			hostileRequest{name: "connection token: nested 10,000 deep", path: connect, body: `{"customer_id":` + deepNesting(10000) + `}`, status: 400},
			hostileRequest{name: "connection token: urlencoded SQL", path: connect, contentType: "application/x-www-form-urlencoded", body: formBody(map[string]any{"customer_id": injections[0], "customer_private_key": injections[1], "device_id": "phone"}), status: 400},
			hostileRequest{name: "connection token: no partner credential", path: connect, auth: "-", body: connectBody("device_id", `"phone"`), status: 401},
			hostileRequest{name: "connection token: GET", method: "GET", path: connect, contentType: "-", status: 405},
			hostileRequest{name: "refresh: the refresh token as a number", path: refresh, body: `{"customer_refresh_token":1,"device_id":"phone"}`, status: 400},
			hostileRequest{name: "refresh: the refresh token as SQL", path: refresh, body: mustJSON(map[string]any{"customer_refresh_token": injections[1], "device_id": "phone"}), status: 401},
			hostileRequest{name: "refresh: the device id as SQL with a malformed token", path: refresh, body: mustJSON(map[string]any{"customer_refresh_token": strings.Repeat("z", 64), "device_id": injections[0]}), status: 401},
			hostileRequest{name: "refresh: an empty object", path: refresh, body: `{}`, status: 400},
			hostileRequest{name: "refresh: nested 10,000 deep", path: refresh, body: deepNesting(10000), status: 400},
			hostileRequest{name: "refresh: multipart without a boundary", path: refresh, contentType: "multipart/form-data", body: "x", status: 400},
			hostileRequest{name: "refresh: an unsupported content type", path: refresh, contentType: "application/octet-stream", body: "\x00\x01", status: 415},
			hostileRequest{name: "revoke: the token as a number", path: revoke, body: `{"token":1}`, status: 400},
			hostileRequest{name: "revoke: the token as an object", path: revoke, body: `{"token":{"$ne":null}}`, status: 400},
			hostileRequest{name: "revoke: no token", path: revoke, body: `{}`, status: 400},
			hostileRequest{name: "revoke: an array body", path: revoke, body: `["token"]`, status: 400},
			hostileRequest{name: "revoke: no partner credential", path: revoke, auth: "-", body: `{"token":"x"}`, status: 401},
			hostileRequest{name: "revoke: GET", method: "GET", path: revoke, contentType: "-", status: 405},
			hostileRequest{name: "revoke: SQL as the token is answered like an unknown token", path: revoke, body: mustJSON(map[string]any{"token": injections[1]}), ok: `{"response":{},"err":null}`},
			hostileRequest{name: "revoke: a NUL token is answered like an unknown token", path: revoke, body: `{"token":"\u0000"}`, ok: `{"response":{},"err":null}`},
			hostileRequest{name: "introspect: the token as an array", path: introspect, body: `{"token":["a"]}`, status: 400},
			hostileRequest{name: "introspect: an empty token", path: introspect, body: `{"token":"   "}`, status: 400},
			hostileRequest{name: "introspect: bad percent-encoding", path: introspect, contentType: "application/x-www-form-urlencoded", body: "token=%G0", status: 400},
			hostileRequest{name: "introspect: a body over 1 MiB", path: introspect, body: huge, status: 413},
			hostileRequest{name: "introspect: SQL as the token is inactive", path: introspect, body: mustJSON(map[string]any{"token": injections[0]}), ok: `{"response":{"active":false},"err":null}`},
			hostileRequest{name: "introspect: the private key is inactive", path: introspect, body: mustJSON(map[string]any{"token": privateKey}), ok: `{"response":{"active":false},"err":null}`},
			hostileRequest{name: "unknown oauth route", path: "/oauth/v1/token", body: "{}", status: 404},
		)
		// The /wallet/v1 routes.
		for _, id := range []struct{ what, id string }{
			{"SQL injection OR 1=1", enc("1 OR 1=1")}, {"SQL injection DROP TABLE", enc("'; DROP TABLE composite_parents; --")},
			{"33 hex digits", parentID + "0"}, {"upper-case hex", strings.ToUpper(parentID)}, {"a NUL byte", parentID[:31] + "%00"},
			{"invalid UTF-8", parentID[:30] + "%FF%FE"}, {"an encoded path traversal", "..%2F..%2Fchild%2F1"},
		} {
			rows = append(rows,
				hostileRequest{name: "get parent: " + id.what, method: "GET", path: "/wallet/v1/composite-balance/parent/" + id.id, contentType: "-", status: 404},
				hostileRequest{name: "list children: " + id.what, method: "GET", path: "/wallet/v1/composite-balance/parent/" + id.id + "/children", contentType: "-", status: 404})
		}
		for _, q := range []struct{ what, query string }{
			{"limit as an exponent", "limit=1e1"}, {"a negative limit", "limit=-1"}, {"a limit beyond int64", "limit=99999999999999999999"},
			{"limit as SQL", "limit=" + url.QueryEscape(injections[0])}, {"a cursor as SQL", "cursor=" + url.QueryEscape("' OR 1=1 --")},
			{"a cursor encoding SQL", "cursor=" + b64([]byte("child:1 OR 1=1"))}, {"a cursor encoding a negative id", "cursor=" + b64([]byte("child:-1"))},
			{"a cursor encoding an id beyond int64", "cursor=" + b64([]byte("child:99999999999999999999"))}, {"a cursor with a NUL", "cursor=" + b64([]byte("child:1\x00"))},
		} {
			rows = append(rows, hostileRequest{name: "list children: " + q.what, method: "GET", path: childrenPath + "?" + q.query, contentType: "-", status: 400})
		}
		childBody := func(field, raw string) string {
			m := map[string]any{"parent_id": parentID, "credit_line": 1}
			delete(m, field)
			return strings.TrimSuffix(mustJSON(m), "}") + `,"` + field + `":` + raw + "}"
		}
		for _, c := range []struct {
			what, field, raw string
			status           int
		}{
			{"parent_id as a number", "parent_id", "1", 400},
			{"parent_id as SQL", "parent_id", mustJSON(injections[0]), 404},
			{"parent_id as SQL DROP TABLE", "parent_id", mustJSON(injections[1]), 404},
			{"parent_id with a NUL", "parent_id", mustJSON(parentID[:31] + "\x00"), 404},
			{"credit_line as a string", "credit_line", `"1"`, 400},
			{"credit_line as a float", "credit_line", "1.0", 400},
			{"credit_line as an exponent", "credit_line", "1e3", 400},
			{"credit_line beyond int64", "credit_line", "9223372036854775808", 400},
			{"credit_line negative", "credit_line", "-1", 400},
			{"credit_line as an object", "credit_line", `{"$gt":0}`, 400},
			{"customer_id negative", "customer_id", "-5", 400},
			{"customer_id as SQL", "customer_id", mustJSON(injections[0]), 400},
			{"customer_id beyond int64", "customer_id", "99999999999999999999", 400},
			{"customer_id as a float", "customer_id", "1.5", 400},
		} {
			rows = append(rows, hostileRequest{name: "create child: " + c.what, path: childPath, body: childBody(c.field, c.raw), status: c.status})
		}
		rows = append(rows,
			hostileRequest{name: "create child: urlencoded SQL credit line", path: childPath, contentType: "application/x-www-form-urlencoded", body: formBody(map[string]any{"parent_id": parentID, "credit_line": injections[0]}), status: 400},
			hostileRequest{name: "create child: multipart with a broken boundary", path: childPath, contentType: "multipart/form-data; boundary=\"unterminated", body: "--x--", status: 415},
			hostileRequest{name: "create child: a body over 1 MiB", path: childPath, body: huge, status: 413},
			hostileRequest{name: "create child: nested 10,000 deep", path: childPath, body: `{"parent_id":` + deepNesting(10000) + `}`, status: 400},
			hostileRequest{name: "create child: a 300-character Idempotency-Key", path: childPath, header: [][2]string{{"Idempotency-Key", strings.Repeat("i", 300)}}, body: childBody("credit_line", "1"), status: 400},
			hostileRequest{name: "create child: no partner credential", path: childPath, auth: "-", body: childBody("credit_line", "1"), status: 401},
			hostileRequest{name: "create child: DELETE", method: "DELETE", path: childPath, contentType: "-", status: 405},
		)
		for _, id := range []struct{ what, id string }{
			{"SQL injection", enc("1 OR 1=1")}, {"SQL DROP TABLE", enc("'; DROP TABLE composite_children; --")}, {"zero", "0"},
			{"negative", "-1"}, {"beyond int64", "99999999999999999999"}, {"an exponent", "1e0"}, {"a NUL byte", fmt.Sprintf("%d%%00", childID)},
		} {
			rows = append(rows,
				hostileRequest{name: "get child: " + id.what, method: "GET", path: childPath + "/" + id.id, contentType: "-", status: 404},
				hostileRequest{name: "update child: " + id.what, method: "PUT", path: childPath + "/" + id.id + "/update-credit-line", body: `{"credit_line":1}`, status: 404})
		}
		rows = append(rows,
			hostileRequest{name: "update child: credit_line as a string", method: "PUT", path: updatePath, body: `{"credit_line":"2000"}`, status: 400},
			hostileRequest{name: "update child: credit_line as a float", method: "PUT", path: updatePath, body: `{"credit_line":2000.5}`, status: 400},
			hostileRequest{name: "update child: credit_line as an exponent", method: "PUT", path: updatePath, body: `{"credit_line":2e3}`, status: 400},
			hostileRequest{name: "update child: credit_line beyond int64", method: "PUT", path: updatePath, body: `{"credit_line":99999999999999999999}`, status: 400},
			hostileRequest{name: "update child: credit_line as SQL, urlencoded", method: "PUT", path: updatePath, contentType: "application/x-www-form-urlencoded", body: "credit_line=" + url.QueryEscape(injections[1]), status: 400},
			hostileRequest{name: "update child: credit_line missing", method: "PUT", path: updatePath, body: `{"credit":1}`, status: 400},
			hostileRequest{name: "update child: invalid UTF-8 body", method: "PUT", path: updatePath, body: "{\"credit_line\":\xff}", status: 400},
			hostileRequest{name: "update child: POST", path: updatePath, body: `{"credit_line":1}`, status: 405},
			hostileRequest{name: "get child: a path traversal", method: "GET", path: childGet + "/../../parent/" + parentID + "/../../../../user/v1/account/" + fmt.Sprint(customerID), contentType: "-", status: 404},
			hostileRequest{name: "unknown wallet route", method: "GET", path: "/wallet/v1/composite-balance/" + enc(injections[1]), contentType: "-", status: 404},
		)

		start := time.Now()
		count := 0
		for _, r := range rows {
			t.Run(r.name, func(t *testing.T) {
				count++
				a, path, err := sendHostile(t, h, r)
				if err != nil {
					t.Fatalf("no answer: %v", err)
				}
				if a.status >= 500 {
					t.Fatalf("status %d: %s", a.status, a.raw)
				}
				if r.ok != "" {
					if a.status != 200 || strings.TrimSpace(string(a.raw)) != r.ok {
						t.Errorf("status %d %s, want 200 %s", a.status, a.raw, r.ok)
					}
					return
				}
				if a.status < 400 {
					t.Fatalf("accepted: status %d, want %d (%.300s)", a.status, r.status, a.raw)
				}
				if a.status > 499 || r.status != 0 && a.status != r.status {
					t.Errorf("status %d, want %d (%s)", a.status, r.status, a.raw)
				}
				e := contractErrorOf(t, a, path)
				if code, _ := e["code"].(float64); !slices.Contains(contractCodes, code) {
					t.Errorf("code %v is not a contract 4xx code", e["code"])
				}
				checkNoLeak(t, e)
				if got := a.header.Get("X-Request-Id"); strings.ContainsAny(got, " \r\n'") {
					t.Errorf("X-Request-Id %q echoes unsafe input", got)
				}
			})
		}
		t.Logf("%d hostile requests in %v", count, time.Since(start))

		t.Run("raw connections", func(t *testing.T) { hostileRawRequests(t, h) })

		if a := h.do(request{method: "GET", path: "/healthz"}); a.status != 200 {
			t.Errorf("healthz after the hostile requests: %d", a.status)
		}
		for _, table := range writtenTables {
			if n := len(testdb.Rows(t, h.store, table)); n != before[table] {
				t.Errorf("%s: %d rows after the hostile requests, %d before", table, n, before[table])
			}
		}
	})
}

// rawAnswer sends req over a new connection and reads the status line and headers of the
// answer, if one comes within a second.
func rawAnswer(t *testing.T, addr, req string) (*http.Response, []byte, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body, nil
}

// hostileRawRequests sends what Go's client refuses to: CR, LF and NUL in header values, a
// body shorter than its Content-Length, and a slow body.
func hostileRawRequests(t *testing.T, h *harness) {
	addr := h.srv.Listener.Addr().String()
	const create = "/user/v1/account/create"
	head := func(path string, extra string, body string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization-ecommerce: " + h.composite +
			"\r\nContent-Type: application/json\r\n" + extra + fmt.Sprintf("Content-Length: %d\r\nConnection: close\r\n\r\n", len(body)) + body
	}
	invalid := `{"email":"no-at-sign"}`
	for _, tt := range []struct{ name, req string }{
		{"a CR in X-Request-Id", head(create, "X-Request-Id: abc\rSet-Cookie: evil=1\r\n", invalid)},
		{"an LF in X-Request-Id", head(create, "X-Request-Id: abc\nSet-Cookie: evil=1\r\n", invalid)},
		{"a CRLF CRLF in X-Request-Id", head(create, "X-Request-Id: abc\r\n\r\nHTTP/1.1 200 OK\r\nSet-Cookie: evil=1\r\n", invalid)},
		{"an LF in Idempotency-Key", head(create, "Idempotency-Key: k\nSet-Cookie: evil=1\r\n", invalid)},
		{"a CR in Idempotency-Key", head(create, "Idempotency-Key: k\rSet-Cookie: evil=1\r\n", invalid)},
		{"a NUL in Idempotency-Key", head(create, "Idempotency-Key: k\x00evil\r\n", invalid)},
		{"a NUL in the partner credential", strings.Replace(head(create, "", invalid), h.composite, h.composite[:10]+"\x00"+h.composite[11:], 1)},
		{"a NUL in a header name", head(create, "X-Evil\x00: 1\r\n", invalid)},
		{"a NUL in the path", "GET /user/v1/account/1\x00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
		{"CRLF in the path", "GET /user/v1/account/1\r\nSet-Cookie: evil=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
		{"an over-long header line", head(create, "X-Request-Id: "+strings.Repeat("x", 2<<20)+"\r\n", invalid)},
		{"two Content-Length headers that disagree", head(create, "Content-Length: 3\r\n", invalid)},
		{"Content-Length and chunked together", head(create, "Transfer-Encoding: chunked\r\n", invalid) + "\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, err := rawAnswer(t, addr, tt.req)
			if err != nil {
				t.Logf("no answer (the connection was closed): %v", err)
				return
			}
			if resp.StatusCode < 400 || resp.StatusCode > 499 {
				t.Errorf("status %d, want 4xx: %s", resp.StatusCode, body)
			}
			for name, values := range resp.Header {
				for _, v := range values {
					if strings.Contains(strings.ToLower(name+v), "evil") {
						t.Errorf("the answer carries the injected header %s: %s", name, v)
					}
				}
			}
			if resp.Header.Get("Set-Cookie") != "" {
				t.Errorf("the answer sets a cookie: %v", resp.Header)
			}
			// Also what net/http refuses before any handler runs is in the envelope.
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.Header.Get("X-Request-Id") == "" {
				t.Fatalf("an answer outside the envelope: %d %v %q", resp.StatusCode, resp.Header, body)
			}
			var env map[string]any
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatalf("a JSON answer that is not JSON: %q", body)
			}
			a := answer{status: resp.StatusCode, header: resp.Header, body: env, raw: body}
			e := contractErrorOf(t, a, create)
			if code, _ := e["code"].(float64); !slices.Contains(contractCodes, code) {
				t.Errorf("code %v is not a contract 4xx code", e["code"])
			}
			checkNoLeak(t, e, "evil")
		})
	}

	t.Run("a body shorter than its Content-Length", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(2 * time.Second))
		req := "POST " + create + " HTTP/1.1\r\nHost: x\r\nAuthorization-ecommerce: " + h.composite +
			"\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n" + `{"email":"a@b.mx","mob`
		io.WriteString(conn, req)
		conn.(*net.TCPConn).CloseWrite()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Logf("no answer (the connection was closed): %v", err)
		} else {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Errorf("status %d: %s", resp.StatusCode, body)
			}
		}
	})

	t.Run("a slow body that stops", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		req := "POST " + create + " HTTP/1.1\r\nHost: x\r\nAuthorization-ecommerce: " + h.composite +
			"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
		io.WriteString(conn, req)
		for _, b := range []string{`{`, `"e`, `ma`, `il`} {
			time.Sleep(200 * time.Millisecond)
			if _, err := io.WriteString(conn, b); err != nil {
				break
			}
		}
		// The slow connection stays open; the server must still answer everyone else.
		for i := 0; i < 3; i++ {
			if a := h.do(request{method: "GET", path: "/healthz"}); a.status != 200 {
				t.Errorf("healthz while a body dribbles in: %d", a.status)
			}
		}
		conn.Close()
	})
}
