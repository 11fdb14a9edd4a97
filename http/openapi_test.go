package http_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/saldo-mx/saldo"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// openAPIFile is the document GET /openapi.json serves (embedded from this very file).
const openAPIFile = "openapi.json"

// apiDocument is openapi.json, loaded once, with what checking exchanges against it needs.
type apiDocument struct {
	raw  []byte // the file's bytes
	spec *openapi3.T
	// mux matches a request to a path of the document as the server's mux matches it to a
	// route: the same ServeMux, so literal segments win over wildcards, exactly as in the
	// server. (A path that is not canonical matches none: the server answers it 404.)
	mux *http.ServeMux

	answers, requests atomic.Int64 // how many were checked
	mu                sync.Mutex
	seen              map[string]bool // "METHOD path status" of documented answers checked
	// typed holds each distinct JSON body that matched the document, of an answer or of a
	// request, with its TypeScript type, and the wrong bodies that type must reject: TestMain
	// type-checks them all.
	typed map[string]typedBody
}

var loadAPIDocument = sync.OnceValues(func() (*apiDocument, error) {
	raw, err := os.ReadFile(openAPIFile)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", openAPIFile, err)
	}
	if err := spec.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("%s is not a valid OpenAPI document: %w", openAPIFile, err)
	}
	d := &apiDocument{raw: raw, spec: spec, mux: http.NewServeMux(), seen: map[string]bool{}, typed: map[string]typedBody{}}
	for path, item := range spec.Paths.Map() {
		names := pathWildcard.FindAllStringSubmatch(path, -1)
		d.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			rt := r.Context().Value(routeKey{}).(*apiRoute)
			rt.path, rt.item, rt.op = path, item, item.GetOperation(r.Method)
			if r.Method == http.MethodHead && rt.op == nil {
				rt.op = item.Get // HEAD is answered as GET, without the body
			}
			for _, name := range names {
				rt.params[name[1]] = r.PathValue(name[1])
			}
		})
	}
	return d, nil
})

var pathWildcard = regexp.MustCompile(`\{([^}]+)\}`)

// openAPI returns the document, or ends the test when it cannot be used.
func openAPI(t testing.TB) *apiDocument {
	t.Helper()
	d, err := loadAPIDocument()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type routeKey struct{}

// apiRoute is what the document says about a request's path and method.
type apiRoute struct {
	path   string              // the document's path; "" when none matches
	item   *openapi3.PathItem  // nil when no path matches
	op     *openapi3.Operation // nil when the path does not answer the method
	params map[string]string
}

func (d *apiDocument) route(r *http.Request) *apiRoute {
	rt := &apiRoute{params: map[string]string{}}
	rec := httptest.NewRecorder()
	p := r.URL.EscapedPath()
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if clean == p {
		d.mux.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), routeKey{}, rt)))
	}
	return rt
}

// envelopeStyle is the style letter of a path, as the document's description states it:
// B under /wallet/, /events/ and /webhooks/, C under /oauth/, A everywhere else.
func envelopeStyle(path string) string {
	switch {
	case strings.HasPrefix(path, "/wallet/"), strings.HasPrefix(path, "/events/"), strings.HasPrefix(path, "/webhooks/"):
		return "B"
	case strings.HasPrefix(path, "/oauth/"):
		return "C"
	}
	return "A"
}

// fallbackOperation is what the server must answer to a request no operation describes: the
// document's component response name with status, or the path's 413 for a body over 1 MiB,
// which is refused before routing.
func (d *apiDocument) fallbackOperation(path string, status int, name string) (*openapi3.Operation, error) {
	style := envelopeStyle(path)
	ref, tooLarge := d.spec.Components.Responses[name+style], d.spec.Components.Responses[style+"413"]
	if ref == nil || tooLarge == nil {
		return nil, fmt.Errorf("%s lacks components.responses.%s%s or %s413", openAPIFile, name, style, style)
	}
	return &openapi3.Operation{Responses: openapi3.NewResponses(
		openapi3.WithStatus(status, ref), openapi3.WithStatus(http.StatusRequestEntityTooLarge, tooLarge))}, nil
}

// checkAnswer checks an answer the server gave to r: its status must be one the document
// lists for the operation, with the headers, content type and body it describes. Requests
// that match no operation must get the document's 404 or 405; headers over the limit get
// its 431 on every path.
func (d *apiDocument) checkAnswer(r *http.Request, status int, header http.Header, body []byte) error {
	d.answers.Add(1)
	rt := d.route(r)
	op := rt.op
	var err error
	switch {
	case status == http.StatusRequestHeaderFieldsTooLarge:
		// Like 413, refused on every path before routing.
		op, err = d.fallbackOperation(r.URL.Path, status, "HeadersTooLarge")
	case rt.item == nil:
		op, err = d.fallbackOperation(r.URL.Path, http.StatusNotFound, "RouteNotFound")
	case rt.op == nil:
		methods := slices.Collect(maps.Keys(rt.item.Operations()))
		if rt.item.Get != nil && rt.item.Head == nil {
			methods = append(methods, http.MethodHead)
		}
		want := strings.Join(slices.Sorted(slices.Values(methods)), ", ")
		if got := header.Get("Allow"); status == http.StatusMethodNotAllowed && got != want {
			return fmt.Errorf("405 with Allow %q, want %q (the path's operations)", got, want)
		}
		op, err = d.fallbackOperation(r.URL.Path, http.StatusMethodNotAllowed, "MethodNotAllowed")
	}
	if err != nil {
		return err
	}
	// kin-openapi skips some statuses (3xx) before looking them up; an undocumented one must
	// fail all the same.
	if op.Responses.Status(status) == nil {
		return fmt.Errorf("status %d is not documented for %s %s", status, r.Method, cmp.Or(rt.path, "a path that is no route"))
	}
	input := &openapi3filter.RequestValidationInput{
		Request: r, PathParams: rt.params,
		Route:   &routers.Route{Spec: d.spec, Path: rt.path, PathItem: cmp.Or(rt.item, &openapi3.PathItem{}), Method: r.Method, Operation: op},
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: r.Method == http.MethodHead},
	}
	err = openapi3filter.ValidateResponse(r.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input, Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)), Options: input.Options,
	})
	if err != nil {
		return err
	}
	if rt.op != nil {
		d.mu.Lock()
		d.seen[fmt.Sprintf("%s %s %d", r.Method, rt.path, status)] = true
		d.mu.Unlock()
	}
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt == "application/json" {
		d.recordTyped(answerLabel(r, status), d.answerType(r, rt, status), body, "")
	}
	return nil
}

// checkRequest checks a request with its body against the operation the document has for
// it: parameters, headers, credentials present, and the body in its content type.
func (d *apiDocument) checkRequest(r *http.Request, body []byte) error {
	d.requests.Add(1)
	rt := d.route(r)
	if rt.op == nil {
		return fmt.Errorf("no operation of %s answers %s %s", openAPIFile, r.Method, r.URL.Path)
	}
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	// The server reads a body without a Content-Type as JSON, as the document says.
	if req.Header.Get("Content-Type") == "" && len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	err := openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: rt.params,
		Route: &routers.Route{Spec: d.spec, Path: rt.path, PathItem: rt.item, Method: r.Method, Operation: rt.op},
		Options: &openapi3filter.Options{MultiError: true, SkipSettingDefaults: true,
			// A credential's worth is the server's question; its presence is the document's.
			AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
				if in.RequestValidationInput.Request.Header.Get(in.SecurityScheme.Name) == "" {
					return fmt.Errorf("no %s header", in.SecurityScheme.Name)
				}
				return nil
			}},
	})
	if err == nil {
		d.recordTyped(requestLabel(r), requestType(req, rt), body, "")
	}
	return err
}

// formOfRequestAccepted is whether the server judged a request well formed: it answered it, or
// refused it for what the request means (a duplicate, a reused Idempotency-Key), not for its
// form. Only such requests must match the document; the others are often invalid on purpose.
func formOfRequestAccepted(status int) bool {
	return status >= 200 && status < 300 || status == http.StatusConflict || status == http.StatusUnprocessableEntity
}

// describe shortens a validation error for a test log: the schemas kin-openapi prints are
// long, and the first lines tell what failed.
func describe(err error) string {
	s := err.Error()
	if len(s) > 3000 {
		s = s[:3000] + "…"
	}
	return s
}

// answerRecorder keeps a copy of what a handler writes.
type answerRecorder struct {
	http.ResponseWriter
	status int
	header http.Header
	body   bytes.Buffer
}

func (w *answerRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
		w.header = w.ResponseWriter.Header().Clone()
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *answerRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *answerRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// checkAnswers checks every answer next writes against the document, whoever sent the
// request: the hostile corpus and the raw connections included. It reports to t, since the
// answer goes out unchanged.
func checkAnswers(t testing.TB, next http.Handler) http.Handler {
	d := openAPI(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &answerRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.WriteHeader(http.StatusOK)
		}
		if err := d.checkAnswer(r, rec.status, rec.header, rec.body.Bytes()); err != nil {
			t.Errorf("%s: %s %s answered %d, not as documented: %s", openAPIFile, r.Method, r.URL.RequestURI(), rec.status, describe(err))
		}
	})
}

// checkExchange checks what harness.do sent and got: the answer unless the server's own
// check saw it already, and the request when the server judged it well formed.
func checkExchange(t testing.TB, answerToo bool, req *http.Request, sent []byte, status int, header http.Header, raw []byte) {
	t.Helper()
	d := openAPI(t)
	if answerToo {
		if err := d.checkAnswer(req, status, header, raw); err != nil {
			t.Errorf("%s: %s %s answered %d, not as documented: %s", openAPIFile, req.Method, req.URL.RequestURI(), status, describe(err))
		}
	}
	if formOfRequestAccepted(status) {
		if err := d.checkRequest(req, sent); err != nil {
			t.Errorf("%s: %s %s was accepted (%d) but is not a documented request: %s", openAPIFile, req.Method, req.URL.RequestURI(), status, describe(err))
		}
	}
}

// TestMain reports, with -v, how much of the suite the document checked. Once the suite has
// passed, it type-checks every JSON answer the tests got, and every JSON request the server
// took, against the TypeScript types openapi-typescript generates from the document
// (openapi_tools_test.go).
func TestMain(m *testing.M) {
	code := m.Run()
	d, err := loadAPIDocument()
	if err != nil || d.answers.Load() == 0 {
		os.Exit(code)
	}
	if testing.Verbose() {
		fmt.Printf("%s: checked %d answers and %d requests\n", openAPIFile, d.answers.Load(), d.requests.Load())
		var unseen []string
		for path, item := range d.spec.Paths.Map() {
			for method, op := range item.Operations() {
				for status := range op.Responses.Map() {
					if key := fmt.Sprintf("%s %s %s", method, path, status); !d.seen[key] {
						unseen = append(unseen, key)
					}
				}
			}
		}
		slices.Sort(unseen)
		fmt.Printf("%s: %d documented answers the suite never gave:\n  %s\n", openAPIFile, len(unseen), strings.Join(unseen, "\n  "))
	}
	if code == 0 {
		report, ok := d.typeCheckBodies()
		if !ok {
			code = 1
		}
		if !ok || testing.Verbose() {
			fmt.Println(report)
		}
	}
	os.Exit(code)
}

func TestOpenAPIDocumentIsValidOpenAPI31(t *testing.T) {
	d := openAPI(t) // loaded and validated by kin-openapi, against the rules of 3.1
	if !d.spec.IsOpenAPI31OrLater() || !strings.HasPrefix(d.spec.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", d.spec.OpenAPI)
	}
	// What is true of every route by construction (middleware, authentication, bodies) must be
	// documented on every route, even where no test provokes it.
	for path, item := range d.spec.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			// The middleware refuses a body over 1 MiB on every path and turns panics into 500s.
			want := []string{"200", "413", "500"}
			if op.Security != nil && len(*op.Security) > 0 {
				want = append(want, "401", "429", "503")
			}
			if op.RequestBody != nil {
				want = append(want, "400", "415")
				for ct := range op.RequestBody.Value.Content {
					if !slices.Contains([]string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data"}, ct) {
						t.Errorf("%s: the server reads no %s body", name, ct)
					}
				}
				if len(op.RequestBody.Value.Content) != 3 {
					t.Errorf("%s: a body in %d content types, want the three the server reads", name, len(op.RequestBody.Value.Content))
				}
			}
			for _, p := range op.Parameters {
				if p.Value.Name == "Idempotency-Key" {
					want = append(want, "409", "422")
				}
			}
			for _, status := range want {
				if op.Responses.Value(status) == nil {
					t.Errorf("%s does not document %s", name, status)
				}
			}
			for status, resp := range op.Responses.Map() {
				if h := resp.Value.Headers["X-Request-Id"]; h == nil || !h.Value.Required {
					t.Errorf("%s %s: X-Request-Id is not a required header", name, status)
				}
				// An error is in the envelope of its path's style, whether a test
				// provokes it or not: its component is named after the style.
				component := strings.TrimPrefix(resp.Ref, "#/components/responses/")
				if mt := resp.Value.Content.Get("application/json"); resp.Ref == "" && mt != nil && mt.Schema != nil {
					component = strings.TrimPrefix(mt.Schema.Ref, "#/components/schemas/")
				}
				if style := envelopeStyle(path); status != "200" && !strings.HasPrefix(component, style) {
					t.Errorf("%s %s: answers %q, not a component of style %s", name, status, component, style)
				}
				if h := resp.Value.Headers["Retry-After"]; (status == "429" || status == "503") && (h == nil || !h.Value.Required) {
					t.Errorf("%s %s: Retry-After is not a required header", name, status)
				}
			}
		}
	}
	for name, resp := range d.spec.Components.Responses {
		if h := resp.Value.Headers["X-Request-Id"]; h == nil || !h.Value.Required {
			t.Errorf("components.responses.%s: X-Request-Id is not a required header", name)
		}
	}
}

func TestOpenAPIDescribesEveryRouteAndNoOther(t *testing.T) {
	d := openAPI(t)
	reg := prometheus.NewRegistry()
	srv := saldohttp.NewServer(saldo.NewService(testdb.OpenSQLite(t), nil), slog.New(slog.DiscardHandler), saldohttp.WithMetrics(reg, reg))
	var documented []string
	for path, item := range d.spec.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(documented)
	registered := srv.Routes()
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			t.Errorf("%s is served but not in %s", r, openAPIFile)
		}
	}
	for _, r := range documented {
		if !slices.Contains(registered, r) {
			t.Errorf("%s is in %s but not served", r, openAPIFile)
		}
	}
	if len(registered) < 15 {
		t.Errorf("only %d routes registered: %v", len(registered), registered)
	}
}

func TestOpenAPIIsServed(t *testing.T) {
	h := newHarness(t, testdb.Engines()[0]) // its answers are checked against the document too
	want := openAPI(t).raw
	a := h.do(request{method: http.MethodGet, path: "/openapi.json"})
	if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/json" {
		t.Errorf("status %d, Content-Type %q; want 200 application/json", a.status, a.header.Get("Content-Type"))
	}
	if !bytes.Equal(a.raw, want) {
		t.Errorf("GET /openapi.json serves %d bytes that are not %s (%d bytes)", len(a.raw), openAPIFile, len(want))
	}
	if a.body["openapi"] != "3.1.1" {
		t.Errorf("openapi = %v", a.body["openapi"])
	}
}

// The operational routes answer as documented; /metrics is served only with metrics on, as
// `saldo serve` runs, so no harness reaches it.
func TestOpenAPIOperationalRoutesAnswerAsDocumented(t *testing.T) {
	reg := prometheus.NewRegistry()
	svc := saldo.NewService(testdb.OpenSQLite(t), nil)
	srv := httptest.NewServer(checkAnswers(t, saldohttp.NewServer(svc, slog.New(slog.DiscardHandler), saldohttp.WithMetrics(reg, reg))))
	defer srv.Close()
	d := openAPI(t)
	before := d.answers.Load()
	paths := []string{"/healthz", "/readyz", "/metrics", "/openapi.json"}
	for _, path := range paths {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		// The whole answer, so that the server's check is over (a long one is streamed).
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", path, resp.StatusCode)
		}
	}
	if got := d.answers.Load() - before; got != int64(len(paths)) {
		t.Errorf("%d answers checked, want %d", got, len(paths))
	}
}

// The hooks are live: what goes through the harness is checked, whichever client sends it.
func TestOpenAPICheckCoversEveryExchangeOfTheHarness(t *testing.T) {
	d := openAPI(t)
	h := newHarness(t, testdb.Engines()[0])
	answers, requests := d.answers.Load(), d.requests.Load()
	h.do(request{method: http.MethodGet, path: "/healthz"})
	// Checked by the server's wrapper (the answer) and by harness.do (the request).
	if got := d.answers.Load() - answers; got != 1 {
		t.Errorf("harness.do: %d answers checked, want 1", got)
	}
	if got := d.requests.Load() - requests; got != 1 {
		t.Errorf("harness.do: %d requests checked, want 1", got)
	}
	// A request that does not go through harness.do, as the hostile corpus sends them.
	resp, err := http.Post(h.srv.URL+"/user/v1/account/create", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if got := d.answers.Load() - answers; got != 2 {
		t.Errorf("after a request of another client: %d answers checked, want 2", got)
	}
}

// recordingTB keeps the errors reported to it instead of failing the test.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recordingTB) reported() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errors)
}

// A server that drifted from the document fails the tests that talk to it, through either
// hook: the server's wrapper and harness.do.
func TestOpenAPICheckFailsTheTestsOfADriftedServer(t *testing.T) {
	drifted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "r")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status": 1}`) // the document says "ok"
	})
	wrapped := &recordingTB{TB: t}
	srv := httptest.NewServer(checkAnswers(wrapped, drifted))
	defer srv.Close()
	h := &harness{t: t, srv: srv, answersChecked: true}
	h.do(request{method: http.MethodGet, path: "/healthz"})
	if got := wrapped.reported(); len(got) != 1 || !strings.Contains(got[0], "/healthz answered 200, not as documented") {
		t.Errorf("the server's wrapper reported %q", got)
	}

	unwrapped := httptest.NewServer(drifted)
	defer unwrapped.Close()
	rec := &recordingTB{TB: t}
	h = &harness{t: rec, srv: unwrapped}
	h.do(request{method: http.MethodGet, path: "/healthz"})
	if got := rec.reported(); len(got) != 1 || !strings.Contains(got[0], "/healthz answered 200, not as documented") {
		t.Errorf("harness.do reported %q", got)
	}
}

// The check rejects answers that differ from the document in any way a handler could drift:
// each wrong answer is a real one with one thing changed.
func TestOpenAPICheckRejectsWrongAnswers(t *testing.T) {
	d := openAPI(t)
	h := newHarness(t, testdb.Engines()[0])
	created := h.create(1)
	parentID := created.body["rs"].(map[string]any)["composite_balance"].(map[string]any)["parent"].(map[string]any)["id"].(string)
	parentPath := "/wallet/v1/composite-balance/parent/" + parentID
	parent := h.do(request{method: http.MethodGet, path: parentPath, token: h.composite})
	introspected := h.do(request{path: "/oauth/v1/introspect", token: h.composite, body: jsonBody(map[string]any{"token": "x"})})
	notAllowed := h.do(request{method: http.MethodGet, path: "/oauth/v1/revoke", token: h.composite})
	unknown := h.do(request{method: http.MethodGet, path: "/wallet/v1/nope", token: h.composite})
	tooLarge := h.do(request{path: "/user/v1/nope", body: strings.NewReader(strings.Repeat("x", saldohttp.MaxBodyBytes+1))})
	limited := answer{status: http.StatusTooManyRequests, raw: []byte(`{"rs":null,"err":{"code":4429,"text":"Too Many Requests","hints":["Too many requests, please retry later"]}}`),
		header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r"}, "Retry-After": {"1"}}}

	replace := func(a answer, old, new string) answer {
		if !bytes.Contains(a.raw, []byte(old)) {
			t.Fatalf("%q is not in %s", old, a.raw)
		}
		a.raw = bytes.Replace(a.raw, []byte(old), []byte(new), 1)
		return a
	}
	withHeader := func(a answer, name, value string) answer {
		a.header = a.header.Clone()
		if value == "" {
			a.header.Del(name)
		} else {
			a.header.Set(name, value)
		}
		return a
	}
	withStatus := func(a answer, status int) answer { a.status = status; return a }
	quote := func(a answer, field string) answer {
		re := regexp.MustCompile(`"` + field + `":(\d+)`)
		if !re.Match(a.raw) {
			t.Fatalf("no number %s in %s", field, a.raw)
		}
		a.raw = re.ReplaceAll(a.raw, []byte(`"`+field+`":"$1"`))
		return a
	}
	const create = "/user/v1/account/create"

	tests := []struct {
		name, method, path string
		answer             answer
		ok                 bool
	}{
		{"the create's answer as it is", "POST", create, created, true},
		{"a number where a string belongs (mobile_country_code 52)", "POST", create, replace(created, `"mobile_country_code":"52"`, `"mobile_country_code":52`), false},
		{"a string where a number belongs (mobile)", "POST", create, quote(created, "mobile"), false},
		{"a field the document does not list", "POST", create, replace(created, `"rs":{`, `"rs":{"debug":"x",`), false},
		{"a field renamed", "POST", create, replace(created, `"private_key":`, `"private_kei":`), false},
		{"a value outside its enum (gender 4)", "POST", create, replace(created, `"gender":2`, `"gender":4`), false},
		{"a secret of the wrong shape", "POST", create, replace(created, `"private_key":"sk_`, `"private_key":"pk_`), false},
		{"no X-Request-Id", "POST", create, withHeader(created, "X-Request-Id", ""), false},
		{"no Cache-Control on credentials", "POST", create, withHeader(created, "Cache-Control", ""), false},
		{"another content type", "POST", create, withHeader(created, "Content-Type", "text/plain"), false},
		{"an undocumented status", "POST", create, withStatus(created, http.StatusTeapot), false},
		{"a redirect no route gives", "POST", create, withStatus(withHeader(created, "Location", "/x"), http.StatusTemporaryRedirect), false},
		{"the parent as it is", "GET", parentPath, parent, true},
		{"a style A envelope on a wallet route", "GET", parentPath, answer{status: 200, header: parent.header, raw: []byte(`{"rs":{},"err":null}`)}, false},
		{"a timestamp without nanoseconds", "GET", parentPath, func() answer {
			a := parent
			a.raw = regexp.MustCompile(`\.\d{9}-`).ReplaceAll(a.raw, []byte("-"))
			return a
		}(), false},
		{"the introspection as it is", "POST", "/oauth/v1/introspect", introspected, true},
		{"an inactive token with more than active", "POST", "/oauth/v1/introspect", replace(introspected, `{"active":false}`, `{"active":false,"customer_id":1}`), false},
		{"the 429 as it is", "GET", "/user/v1/account/1", limited, true},
		{"a 429 without Retry-After", "GET", "/user/v1/account/1", withHeader(limited, "Retry-After", ""), false},
		{"a 429 with another code", "GET", "/user/v1/account/1", replace(limited, "4429", "4400"), false},
		{"a 429 with the text of another code", "GET", "/user/v1/account/1", replace(limited, `"Too Many Requests"`, `"Server Error"`), false},
		{"the 405 as it is", "GET", "/oauth/v1/revoke", notAllowed, true},
		{"a 405 with a wrong Allow", "GET", "/oauth/v1/revoke", withHeader(notAllowed, "Allow", "GET, POST"), false},
		{"a 405 in style A on an oauth route", "GET", "/oauth/v1/revoke", replace(notAllowed, `"response":null`, `"rs":null`), false},
		{"the unknown route as it is", "GET", "/wallet/v1/nope", unknown, true},
		{"an unknown route answered 200", "GET", "/wallet/v1/nope", withStatus(unknown, 200), false},
		{"a body over 1 MiB to an unknown route, as it is", "POST", "/user/v1/nope", tooLarge, true},
		{"a body over 1 MiB to an unknown route, answered 404", "POST", "/user/v1/nope", withStatus(tooLarge, 404), false},
	}
	// The wrong bodies a type can tell from the right ones (a pattern, a header or a status it
	// cannot): the TypeScript types of the document must reject them too (TestMain).
	typeErrors := []string{
		"a number where a string belongs (mobile_country_code 52)",
		"a string where a number belongs (mobile)",
		"a field the document does not list",
		"a field renamed",
		"a value outside its enum (gender 4)",
		"a style A envelope on a wallet route",
		"an inactive token with more than active",
		"a 429 with another code",
		"a 429 with the text of another code",
		"a 405 in style A on an oauth route",
		"a body over 1 MiB to an unknown route, answered 404",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, nil)
			err := d.checkAnswer(r, tt.answer.status, tt.answer.header, tt.answer.raw)
			if tt.ok && err != nil {
				t.Errorf("a real answer is rejected: %s", describe(err))
			}
			if !tt.ok && err == nil {
				t.Errorf("accepted: %d %v %s", tt.answer.status, tt.answer.header, tt.answer.raw)
			}
			if err != nil {
				t.Logf("rejected: %s", describe(err))
			}
			if slices.Contains(typeErrors, tt.name) && !d.expectTypeError(r, tt.answer.status, tt.answer.raw, tt.name) {
				t.Errorf("the document gives no TypeScript type to a %d answer to %s %s", tt.answer.status, tt.method, tt.path)
			}
		})
	}
}

// The check rejects requests that are not what the document describes, in every content type.
func TestOpenAPICheckRejectsWrongRequests(t *testing.T) {
	d := openAPI(t)
	token := "ek_" + strings.Repeat("0", 64)
	validForm := map[string]any{"email": "a@b.mx", "mobile": "5512345678", "first_name": "Juan", "last_name": "Pérez", "gender": "2", "credit_line": "100"}
	noEmail := maps.Clone(validForm)
	delete(noEmail, "email")
	mpValid, mpValidType := multipartBody(validForm)
	mpNoEmail, mpNoEmailType := multipartBody(noEmail)
	created := createJSON(1)
	createdNoEmail := maps.Clone(created)
	delete(createdNoEmail, "email")
	const create = "/user/v1/account/create"
	const connect = "/oauth/v1/get-customer-connection-token"
	tests := []struct {
		name, method, path, contentType, body string
		header                                map[string]string
		ok                                    bool
	}{
		{"a JSON create", "POST", create, "application/json", mustJSON(created), nil, true},
		{"a JSON create without a Content-Type", "POST", create, "", mustJSON(created), nil, true},
		{"a JSON create with null for an optional field", "POST", create, "application/json", withField(1, "middle_name", "null"), nil, true},
		{"gender as a string in JSON", "POST", create, "application/json", withField(1, "gender", `"2"`), nil, false},
		{"gender outside its enum", "POST", create, "application/json", withField(1, "gender", "4"), nil, false},
		{"no email", "POST", create, "application/json", mustJSON(createdNoEmail), nil, false},
		{"a credit line as a string in JSON", "POST", create, "application/json",
			withField(1, "composite_balance", `{"parent":{"credit_line":"100"}}`), nil, false},
		{"an urlencoded create", "POST", create, "application/x-www-form-urlencoded", formBody(validForm), nil, true},
		{"an urlencoded create without email", "POST", create, "application/x-www-form-urlencoded", formBody(noEmail), nil, false},
		{"a multipart create", "POST", create, mpValidType, mpValid, nil, true},
		{"a multipart create without email", "POST", create, mpNoEmailType, mpNoEmail, nil, false},
		{"a text/plain create", "POST", create, "text/plain", "email=x", nil, false},
		{"no partner credential", "POST", create, "application/json", mustJSON(created), map[string]string{"Authorization-ecommerce": ""}, false},
		{"a 256-character Idempotency-Key", "POST", create, "application/json", mustJSON(created), map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}, false},
		{"a connection by private key", "POST", connect, "application/json", `{"customer_id":1,"customer_private_key":"sk_x","device_id":"phone"}`, nil, true},
		{"a connection by refresh token, urlencoded", "POST", connect, "application/x-www-form-urlencoded", "customer_refresh_token=r&device_id=phone", nil, true},
		{"a connection with both credentials, as real clients send them", "POST", connect, "application/json", `{"customer_id":1,"customer_private_key":"","customer_refresh_token":"r","device_id":"phone","ecommerce_token":"ek_x","extra_login_data":{}}`, nil, true},
		{"a connection without a device", "POST", connect, "application/json", `{"customer_id":1,"customer_private_key":"sk_x"}`, nil, false},
		{"a page of children", "GET", "/wallet/v1/composite-balance/parent/" + strings.Repeat("a", 32) + "/children?limit=100", "", "", nil, true},
		{"a page of 101 children", "GET", "/wallet/v1/composite-balance/parent/" + strings.Repeat("a", 32) + "/children?limit=101", "", "", nil, false},
		{"a parent id that is no id", "GET", "/wallet/v1/composite-balance/parent/xyz", "", "", nil, false},
		{"an account read with the customer's token alone", "GET", "/user/v1/account/7", "", "", map[string]string{"Authorization-ecommerce": "", "Authorization-customer": strings.Repeat("a", 64)}, true},
		{"an account id that is no number", "GET", "/user/v1/account/abc", "", "", nil, false},
		{"a method no operation has", "DELETE", "/user/v1/account/7", "", "", nil, false},
		{"a path no operation has", "POST", "/user/v1/account/create/", "application/json", mustJSON(created), nil, false},
		{"a path that is no route", "GET", "/user/v1/nope", "", "", nil, false},
	}
	// The wrong JSON bodies a type can tell from the right ones: the TypeScript types of the
	// document must reject them too (TestMain).
	typeErrors := []string{
		"gender as a string in JSON",
		"gender outside its enum",
		"no email",
		"a credit line as a string in JSON",
		"a connection without a device",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			r.Header.Set("Authorization-ecommerce", token)
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			for k, v := range tt.header {
				if v == "" {
					r.Header.Del(k)
				} else {
					r.Header.Set(k, v)
				}
			}
			err := d.checkRequest(r, []byte(tt.body))
			if tt.ok && err != nil {
				t.Errorf("a valid request is rejected: %s", describe(err))
			}
			if slices.Contains(typeErrors, tt.name) && !d.expectRequestTypeError(r, []byte(tt.body), tt.name) {
				t.Errorf("the document gives no TypeScript type to a %s body of %s %s", tt.contentType, tt.method, tt.path)
			}
			if !tt.ok && err == nil {
				t.Error("accepted")
			}
			if err != nil {
				t.Logf("rejected: %s", describe(err))
			}
		})
	}
}
