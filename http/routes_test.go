package http

import (
	"io"
	"log/slog"
	"testing"

	"github.com/saldo-mx/saldo"
)

// A route's declared envelope is the one its path's prefix gives, so a 404 or 405 under the
// same prefix answers in the same shape as the route.
func TestRoutesDeclareTheEnvelopeOfTheirPrefix(t *testing.T) {
	s := NewServer(saldo.NewService(nil, nil), slog.New(slog.NewTextHandler(io.Discard, nil)))
	routes := s.routes()
	if len(routes) == 0 {
		t.Fatal("no routes")
	}
	for _, rt := range routes {
		if want := envelopeOf(rt.pattern); rt.envelope != want {
			t.Errorf("%s %s declares envelope %d, its prefix gives %d", rt.method, rt.pattern, rt.envelope, want)
		}
	}
}
