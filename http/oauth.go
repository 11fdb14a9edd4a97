package http

import (
	"net/http"

	"github.com/saldo-mx/saldo"
)

var (
	connectionTokenFields = []bodyField{
		{"customer_id", fieldInteger},
		{"customer_private_key", fieldString},
		{"customer_refresh_token", fieldString},
		{"device_id", fieldString},
		{"client_state", fieldInteger},
	}
	refreshTokenFields = []bodyField{
		{"customer_refresh_token", fieldString},
		{"device_id", fieldString},
	}
	// tokenFields are RFC 7009's and RFC 7662's: token_type_hint is optional there and
	// ignored here, since one lookup by hash finds a token of any type.
	tokenFields = []bodyField{{"token", fieldString}}
)

// connectionTokenJSON is get-customer-connection-token's answer. The credentials are shown
// only here.
type connectionTokenJSON struct {
	CustomerOAuthToken         string `json:"customer_oauth_token"`
	ExpirationTimestamp        string `json:"expiration_timestamp"`
	CustomerRefreshToken       string `json:"customer_refresh_token"`
	RefreshExpirationTimestamp string `json:"refresh_expiration_timestamp"`
	ClientStateRet             int64  `json:"client_state_ret"`
}

// refreshedTokenJSON is refresh-customer-token's answer.
type refreshedTokenJSON struct {
	OAuthToken          string `json:"oauth_token"`
	ExpirationTimestamp string `json:"expiration_timestamp"`
}

// introspectionJSON is an active token as introspect shows it (RFC 7662 member names).
type introspectionJSON struct {
	Active     bool   `json:"active"`
	CustomerID int64  `json:"customer_id"`
	DeviceID   string `json:"device_id"`
	TokenType  string `json:"token_type"`
	Exp        int64  `json:"exp"`
	Iat        int64  `json:"iat"`
}

// inactiveJSON is every other token: it reveals nothing more.
type inactiveJSON struct {
	Active bool `json:"active"`
}

// tokenTypes are the token_type values introspect gives, RFC 7009's token type hints.
var tokenTypes = map[saldo.TokenKind]string{saldo.TokenOAuth: "access_token", saldo.TokenRefresh: "refresh_token"}

// noStore marks an answer that must not be cached: it carries credentials (RFC 6749 §5.1).
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// connectionToken is POST /oauth/v1/get-customer-connection-token.
func (s *Server) connectionToken() writeRoute[saldo.ConnectionTokenRequest, *saldo.ConnectionToken] {
	return writeRoute[saldo.ConnectionTokenRequest, *saldo.ConnectionToken]{
		decode: func(r *http.Request) (saldo.ConnectionTokenRequest, error) {
			f, err := decodeFields(r, connectionTokenFields)
			return saldo.ConnectionTokenRequest{
				CustomerID: f["customer_id"], PrivateKey: f["customer_private_key"], RefreshToken: f["customer_refresh_token"],
				DeviceID: f["device_id"], ClientState: f["client_state"],
			}, err
		},
		call: s.svc.ConnectionToken,
		render: func(_ *saldo.Partner, out *saldo.ConnectionToken) any {
			return connectionTokenJSON{
				CustomerOAuthToken:         out.OAuthToken,
				ExpirationTimestamp:        expiry(out.OAuthExpiresAt),
				CustomerRefreshToken:       out.RefreshToken,
				RefreshExpirationTimestamp: expiry(out.RefreshExpiresAt),
				ClientStateRet:             out.ClientState,
			}
		},
		credentials: true,
	}
}

// refreshCustomerToken is POST /oauth/v1/refresh-customer-token.
func (s *Server) refreshCustomerToken() writeRoute[saldo.RefreshTokenRequest, *saldo.RefreshedToken] {
	return writeRoute[saldo.RefreshTokenRequest, *saldo.RefreshedToken]{
		decode: func(r *http.Request) (saldo.RefreshTokenRequest, error) {
			f, err := decodeFields(r, refreshTokenFields)
			return saldo.RefreshTokenRequest{RefreshToken: f["customer_refresh_token"], DeviceID: f["device_id"]}, err
		},
		call: s.svc.RefreshOAuthToken,
		render: func(_ *saldo.Partner, out *saldo.RefreshedToken) any {
			return refreshedTokenJSON{OAuthToken: out.OAuthToken, ExpirationTimestamp: expiry(out.OAuthExpiresAt)}
		},
		credentials: true,
	}
}

// revokeToken is POST /oauth/v1/revoke (RFC 7009): 200 with an empty object, also for a token
// that is unknown or revoked already.
func (s *Server) revokeToken() writeRoute[string, saldo.Revoked] {
	return writeRoute[string, saldo.Revoked]{
		decode: func(r *http.Request) (string, error) {
			f, err := decodeFields(r, tokenFields)
			return f["token"], err
		},
		call:   s.svc.RevokeToken,
		render: func(*saldo.Partner, saldo.Revoked) any { return emptyObject },
	}
}

// introspectToken is POST /oauth/v1/introspect (RFC 7662).
func (s *Server) introspectToken(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticate(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := decodeFields(r, tokenFields)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := s.svc.IntrospectToken(r.Context(), e, f["token"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	noStore(w)
	if !in.Active {
		s.ok(w, r, inactiveJSON{})
		return
	}
	t := in.Token
	s.ok(w, r, introspectionJSON{
		Active: true, CustomerID: t.CustomerID, DeviceID: t.DeviceID, TokenType: tokenTypes[t.Kind],
		Exp: t.ExpiresAt.Unix(), Iat: t.IssuedAt.Unix(),
	})
}
