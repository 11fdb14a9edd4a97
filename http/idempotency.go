package http

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/saldo-mx/saldo"
)

// write is a write of the service under way in a handler. Without an Idempotency-Key header
// it runs and renders its result as usual. With one, the service runs it idempotently: it
// stores the rendered answer in the write's transaction, and a retry of the same request gets
// that answer again with Idempotent-Replayed: true. mapErr turns the service's errors into
// the route's.
type write struct {
	s       *Server
	render  func(result any) any
	mapErr  func(error) error
	request *http.Request
	// stored is the answer last rendered for storing, and storedFor the error it renders (nil
	// for a success). Only when the write ends with that very outcome was it kept.
	stored    *saldo.Response
	storedFor error
}

// startWrite reads the Idempotency-Key of a write by partner e. The write's request carries
// it for the service; the body is read in full (it is at most MaxBodyBytes) to fingerprint it
// and handed on unchanged. It returns false when it has answered already: the key or the body
// was unusable. A nil mapErr leaves errors as they are.
func (s *Server) startWrite(w http.ResponseWriter, r *http.Request, e *saldo.Ecommerce, render func(any) any, mapErr func(error) error) (*write, bool) {
	if mapErr == nil {
		mapErr = func(err error) error { return err }
	}
	wr := &write{s: s, render: render, mapErr: mapErr, request: r}
	key, ok := r.Header["Idempotency-Key"]
	if !ok {
		return wr, true
	}
	if len(key) != 1 {
		s.fail(w, r, saldo.Errorf(saldo.EBADREQUEST, "idempotency_key:invalid"))
		return nil, false
	}
	if err := saldo.CheckIdempotencyKey(key[0]); err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, r, bodyError(err))
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	idem := &saldo.Idempotency{
		Key:         key[0],
		Fingerprint: saldo.Fingerprint(r.Method, r.URL.Path, mediaType, body),
	}
	// The answer is rendered inside the write's transaction, and the same bytes are sent now
	// and on every replay.
	idem.Respond = func(result any, err error) saldo.Response {
		resp := saldo.Response{Status: http.StatusOK}
		if err != nil {
			resp.Status, resp.Body = s.errorResponse(r, mapErr(err))
		} else {
			resp.Body = s.successBody(r, render(result))
		}
		wr.stored, wr.storedFor = &resp, err
		return resp
	}
	wr.request = r.WithContext(saldo.WithIdempotency(r.Context(), idem))
	return wr, true
}

// decodeFields reads the write's flat body of the given fields (see decodeFields), and
// answers the request itself when it cannot.
func (wr *write) decodeFields(w http.ResponseWriter, fields []bodyField) (map[string]string, bool) {
	f, err := decodeFields(wr.request, fields)
	if err != nil {
		wr.s.fail(w, wr.request, err)
		return nil, false
	}
	return f, true
}

// finish answers with the write's outcome.
func (wr *write) finish(w http.ResponseWriter, result any, err error) {
	var replayed *saldo.Replayed
	switch {
	case errors.As(err, &replayed):
		w.Header().Set("Idempotent-Replayed", "true")
		writeBody(w, replayed.Response.Status, replayed.Response.Body)
	case wr.stored != nil && (err == nil && wr.storedFor == nil || err != nil && errors.Is(err, wr.storedFor)):
		if err != nil {
			if info := requestInfoFrom(wr.request.Context()); info != nil {
				info.err = err
			}
		}
		writeBody(w, wr.stored.Status, wr.stored.Body)
	case err != nil:
		wr.s.fail(w, wr.request, wr.mapErr(err))
	default:
		wr.s.ok(w, wr.request, wr.render(result))
	}
}
