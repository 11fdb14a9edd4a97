package saldo

import (
	"context"
	"math"
	"strings"
	"time"
)

// The customer token lifecycle of the contract's §4. The partner calls every route; a
// customer's credentials belong to its partner, and another partner's credential is treated
// exactly as an unknown one. Every method that changes credentials locks the customer first,
// so changes to one customer's credentials take turns on every engine.

// ConnectionTokenRequest is POST /oauth/v1/get-customer-connection-token as it arrived, every
// field as text ("" is absent). RefreshToken selects the refresh token mode, whatever else is
// sent; without it the request is in private key mode and needs CustomerID and PrivateKey.
type ConnectionTokenRequest struct {
	CustomerID, PrivateKey, RefreshToken, DeviceID, ClientState string
}

// RefreshTokenRequest is POST /oauth/v1/refresh-customer-token as it arrived.
type RefreshTokenRequest struct {
	RefreshToken, DeviceID string
}

// ConnectionToken is what get-customer-connection-token issues; the credentials exist in clear
// nowhere else.
type ConnectionToken struct {
	CustomerID       int64
	DeviceID         string
	OAuthToken       string
	OAuthExpiresAt   time.Time
	RefreshToken     string
	RefreshExpiresAt time.Time
	ClientState      int64 // echoed; 0 when the request had none
}

// RefreshedToken is what refresh-customer-token issues.
type RefreshedToken struct {
	CustomerID     int64
	DeviceID       string
	OAuthToken     string
	OAuthExpiresAt time.Time
}

// Introspection is what introspect tells of a token: nothing but Active=false unless the
// token is an active oauth or refresh token of the caller's customer.
type Introspection struct {
	Active bool
	Token  Token // the stored credential, when Active
}

// CustomerAuth is who an Authorization-customer oauth token speaks for.
type CustomerAuth struct {
	Partner    *Partner
	CustomerID int64
	DeviceID   string
}

// maxDeviceIDLength is the longest device_id, as at account creation.
const maxDeviceIDLength = 128

// validConnection is a connection token request that passed every rule.
type validConnection struct {
	customerID   int64 // 0 in refresh token mode when not given
	privateKey   string
	refreshToken string
	deviceID     string
	clientState  int64
}

// validate applies the field rules, reporting every failing field at once. Whether the
// credentials are genuine is the transaction's question; their shape is checked before it.
func (r ConnectionTokenRequest) validate() (validConnection, error) {
	r.CustomerID, r.PrivateKey, r.RefreshToken = strings.TrimSpace(r.CustomerID), strings.TrimSpace(r.PrivateKey), strings.TrimSpace(r.RefreshToken)
	r.DeviceID, r.ClientState = strings.TrimSpace(r.DeviceID), strings.TrimSpace(r.ClientState)
	var h Hints
	v := validConnection{privateKey: r.PrivateKey, refreshToken: r.RefreshToken}
	v.deviceID = checkDeviceID(&h, r.DeviceID)
	v.clientState = checkInt(&h, "client_state", r.ClientState, math.MinInt64, math.MaxInt64)
	if r.RefreshToken != "" {
		// Real clients send both credential fields, "" for the one they lack: when both are
		// there the refresh token decides, and the private key is ignored (never a fallback).
		v.privateKey = ""
		// customer_id is optional here; when given it must be the refresh token's customer.
		v.customerID = checkInt(&h, "customer_id", r.CustomerID, 1, math.MaxInt64)
	} else {
		if r.CustomerID == "" {
			h.Add("customer_id", "required")
		}
		v.customerID = checkInt(&h, "customer_id", r.CustomerID, 1, math.MaxInt64)
		if r.PrivateKey == "" {
			h.Add("customer_private_key", "required")
		}
	}
	return v, h.Err(EINVALID)
}

// validate applies the field rules of a refresh request.
func (r RefreshTokenRequest) validate() (refreshToken, deviceID string, err error) {
	refreshToken, deviceID = strings.TrimSpace(r.RefreshToken), strings.TrimSpace(r.DeviceID)
	var h Hints
	if refreshToken == "" {
		h.Add("customer_refresh_token", "required")
	}
	deviceID = checkDeviceID(&h, deviceID)
	return refreshToken, deviceID, h.Err(EINVALID)
}

// checkDeviceID checks a required device_id: the same text rule as at account creation.
func checkDeviceID(h *Hints, s string) string {
	if s == "" {
		h.Add("device_id", "required")
		return ""
	}
	return checkText(h, "device_id", s, maxDeviceIDLength)
}

// ConnectionToken is POST /oauth/v1/get-customer-connection-token for partner e. It
// authenticates the customer by private key or by refresh token, revokes every refresh and
// oauth token the customer has (the presented refresh token as rotated, the rest as
// superseded), and issues a new refresh token and an oauth token bound to the device.
//
// A refresh token that was rotated already is a reuse: the answer is EUNAUTHORIZED, and every
// refresh and oauth token of the customer is revoked and a token.reuse_detected event
// recorded, committed although the call fails.
func (s *Service) ConnectionToken(ctx context.Context, e *Partner, r ConnectionTokenRequest, idem *Idempotency[*ConnectionToken]) (*ConnectionToken, error) {
	v, err := r.validate()
	if err != nil {
		return nil, err
	}
	// A malformed credential is unknown: answered without a database round trip.
	if v.refreshToken != "" && !IsSecretShape(v.refreshToken, "") ||
		v.refreshToken == "" && !IsSecretShape(v.privateKey, PrivateKeyPrefix) {
		return nil, Errorf(EUNAUTHORIZED)
	}
	return write(ctx, s, nil, e, idem, s.clock.Now(), func(w writeTx) (*ConnectionToken, error) {
		tx, now := w.Tx, w.now
		customerID := v.customerID
		if v.refreshToken != "" {
			rt, err := activeRefreshToken(ctx, tx, e, v.refreshToken, now)
			if err != nil {
				return nil, err
			}
			if customerID != 0 && customerID != rt.CustomerID {
				return nil, Errorf(EUNAUTHORIZED)
			}
			if ok, err := tx.RevokeToken(ctx, rt.ID, now, RevokeRotated); err != nil || !ok {
				// !ok cannot happen under the customer's lock; refuse rather than issue twice.
				return nil, orUnauthorized(err)
			}
			customerID = rt.CustomerID
		} else {
			status, err := tx.LockCustomer(ctx, e.ID, customerID)
			if err != nil {
				return nil, notFoundIsUnauthorized(err)
			}
			key, err := tx.TokenByHash(ctx, HashSecret(v.privateKey))
			if err != nil {
				return nil, notFoundIsUnauthorized(err)
			}
			if key.PartnerID != e.ID || key.CustomerID != customerID || key.Kind != TokenPrivateKey ||
				!key.ActiveAt(now) || !secretMatches(v.privateKey, key.Hash) {
				return nil, Errorf(EUNAUTHORIZED)
			}
			// A genuine credential of an account that is not active is refused as such.
			if err := activeAccount(status); err != nil {
				return nil, err
			}
		}
		if _, err := tx.RevokeCustomerTokens(ctx, e.ID, customerID, []TokenKind{TokenRefresh, TokenOAuth}, now, RevokeSuperseded); err != nil {
			return nil, err
		}
		refresh, refreshRow := mintToken(e, customerID, TokenRefresh, v.deviceID, now, e.RefreshTokenTTL)
		oauth, oauthRow := mintToken(e, customerID, TokenOAuth, v.deviceID, now, e.OAuthTokenTTL)
		if err := tx.InsertTokens(ctx, []Token{refreshRow, oauthRow}); err != nil {
			return nil, err
		}
		return &ConnectionToken{
			CustomerID: customerID, DeviceID: v.deviceID, ClientState: v.clientState,
			OAuthToken: oauth, OAuthExpiresAt: oauthRow.ExpiresAt,
			RefreshToken: refresh, RefreshExpiresAt: refreshRow.ExpiresAt,
		}, nil
	})
}

// RefreshOAuthToken is POST /oauth/v1/refresh-customer-token for partner e: with an active
// refresh token and a device registered under it (the device it was issued for), it revokes
// the customer's oauth tokens on every device and issues one for this device. The refresh
// token itself stays active. A rotated refresh token is a reuse, as for ConnectionToken.
func (s *Service) RefreshOAuthToken(ctx context.Context, e *Partner, r RefreshTokenRequest, idem *Idempotency[*RefreshedToken]) (*RefreshedToken, error) {
	refreshToken, deviceID, err := r.validate()
	if err != nil {
		return nil, err
	}
	if !IsSecretShape(refreshToken, "") {
		return nil, Errorf(EUNAUTHORIZED)
	}
	return write(ctx, s, nil, e, idem, s.clock.Now(), func(w writeTx) (*RefreshedToken, error) {
		tx, now := w.Tx, w.now
		rt, err := activeRefreshToken(ctx, tx, e, refreshToken, now)
		switch {
		case err != nil:
			return nil, err
		case rt.DeviceID != deviceID:
			// The refresh token is genuine and the partner's own: saying why helps it, and
			// tells it nothing it could not know.
			return nil, Errorf(EUNAUTHORIZED, "device_id:not_registered")
		}
		if _, err := tx.RevokeCustomerTokens(ctx, e.ID, rt.CustomerID, []TokenKind{TokenOAuth}, now, RevokeSuperseded); err != nil {
			return nil, err
		}
		oauth, row := mintToken(e, rt.CustomerID, TokenOAuth, deviceID, now, e.OAuthTokenTTL)
		if err := tx.InsertTokens(ctx, []Token{row}); err != nil {
			return nil, err
		}
		return &RefreshedToken{CustomerID: rt.CustomerID, DeviceID: deviceID, OAuthToken: oauth, OAuthExpiresAt: row.ExpiresAt}, nil
	})
}

// Revoked is what RevokeToken returns: nothing, since its answer is the same whether or not
// there was anything to revoke.
type Revoked struct{}

// RevokeToken is POST /oauth/v1/revoke for partner e (RFC 7009): it revokes an oauth or
// refresh token of one of e's customers; revoking a refresh token also revokes the customer's
// oauth tokens, which were all issued under it. A token that is unknown, another partner's,
// a private key, or revoked already is no error: there is nothing left to revoke.
func (s *Service) RevokeToken(ctx context.Context, e *Partner, token string, idem *Idempotency[Revoked]) (Revoked, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return Revoked{}, Errorf(EINVALID, "token:required")
	}
	if !IsSecretShape(token, "") {
		return Revoked{}, nil
	}
	return write(ctx, s, nil, e, idem, s.clock.Now(), func(w writeTx) (Revoked, error) {
		tx, now := w.Tx, w.now
		t, _, err := presentedToken(ctx, tx, e, token, TokenOAuth, TokenRefresh)
		if err != nil || t == nil || !t.RevokedAt.IsZero() {
			return Revoked{}, err
		}
		if _, err := tx.RevokeToken(ctx, t.ID, now, RevokeRevoked); err != nil {
			return Revoked{}, err
		}
		if t.Kind == TokenRefresh {
			_, err = tx.RevokeCustomerTokens(ctx, e.ID, t.CustomerID, []TokenKind{TokenOAuth}, now, RevokeRevoked)
		}
		return Revoked{}, err
	})
}

// IntrospectToken is POST /oauth/v1/introspect for partner e (RFC 7662). Only an active oauth
// or refresh token of one of e's customers is active; anything else reveals nothing.
func (s *Service) IntrospectToken(ctx context.Context, e *Partner, token string) (*Introspection, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, Errorf(EINVALID, "token:required")
	}
	if !IsSecretShape(token, "") {
		return &Introspection{}, nil
	}
	var (
		t      *Token
		status int
	)
	err := s.store.Autocommit(ctx, func(tx Tx) (err error) {
		if t, err = tx.TokenByHash(ctx, HashSecret(token)); err != nil || t.PartnerID != e.ID {
			return err
		}
		c, err := tx.Customer(ctx, e.ID, t.CustomerID)
		if err == nil {
			status = c.AccountStatus
		}
		return err
	})
	if ErrorCode(err) == ENOTFOUND {
		return &Introspection{}, nil
	}
	if err != nil {
		return nil, err
	}
	// A blocked or closed customer's token is not active: it opens nothing.
	if t.PartnerID != e.ID || t.Kind != TokenOAuth && t.Kind != TokenRefresh ||
		!t.ActiveAt(s.clock.Now()) || !secretMatches(token, t.Hash) || status != AccountStatusActive {
		return &Introspection{}, nil
	}
	return &Introspection{Active: true, Token: *t}, nil
}

// AuthenticateCustomer returns who an Authorization-customer oauth token speaks for: it must
// be an active oauth token. Anything else is EUNAUTHORIZED.
func (s *Service) AuthenticateCustomer(ctx context.Context, token string) (*CustomerAuth, error) {
	if !IsSecretShape(token, "") {
		return nil, Errorf(EUNAUTHORIZED)
	}
	var auth *CustomerAuth
	err := s.store.Autocommit(ctx, func(tx Tx) error {
		t, err := tx.TokenByHash(ctx, HashSecret(token))
		if err != nil {
			return notFoundIsUnauthorized(err)
		}
		if t.Kind != TokenOAuth || !t.ActiveAt(s.clock.Now()) || !secretMatches(token, t.Hash) {
			return Errorf(EUNAUTHORIZED)
		}
		c, err := tx.Customer(ctx, t.PartnerID, t.CustomerID)
		if err != nil {
			return err
		}
		if err := activeAccount(c.AccountStatus); err != nil {
			return err
		}
		e, err := tx.Partner(ctx, t.PartnerID)
		if err != nil {
			return err
		}
		auth = &CustomerAuth{Partner: e, CustomerID: t.CustomerID, DeviceID: t.DeviceID}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return auth, nil
}

// presentedToken finds the credential whose clear value is secret among partner e's
// credentials of the given kinds, locks its customer, and reads it again under the lock, so
// that what the caller decides on is current. It returns nil when there is no such
// credential: unknown, another partner's, of another kind, or not matching. It also returns
// the customer's account status.
func presentedToken(ctx context.Context, tx Tx, e *Partner, secret string, kinds ...TokenKind) (*Token, int, error) {
	hash := HashSecret(secret)
	t, err := tx.TokenByHash(ctx, hash)
	if ErrorCode(err) == ENOTFOUND {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	kindOK := false
	for _, k := range kinds {
		kindOK = kindOK || t.Kind == k
	}
	if t.PartnerID != e.ID || !kindOK || !secretMatches(secret, t.Hash) {
		return nil, 0, nil
	}
	status, err := tx.LockCustomer(ctx, e.ID, t.CustomerID)
	if err != nil {
		return nil, 0, err
	}
	t, err = tx.TokenByHash(ctx, hash)
	return t, status, err
}

// activeAccount refuses the credentials of an account that is not active: EFORBIDDEN, with
// the account's status as the hint.
func activeAccount(status int) error {
	switch status {
	case AccountStatusBlocked:
		return Errorf(EFORBIDDEN, "account:blocked")
	case AccountStatusClosed:
		return Errorf(EFORBIDDEN, "account:closed")
	}
	return nil
}

// activeRefreshToken returns the active refresh token of partner e whose clear value is
// secret, with its customer locked. An unknown, expired or revoked one is EUNAUTHORIZED; one
// revoked by rotation is a reuse (see revokeForReuse).
func activeRefreshToken(ctx context.Context, tx Tx, e *Partner, secret string, now time.Time) (*Token, error) {
	rt, status, err := presentedToken(ctx, tx, e, secret, TokenRefresh)
	switch {
	case err != nil:
		return nil, err
	case rt == nil:
		return nil, Errorf(EUNAUTHORIZED)
	case rt.RevokeReason == RevokeRotated:
		return nil, revokeForReuse(ctx, tx, e, rt, now)
	case !rt.ActiveAt(now):
		return nil, Errorf(EUNAUTHORIZED)
	}
	return rt, activeAccount(status)
}

// revokeForReuse answers the presentation of rotated refresh token rt: every refresh and
// oauth token of its customer is revoked and a token.reuse_detected event recorded, and the
// write is to commit that and answer 401. The private key stays, so that the partner can
// connect the customer again.
func revokeForReuse(ctx context.Context, tx Tx, e *Partner, rt *Token, now time.Time) error {
	ids, err := tx.RevokeCustomerTokens(ctx, e.ID, rt.CustomerID, []TokenKind{TokenRefresh, TokenOAuth}, now, RevokeReuseDetected)
	if err != nil {
		return err
	}
	if ids == nil {
		ids = []int64{}
	}
	err = tx.InsertEvents(ctx, []Event{newEvent(e, now, TokenReuseDetected{CustomerID: rt.CustomerID, TokenID: rt.ID, RevokedTokenIDs: ids})})
	if err != nil {
		return err
	}
	// The revocation and the event are committed; the caller learns only that the credential
	// is no good.
	return &failAfterCommit{err: Errorf(EUNAUTHORIZED)}
}

// notFoundIsUnauthorized turns ENOTFOUND, which for a credential means unknown, into
// EUNAUTHORIZED; other errors pass through.
func notFoundIsUnauthorized(err error) error {
	if ErrorCode(err) == ENOTFOUND {
		return Errorf(EUNAUTHORIZED)
	}
	return err
}

// orUnauthorized is err, or EUNAUTHORIZED when err is nil.
func orUnauthorized(err error) error {
	if err != nil {
		return err
	}
	return Errorf(EUNAUTHORIZED)
}
