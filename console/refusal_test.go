package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
)

// status reads a customer's account status through the service.
func (h *harness) status(w *world) int {
	h.t.Helper()
	p, err := h.svc.Customer(context.Background(), w.partner, w.owner.Customer.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return p.Customer.AccountStatus
}

func TestEveryRefusal(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		w := h.world()
		adminPassword := h.operator("ana@example.com", saldo.OperatorAdmin)
		viewerPassword := h.operator("vera@example.com", saldo.OperatorViewer)
		block := "/console/customers/" + strconv.FormatInt(w.owner.Customer.ID, 10) + "/status"
		admin, viewer := h.browser(), h.browser()
		admin.login("ana@example.com", adminPassword)
		viewer.login("vera@example.com", viewerPassword)
		csrf := admin.csrf("/console/audit")
		tests := []struct {
			name       string
			answer     func() page
			wantStatus int
			wantText   string // in the body, or the redirect's target
		}{
			{"a page without a session goes to the login page", func() page { return h.browser().get("/console/customers") },
				http.StatusSeeOther, "/console/login"},
			{"an action without a session is 401", func() page {
				return h.browser().post(block, url.Values{"status": {"blocked"}, "csrf_token": {csrf}})
			}, http.StatusUnauthorized, "Log in again"},
			{"a forged session cookie is no session", func() page {
				b := h.browser()
				u, _ := url.Parse(h.srv.URL + "/console/")
				b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "saldo_console_session", Value: saldo.NewSecret(saldo.OperatorSessionPrefix)}})
				return b.get("/console/")
			}, http.StatusSeeOther, "/console/login"},
			{"a viewer blocking is 403", func() page { return viewer.act(block, url.Values{"status": {"blocked"}}) },
				http.StatusForbidden, "Only an admin"},
			{"a viewer rotating a token is 403", func() page {
				return viewer.act("/console/partners/"+strconv.FormatInt(w.partner.ID, 10)+"/rotate-token", nil)
			}, http.StatusForbidden, "Only an admin"},
			{"a viewer revoking sessions is 403", func() page {
				return viewer.act("/console/customers/"+strconv.FormatInt(w.owner.Customer.ID, 10)+"/sessions/revoke", nil)
			}, http.StatusForbidden, "Only an admin"},
			{"a viewer redelivering is 403", func() page {
				return viewer.act("/console/webhooks/redeliver", url.Values{"partner": {"1"}, "event": {"1"}})
			}, http.StatusForbidden, "Only an admin"},
			{"an action without a CSRF token is 403", func() page { return admin.post(block, url.Values{"status": {"blocked"}}) },
				http.StatusForbidden, "CSRF"},
			{"an action with a wrong CSRF token is 403", func() page {
				return admin.post(block, url.Values{"status": {"blocked"}, "csrf_token": {strings.Repeat("0", 64)}})
			}, http.StatusForbidden, "CSRF"},
			{"an action with another session's CSRF token is 403", func() page {
				return admin.post(block, url.Values{"status": {"blocked"}, "csrf_token": {viewer.csrf("/console/audit")}})
			}, http.StatusForbidden, "CSRF"},
			{"a logout without a CSRF token is 403", func() page { return admin.post("/console/logout", nil) },
				http.StatusForbidden, "CSRF"},
			{"a login without its CSRF token is 403", func() page {
				b := h.browser()
				b.get("/console/login")
				return b.post("/console/login", url.Values{"email": {"ana@example.com"}, "password": {adminPassword}})
			}, http.StatusForbidden, "CSRF"},
			{"a login whose CSRF token has no cookie is 403", func() page {
				return h.browser().post("/console/login", url.Values{"csrf_token": {csrf}, "email": {"ana@example.com"}, "password": {adminPassword}})
			}, http.StatusForbidden, "CSRF"},
			{"a wrong password is 401", func() page { return login(h, "vera@example.com", "wrong") },
				http.StatusUnauthorized, "Wrong email or password"},
			{"an unknown email is 401, as a wrong password", func() page { return login(h, "nobody@example.com", "wrong") },
				http.StatusUnauthorized, "Wrong email or password"},
			{"a status other than blocked or active is 400", func() page { return admin.act(block, url.Values{"status": {"closed"}}) },
				http.StatusBadRequest, "blocked or active"},
			{"an unknown customer is 404", func() page { return admin.get("/console/customers/999999") },
				http.StatusNotFound, "customer_id:not_found"},
			{"a malformed customer id is 404", func() page { return admin.get("/console/customers/x1") },
				http.StatusNotFound, "not_found"},
			{"blocking an unknown customer is 404", func() page {
				return admin.act("/console/customers/999999/status", url.Values{"status": {"blocked"}})
			}, http.StatusNotFound, "customer_id:not_found"},
			{"rotating an unknown partner's token is 404", func() page { return admin.act("/console/partners/999999/rotate-token", nil) },
				http.StatusNotFound, "not_found"},
			{"redelivering an unknown event is 404", func() page {
				return admin.act("/console/webhooks/redeliver", url.Values{"partner": {strconv.FormatInt(w.partner.ID, 10)}, "event": {"999999"}})
			}, http.StatusNotFound, "event_id:not_found"},
			{"a search the console cannot read is 400", func() page { return admin.get("/console/customers?q=x") },
				http.StatusBadRequest, "Search by customer id"},
			{"an unknown page is 404", func() page { return admin.get("/console/nothing") }, http.StatusNotFound, "no such page"},
			{"a body over 64 KiB is 413", func() page {
				return admin.post(block, url.Values{"status": {strings.Repeat("x", 70<<10)}, "csrf_token": {csrf}})
			}, http.StatusRequestEntityTooLarge, "could not be read"},
			{"a method a page lacks is 405", func() page { return admin.post("/console/audit", nil) }, http.StatusMethodNotAllowed, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := tt.answer()
				if p.status != tt.wantStatus {
					t.Fatalf("status %d, want %d: %s", p.status, tt.wantStatus, p.body)
				}
				if !strings.Contains(p.body, tt.wantText) && p.location() != tt.wantText {
					t.Errorf("answer lacks %q: %s (to %q)", tt.wantText, p.body, p.location())
				}
			})
		}
		if s := h.status(w); s != saldo.AccountStatusActive {
			t.Errorf("after every refused block, the customer's status is %d", s)
		}
		if _, err := h.svc.AuthenticatePartner(context.Background(), w.token); err != nil {
			t.Errorf("after the refused rotations, the partner's token: %v", err)
		}
		entries, _ := h.svc.AuditLog(context.Background(), 0, 100)
		refused := 0
		for _, e := range entries {
			if e.OperatorEmail == "vera@example.com" && strings.HasPrefix(e.Detail, "refused") {
				refused++
			}
		}
		if refused != 4 {
			t.Errorf("the audit log holds %d of the viewer's refused actions, want 4", refused)
		}
	})
}

// login posts the login form of a new browser and returns the answer.
func login(h *harness, email, password string) page {
	b := h.browser()
	return b.post("/console/login", url.Values{"csrf_token": {b.csrf("/console/login")}, "email": {email}, "password": {password}})
}

func TestALockedAccountIsRefusedEvenWithTheRightPassword(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		password := h.operator("ana@example.com", saldo.OperatorAdmin)
		for i := 1; i < saldo.OperatorMaxFailedLogins; i++ {
			if p := login(h, "ana@example.com", "wrong"); p.status != http.StatusUnauthorized {
				t.Fatalf("wrong password %d: %d", i, p.status)
			}
		}
		if p := login(h, "ana@example.com", "wrong"); p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "locked") {
			t.Fatalf("the fifth wrong password: %d %s", p.status, p.body)
		}
		if p := login(h, "ana@example.com", password); p.status != http.StatusTooManyRequests {
			t.Errorf("the right password while locked: %d, want 429", p.status)
		}
		h.clock.Advance(saldo.OperatorLockout)
		if p := login(h, "ana@example.com", password); p.status != http.StatusSeeOther {
			t.Errorf("the right password after 15 minutes: %d, want 303", p.status)
		}
	})
}

func TestASessionEndsAfter30IdleMinutesAndAtLogout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		password := h.operator("ana@example.com", saldo.OperatorAdmin)
		b := h.browser()
		b.login("ana@example.com", password)
		h.clock.Advance(29 * time.Minute)
		if p := b.get("/console/"); p.status != http.StatusOK {
			t.Fatalf("after 29 minutes: %d", p.status)
		}
		h.clock.Advance(30 * time.Minute)
		if p := b.get("/console/"); p.status != http.StatusSeeOther || p.location() != "/console/login" {
			t.Errorf("after 30 idle minutes: %d to %q, want the login page", p.status, p.location())
		}
		b.login("ana@example.com", password)
		if p := b.post("/console/logout", url.Values{"csrf_token": {b.csrf("/console/")}}); p.status != http.StatusSeeOther {
			t.Fatalf("logout: %d", p.status)
		}
		if p := b.get("/console/"); p.status != http.StatusSeeOther {
			t.Errorf("after logout: %d, want a redirect to the login page", p.status)
		}
	})
}

func TestCookiesAreHttpOnlyStrictAndSecureBehindTLS(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		password := h.operator("ana@example.com", saldo.OperatorAdmin)
		for _, tt := range []struct {
			name       string
			header     map[string]string
			wantSecure bool
		}{
			{"plain HTTP", nil, false},
			{"behind a proxy that ended TLS", map[string]string{"X-Forwarded-Proto": "https"}, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				b := h.browser()
				token := b.csrf("/console/login")
				p := b.do(http.MethodPost, "/console/login", url.Values{"csrf_token": {token}, "email": {"ana@example.com"},
					"password": {password}}, tt.header)
				var session *http.Cookie
				for _, c := range (&http.Response{Header: p.header}).Cookies() {
					if c.Name == "saldo_console_session" {
						session = c
					}
				}
				if session == nil {
					t.Fatalf("no session cookie: %d %v", p.status, p.header)
				}
				if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/console/" ||
					session.Secure != tt.wantSecure || session.MaxAge != 0 {
					t.Errorf("session cookie %+v, want HttpOnly, SameSite=Strict, Path=/console/, Secure %v, no Max-Age", session, tt.wantSecure)
				}
			})
		}
	})
}
