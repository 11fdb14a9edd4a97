// Package console is the web console for the people who run saldo: server-rendered pages
// under /console/ that work without JavaScript and load nothing from outside the binary.
// Every change it makes goes through the same saldo.Service methods as the API and the CLI.
package console

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/saldo-mx/saldo"
)

// Cookie and form field names (docs/decisions.md, "Operator console").
const (
	sessionCookie = "saldo_console_session" // the session's secret
	loginCookie   = "saldo_console_login"   // the login form's CSRF token, before any session
	csrfField     = "csrf_token"
)

// maxFormBytes bounds a request's body.
const maxFormBytes = 64 << 10

// Options configure a Console.
type Options struct {
	// SecureCookies marks cookies Secure even on a plain connection: for a console behind a
	// proxy that ends TLS. Cookies on a request that arrived over TLS are Secure anyway.
	SecureCookies bool
}

// Console serves the console's pages. It is an http.Handler for paths under /console/.
type Console struct {
	svc  *saldo.Service
	log  *slog.Logger
	opts Options
	mux  *http.ServeMux
	tmpl templates
}

// New returns the console over svc.
func New(svc *saldo.Service, log *slog.Logger, opts Options) *Console {
	c := &Console{svc: svc, log: log, opts: opts, tmpl: parseTemplates()}
	c.mux = c.routes()
	return c
}

// routes is the console's route table: who may do what is in each row.
func (c *Console) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console/assets/style.css", serveStyle)
	mux.HandleFunc("GET /console/login", c.loginPage)
	mux.HandleFunc("POST /console/login", c.login)
	mux.HandleFunc("GET /console/logout", c.viewer(c.logoutPage))
	mux.HandleFunc("POST /console/logout", c.viewer(c.logout))
	mux.HandleFunc("GET /console/{$}", c.viewer(c.overview))
	mux.HandleFunc("GET /console/customers", c.viewer(c.customers))
	mux.HandleFunc("GET /console/customers/{id}", c.viewer(c.customer))
	mux.HandleFunc("POST /console/customers/{id}/status", c.admin("customer.status", c.setStatus))
	mux.HandleFunc("POST /console/customers/{id}/sessions/revoke", c.admin("customer.sessions_revoked", c.revokeSessions))
	mux.HandleFunc("GET /console/partners", c.viewer(c.partners))
	mux.HandleFunc("POST /console/partners/{id}/rotate-token", c.admin("partner.token_rotated", c.rotateToken))
	mux.HandleFunc("GET /console/webhooks", c.viewer(c.webhooks))
	mux.HandleFunc("POST /console/webhooks/redeliver", c.admin("webhook.redelivered", c.redeliver))
	mux.HandleFunc("GET /console/audit", c.viewer(c.auditLog))
	// Only GET: a path that exists with another method is then 405, as net/http answers it.
	mux.HandleFunc("GET /console/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, nil, http.StatusNotFound, "There is no such page.")
	})
	return mux
}

// ServeHTTP serves a console request and logs it in one line: the route, never the path or
// query, which may hold a customer's email.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	c.serve(sw, r)
	c.log.Info("console", "method", r.Method, "route", r.Pattern, "status", sw.status, "duration", time.Since(began))
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// serve answers a console request. The console is off (404) until an operator exists.
func (c *Console) serve(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	on, err := c.svc.ConsoleEnabled(r.Context())
	if err != nil {
		c.fail(w, r, nil, http.StatusServiceUnavailable, "The database cannot be reached.")
		c.log.Error("console: operators", "error", err)
		return
	}
	if !on {
		http.NotFound(w, r)
		return
	}
	// The console's forms are a few short fields.
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			status := http.StatusBadRequest
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				status = http.StatusRequestEntityTooLarge
			}
			c.fail(w, r, nil, status, "The form could not be read.")
			return
		}
	}
	c.mux.ServeHTTP(w, r)
}

// securityHeaders forbid every resource from outside the binary, framing and caching.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
}

// request is a logged-in operator's request.
type request struct {
	*http.Request
	op   *saldo.Operator
	sess *saldo.OperatorSession
}

type handler func(w http.ResponseWriter, r *request)

// viewer lets any logged-in operator through. A request without a live session is sent to
// the login page (a page) or refused with 401 (a form post).
func (c *Console) viewer(next handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, ok := c.authenticate(w, r)
		if !ok {
			return
		}
		if r.Method == http.MethodPost && !req.sess.CSRFTokenMatches(r.PostFormValue(csrfField)) {
			c.fail(w, r, req, http.StatusForbidden, "The form is stale or was not sent from the console (CSRF token missing or wrong). Reload the page and try again.")
			return
		}
		next(w, req)
	}
}

// admin lets only an admin through, after the viewer's checks; a viewer's attempt at action
// is written to the audit log as refused.
func (c *Console) admin(action string, next handler) http.HandlerFunc {
	return c.viewer(func(w http.ResponseWriter, r *request) {
		if !r.op.IsAdmin() {
			c.audit(r, action, r.URL.Path, saldo.Errorf(saldo.EFORBIDDEN))
			c.fail(w, r.Request, r, http.StatusForbidden, "Only an admin may do this; your role is viewer.")
			return
		}
		next(w, r)
	})
}

// authenticate finds the request's session, or answers the request itself.
func (c *Console) authenticate(w http.ResponseWriter, r *http.Request) (*request, bool) {
	cookie, err := r.Cookie(sessionCookie)
	if err == nil {
		op, sess, err := c.svc.OperatorSession(r.Context(), cookie.Value)
		if err == nil {
			return &request{Request: r, op: op, sess: sess}, true
		}
		if saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
			c.serviceError(w, r, nil, err)
			return nil, false
		}
		c.clearCookie(w, r, sessionCookie)
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		return nil, false
	}
	c.fail(w, r, nil, http.StatusUnauthorized, "Your session has ended. Log in again.")
	return nil, false
}

// audit writes an operator's action to the audit log; a failure to write it is logged.
func (c *Console) audit(r *request, action, target string, outcome error) {
	if err := c.svc.Audit(context.WithoutCancel(r.Context()), r.op, action, target, outcome); err != nil {
		c.log.Error("console: audit", "action", action, "error", err)
	}
}

// setCookie sets a console cookie: HttpOnly, SameSite=Strict, only under /console/, Secure
// behind TLS (the request came over TLS, or a proxy says it did); maxAge 0 makes it last the
// browser session.
func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/console/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.opts.SecureCookies || r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"})
}

func (c *Console) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	c.setCookie(w, r, name, "", -1)
}

// statusOf is the HTTP status of a service refusal; anything else is a 500.
func statusOf(err error) int {
	switch saldo.ErrorCode(err) {
	case saldo.ENOTFOUND:
		return http.StatusNotFound
	case saldo.EINVALID, saldo.EBADREQUEST:
		return http.StatusBadRequest
	case saldo.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case saldo.EFORBIDDEN:
		return http.StatusForbidden
	case saldo.ECONFLICT, saldo.ENOTACTIVE, saldo.EINVALIDSTATE:
		return http.StatusConflict
	case saldo.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// serviceError answers a service error as its status, with the refusal's hints.
func (c *Console) serviceError(w http.ResponseWriter, r *http.Request, req *request, err error) {
	status := statusOf(err)
	msg := "The request was refused: " + string(saldo.ErrorCode(err))
	if hints := saldo.ErrorHints(err); len(hints) > 0 {
		msg += " (" + strings.Join(hints, ", ") + ")"
	}
	if status >= 500 {
		c.log.Error("console", "path", r.URL.Path, "error", err)
		msg = "Something went wrong on the server; it has been logged."
	}
	c.fail(w, r, req, status, msg)
}

// fail answers with an error page.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, req *request, status int, msg string) {
	c.render(w, r, req, status, "error", errorPage{Status: status, Text: http.StatusText(status), Message: msg})
}

// pathID reads the path's {id}; a malformed one is a page that does not exist.
func pathID(r *request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, saldo.Errorf(saldo.ENOTFOUND, "id:not_found")
	}
	return id, nil
}
