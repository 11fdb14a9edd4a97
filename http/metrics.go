package http

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/saldo-mx/saldo"
)

// metrics are the server's Prometheus series. Labels hold route patterns and codes only, never
// ids or people, so their number stays small.
type metrics struct {
	requests         *prometheus.CounterVec
	duration         *prometheus.HistogramVec
	errors           *prometheus.CounterVec
	customersCreated prometheus.Counter
	handler          http.Handler
}

// WithMetrics registers the server's metrics with reg and serves everything gatherer holds
// at GET /metrics, in the Prometheus text format.
func WithMetrics(reg prometheus.Registerer, gatherer prometheus.Gatherer) Option {
	return func(s *Server) {
		m := &metrics{
			requests: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "saldo_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
			}, []string{"route", "method", "status"}),
			duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
				Name: "saldo_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
				Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
			}, []string{"route", "method"}),
			errors: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "saldo_errors_total", Help: "Error answers by contract code.",
			}, []string{"code"}),
			customersCreated: prometheus.NewCounter(prometheus.CounterOpts{
				Name: "saldo_customers_created_total", Help: "Customers created (replays not counted).",
			}),
			handler: promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}),
		}
		reg.MustRegister(m.requests, m.duration, m.errors, m.customersCreated)
		s.metrics = m
	}
}

// observe records one finished request. Every label value comes from a fixed set (see
// routeLabel, methodLabel, statusLabel and errorLabel), so no request can add series of its own.
func (m *metrics) observe(r *http.Request, status int, took time.Duration, err error) {
	if m == nil {
		return
	}
	route, method := routeLabel(r.Pattern), methodLabel(r.Method)
	m.requests.WithLabelValues(route, method, statusLabel(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(took.Seconds())
	if err != nil {
		m.errors.WithLabelValues(errorLabel(r.Context(), err)).Inc()
	}
}

// routeLabel is the route pattern that answered, from the route table, or "unmatched" for a
// request no route matched (the catch-all "/", or one refused before routing).
func routeLabel(pattern string) string {
	if pattern == "" || pattern == "/" {
		return "unmatched"
	}
	return pattern
}

// standardMethods are the methods of RFC 9110 and PATCH: the only method label values besides
// "other".
var standardMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodConnect: true, http.MethodOptions: true, http.MethodTrace: true,
}

// methodLabel is method when it is a standard one, and otherwise "other": a client may send
// any token as a method.
func methodLabel(method string) string {
	if standardMethods[method] {
		return method
	}
	return "other"
}

// statusLabel is the status as three digits when it is one net/http knows, else "other".
func statusLabel(status int) string {
	if http.StatusText(status) == "" {
		return "other"
	}
	return strconv.Itoa(status)
}

// errorLabel is the code label of an error answer: the contract code, or "canceled" when the
// client went away and "deadline" when the request ran out of its time (see aborted).
func errorLabel(ctx context.Context, err error) string {
	if reason := aborted(ctx, err); reason != "" {
		return reason
	}
	ce, ok := errorTable[saldo.ErrorCode(err)]
	if !ok {
		ce = errorTable[saldo.EINTERNAL]
	}
	return strconv.Itoa(ce.code)
}

func (m *metrics) customerCreated() {
	if m != nil {
		m.customersCreated.Inc()
	}
}
