package http

import (
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

// observe records one finished request.
func (m *metrics) observe(r *http.Request, status int, took time.Duration, err error) {
	if m == nil {
		return
	}
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, r.Method).Observe(took.Seconds())
	if err != nil {
		m.errors.WithLabelValues(strconv.Itoa(errorTable[saldo.ErrorCode(err)].code)).Inc()
	}
}

func (m *metrics) customerCreated() {
	if m != nil {
		m.customersCreated.Inc()
	}
}
