package console

import (
	"errors"
	"net/http"

	"github.com/saldo-mx/saldo"
)

// loginForm is the data of the login page.
type loginForm struct {
	CSRF    string
	Email   string
	Message string
}

// loginPage shows the login form. Before any session, its CSRF token is a double-submit
// token: a random value in a SameSite=Strict cookie and in the form, which must match.
func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if cookie, err := r.Cookie(sessionCookie); err == nil {
		if _, _, err := c.svc.OperatorSession(r.Context(), cookie.Value); err == nil {
			http.Redirect(w, r, "/console/", http.StatusSeeOther)
			return
		}
	}
	c.showLogin(w, r, http.StatusOK, "", "")
}

// showLogin renders the login form with a fresh CSRF token.
func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, email, msg string) {
	token := saldo.NewSecret("")
	c.setCookie(w, r, loginCookie, token, 3600)
	c.render(w, r, nil, status, "login", loginForm{CSRF: token, Email: email, Message: msg})
}

// login checks the form's CSRF token, then the email and password, and opens a session.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	cookie, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(cookie.Value, r.PostFormValue(csrfField)) {
		c.showLogin(w, r, http.StatusForbidden, "", "The form is stale or was not sent from the console (CSRF token missing or wrong). Try again.")
		return
	}
	email := r.PostFormValue("email")
	_, _, secret, err := c.svc.OperatorLogin(r.Context(), email, r.PostFormValue("password"))
	switch {
	case errors.Is(err, saldo.ErrOperatorLocked):
		c.showLogin(w, r, http.StatusTooManyRequests, email, "This account is locked after too many failed logins. Try again in 15 minutes, or ask an admin to reset the password.")
		return
	case saldo.ErrorCode(err) == saldo.EUNAUTHORIZED:
		c.showLogin(w, r, http.StatusUnauthorized, email, "Wrong email or password.")
		return
	case err != nil:
		c.serviceError(w, r, nil, err)
		return
	}
	c.clearCookie(w, r, loginCookie)
	c.setCookie(w, r, sessionCookie, secret, 0)
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// sameToken compares the login form's two copies of its CSRF token.
func sameToken(cookie, field string) bool {
	s := saldo.OperatorSession{CSRFToken: cookie}
	return s.CSRFTokenMatches(field)
}

func (c *Console) logoutPage(w http.ResponseWriter, r *request) {
	c.render(w, r.Request, r, http.StatusOK, "logout", nil)
}

func (c *Console) logout(w http.ResponseWriter, r *request) {
	if err := c.svc.OperatorLogout(r.Context(), r.op, r.sess); err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	c.clearCookie(w, r.Request, sessionCookie)
	http.Redirect(w, r.Request, "/console/login", http.StatusSeeOther)
}
