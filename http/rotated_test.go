package http_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// A partner token rotated by another process, while this one still holds it in its cache, is
// answered exactly as an unknown token is, whatever else is wrong with the request: 401 with
// the header named, never a validation answer and never a word about the rotation.
func TestARotatedCachedTokenIsAnsweredAsAnUnknownOne(t *testing.T) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			store := eng.Open(t)
			for i, tt := range []struct {
				name string
				req  request
			}{
				{"a valid create", request{contentType: "application/json", body: jsonBody(createJSON(10))}},
				{"a body of the wrong JSON types", request{contentType: "application/json", body: strings.NewReader(`{"gender":"2"}`)}},
				{"a body that breaks the field rules", request{contentType: "application/json", body: strings.NewReader(`{"email":"x"}`)}},
				{"an unusable Idempotency-Key", request{contentType: "application/json", body: jsonBody(createJSON(11)),
					header: map[string]string{"Idempotency-Key": "\u00e9"}}},
			} {
				t.Run(tt.name, func(t *testing.T) {
					h, token := staleCache(t, store, uint64(i))
					unknown := h.do(request{path: "/user/v1/account/create", token: saldo.NewSecret(saldo.PartnerTokenPrefix),
						contentType: "application/json", body: jsonBody(createJSON(12))})
					tt.req.path, tt.req.token = "/user/v1/account/create", token
					a := h.do(tt.req)
					if a.status != 401 || string(a.raw) != string(unknown.raw) {
						t.Errorf("status %d %s; want exactly what an unknown token gets: %d %s", a.status, a.raw, unknown.status, unknown.raw)
					}
				})
			}
		})
	}
}

// staleCache returns a server whose process holds a partner's token in its cache after
// another process rotated it, and that token.
func staleCache(t *testing.T, store saldo.Store, n uint64) (*harness, string) {
	t.Helper()
	svc := saldo.NewService(store, nil)
	e, token, err := svc.CreatePartner(context.Background(), saldo.NewPartner{Name: fmt.Sprintf("tienda-%d", n), CompositeBalances: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(checkAnswers(t, saldohttp.NewServer(svc, slog.New(slog.NewTextHandler(io.Discard, nil)))))
	t.Cleanup(srv.Close)
	h := &harness{t: t, srv: srv, store: store, answersChecked: true}
	// Two creates: the first fills the cache, the second is answered from it.
	for seq := range uint64(2) {
		if a := h.do(request{path: "/user/v1/account/create", token: token, contentType: "application/json", body: jsonBody(createJSON(100*n + seq + 1))}); a.status != 200 {
			t.Fatalf("create: status %d: %s", a.status, a.raw)
		}
	}
	if _, err := saldo.NewService(store, nil).RotatePartnerToken(context.Background(), e.ID); err != nil {
		t.Fatal(err)
	}
	return h, token
}

// Without the header, the partner token is looked for in the body: a body that cannot be read
// is refused for what it is, not as a missing credential.
func TestAnUnreadableBodyWithoutThePartnerHeaderIsRefusedForWhatItIs(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		rs := h.create(1).body["rs"].(map[string]any)
		multipart, contentType := multipartBody(map[string]any{"token": rs["oauth_token"], "ecommerce_token": h.composite})
		for _, tt := range []struct {
			name   string
			req    request
			status int
			hint   string
		}{
			{"malformed JSON", request{contentType: "application/json", body: strings.NewReader(`{"token":`)}, 400, "body:invalid_json"},
			{"invalid UTF-8", request{contentType: "application/json", body: strings.NewReader("{\"token\":\"\xff\"}")}, 400, "body:invalid_utf8"},
			{"an unsupported content type", request{contentType: "text/plain", body: strings.NewReader("x")}, 415, "content_type:unsupported"},
			{"the token in a multipart body", request{contentType: contentType, body: strings.NewReader(multipart)}, 200, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				tt.req.path = "/oauth/v1/introspect"
				a := h.do(tt.req)
				if a.status != tt.status || tt.hint != "" && !strings.Contains(string(a.raw), `"`+tt.hint+`"`) {
					t.Errorf("status %d %s, want %d with %s", a.status, a.raw, tt.status, tt.hint)
				}
			})
		}
	})
}
