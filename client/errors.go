package client

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The contract's error codes.
const (
	// CodeBadRequest (HTTP 400, 413 or 415): the body could not be read, or a known field has
	// the wrong JSON type.
	CodeBadRequest = 4400
	// CodeUnauthorized (HTTP 401): a credential is missing, unknown, expired or revoked.
	CodeUnauthorized = 4401
	// CodeForbidden (HTTP 403): a valid customer credential of an account that is blocked
	// (hint "account:blocked") or closed ("account:closed").
	CodeForbidden = 4403
	// CodeNotFound (HTTP 404, or 405 for a known path with the wrong method): an unknown route
	// or resource.
	CodeNotFound = 4404
	// CodeConflict (HTTP 409): a unique identifier is taken, or the Idempotency-Key is still
	// in flight or its stored answer can't be decrypted any more.
	CodeConflict = 4409
	// CodeIdempotencyKeyReused (HTTP 422): the Idempotency-Key was used with another request.
	CodeIdempotencyKeyReused = 4422
	// CodeTooManyRequests (HTTP 429, with Retry-After): the partner's rate limit is spent.
	CodeTooManyRequests = 4429
	// CodeValidation (HTTP 400): a field fails its rule; the hints name every one. The
	// composite balance routes also answer an unknown id with it, under HTTP 404.
	CodeValidation = 5000
	// CodeInsufficientCredit (HTTP 409): a child's credit line would exceed the parent's
	// available credit, or a charge the child's (amount:exceeds_available_credit).
	CodeInsufficientCredit = 5001
	// CodeBelowOutstandingDebt (HTTP 409): a child's new credit line is lower than its debt.
	CodeBelowOutstandingDebt = 5002
	// CodeInsufficientFunds (HTTP 409): a transfer or cash-out larger than the wallet's
	// available amount.
	CodeInsufficientFunds = 5003
	// CodeLimitExceeded (HTTP 409): a credit over the wallet's KYC level limits (hints
	// amount:monthly_deposit_limit, amount:balance_cap).
	CodeLimitExceeded = 5004
	// CodeAccountNotActive (HTTP 409): money movement touching a customer who is not active.
	CodeAccountNotActive = 5005
	// CodeAccountOverdue (HTTP 409): a charge on a child whose parent is overdue, its minimum
	// due unpaid after the due date (hint parent:overdue); paying the minimum restores it.
	CodeAccountOverdue = 5006
	// CodeInvalidTransactionState (HTTP 409): completing or failing a cash-out that is no
	// longer pending; capturing, voiding or refunding a charge in the wrong state; paying more
	// than the debt (amount:exceeds_debt).
	CodeInvalidTransactionState = 5007
	// CodeServerError (HTTP 500): anything unexpected; quote the RequestID to support.
	CodeServerError = 7000
	// CodeServiceUnavailable (HTTP 503, with Retry-After): the database cannot be reached.
	CodeServiceUnavailable = 7003
	// CodeLimitsUnavailable (HTTP 503, with Retry-After): a credit a KYC limit governs, on a
	// day for which the server knows no UDI value.
	CodeLimitsUnavailable = 7004
)

// Error is an answer of the API with an HTTP status outside 2xx.
type Error struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is the contract's code (CodeValidation, …), or 0 when the body was not a contract
	// error (a proxy's error page, say); such an Error wraps ErrUnexpectedResponse.
	Code int
	// Text is the code's name, "Validation Error"; for Code 0, the HTTP status text.
	Text string
	// Message is the human sentence the server gives for the code.
	Message string
	// Hints are the machine hints after the sentence, mostly "field:reason" tokens such as
	// "email:duplicate" or "credit_line:required", one per failing field.
	Hints []string
	// RequestID is the answer's X-Request-Id, to quote to the server's operators.
	RequestID string
	// RetryAfter is how long the answer's Retry-After header asks to wait (429 and 503
	// answers), or 0.
	RetryAfter time.Duration

	op  string // "POST /user/v1/account/create"
	err error  // why the body is not a contract error
}

// Error describes the refusal in one line: the call, the HTTP status, the code and its
// name, the hints and the request id.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("saldo: ")
	if e.op != "" {
		b.WriteString(e.op)
		b.WriteString(": ")
	}
	b.WriteString("HTTP ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if e.Code != 0 {
		b.WriteString(", code ")
		b.WriteString(strconv.Itoa(e.Code))
	}
	if e.Text != "" {
		b.WriteString(" ")
		b.WriteString(e.Text)
	}
	if len(e.Hints) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Hints, ", "))
	}
	if e.err != nil {
		b.WriteString(": ")
		b.WriteString(e.err.Error())
	}
	if e.RequestID != "" {
		b.WriteString(" (request ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns why the body was not a contract error, which wraps ErrUnexpectedResponse;
// nil for a contract error.
func (e *Error) Unwrap() error { return e.err }

// Hint returns the reason the hints give for field: for the hint "email:duplicate",
// Hint("email") is "duplicate", true. A field with several reasons gives the first.
func (e *Error) Hint(field string) (reason string, ok bool) {
	for _, h := range e.Hints {
		if f, r, found := strings.Cut(h, ":"); found && f == field {
			return r, true
		}
	}
	return "", false
}

// HasHint reports whether hint ("email:duplicate", "incorrect parent_id") is among the hints.
func (e *Error) HasHint(hint string) bool {
	return slices.Contains(e.Hints, hint)
}

// IsUnauthorized reports whether err is a 4401: the partner token, or the customer token,
// is missing, unknown, expired or revoked.
func IsUnauthorized(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Code == CodeUnauthorized
}

// IsForbidden reports whether err is a 4403: the customer's credential is genuine, but its
// account is blocked or closed (HasHint("account:blocked"), HasHint("account:closed")).
func IsForbidden(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Code == CodeForbidden
}

// IsNotFound reports whether err is an HTTP 404: an unknown customer or route (code 4404),
// or an unknown composite balance id (code 5000 with the hint "incorrect parent_id" or
// "incorrect child_id").
func IsNotFound(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.StatusCode == http.StatusNotFound
}

// IsConflict reports whether err is a 4409: a unique identifier is taken (the hints name
// each, "email:duplicate"), the Idempotency-Key is still in flight
// ("idempotency_key:in_flight"), or its stored answer can't be decrypted any more
// ("idempotency_key:unreadable"). The credit refusals 5001 and 5002, also HTTP 409, are not.
func IsConflict(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Code == CodeConflict
}
