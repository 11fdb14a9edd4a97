package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/console"
	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// harness is a console over a real engine, with a clock the test moves.
type harness struct {
	t     testing.TB
	svc   *saldo.Service
	clock *saldo.ManualClock
	srv   *httptest.Server
}

func forEachEngine(t *testing.T, test func(t *testing.T, h *harness)) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			clock := saldo.NewManualClock(time.Date(2026, 11, 24, 16, 26, 49, 0, time.UTC))
			svc := saldo.NewService(eng.Open(t), clock, saldo.WithWebhookPolicy(saldo.WebhookPolicy{AllowInsecure: true}))
			srv := httptest.NewServer(console.New(svc, slog.New(slog.DiscardHandler), console.Options{}))
			t.Cleanup(srv.Close)
			test(t, &harness{t: t, svc: svc, clock: clock, srv: srv})
		})
	}
}

// operator creates an operator and returns its password.
func (h *harness) operator(email, role string) string {
	h.t.Helper()
	_, password, err := h.svc.NewOperator(context.Background(), email, role)
	if err != nil {
		h.t.Fatal(err)
	}
	return password
}

// browser is a cookie jar that does not follow redirects, so tests see them.
type browser struct {
	h      *harness
	client *http.Client
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is an answer.
type page struct {
	status int
	header http.Header
	body   string
}

func (p page) location() string { return p.header.Get("Location") }

func (b *browser) do(method, path string, form url.Values, header map[string]string) page {
	b.h.t.Helper()
	req, err := http.NewRequest(method, b.h.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.h.t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(path string) page { return b.do(http.MethodGet, path, nil, nil) }

func (b *browser) post(path string, form url.Values) page {
	return b.do(http.MethodPost, path, form, nil)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([0-9a-f]+)"`)

// csrf is the CSRF token of the forms of the page at path.
func (b *browser) csrf(path string) string {
	b.h.t.Helper()
	m := csrfRE.FindStringSubmatch(b.get(path).body)
	if m == nil {
		b.h.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

// login logs in through the form and fails the test unless it succeeds.
func (b *browser) login(email, password string) {
	b.h.t.Helper()
	p := b.post("/console/login", url.Values{"csrf_token": {b.csrf("/console/login")}, "email": {email}, "password": {password}})
	if p.status != http.StatusSeeOther || p.location() != "/console/" {
		b.h.t.Fatalf("login: %d to %q: %s", p.status, p.location(), p.body)
	}
}

// act posts an action's form with the session's CSRF token.
func (b *browser) act(path string, form url.Values) page {
	b.h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", b.csrf("/console/audit"))
	return b.post(path, form)
}

// world is a partner with composite balances, an owner with a parent and two children on it,
// and a webhook endpoint with one failed attempt.
type world struct {
	partner  *saldo.Partner
	token    string
	owner    *saldo.CreatedCustomer
	employee *saldo.CreatedCustomer
	ownerReq saldo.CreateCustomerRequest
	endpoint *saldo.WebhookEndpoint
}

func (h *harness) world() *world {
	h.t.Helper()
	ctx := context.Background()
	e, token, err := h.svc.CreatePartner(ctx, saldo.NewPartner{Name: "Tienda", CompositeBalances: true})
	if err != nil {
		h.t.Fatal(err)
	}
	w := &world{partner: e, token: token, ownerReq: gen.Customer("", 1)}
	w.ownerReq.CompositeCreditLine = "1000000"
	if w.owner, err = h.svc.CreateCustomer(ctx, e, w.ownerReq, nil); err != nil {
		h.t.Fatal(err)
	}
	employeeReq := gen.Customer("", 2)
	employeeReq.CompositeCreditLine = "0"
	if w.employee, err = h.svc.CreateCustomer(ctx, e, employeeReq, nil); err != nil {
		h.t.Fatal(err)
	}
	for _, line := range []int64{300000, 200000} {
		_, err := h.svc.CreateChild(ctx, e, saldo.NewChild{ParentID: w.owner.Parent.ID, CustomerID: w.employee.Customer.ID, CreditLine: line}, nil)
		if err != nil {
			h.t.Fatal(err)
		}
	}
	w.endpoint, err = h.svc.CreateWebhookEndpoint(ctx, e, saldo.NewWebhookEndpoint{URL: "http://127.0.0.1:9/hook", Events: []string{"*"}}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.svc.TestWebhookEndpoint(ctx, e, w.endpoint.ID, nil); err != nil {
		h.t.Fatal(err)
	}
	claimed, err := h.svc.ClaimDeliveries(ctx, time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		h.t.Fatalf("claim: %d, %v", len(claimed), err)
	}
	if err := h.svc.RecordAttempt(ctx, &claimed[0], saldo.WebhookAttempt{StatusCode: 503, Duration: 40 * time.Millisecond,
		Error: "answered 503"}); err != nil {
		h.t.Fatal(err)
	}
	return w
}

func TestTheConsoleIsOffUntilAnOperatorExists(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.browser()
		for _, path := range []string{"/console/login", "/console/", "/console/assets/style.css"} {
			if p := b.get(path); p.status != http.StatusNotFound {
				t.Errorf("%s without operators: %d, want 404", path, p.status)
			}
		}
		password := h.operator("ana@example.com", saldo.OperatorViewer)
		if p := b.get("/console/login"); p.status != http.StatusOK {
			t.Errorf("login page with an operator: %d", p.status)
		}
		b.login("ana@example.com", password)
		if _, err := h.svc.DisableOperator(context.Background(), "ana@example.com"); err != nil {
			t.Fatal(err)
		}
		if p := b.get("/console/"); p.status != http.StatusNotFound {
			t.Errorf("with every operator disabled: %d, want 404", p.status)
		}
	})
}

func TestEveryPageRenders(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		w := h.world()
		b := h.browser()
		b.login("ana@example.com", h.operator("ana@example.com", saldo.OperatorAdmin))
		owner := strconv.FormatInt(w.owner.Customer.ID, 10)
		ownerLink := `href="/console/customers/` + owner + `"`
		tests := []struct {
			name, path string
			want       []string
		}{
			{"the overview draws its four charts", "/console/", []string{"Customers created per day", "Money held in wallets",
				"Credit granted and used", "Webhook delivery health", "<svg", "Tienda (" + strconv.FormatInt(w.partner.ID, 10) + ")"}},
			{"the customers page lists the first customers", "/console/customers", []string{ownerLink, w.ownerReq.Email}},
			{"a search by id finds it", "/console/customers?q=" + owner, []string{ownerLink}},
			{"a search by email finds it", "/console/customers?q=" + url.QueryEscape(strings.ToUpper(w.ownerReq.Email)), []string{ownerLink}},
			{"a search by mobile finds it", "/console/customers?q=" + w.ownerReq.Mobile, []string{ownerLink}},
			{"a search by RFC finds it", "/console/customers?q=" + strings.ToLower(w.ownerReq.RFC), []string{ownerLink}},
			{"a search by CURP finds it", "/console/customers?q=" + w.ownerReq.CURP, []string{ownerLink}},
			{"filters by status and level", "/console/customers?status=1&level=" + strconv.Itoa(w.owner.Customer.AccountLevel), []string{ownerLink}},
			{"a customer's page has every section", "/console/customers/" + owner, []string{"Profile", "Level and status",
				"Live sessions", "Wallet", "Composite parent", "Each child", `id="statements"`, "No statements.", "Children's debt", "Events",
				"customer.created", `id="block"`, `id="revoke"`, w.owner.Parent.ID}},
			{"the partners page shows settings and rotation", "/console/partners", []string{"Tienda", "Rotate token"}},
			{"the webhooks page shows endpoints and attempts", "/console/webhooks", []string{"http://127.0.0.1:9/hook", "503",
				"answered 503", "Redeliver"}},
			{"the audit log lists the login", "/console/audit", []string{"ana@example.com", "login"}},
			{"the logout page asks to confirm", "/console/logout", []string{`action="/console/logout"`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := b.get(tt.path)
				if p.status != http.StatusOK {
					t.Fatalf("%s: %d: %s", tt.path, p.status, p.body)
				}
				for _, s := range tt.want {
					if !strings.Contains(p.body, s) {
						t.Errorf("%s lacks %q", tt.path, s)
					}
				}
				wantSelfContained(t, p)
			})
		}
		if p := b.get("/console/customers?q=nobody@example.com"); !strings.Contains(p.body, "No customer matches.") {
			t.Errorf("a search that finds nothing: %d %s", p.status, p.body)
		}
	})
}

// externalRE finds a reference to anything outside the binary: a URL with a scheme or a
// protocol-relative one in an attribute, or a script.
var externalRE = regexp.MustCompile(`(?i)(src|href|action)="(https?:)?//|<script|@import`)

// wantSelfContained fails unless a page loads nothing from outside and forbids it.
func wantSelfContained(tb testing.TB, p page) {
	tb.Helper()
	if m := externalRE.FindString(p.body); m != "" {
		tb.Errorf("the page refers outside the binary: %q", m)
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		tb.Errorf("Content-Security-Policy %q", csp)
	}
}

func TestViewersSeePersonalDataMasked(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		w := h.world()
		b := h.browser()
		b.login("vera@example.com", h.operator("vera@example.com", saldo.OperatorViewer))
		id := strconv.FormatInt(w.owner.Customer.ID, 10)
		c := w.owner.Customer
		for _, path := range []string{"/console/customers/" + id, "/console/customers?q=" + id} {
			p := b.get(path)
			for _, secret := range []string{c.Email, c.RFC, c.CURP, c.Mobile, c.FirstName, c.LastName} {
				if secret != "" && strings.Contains(p.body, secret) {
					t.Errorf("%s shows a viewer %q", path, secret)
				}
			}
			local, domain, _ := strings.Cut(c.Email, "@")
			for _, mask := range []string{local[:1] + "***@" + domain, c.RFC[:4] + "*"} {
				if !strings.Contains(p.body, mask) {
					t.Errorf("%s lacks the mask %q", path, mask)
				}
			}
			if strings.Contains(p.body, `id="block"`) || strings.Contains(p.body, `id="revoke"`) {
				t.Errorf("%s offers a viewer an admin's action", path)
			}
		}
		if p := b.get("/console/customers/" + id); !strings.Contains(p.body, c.CURP[:4]+"*") {
			t.Errorf("the customer page lacks the CURP's mask")
		}
	})
}

// The console's log lines name routes and statuses: never a search, a password, a session or
// a CSRF token.
func TestTheLogHoldsNoSecretOrPersonalData(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		var log strings.Builder
		h.srv = httptest.NewServer(console.New(h.svc, slog.New(slog.NewTextHandler(&log, nil)), console.Options{}))
		t.Cleanup(h.srv.Close)
		w := h.world()
		password := h.operator("ana@example.com", saldo.OperatorAdmin)
		b := h.browser()
		b.login("ana@example.com", password)
		b.get("/console/customers?q=" + url.QueryEscape(w.ownerReq.Email))
		b.get("/console/customers/" + strconv.FormatInt(w.owner.Customer.ID, 10))
		u, _ := url.Parse(h.srv.URL + "/console/")
		secrets := []string{w.ownerReq.Email, "ana@example.com", password, b.csrf("/console/")}
		for _, c := range b.client.Jar.Cookies(u) {
			secrets = append(secrets, c.Value)
		}
		for _, s := range secrets {
			if strings.Contains(log.String(), s) {
				t.Errorf("the log holds %q:\n%s", s, log.String())
			}
		}
		if !strings.Contains(log.String(), `route="GET /console/customers/{id}" status=200`) {
			t.Errorf("the log lacks the customer page's line:\n%s", log.String())
		}
	})
}

// Results come 50 a page, across partners, in id order, with a link to the next page.
func TestCustomersPage50AtATime(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		var ids []int64
		for i, name := range []string{"Tienda", "Otra"} {
			e, _, err := h.svc.CreatePartner(ctx, saldo.NewPartner{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			for seq := range 30 {
				out, err := h.svc.CreateCustomer(ctx, e, gen.Customer(name, uint64(100*i+seq+1)), nil)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, out.Customer.ID)
			}
		}
		b := h.browser()
		b.login("ana@example.com", h.operator("ana@example.com", saldo.OperatorViewer))
		rowRE := regexp.MustCompile(`<a href="/console/customers/(\d+)">`)
		nextRE := regexp.MustCompile(`<a href="(/console/customers\?[^"]+)">Next page</a>`)
		var seen []string
		path := "/console/customers?status=1"
		for pages := 0; path != "" && pages < 5; pages++ {
			p := b.get(strings.ReplaceAll(path, "&amp;", "&"))
			rows := rowRE.FindAllStringSubmatch(p.body, -1)
			if len(rows) > 50 {
				t.Fatalf("%s lists %d customers", path, len(rows))
			}
			for _, r := range rows {
				seen = append(seen, r[1])
			}
			path = ""
			if m := nextRE.FindStringSubmatch(p.body); m != nil {
				path = m[1]
			}
		}
		if len(seen) != len(ids) {
			t.Fatalf("the pages listed %d customers, want %d", len(seen), len(ids))
		}
		for i, id := range ids {
			if seen[i] != strconv.FormatInt(id, 10) {
				t.Fatalf("row %d is customer %s, want %d", i, seen[i], id)
			}
		}
	})
}

func TestACustomersPageListsItsParentsStatements(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		w := h.world()
		children, _, err := h.svc.CompositeChildren(ctx, w.partner, w.owner.Parent.ID, 0, 10)
		if err != nil || len(children) == 0 {
			t.Fatalf("children: %v", err)
		}
		if _, err := h.svc.Charge(ctx, w.partner, saldo.ChargeRequest{ChildID: children[0].ID, Amount: 123_456,
			ExternalTransactionID: "c-1", Capture: true}, nil); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2027, 1, 2, 12, 0, 0, 0, saldo.MexicoCity)
		h.clock.Set(now)
		if r, err := h.svc.BillingRun(ctx, now); err != nil || r.Statements == 0 {
			t.Fatalf("billing run: %+v, %v", r, err)
		}
		b := h.browser()
		b.login("ana@example.com", h.operator("ana@example.com", saldo.OperatorViewer))
		p := b.get("/console/customers/" + strconv.FormatInt(w.owner.Customer.ID, 10))
		if p.status != http.StatusOK || strings.Contains(p.body, "No statements.") || !strings.Contains(p.body, "2026-11-24 to ") ||
			!strings.Contains(p.body, "1,234.56") {
			t.Errorf("the customer page after a cut-off: %d, want its statement with the closing balance 1,234.56:\n%s", p.status, p.body)
		}
	})
}
