// Package client is a Go client for the saldo HTTP API: customer onboarding, customer tokens,
// composite balances and money movement, as the contract describes them.
//
// A Client holds the partner's Authorization-ecommerce token and sends it with every partner
// call. Each method takes a context first, sends a typed request and returns a typed result;
// the three envelope styles of the API (rs/err, text/payload/error and response/err) are
// unwrapped for the caller. A refusal by the API comes back as an *Error, which carries the
// HTTP status, the contract code, the hints and the request id:
//
//	acct, err := c.CreateAccount(ctx, req, client.WithIdempotencyKey(key))
//	var apiErr *client.Error
//	if errors.As(err, &apiErr) && apiErr.HasHint("email:duplicate") { … }
//
// The package imports only the standard library, so a partner can use it without the
// server's dependencies.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client calls one saldo server on behalf of one e-commerce partner. It is safe for
// concurrent use.
type Client struct {
	baseURL    string
	httpClient *http.Client
	userAgent  []string
	// token is the Authorization-ecommerce header value, built once: the header map of every
	// request shares it, and net/http never writes to a request's header values.
	token []string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc, for its transport, timeout
// or instrumentation. The default is http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.httpClient = hc
		}
	}
}

// WithUserAgent sets the User-Agent header of every request, so that the server's operators
// can tell the partner's integration apart in their logs.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = []string{ua} }
}

// New returns a client of the server at baseURL (for example "https://saldo.example.com",
// with or without a trailing slash) that authenticates as the partner whose ek_ token is
// ecommerceToken. An empty token sends no Authorization-ecommerce header. A malformed baseURL
// is reported by the first call.
func New(baseURL, ecommerceToken string, opts ...Option) *Client {
	c := &Client{
		baseURL:    strings.TrimRight(baseURL, "/"),
		httpClient: http.DefaultClient,
		userAgent:  []string{"saldo-go-client"},
	}
	if ecommerceToken != "" {
		c.token = []string{ecommerceToken}
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// CallOption configures one call.
type CallOption func(*callConfig)

type callConfig struct {
	idempotencyKey string
	requestID      string
	info           *ResponseInfo
}

// WithIdempotencyKey sends key as the call's Idempotency-Key header (1–255 printable ASCII
// characters). The server honours it on POST and PUT: a retry with the same key and the same
// request gets the first answer again, with ResponseInfo.Replayed set, and creates nothing;
// the same key with a different request is a 4422 error, and while the first is still
// running a 4409 with the hint idempotency_key:in_flight. A 4409 with the hint
// idempotency_key:unreadable means the first answer can't be shown again (the server's secret
// key was rotated without keeping the old one); nothing was redone.
func WithIdempotencyKey(key string) CallOption {
	return func(cc *callConfig) { cc.idempotencyKey = key }
}

// WithRequestID sends id as the call's X-Request-Id header. The server echoes it and logs it,
// so the partner's own id can be quoted to support. Without it the server makes one up.
func WithRequestID(id string) CallOption {
	return func(cc *callConfig) { cc.requestID = id }
}

// WithResponseInfo fills *info with what the call's HTTP response said beyond its body,
// whether the call succeeded or not. info is left zero when no response arrived.
func WithResponseInfo(info *ResponseInfo) CallOption {
	return func(cc *callConfig) { cc.info = info }
}

// ResponseInfo is the HTTP side of an answer.
type ResponseInfo struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// RequestID is the X-Request-Id the server answered with.
	RequestID string
	// Replayed is true when the answer is the stored answer of an earlier request with the
	// same Idempotency-Key (the Idempotent-Replayed header).
	Replayed bool
	// Header is every header of the answer.
	Header http.Header
}

// ErrUnexpectedResponse is wrapped by the errors of answers that do not have the form the
// contract gives the route: a body that is not JSON, or not the route's envelope. A refusal
// whose body is not a contract error is an *Error with Code 0 that wraps it.
var ErrUnexpectedResponse = errors.New("saldo: unexpected response")

// auth says which credential a call sends.
type auth int

const (
	authEcommerce auth = iota // Authorization-ecommerce, as New was given it
	authNone                  // none: the operational routes
	authCustomer              // Authorization-customer alone
	authBoth                  // Authorization-ecommerce and Authorization-customer
)

// request is one call, before it is sent.
type request struct {
	method string
	path   string // escaped, with the query if any
	body   []byte // JSON; nil sends none
	auth   auth
	// customerToken is the Authorization-customer value of authCustomer calls.
	customerToken string
	style         style
}

// op names the call in errors, "POST /user/v1/account/create". Only failures need it, so
// it is built then rather than on every call.
func (r *request) op() string {
	path, _, _ := strings.Cut(r.path, "?") // cursors are opaque and long; the path says enough
	return r.method + " " + path
}

// Envelope styles: the API wraps a route's answer by the route's prefix.
type style int

const (
	styleA      style = iota // /user/v1: {"rs": …, "err": …}
	styleB                   // /wallet/v1, /events/v1: {"text", "timestamp", "endpoint", "error", "payload"}
	styleC                   // /oauth/v1: {"response": …, "err": …}
	styleHealth              // /healthz, /readyz: style A, or the object itself as servers before it answered
)

// envelope is the three envelope styles in one, so that a success decodes in one pass,
// straight into T; the route's style says which members hold the result and the error.
type envelope[T any] struct {
	RS       *T         `json:"rs"`       // style A
	Payload  *T         `json:"payload"`  // style B
	Response *T         `json:"response"` // style C
	Err      *wireError `json:"err"`      // styles A and C
	Error    *wireError `json:"error"`    // style B
}

// wireError is the contract's error object. In style B, a success carries "error": {}, which
// decodes to a zero code.
type wireError struct {
	Code  int      `json:"code"`
	Text  string   `json:"text"`
	Hints []string `json:"hints"`
}

// anyEnvelope finds the error object of an answer in any of the three styles: a refusal of
// an unknown route, for instance, is style A whatever the path.
type anyEnvelope struct {
	Err   *wireError `json:"err"`   // styles A and C
	Error *wireError `json:"error"` // style B
}

// callState is what one call needs besides its request and result. It is pooled, so that
// a call allocates for neither: the call options write through a pointer to its config, and
// the body is read through its LimitedReader.
type callState struct {
	cc  callConfig
	lr  io.LimitedReader
	buf bytes.Buffer
}

var callStates = sync.Pool{New: func() any { return new(callState) }}

// maxAnswerBytes bounds what is read of an answer: the API's largest, a page of 100
// children, is some 20 KiB, and a misdirected download must not exhaust the caller's memory.
const maxAnswerBytes = 8 << 20

// maxPooledBuffer keeps one unusually large answer from pinning its buffer in the pool.
const maxPooledBuffer = 64 << 10

// call sends r and decodes a success into a new T.
func call[T any](ctx context.Context, c *Client, r *request, opts []CallOption) (*T, error) {
	st := callStates.Get().(*callState)
	defer func() {
		// Nothing of the call outlives it in the pool: not the caller's ResponseInfo, not the
		// answer's body, not a large buffer.
		st.cc, st.lr = callConfig{}, io.LimitedReader{}
		if st.buf.Cap() <= maxPooledBuffer {
			st.buf.Reset()
			callStates.Put(st)
		}
	}()
	cc := &st.cc
	for _, opt := range opts {
		opt(cc)
	}
	if cc.info != nil {
		*cc.info = ResponseInfo{} // a ResponseInfo reused across calls tells of this one only
	}
	res, err := c.send(ctx, r, cc)
	if err != nil {
		return nil, fmt.Errorf("saldo: %s: %w", r.op(), err)
	}
	defer res.Body.Close()
	if cc.info != nil {
		*cc.info = ResponseInfo{
			StatusCode: res.StatusCode,
			RequestID:  res.Header.Get("X-Request-Id"),
			Replayed:   res.Header.Get("Idempotent-Replayed") == "true",
			Header:     res.Header,
		}
	}
	st.lr = io.LimitedReader{R: res.Body, N: maxAnswerBytes + 1}
	if _, err := st.buf.ReadFrom(&st.lr); err != nil {
		return nil, fmt.Errorf("saldo: %s: reading the answer (HTTP %d): %w", r.op(), res.StatusCode, err)
	}
	body := st.buf.Bytes()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		// An answer cut at the limit is no JSON, and makes an *Error with Code 0.
		return nil, newError(r.op(), res, body)
	}
	if len(body) > maxAnswerBytes {
		return nil, fmt.Errorf("saldo: %s: HTTP %d: %w: the answer is over %d bytes", r.op(), res.StatusCode, ErrUnexpectedResponse, maxAnswerBytes)
	}
	// The decoded values copy what they keep of body, so the buffer goes back to the pool.
	out, err := decodeSuccess[T](body, r.style)
	if err != nil {
		return nil, fmt.Errorf("saldo: %s: HTTP %d: %w", r.op(), res.StatusCode, err)
	}
	return out, nil
}

// send builds and sends r. The caller closes the answer's body.
func (c *Client) send(ctx context.Context, r *request, cc *callConfig) (*http.Response, error) {
	var body io.Reader
	if r.body != nil {
		// A *bytes.Reader lets net/http resend the body when a request with an
		// Idempotency-Key meets a connection the server had closed.
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.baseURL+r.path, body)
	if err != nil {
		return nil, err
	}
	// The keys are in canonical form already, so the map is written directly rather than
	// through Header.Set, which would canonicalize each one again.
	h := req.Header
	switch r.auth {
	case authEcommerce:
		if c.token != nil {
			h["Authorization-Ecommerce"] = c.token
		}
	case authCustomer:
		h["Authorization-Customer"] = []string{r.customerToken}
	case authBoth:
		if c.token != nil {
			h["Authorization-Ecommerce"] = c.token
		}
		h["Authorization-Customer"] = []string{r.customerToken}
	}
	h["Accept"] = jsonContentType
	h["User-Agent"] = c.userAgent
	if r.body != nil {
		h["Content-Type"] = jsonContentType
	}
	if cc.idempotencyKey != "" {
		h["Idempotency-Key"] = []string{cc.idempotencyKey}
	}
	if cc.requestID != "" {
		h["X-Request-Id"] = []string{cc.requestID}
	}
	return c.httpClient.Do(req)
}

var jsonContentType = []string{"application/json"}

// decodeSuccess decodes a 2xx answer of the given style into a new T.
func decodeSuccess[T any](body []byte, s style) (*T, error) {
	if s == styleHealth {
		if out, err := decodeSuccess[T](body, styleA); err == nil {
			return out, nil
		}
		out := new(T)
		if err := json.Unmarshal(body, out); err != nil {
			return nil, unexpected(err)
		}
		return out, nil
	}
	var env envelope[T]
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, unexpected(err)
	}
	out, problem := env.RS, env.Err
	switch s {
	case styleB:
		out, problem = env.Payload, env.Error
	case styleC:
		out = env.Response
	}
	switch {
	case problem != nil && problem.Code != 0:
		return nil, fmt.Errorf("%w: a success status with error %d %s", ErrUnexpectedResponse, problem.Code, problem.Text)
	case out == nil:
		return nil, fmt.Errorf("%w: no result in the envelope", ErrUnexpectedResponse)
	}
	return out, nil
}

func unexpected(err error) error {
	return fmt.Errorf("%w: %w", ErrUnexpectedResponse, err)
}

// newError turns a refusal into an *Error.
func newError(op string, res *http.Response, body []byte) *Error {
	e := &Error{
		StatusCode: res.StatusCode,
		RequestID:  res.Header.Get("X-Request-Id"),
		RetryAfter: parseRetryAfter(res.Header.Get("Retry-After")),
		op:         op,
	}
	var env anyEnvelope
	err := json.Unmarshal(body, &env)
	w := env.Err
	if w == nil || w.Code == 0 {
		w = env.Error
	}
	switch {
	case err != nil:
		e.Text, e.err = http.StatusText(res.StatusCode), unexpected(err)
	case w == nil || w.Code == 0:
		e.Text, e.err = http.StatusText(res.StatusCode), fmt.Errorf("%w: no error object in the answer", ErrUnexpectedResponse)
	default:
		e.Code, e.Text = w.Code, w.Text
		// The first hint is the sentence for the code; the rest are field:reason tokens.
		if len(w.Hints) > 0 {
			e.Message = w.Hints[0]
			if len(w.Hints) > 1 {
				e.Hints = w.Hints[1:]
			}
		}
	}
	return e
}

// parseRetryAfter reads Retry-After, delay-seconds or an HTTP date (RFC 9110 §10.2.3); 0 when
// absent or unreadable.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, int64(time.Duration(1<<63-1)/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// callJSON sends v, encoded, as the body of r and decodes a success into a new T.
func callJSON[T any](ctx context.Context, c *Client, r *request, v any, opts []CallOption) (*T, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("saldo: encoding the request: %w", err)
	}
	r.body = body
	return call[T](ctx, c, r, opts)
}

// pathID is an int64 path segment.
func pathID(id int64) string { return strconv.FormatInt(id, 10) }

// pathSegment escapes a string path segment, so that an id with a "/" or "?" cannot reach
// another route.
func pathSegment(s string) string { return url.PathEscape(s) }
