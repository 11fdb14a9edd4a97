// Package http serves saldo's HTTP API, wire-compatible with the UnDosTres CaaS API.
package http

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/saldo-mx/saldo"
)

// MaxBodyBytes is the largest request body read; larger ones are refused with 413.
const MaxBodyBytes = 1 << 20

// MaxHeaderBytes is the largest request line and headers taken; larger ones are refused with
// 431 (code 4400, headers:too_large) in the envelope of the path. See ConfigureServer for
// headers too large for net/http to read at all.
const MaxHeaderBytes = 64 << 10

// RequestTimeout bounds how long one request may work, database waits included.
const RequestTimeout = 20 * time.Second

// Server is the API's http.Handler.
type Server struct {
	svc     *saldo.Service
	log     *slog.Logger
	limiter *rateLimiter // nil: no limit
	metrics *metrics     // nil: no metrics
	load    *Load        // nil: not measured
	handler http.Handler
	// requestTimeout bounds each request's work: RequestTimeout unless WithRequestTimeout.
	requestTimeout time.Duration
	// operations are "METHOD /pattern" of every route, for Routes.
	operations []string
}

// Option configures a Server.
type Option func(*Server)

// WithRateLimit limits each partner to perSecond requests a second on average, and burst at
// once; beyond that, requests are answered 429 (code 4429) with Retry-After.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(s *Server) {
		if perSecond > 0 {
			s.limiter = newRateLimiter(perSecond, burst)
		}
	}
}

// WithRequestTimeout bounds how long one request may work, database waits included, instead of
// RequestTimeout; past it the answer is 503 (code 7003).
func WithRequestTimeout(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.requestTimeout = d
		}
	}
}

// NewServer returns the handler for svc, logging one line per request to log.
func NewServer(svc *saldo.Service, log *slog.Logger, opts ...Option) *Server {
	s := &Server{svc: svc, log: log, requestTimeout: RequestTimeout}
	for _, opt := range opts {
		opt(s)
	}
	mux := http.NewServeMux()
	s.register(mux, s.routes())
	s.handler = s.middleware(mux)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists every operation the server answers as "METHOD /pattern", sorted, so that what
// describes the API (the OpenAPI document) can be checked against what is registered.
func (s *Server) Routes() []string {
	return slices.Sorted(slices.Values(s.operations))
}

// requestInfo is what the handlers tell the request's log line, and the request's body once
// read.
type requestInfo struct {
	id        string
	partnerID int64
	err       error
	body      sentBody
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// statusRecorder remembers the status written.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// middleware gives every request an id and a deadline, refuses what is refused before
// routing, turns panics into 7000 answers, and logs one line per request. Errors are logged
// here and only here.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.load.begin()
		defer s.load.end()
		info := &requestInfo{id: requestID(r.Header.Get("X-Request-Id"))}
		w.Header().Set("X-Request-Id", info.id)
		// A deadline bounds the database waits of a request (a row lock, a free connection)
		// well inside the server's write timeout; past it the answer is 503.
		ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), requestInfoKey{}, info), s.requestTimeout)
		defer cancel()
		// The same request goes on that the deferred log line reads: the mux records the
		// matched route pattern on it.
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.fail(rec, r, saldo.Panicked(p, "handler"))
			}
			took := time.Since(start)
			s.logRequest(r, info, rec.status, took)
			s.metrics.observe(r, rec.status, took, info.err)
		}()

		if r.Method == http.MethodOptions && r.RequestURI == "*" {
			// The server as a whole (ConfigureServer passes it here): nothing to tell.
			s.ok(rec, r, emptyObject)
			return
		}
		if err := refusedBeforeRouting(r); err != nil {
			s.fail(rec, r, err)
			return
		}
		r.Body = http.MaxBytesReader(rec, r.Body, MaxBodyBytes)
		next.ServeHTTP(rec, r)
	})
}

// refusedBeforeRouting is why r is refused whatever its route, or nil: headers over
// MaxHeaderBytes (431), a body announced as over MaxBodyBytes (413, before any of it is
// read), or a path that is not in canonical form (404: ServeMux would redirect it, before
// any credential is checked).
func refusedBeforeRouting(r *http.Request) error {
	switch {
	case headerBytes(r) > MaxHeaderBytes:
		return withStatus(http.StatusRequestHeaderFieldsTooLarge, saldo.Errorf(saldo.EBADREQUEST, "headers:too_large"))
	case r.ContentLength > MaxBodyBytes:
		return withStatus(http.StatusRequestEntityTooLarge, saldo.Errorf(saldo.EBADREQUEST, "body:too_large"))
	case !canonicalPath(r.URL.EscapedPath()):
		return saldo.Errorf(saldo.ENOTFOUND, "route:not_found")
	}
	return nil
}

// headerBytes is about how many bytes r's request line and headers took on the wire.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 + len("Host: \r\n") + len(r.Host)
	for name, values := range r.Header {
		for _, v := range values {
			n += len(name) + len(": \r\n") + len(v)
		}
	}
	return n
}

// canonicalPath tells whether p is its own canonical form, as ServeMux cleans paths: rooted,
// without empty, "." or ".." segments; a final slash is kept.
func canonicalPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean == p
}

func (s *Server) logRequest(r *http.Request, info *requestInfo, status int, took time.Duration) {
	attrs := []slog.Attr{
		slog.String("request_id", info.id),
		slog.String("method", methodLabel(r.Method)), // a client may send any token: never grow a line with it
		slog.String("route", r.Pattern),
		slog.Int("status", status),
		slog.Duration("duration", took),
	}
	if info.partnerID != 0 {
		attrs = append(attrs, slog.Int64("ecommerce_id", info.partnerID))
	}
	level := slog.LevelInfo
	if hints := saldo.ErrorHints(info.err); status < 500 && len(hints) > 0 {
		// Machine tokens such as "email:duplicate": what an operator needs to tell refusals
		// apart, never the values refused.
		attrs = append(attrs, slog.Any("hints", hints))
	}
	if status >= 500 {
		level = slog.LevelError
		// A client that went away is no fault of the server, and a deadline is a 503 like
		// any other: neither is logged as an error.
		switch reason := aborted(r.Context(), info.err); reason {
		case "canceled":
			level = slog.LevelInfo
			attrs = append(attrs, slog.String("aborted", reason))
		case "deadline":
			level = slog.LevelWarn
			attrs = append(attrs, slog.String("aborted", reason))
		}
		if info.err != nil {
			// Domain errors carry no personal data or secrets: drivers' messages name
			// constraints and SQLSTATEs, not values.
			attrs = append(attrs, slog.String("error", info.err.Error()))
		}
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// aborted tells why a request's work stopped short, if it did: "deadline" when it ran out of
// its time (its context's deadline, or a shorter one of its own such as /readyz's), and
// "canceled" when the client went away and net/http canceled its context. Only server-side
// errors (7000, 7003) and context errors count: a refusal stays a refusal.
func aborted(ctx context.Context, err error) string {
	if err == nil {
		return ""
	}
	ctxErr := errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	if code := saldo.ErrorCode(err); !ctxErr && code != saldo.EINTERNAL && code != saldo.EUNAVAILABLE {
		return ""
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case ctx.Err() != nil, errors.Is(err, context.Canceled):
		return "canceled"
	}
	return ""
}

// requestID echoes the caller's id when it is safe to echo (1–128 visible ASCII characters),
// and otherwise makes one, so a header can never be used to inject into responses or logs.
func requestID(given string) string {
	if n := len(given); n > 0 && n <= 128 {
		ok := true
		for i := 0; i < n; i++ {
			if c := given[i]; c <= ' ' || c > '~' {
				ok = false
				break
			}
		}
		if ok {
			return given
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.ok(w, r, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.svc.Ping(ctx); err != nil {
		s.fail(w, r, saldo.WrapError(saldo.EUNAVAILABLE, err, "readyz"))
		return
	}
	s.ok(w, r, map[string]string{"status": "ready"})
}

// parseID reads a resource id in a path: a positive decimal integer in its one canonical
// form, so that "+1" and "01" are not other names for customer 1.
func parseID(s string) (int64, bool) {
	if s == "" || s[0] == '0' || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

// partnerHeader is the header that carries the partner token.
const partnerHeader = "Authorization-ecommerce"

// partnerToken is the partner token r presents: its Authorization-ecommerce header or, on the
// /oauth/v1 POST routes, where real UnDosTres clients send it in the body, an ecommerce_token
// field when the header is absent. When both are sent they must be the same token. Without
// the header, a body that cannot be read is refused as the decoder would refuse it (400, 413,
// 415): a token in it cannot be found. With the header, the decoder refuses it later. The body
// is read once for the request: the decoder reads it from there.
func partnerToken(r *http.Request) (string, error) {
	header := r.Header.Get(partnerHeader)
	if r.Method != http.MethodPost || envelopeOf(r.URL.Path) != oauthEnvelope {
		if header == "" {
			return "", saldo.Errorf(saldo.EUNAUTHORIZED, partnerHeader+":required")
		}
		return header, nil
	}
	fields, err := decodeFields(r, partnerTokenFields)
	if err != nil && header == "" {
		return "", err
	}
	inBody := fields["ecommerce_token"]
	switch {
	case header == "" && inBody == "":
		return "", saldo.Errorf(saldo.EUNAUTHORIZED, partnerHeader+":required")
	case header == "":
		return inBody, nil
	case inBody != "" && subtle.ConstantTimeCompare([]byte(header), []byte(inBody)) != 1:
		return "", saldo.Errorf(saldo.EUNAUTHORIZED, "ecommerce_token:mismatch")
	}
	return header, nil
}

var partnerTokenFields = []bodyField{{"ecommerce_token", fieldString}}

// namedCredential adds to a refused credential the name of the header that carried it, so a
// newcomer learns what was expected; whether it was unknown, expired or revoked stays untold.
func namedCredential(err error, header string) error {
	if saldo.ErrorCode(err) != saldo.EUNAUTHORIZED || len(saldo.ErrorHints(err)) > 0 {
		return err
	}
	return &saldo.Error{Code: saldo.EUNAUTHORIZED, Hints: []string{header + ":invalid"}, Err: err}
}

// authenticate returns the partner named by the Authorization-ecommerce header.
func (s *Server) authenticate(r *http.Request) (*saldo.Partner, error) {
	return s.authenticateWith(r, s.svc.AuthenticatePartner)
}

func (s *Server) authenticateWith(r *http.Request, auth func(context.Context, string) (*saldo.Partner, error)) (*saldo.Partner, error) {
	token, err := partnerToken(r)
	if err != nil {
		return nil, err
	}
	e, err := auth(r.Context(), token)
	if err != nil {
		return nil, namedCredential(err, partnerHeader)
	}
	if info := requestInfoFrom(r.Context()); info != nil {
		info.partnerID = e.ID
	}
	return e, s.limit(e)
}
