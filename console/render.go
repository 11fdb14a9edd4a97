package console

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/saldo-mx/saldo"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets/style.css
var style []byte

// serveStyle serves the one stylesheet, from the binary.
func serveStyle(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	w.Write(style)
}

// templates are the pages, each parsed with the layout.
type templates map[string]*template.Template

var pageNames = []string{"login", "error", "overview", "customers", "customer", "partners", "webhooks", "audit", "logout"}

func parseTemplates() templates {
	funcs := template.FuncMap{
		"money":   money,
		"instant": instant,
		"day":     day,
		"status":  statusName,
	}
	out := templates{}
	for _, name := range pageNames {
		out[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}

// page is what the layout needs besides the page's own data.
type page struct {
	Title    string
	Nav      string // the section the page belongs to
	Operator *saldo.Operator
	CSRF     string
	Data     any
}

// errorPage is the data of an error page.
type errorPage struct {
	Status  int
	Text    string
	Message string
}

// titles are the pages' titles and the nav section each belongs to.
var titles = map[string][2]string{
	"login":     {"Log in", ""},
	"error":     {"Refused", ""},
	"overview":  {"Overview", "overview"},
	"customers": {"Customers", "customers"},
	"customer":  {"Customer", "customers"},
	"partners":  {"Partners", "partners"},
	"webhooks":  {"Webhooks", "webhooks"},
	"audit":     {"Audit log", "audit"},
	"logout":    {"Log out", ""},
}

// render renders page name with data, whole before anything is sent, so that a template
// failure is a clean 500.
func (c *Console) render(w http.ResponseWriter, r *http.Request, req *request, status int, name string, data any) {
	p := page{Title: titles[name][0], Nav: titles[name][1], Data: data}
	if req != nil {
		p.Operator, p.CSRF = req.op, req.sess.CSRFToken
	}
	var b bytes.Buffer
	if err := c.tmpl[name].Execute(&b, p); err != nil {
		c.log.Error("console: render", "page", name, "error", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b.Bytes())
	}
}

// money formats cents as pesos with thousands separators: 1234567 → "$12,345.67".
func money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole := cents / 100
	digits := []byte(strconv.FormatInt(whole, 10))
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(d)
	}
	frac := cents % 100
	return sign + "$" + b.String() + "." + string(rune('0'+frac/10)) + string(rune('0'+frac%10))
}

// instant shows a time in Mexico City, where saldo's days are.
func instant(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(saldo.MexicoCity).Format("2006-01-02 15:04:05")
}

// day shows the Mexico City date of an instant.
func day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(saldo.MexicoCity).Format("2006-01-02")
}

// statusName names an account status.
func statusName(s int) string {
	switch s {
	case saldo.AccountStatusActive:
		return "active"
	case saldo.AccountStatusBlocked:
		return "blocked"
	case saldo.AccountStatusClosed:
		return "closed"
	}
	return "unknown"
}
