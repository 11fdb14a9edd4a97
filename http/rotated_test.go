package http_test

import (
	"context"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// A partner token rotated by another process, while this one still holds it in its cache, is
// answered exactly as an unknown token is, whatever else is wrong with the request: 401 with
// the header named, never a validation answer and never a word about the rotation.
func TestARotatedCachedTokenIsAnsweredAsAnUnknownOne(t *testing.T) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			for _, tt := range []struct {
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
					h, token := staleCache(t, eng)
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
func staleCache(t *testing.T, eng testdb.Engine) (*harness, string) {
	t.Helper()
	h := newHarness(t, eng)
	// Two creates: the first fills the cache, the second is answered from it.
	for seq := range uint64(2) {
		h.create(seq + 1)
	}
	if _, err := saldo.NewService(h.store, nil).RotatePartnerToken(context.Background(), h.compID); err != nil {
		t.Fatal(err)
	}
	return h, h.composite
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
