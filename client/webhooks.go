package client

import (
	"context"
	"iter"
	"net/http"
	"time"
)

// WebhookEndpoint is an endpoint the partner's events are POSTed to, as /webhooks/v1 answers it.
type WebhookEndpoint struct {
	ID  int64  `json:"id"`
	URL string `json:"url"`
	// Events are the event types it subscribes to, or ["*"] for every type.
	Events      []string `json:"events"`
	Description string   `json:"description"`
	Enabled     bool     `json:"enabled"`
	// DisabledReason is "" when enabled; else "disabled" (by the partner), "gone" (it answered
	// 410) or "failing" (5 days of failed attempts).
	DisabledReason string    `json:"disabled_reason"`
	Created        time.Time `json:"created"`
	Updated        time.Time `json:"updated"`
	// Secret is the signing secret, "whsec_" and the base64 of 32 bytes: set only in the
	// answers of CreateWebhookEndpoint and RotateWebhookSecret, the one time it is shown.
	Secret string `json:"secret,omitempty"`
}

// CreateWebhookEndpointRequest is the body of POST /webhooks/v1/endpoints.
type CreateWebhookEndpointRequest struct {
	// URL must be https, and its host must be and resolve to public addresses only.
	URL string `json:"url"`
	// Events are the event types to deliver, or []string{"*"} for every type.
	Events      []string `json:"events"`
	Description string   `json:"description,omitempty"`
}

// UpdateWebhookEndpointRequest is the body of PATCH /webhooks/v1/endpoints/{id}: nil fields
// are not sent, and stay as they are.
type UpdateWebhookEndpointRequest struct {
	URL         *string   `json:"url,omitempty"`
	Events      *[]string `json:"events,omitempty"`
	Description *string   `json:"description,omitempty"`
	// Enabled false disables the endpoint; true enables it again and forgets its failures.
	Enabled *bool `json:"enabled,omitempty"`
}

// WebhookEndpoints is the answer of GET /webhooks/v1/endpoints.
type WebhookEndpoints struct {
	Endpoints []WebhookEndpoint `json:"endpoints"`
}

// WebhookTestDelivery is the delivery a test send queued.
type WebhookTestDelivery struct {
	DeliveryID int64  `json:"delivery_id"`
	EventID    int64  `json:"event_id"`
	Status     string `json:"status"` // "pending"
}

// WebhookRedelivery is a delivery a redelivery queued.
type WebhookRedelivery struct {
	DeliveryID int64  `json:"delivery_id"`
	EndpointID int64  `json:"endpoint_id"`
	Status     string `json:"status"` // "pending"
}

// WebhookRedeliveries is the answer of POST /webhooks/v1/events/{event_id}/redeliver.
type WebhookRedeliveries struct {
	Deliveries []WebhookRedelivery `json:"deliveries"`
}

// WebhookAttempt is one try of a delivery.
type WebhookAttempt struct {
	ID          int64     `json:"id"`
	DeliveryID  int64     `json:"delivery_id"`
	EventID     int64     `json:"event_id"`
	AttemptedAt time.Time `json:"attempted_at"`
	// StatusCode is the endpoint's HTTP status; 0 when no answer came.
	StatusCode int   `json:"status_code"`
	DurationMS int64 `json:"duration_ms"`
	// Response is the first KiB of the answer's body.
	Response string `json:"response"`
	// Error says why there was no answer, or why the answer was no success.
	Error string `json:"error"`
}

// WebhookAttemptsPage is one page of an endpoint's attempts, newest first.
type WebhookAttemptsPage struct {
	Attempts []WebhookAttempt `json:"attempts"`
	// NextCursor fetches the next page; "" on the last page.
	NextCursor string `json:"next_cursor"`
}

// ListWebhookAttemptsOptions pages through an endpoint's attempts.
type ListWebhookAttemptsOptions struct {
	// Limit is the page size, 1–100; 0 asks for the server's default, 20.
	Limit int
	// Cursor is the NextCursor of the previous page; "" starts at the newest attempt.
	Cursor string
}

const webhooksBase = "/webhooks/v1"

func endpointPath(id int64) string { return webhooksBase + "/endpoints/" + pathID(id) }

// CreateWebhookEndpoint registers an endpoint and returns it with its signing secret, shown
// this once. A URL that is not https, or whose host is or resolves to a private address, is
// a 5000 *Error (hints "url:https_required", "url:address_not_allowed").
func (c *Client) CreateWebhookEndpoint(ctx context.Context, req *CreateWebhookEndpointRequest, opts ...CallOption) (*WebhookEndpoint, error) {
	return callJSON[WebhookEndpoint](ctx, c, &request{method: http.MethodPost, path: webhooksBase + "/endpoints", style: styleB}, req, opts)
}

// WebhookEndpoints returns the partner's endpoints, oldest first, without their secrets.
func (c *Client) WebhookEndpoints(ctx context.Context, opts ...CallOption) (*WebhookEndpoints, error) {
	return call[WebhookEndpoints](ctx, c, &request{method: http.MethodGet, path: webhooksBase + "/endpoints", style: styleB}, opts)
}

// GetWebhookEndpoint returns endpoint id, without its secret. An unknown id, or another
// partner's, is a 4404 *Error with the hint "endpoint_id:not_found" (IsNotFound).
func (c *Client) GetWebhookEndpoint(ctx context.Context, id int64, opts ...CallOption) (*WebhookEndpoint, error) {
	return call[WebhookEndpoint](ctx, c, &request{method: http.MethodGet, path: endpointPath(id), style: styleB}, opts)
}

// UpdateWebhookEndpoint changes the fields of req that are not nil.
func (c *Client) UpdateWebhookEndpoint(ctx context.Context, id int64, req *UpdateWebhookEndpointRequest, opts ...CallOption) (*WebhookEndpoint, error) {
	if req == nil {
		req = &UpdateWebhookEndpointRequest{}
	}
	return callJSON[WebhookEndpoint](ctx, c, &request{method: http.MethodPatch, path: endpointPath(id), style: styleB}, req, opts)
}

// DeleteWebhookEndpoint deletes endpoint id; its pending deliveries fail.
func (c *Client) DeleteWebhookEndpoint(ctx context.Context, id int64, opts ...CallOption) error {
	_, err := call[struct{}](ctx, c, &request{method: http.MethodDelete, path: endpointPath(id), style: styleB}, opts)
	return err
}

// RotateWebhookSecret gives endpoint id a new signing secret, shown this once; the old one
// keeps signing beside it for 24 hours.
func (c *Client) RotateWebhookSecret(ctx context.Context, id int64, opts ...CallOption) (*WebhookEndpoint, error) {
	return call[WebhookEndpoint](ctx, c, &request{method: http.MethodPost, path: endpointPath(id) + "/rotate-secret", style: styleB}, opts)
}

// TestWebhookEndpoint queues a webhook.test event's delivery to endpoint id alone.
func (c *Client) TestWebhookEndpoint(ctx context.Context, id int64, opts ...CallOption) (*WebhookTestDelivery, error) {
	return call[WebhookTestDelivery](ctx, c, &request{method: http.MethodPost, path: endpointPath(id) + "/test", style: styleB}, opts)
}

// ListWebhookAttempts returns one page of endpoint id's delivery attempts, newest first. A
// nil page is the first page at the default size.
func (c *Client) ListWebhookAttempts(ctx context.Context, id int64, page *ListWebhookAttemptsOptions, opts ...CallOption) (*WebhookAttemptsPage, error) {
	q := query{}
	if page != nil {
		q.number("limit", int64(page.Limit))
		q.text("cursor", page.Cursor)
	}
	path := q.on(endpointPath(id) + "/attempts")
	return call[WebhookAttemptsPage](ctx, c, &request{method: http.MethodGet, path: path, style: styleB}, opts)
}

// WebhookAttempts yields every attempt of endpoint id, newest first, fetching pages of
// pageSize (0: the server's default) as the loop goes. The first error ends the sequence,
// yielded with a zero attempt.
func (c *Client) WebhookAttempts(ctx context.Context, id int64, pageSize int, opts ...CallOption) iter.Seq2[WebhookAttempt, error] {
	return pages(func(cursor string) ([]WebhookAttempt, string, error) {
		p, err := c.ListWebhookAttempts(ctx, id, &ListWebhookAttemptsOptions{Limit: pageSize, Cursor: cursor}, opts...)
		if err != nil {
			return nil, "", err
		}
		return p.Attempts, p.NextCursor, nil
	})
}

// RedeliverEvent queues event eventID again to every enabled endpoint that wants it. An
// unknown event, or another partner's, is a 4404 *Error with the hint "event_id:not_found".
func (c *Client) RedeliverEvent(ctx context.Context, eventID int64, opts ...CallOption) (*WebhookRedeliveries, error) {
	return call[WebhookRedeliveries](ctx, c, &request{method: http.MethodPost, path: webhooksBase + "/events/" + pathID(eventID) + "/redeliver", style: styleB}, opts)
}
