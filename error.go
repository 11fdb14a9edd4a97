package saldo

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
)

// Code is a domain error code. The HTTP adapter maps each one to a status and to the
// contract's numeric code in a single table; nothing else in the code base knows those numbers.
type Code string

const (
	EBADREQUEST        Code = "bad_request"         // the request could not be read (syntax, JSON types, size, media type)
	EUNAUTHORIZED      Code = "unauthorized"        // missing, unknown, expired or revoked credential
	EFORBIDDEN         Code = "forbidden"           // a valid customer credential of an account that is blocked or closed
	ENOTFOUND          Code = "not_found"           // no such resource for this caller
	ECONFLICT          Code = "conflict"            // a unique identifier is taken, or a key is in flight or unreadable
	EIDEMPOTENCYREUSED Code = "idempotency_reused"  // same Idempotency-Key, different request
	ERATELIMITED       Code = "rate_limited"        // the partner exceeded its request budget
	EINVALID           Code = "invalid"             // a field fails its rule
	EINSUFFICIENT      Code = "insufficient_credit" // a child credit line would exceed the parent's available credit
	EBELOWDEBT         Code = "below_debt"          // a child credit line would fall below its debt
	EFUNDS             Code = "insufficient_funds"  // a debit larger than the balance's available amount
	ELIMIT             Code = "limit_exceeded"      // a credit over the wallet's KYC level limits
	ENOTACTIVE         Code = "account_not_active"  // money movement touching a customer who is not active
	EOVERDUE           Code = "overdue"             // a charge on a child whose parent's minimum payment is overdue
	EINVALIDSTATE      Code = "invalid_state"       // a transaction not in a state that allows the request
	ELIMITSUNKNOWN     Code = "limits_unavailable"  // a credit a KYC limit governs, on a day with no UDI value known
	EINTERNAL          Code = "internal"            // a bug or an unexpected failure
	EUNAVAILABLE       Code = "unavailable"         // the database cannot be reached, or its writers kept colliding (HintContention)
)

// HintContention marks an EUNAVAILABLE whose transaction kept losing races with concurrent
// ones on the same rows (serialization failures, deadlocks, a locked database) until its
// retries ran out: the database is up, and a retry soon is likely to succeed. An EUNAVAILABLE
// without it is the database not serving: unreachable, or refusing or ending connections.
const HintContention = "database:contention"

// Contended returns the EUNAVAILABLE of a transaction whose retries ran out; err says why.
func Contended(err error) *Error {
	return &Error{Code: EUNAVAILABLE, Hints: []string{HintContention}, Err: err}
}

// Error is the one error type that crosses package boundaries. Hints are machine tokens
// "field:reason"; they never hold internal details or secrets, because they reach the caller.
type Error struct {
	Code  Code
	Hints []string
	// Err is the underlying cause, for logs only; it is never shown to a caller.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if len(e.Hints) > 0 {
		b.WriteString(" [")
		b.WriteString(strings.Join(e.Hints, " "))
		b.WriteString("]")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and hints.
func Errorf(code Code, hints ...string) *Error {
	return &Error{Code: code, Hints: hints}
}

// WrapError returns an *Error with the given code whose cause is err.
func WrapError(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Err: fmt.Errorf(format+": %w", append(args, err)...)}
}

// Panicked is the EINTERNAL of a panic p recovered in where (a handler, a write), with the
// stack of the goroutine that recovered it, for the log line at the edge.
func Panicked(p any, where string) *Error {
	return WrapError(EINTERNAL, fmt.Errorf("panic: %v\n%s", p, debug.Stack()), "%s", where)
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorHints returns the hints of the first *Error in err's chain.
func ErrorHints(err error) []string {
	var e *Error
	if errors.As(err, &e) {
		return e.Hints
	}
	return nil
}

// Hints collects "field:reason" tokens so that every failing field of a request is reported,
// not only the first.
type Hints []string

// Add records that field failed for reason; a hint already recorded is not repeated.
func (h *Hints) Add(field, reason string) {
	hint := field + ":" + reason
	for _, have := range *h {
		if have == hint {
			return
		}
	}
	*h = append(*h, hint)
}

// Err returns nil when nothing was recorded, else an *Error with the given code.
func (h Hints) Err(code Code) error {
	if len(h) == 0 {
		return nil
	}
	return &Error{Code: code, Hints: h}
}

// ErrRetry is returned by a storage engine when a transaction lost a race that running it
// again resolves (serialization failure, deadlock). Stores retry it themselves; it escapes
// only when the retries run out.
var ErrRetry = errors.New("transaction conflict, retry")

// ErrLedger marks a ledger found in a state its rules forbid: a bug, or rows changed outside
// saldo.
var ErrLedger = errors.New("ledger inconsistent")
