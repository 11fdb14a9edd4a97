package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/saldo-mx/saldo"
)

// contractError is how one domain code appears on the wire.
type contractError struct {
	status   int
	code     int
	text     string
	sentence string // the first hint: a human sentence for the code
}

// errorTable maps every domain code to its HTTP status and contract code. It is the only
// place that knows either.
var errorTable = map[saldo.Code]contractError{
	saldo.EBADREQUEST:        {http.StatusBadRequest, 4400, "Bad Request", "The request could not be read, please check its format and try again"},
	saldo.EUNAUTHORIZED:      {http.StatusUnauthorized, 4401, "Unauthorized", "The credential is missing, unknown, expired or revoked"},
	saldo.EFORBIDDEN:         {http.StatusForbidden, 4403, "Forbidden", "The customer's account is blocked or closed"},
	saldo.ENOTFOUND:          {http.StatusNotFound, 4404, "Not Found", "The requested resource does not exist"},
	saldo.ECONFLICT:          {http.StatusConflict, 4409, "Conflict", "The request conflicts with an existing resource"},
	saldo.EIDEMPOTENCYREUSED: {http.StatusUnprocessableEntity, 4422, "Idempotency Key Reused", "The Idempotency-Key was already used with a different request"},
	saldo.ERATELIMITED:       {http.StatusTooManyRequests, 4429, "Too Many Requests", "Too many requests, please retry later"},
	saldo.EINVALID:           {http.StatusBadRequest, 5000, "Validation Error", "Validations for the request failed, please check the parameters and try again"},
	saldo.EINSUFFICIENT:      {http.StatusConflict, 5001, "Insufficient Credit", "The parent does not have enough available credit"},
	saldo.EBELOWDEBT:         {http.StatusConflict, 5002, "Below Outstanding Debt", "The credit line cannot be lower than the outstanding debt"},
	saldo.EFUNDS:             {http.StatusConflict, 5003, "Insufficient Funds", "The balance does not have enough available funds for the movement"},
	saldo.ELIMIT:             {http.StatusConflict, 5004, "Limit Exceeded", "The movement would exceed the wallet's KYC level limits"},
	saldo.ENOTACTIVE:         {http.StatusConflict, 5005, "Account Not Active", "The customer's account is not active"},
	saldo.EOVERDUE:           {http.StatusConflict, 5006, "Account Overdue", "The composite balance is overdue; paying its minimum due restores it"},
	saldo.EINVALIDSTATE:      {http.StatusConflict, 5007, "Invalid Transaction State", "The transaction is not in a state that allows this request"},
	saldo.EINTERNAL:          {http.StatusInternalServerError, 7000, "Server Error", "An unexpected error occurred, please contact support quoting the X-Request-Id"},
	saldo.EUNAVAILABLE:       {http.StatusServiceUnavailable, 7003, "Service Unavailable", "The service is temporarily unavailable, please retry later"},
	saldo.ELIMITSUNKNOWN:     {http.StatusServiceUnavailable, 7004, "Limits Unavailable", "The wallet's KYC limits cannot be checked today, please retry later"},
}

// retryAfterSeconds is what Retry-After says on 429 and 503 answers.
const retryAfterSeconds = "1"

// statusError gives a domain error a status other than its code's usual one: 413 and 415 are
// 4400, 405 is 4404.
type statusError struct {
	status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

func withStatus(status int, err error) error { return &statusError{status: status, err: err} }

// errorBody is the contract's error object.
type errorBody struct {
	Code  int      `json:"code"`
	Text  string   `json:"text"`
	Hints []string `json:"hints"`
}

// envelope is one of the contract's three answer shapes, with the error mapping its routes
// share. Every answer, a route's or an unrouted path's, is in the envelope of its path's
// prefix.
type envelope int

const (
	userEnvelope   envelope = iota // /user/v1 and the rest: {"rs": …, "err": …}
	walletEnvelope                 // /wallet/, /events/, /webhooks/: {"text", "timestamp", "endpoint", "error", "payload"}
	oauthEnvelope                  // /oauth/v1: {"response": …, "err": …}
)

// envelopeOf is the envelope of a path's prefix. The event feed (/events/) and the webhook
// routes (/webhooks/) answer in the wallet envelope, as the contract lists them with the
// wallet routes.
func envelopeOf(path string) envelope {
	switch {
	case strings.HasPrefix(path, "/wallet/"), strings.HasPrefix(path, "/events/"), strings.HasPrefix(path, "/webhooks/"):
		return walletEnvelope
	case strings.HasPrefix(path, "/oauth/"):
		return oauthEnvelope
	}
	return userEnvelope
}

// compositePrefix is the prefix of the composite balance routes, which answer an unknown id
// as the UnDosTres composite balance API does.
const compositePrefix = "/wallet/v1/composite-balance/"

// mapError turns a domain error into what the route at path answers: the composite balance
// routes answer an unknown id ("parent_id:not_found") as HTTP 404 with code 5000 and the hint
// "incorrect parent_id", as the UnDosTres composite balance API does. Every other route,
// the other /wallet/v1 routes included, answers it 404 4404 with the hint as it is.
func mapError(path string, err error) error {
	if !strings.HasPrefix(path, compositePrefix) || saldo.ErrorCode(err) != saldo.ENOTFOUND {
		return err
	}
	for _, hint := range saldo.ErrorHints(err) {
		if field, ok := strings.CutSuffix(hint, ":not_found"); ok && strings.HasSuffix(field, "_id") {
			return withStatus(http.StatusNotFound, saldo.Errorf(saldo.EINVALID, "incorrect "+field))
		}
	}
	return err
}

// expiry renders when a credential expires: RFC 3339 in UTC with milliseconds,
// "2026-12-01T18:04:05.000Z", a JSON string, which is what real partner code stores.
func expiry(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// timestampLayout is RFC 3339 with all nine fractional digits, as the contract shows.
const timestampLayout = "2006-01-02T15:04:05.000000000Z07:00"

type userBody struct {
	RS  any        `json:"rs"`
	Err *errorBody `json:"err"`
}

type walletBody struct {
	Text      string `json:"text"`
	Timestamp string `json:"timestamp"`
	Endpoint  string `json:"endpoint"`
	Error     any    `json:"error"`
	Payload   any    `json:"payload"`
}

type oauthBody struct {
	Response any        `json:"response"`
	Err      *errorBody `json:"err"`
}

var emptyObject = struct{}{}

// wrap puts a payload, or an error, in the envelope, for an answer to r at now.
func (env envelope) wrap(r *http.Request, now time.Time, payload any, e *errorBody) any {
	switch env {
	case walletEnvelope:
		body := walletBody{Text: "Success", Timestamp: now.In(saldo.MexicoCity).Format(timestampLayout),
			Endpoint: r.URL.Path, Error: emptyObject, Payload: payload}
		if e != nil {
			body.Text, body.Error, body.Payload = "Error", e, emptyObject
		}
		return body
	case oauthEnvelope:
		return oauthBody{Response: payload, Err: e}
	}
	return userBody{RS: payload, Err: e}
}

// encodeJSON encodes one of our own response types. HTML characters stay as they are: names
// like "Pérez & Hijos" read better unescaped, and the content type is never HTML.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only our own response types reach here; failing to encode one is a bug.
		panic(err)
	}
	return buf.Bytes()
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// successBody is payload in the envelope of r's route.
func (s *Server) successBody(r *http.Request, payload any) []byte {
	return encodeJSON(envelopeOf(r.URL.Path).wrap(r, s.svc.Now(), payload, nil))
}

// ok writes a success payload in the envelope of r's route.
func (s *Server) ok(w http.ResponseWriter, r *http.Request, payload any) {
	writeBody(w, http.StatusOK, s.successBody(r, payload))
}

// errorResponse renders err in the envelope of r's route, after the envelope's mapping. Only
// this function decides what a caller learns of an error: hints of domain errors, and for
// anything else only the code.
func (s *Server) errorResponse(r *http.Request, err error) (int, []byte) {
	env := envelopeOf(r.URL.Path)
	err = mapError(r.URL.Path, err)
	if errors.Is(err, saldo.ErrPartnerTokenChanged) {
		// Found rotated inside the service: answered exactly as an unknown token is.
		err = namedCredential(err, partnerHeader)
	}
	code := saldo.ErrorCode(err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		code = saldo.EUNAVAILABLE
	}
	ce := errorTable[code]
	status := ce.status
	var se *statusError
	if errors.As(err, &se) {
		status = se.status
	}
	hints := []string{ce.sentence}
	switch {
	case code != saldo.EINTERNAL && code != saldo.EUNAVAILABLE:
		hints = append(hints, saldo.ErrorHints(err)...)
	case code == saldo.EUNAVAILABLE && slices.Contains(saldo.ErrorHints(err), saldo.HintContention):
		// Losing to concurrent writes is worth telling apart from an unreachable database: a
		// partner sees its own hot spot. It names nothing internal.
		hints = append(hints, saldo.HintContention)
	}
	return status, encodeJSON(env.wrap(r, s.svc.Now(), nil, &errorBody{Code: ce.code, Text: ce.text, Hints: hints}))
}

// fail writes err in the envelope of r's route and records it for the request's log line.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if info := requestInfoFrom(r.Context()); info != nil {
		info.err = err
	}
	status, body := s.errorResponse(r, err)
	var wait *retryAfterError
	switch {
	case errors.As(err, &wait):
		w.Header().Set("Retry-After", retryAfterHeader(wait.after))
	case status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	writeBody(w, status, body)
}
