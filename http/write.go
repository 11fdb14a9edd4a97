package http

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"mime"
	"net/http"

	"github.com/saldo-mx/saldo"
)

// writeRoute is a partner write: how its request is read, which service method carries it
// out, and how its result is shown. handleWrite makes it a handler; every write route is
// one, so the order of its steps is the same everywhere: authenticate, read the
// Idempotency-Key, decode, call, answer.
type writeRoute[In, Out any] struct {
	// decode reads the request (path values and body) into the service method's input.
	decode func(*http.Request) (In, error)
	// call is the service method.
	call func(context.Context, *saldo.Partner, In, *saldo.Idempotency[Out]) (Out, error)
	// render is the payload of a success to partner e, put in the route's envelope.
	render func(e *saldo.Partner, out Out) any
	// cachedAuth authenticates from the service's cache of partners, for the hot path of bulk
	// onboarding: the write's own transaction checks the token again.
	cachedAuth bool
	// credentials marks an answer that carries credentials, never to be cached (RFC 6749 §5.1).
	credentials bool
}

// handleWrite serves a write route. With an Idempotency-Key header, the service runs the
// write idempotently: it stores the rendered answer in the write's transaction, and a retry
// of the same request gets that answer again with Idempotent-Replayed: true.
func handleWrite[In, Out any](s *Server, route writeRoute[In, Out]) http.HandlerFunc {
	auth := s.svc.AuthenticatePartner
	if route.cachedAuth {
		auth = s.svc.AuthenticatePartnerForWrite
	}
	return func(w http.ResponseWriter, r *http.Request) {
		e, err := s.authenticateWith(r, auth)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		answer := &renderedAnswer[Out]{s: s, r: r, e: e, render: route.render}
		var (
			in  In
			out Out
		)
		idem, err := answer.idempotency()
		if err == nil {
			in, err = route.decode(r)
		}
		if err != nil {
			// Refused before the write's transaction: a partner token rotated since the cache
			// took it hears 401 first, as it would from the write.
			err = cmp.Or(s.svc.RecheckPartner(r.Context(), e), err)
		} else {
			out, err = route.call(r.Context(), e, in, idem)
			if route.credentials {
				noStore(w)
			}
		}
		answer.send(w, out, err)
	}
}

// renderedAnswer renders a write's outcome for r, and remembers the answer last rendered for
// storing: when the write ends with that very outcome, those bytes are what was kept, and
// so what is sent.
type renderedAnswer[Out any] struct {
	s         *Server
	r         *http.Request
	e         *saldo.Partner // who the answer is for
	render    func(*saldo.Partner, Out) any
	stored    *saldo.Answer
	storedFor error // the error the stored answer renders; nil for a success
}

// idempotency reads r's Idempotency-Key; nil when there is none. The body as sent (at most
// MaxBodyBytes, read once for the request) is fingerprinted.
func (a *renderedAnswer[Out]) idempotency() (*saldo.Idempotency[Out], error) {
	r := a.r
	key, ok := r.Header["Idempotency-Key"]
	if !ok {
		return nil, nil
	}
	if len(key) != 1 {
		return nil, saldo.Errorf(saldo.EBADREQUEST, "idempotency_key:invalid")
	}
	if err := saldo.CheckIdempotencyKey(key[0]); err != nil {
		return nil, err
	}
	body, err := rawBody(r)
	if err != nil {
		return nil, err
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return &saldo.Idempotency[Out]{
		IdempotencyKey: saldo.IdempotencyKey{Key: key[0], Digest: digest(r.Method, r.URL.Path, mediaType, body)},
		Render:         a.forStoring,
	}, nil
}

// forStoring renders an outcome inside the write's transaction, for the service to store.
func (a *renderedAnswer[Out]) forStoring(out Out, err error) saldo.Answer {
	answer := saldo.Answer{Status: http.StatusOK}
	if err != nil {
		answer.Status, answer.Body = a.s.errorResponse(a.r, err)
	} else {
		answer.Body = a.s.successBody(a.r, a.render(a.e, out))
	}
	a.stored, a.storedFor = &answer, err
	return answer
}

// send answers with the write's outcome.
func (a *renderedAnswer[Out]) send(w http.ResponseWriter, out Out, err error) {
	var replayed *saldo.Replayed
	switch {
	case errors.As(err, &replayed):
		w.Header().Set("Idempotent-Replayed", "true")
		writeBody(w, replayed.Answer.Status, replayed.Answer.Body)
	case a.stored != nil && (err == nil && a.storedFor == nil || err != nil && errors.Is(err, a.storedFor)):
		if info := requestInfoFrom(a.r.Context()); info != nil && err != nil {
			info.err = err
		}
		writeBody(w, a.stored.Status, a.stored.Body)
	case err != nil:
		a.s.fail(w, a.r, err)
	default:
		a.s.ok(w, a.r, a.render(a.e, out))
	}
}

// digest identifies a request for idempotency: its method, path, body and the media type the
// body is in (the same bytes as JSON and as a form are different requests). The service
// stores it only keyed.
func digest(method, path, mediaType string, body []byte) [32]byte {
	h := sha256.New()
	for _, part := range []string{method, path, mediaType} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(body)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}
