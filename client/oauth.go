package client

import (
	"context"
	"net/http"
	"time"
)

// ConnectionTokenRequest is the body of POST /oauth/v1/get-customer-connection-token. It
// authenticates the customer either by CustomerID and CustomerPrivateKey, or by
// CustomerRefreshToken (CustomerID then optional, and checked when given).
type ConnectionTokenRequest struct {
	CustomerID           int64  `json:"customer_id,omitempty"`
	CustomerPrivateKey   string `json:"customer_private_key,omitempty"`
	CustomerRefreshToken string `json:"customer_refresh_token,omitempty"`
	// DeviceID is required: the new tokens are bound to it.
	DeviceID string `json:"device_id,omitempty"`
	// ClientState is echoed as ConnectionToken.ClientStateRet; 0 sends none.
	ClientState int64 `json:"client_state,omitempty"`
}

// ConnectionToken is the answer of get-customer-connection-token: a new refresh token and
// an oauth token for the device. The server shows them this once.
type ConnectionToken struct {
	CustomerOAuthToken string `json:"customer_oauth_token"`
	// ExpirationTimestamp is when CustomerOAuthToken expires (the answer says it in RFC 3339, UTC, with milliseconds).
	ExpirationTimestamp  time.Time `json:"expiration_timestamp"`
	CustomerRefreshToken string    `json:"customer_refresh_token"`
	// RefreshExpirationTimestamp is when CustomerRefreshToken expires (the answer says it in RFC 3339, UTC, with milliseconds).
	RefreshExpirationTimestamp time.Time `json:"refresh_expiration_timestamp"`
	// ClientStateRet is the request's ClientState.
	ClientStateRet int64 `json:"client_state_ret"`
}

// RefreshCustomerTokenRequest is the body of POST /oauth/v1/refresh-customer-token.
type RefreshCustomerTokenRequest struct {
	CustomerRefreshToken string `json:"customer_refresh_token,omitempty"`
	// DeviceID must be a device registered under the refresh token.
	DeviceID string `json:"device_id,omitempty"`
}

// RefreshedToken is the answer of refresh-customer-token.
type RefreshedToken struct {
	OAuthToken string `json:"oauth_token"`
	// ExpirationTimestamp is when OAuthToken expires (the answer says it in RFC 3339, UTC, with milliseconds).
	ExpirationTimestamp time.Time `json:"expiration_timestamp"`
}

// tokenRequest is the RFC 7009 and RFC 7662 body.
type tokenRequest struct {
	Token string `json:"token"`
}

// Introspection is what POST /oauth/v1/introspect says of a token (RFC 7662). Of a token
// that is not active (unknown, expired, revoked, another partner's) it says only Active
// false, and every other field is zero.
type Introspection struct {
	Active     bool   `json:"active"`
	CustomerID int64  `json:"customer_id"`
	DeviceID   string `json:"device_id"`
	// TokenType is "access_token" (an oauth token) or "refresh_token".
	TokenType string `json:"token_type"`
	// Exp and Iat are when the token expires and was issued, in Unix seconds.
	Exp int64 `json:"exp"`
	Iat int64 `json:"iat"`
}

// GetCustomerConnectionToken revokes every refresh and oauth token of the customer and
// issues a new refresh token and an oauth token for the request's device. A refresh token
// that was rotated already is a 4401, and revokes every token of the customer: a stolen
// token signal.
func (c *Client) GetCustomerConnectionToken(ctx context.Context, req *ConnectionTokenRequest, opts ...CallOption) (*ConnectionToken, error) {
	return callJSON[ConnectionToken](ctx, c, &request{method: http.MethodPost, path: "/oauth/v1/get-customer-connection-token", style: styleC}, req, opts)
}

// RefreshCustomerToken revokes the customer's oauth tokens on every device and issues one
// for the request's device. The refresh token stays valid.
func (c *Client) RefreshCustomerToken(ctx context.Context, req *RefreshCustomerTokenRequest, opts ...CallOption) (*RefreshedToken, error) {
	return callJSON[RefreshedToken](ctx, c, &request{method: http.MethodPost, path: "/oauth/v1/refresh-customer-token", style: styleC}, req, opts)
}

// RevokeToken revokes an oauth or refresh token (RFC 7009). Revoking a token that is unknown
// or revoked already succeeds too, so a caller learns nothing about other tokens.
func (c *Client) RevokeToken(ctx context.Context, token string, opts ...CallOption) error {
	_, err := callJSON[struct{}](ctx, c, &request{method: http.MethodPost, path: "/oauth/v1/revoke", style: styleC}, tokenRequest{Token: token}, opts)
	return err
}

// IntrospectToken says whether a token is active, and if so whose it is (RFC 7662).
func (c *Client) IntrospectToken(ctx context.Context, token string, opts ...CallOption) (*Introspection, error) {
	return callJSON[Introspection](ctx, c, &request{method: http.MethodPost, path: "/oauth/v1/introspect", style: styleC}, tokenRequest{Token: token}, opts)
}
