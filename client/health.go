package client

import (
	"context"
	"net/http"
)

// Health is the answer of the operational routes /healthz and /readyz, in style A:
// {"rs": {"status": "ok"}, "err": null}. (Servers before it answered the bare object, which
// the client reads too.)
type Health struct {
	// Status is "ok" for /healthz and "ready" for /readyz.
	Status string `json:"status"`
}

// Healthz reports whether the server process is up (GET /healthz). It sends no credential.
func (c *Client) Healthz(ctx context.Context, opts ...CallOption) (*Health, error) {
	return call[Health](ctx, c, &request{method: http.MethodGet, path: "/healthz", auth: authNone, style: styleHealth}, opts)
}

// Readyz reports whether the server can reach its database (GET /readyz). When it cannot,
// the error is a 7003 *Error (CodeServiceUnavailable) with RetryAfter set. It sends no
// credential.
func (c *Client) Readyz(ctx context.Context, opts ...CallOption) (*Health, error) {
	return call[Health](ctx, c, &request{method: http.MethodGet, path: "/readyz", auth: authNone, style: styleHealth}, opts)
}
