package client_test

// The client against stand-ins for a server: answers outside the contract, the forms of the
// health answers, and requests that get no answer. The tests against a real saldo server are
// in the package clienttest of the server's module.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo/client"
)

// Healthz and Readyz read the style A answer of this server and the bare object that servers
// before it answered.
func TestHealthReadsBothAnswerForms(t *testing.T) {
	for _, body := range []string{`{"rs":{"status":"ok"},"err":null}`, `{"status":"ok"}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, body)
		}))
		h, err := client.New(srv.URL, "").Healthz(context.Background())
		srv.Close()
		if err != nil || h.Status != "ok" {
			t.Errorf("healthz answered %s: %+v, %v; want status ok", body, h, err)
		}
	}
}

// A stub server's answers that are not the contract's still come back as errors.
func TestAnswersOutsideTheContractAreErrors(t *testing.T) {
	for _, tt := range []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		wantAPIErr bool // an *Error, for a status outside 2xx
		retryAfter time.Duration
		notFound   bool
	}{
		{name: "a proxy's HTML error page", status: 502, body: "<html>Bad Gateway</html>", wantAPIErr: true},
		{name: "an empty 404", status: 404, wantAPIErr: true, notFound: true},
		{name: "JSON without an error object", status: 500, body: `{"message":"boom"}`, wantAPIErr: true},
		{name: "a 503 with Retry-After as an HTTP date", status: 503, body: "down",
			header: map[string]string{"Retry-After": time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat)}, wantAPIErr: true, retryAfter: 2 * time.Minute},
		{name: "a 429 with an unreadable Retry-After", status: 429, header: map[string]string{"Retry-After": "soon"}, body: "{}", wantAPIErr: true},
		{name: "a 200 that is not JSON", status: 200, body: "OK"},
		{name: "a 200 over 8 MiB", status: 200, body: `{"rs":{"id":1,"email":"` + strings.Repeat("a", 8<<20) + `"},"err":null}`},
		{name: "an error over 8 MiB", status: 500, body: `{"rs":null,"err":{"code":7000,"text":"` + strings.Repeat("a", 8<<20) + `"}}`, wantAPIErr: true},
		{name: "a 200 with a null result", status: 200, body: `{"rs":null,"err":null}`},
		{name: "a 200 with an error object", status: 200, body: `{"rs":null,"err":{"code":7000,"text":"Server Error","hints":["x"]}}`},
		{name: "a 200 with the result of the wrong type", status: 200, body: `{"rs":{"id":"seven"},"err":null}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			var info client.ResponseInfo
			_, err := client.New(srv.URL, "ek_x").GetAccount(context.Background(), 7, client.WithResponseInfo(&info))
			if !errors.Is(err, client.ErrUnexpectedResponse) {
				t.Fatalf("error %v, want one wrapping ErrUnexpectedResponse", err)
			}
			if info.StatusCode != tt.status {
				t.Errorf("ResponseInfo.StatusCode = %d, want %d", info.StatusCode, tt.status)
			}
			e, isAPIErr := errors.AsType[*client.Error](err)
			if isAPIErr != tt.wantAPIErr {
				t.Fatalf("*Error %v, want %v: %v", isAPIErr, tt.wantAPIErr, err)
			}
			if !isAPIErr {
				return
			}
			if e.StatusCode != tt.status || e.Code != 0 || e.Text != http.StatusText(tt.status) {
				t.Errorf("HTTP %d, code %d, text %q; want %d, 0, %q", e.StatusCode, e.Code, e.Text, tt.status, http.StatusText(tt.status))
			}
			// An HTTP date is read against the clock: allow the seconds the test takes.
			if d := e.RetryAfter - tt.retryAfter; d > 0 || d < -5*time.Second {
				t.Errorf("RetryAfter = %v, want about %v", e.RetryAfter, tt.retryAfter)
			}
			if client.IsNotFound(err) != tt.notFound || client.IsConflict(err) || client.IsUnauthorized(err) {
				t.Errorf("predicates: not found %v (want %v), conflict %v, unauthorized %v",
					client.IsNotFound(err), tt.notFound, client.IsConflict(err), client.IsUnauthorized(err))
			}
		})
	}
}

func TestTransportFailuresAreOrdinaryErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nobody listens there any more

	var info client.ResponseInfo
	_, err := client.New(url, "ek_x").Healthz(context.Background(), client.WithResponseInfo(&info))
	if err == nil || errors.Is(err, client.ErrUnexpectedResponse) {
		t.Fatalf("error %v, want a transport error", err)
	}
	if _, ok := errors.AsType[*client.Error](err); ok || info.StatusCode != 0 {
		t.Errorf("a request that got no answer is an *Error (%v) or has a status (%d)", ok, info.StatusCode)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := client.New(url, "ek_x").Healthz(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("a canceled call: %v, want context.Canceled", err)
	}
	if _, err := client.New("://nonsense", "ek_x").Healthz(context.Background()); err == nil {
		t.Error("a malformed base URL succeeded")
	}
}
