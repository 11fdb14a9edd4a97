package http_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// contendedStore is a store whose writes always lose their races until the retries run out, as
// the engines report it.
type contendedStore struct{ saldo.Store }

func (contendedStore) Update(context.Context, func(saldo.Tx) error) error {
	return saldo.Contended(fmt.Errorf("gave up after 30 attempts: %w: 40001", saldo.ErrRetry))
}

// A write that lost its races until the retries ran out is answered 503 with code 7003,
// Retry-After and the hint database:contention, which tells it from a database that cannot be
// reached; the request's log line says so too.
func TestContentionIs503AndLoggedAsContention(t *testing.T) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			store := eng.Open(t)
			var logs lockedBuffer
			h := harnessOn(t, store, serving{log: slog.New(slog.NewJSONHandler(&logs, nil)), through: contendedStore{store}})
			a := h.do(request{path: "/user/v1/account/create", token: h.composite, contentType: "application/json", body: jsonBody(createJSON(1))})
			code, hints := errorOf(t, a)
			if a.status != http.StatusServiceUnavailable || code != 7003 || a.header.Get("Retry-After") == "" || !slices.Equal(hints[1:], []string{saldo.HintContention}) {
				t.Errorf("create answered %d, code %v, Retry-After %q, hints %q; want 503, 7003, Retry-After and database:contention",
					a.status, code, a.header.Get("Retry-After"), hints)
			}
			if !strings.Contains(logs.String(), saldo.HintContention) {
				t.Errorf("the request's log line does not say %s: %s", saldo.HintContention, logs.String())
			}
		})
	}
}
