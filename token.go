package saldo

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"time"
)

// TokenKind tells what a stored customer credential is.
type TokenKind string

const (
	TokenOAuth      TokenKind = "oauth"
	TokenRefresh    TokenKind = "refresh"
	TokenPrivateKey TokenKind = "private_key"
)

// Credential prefixes, from the contract.
const (
	PartnerTokenPrefix = "ek_"
	PrivateKeyPrefix   = "sk_"
)

// Token is a customer credential as stored: its hash, never its value.
type Token struct {
	ID         int64
	PartnerID  int64
	CustomerID int64
	Kind       TokenKind
	Hash       []byte
	DeviceID   string
	IssuedAt   time.Time
	ExpiresAt  time.Time // zero: does not expire (private keys live until rotated)
	RevokedAt  time.Time // zero: not revoked
	// RevokeReason says why a revoked credential was revoked (one of the Revoke* reasons). A
	// revoked row stays as a tombstone, so that a rotated refresh token presented again is
	// told apart from an unknown one.
	RevokeReason string
}

// Reasons a credential was revoked, stored with it.
const (
	// RevokeRotated: a refresh token exchanged for a new one by get-customer-connection-token.
	// Only such a token, presented again, is a reuse.
	RevokeRotated = "rotated"
	// RevokeSuperseded: replaced by a newer connection token, or an oauth token by a refresh.
	RevokeSuperseded = "superseded"
	// RevokeRevoked: revoked by the partner through /oauth/v1/revoke.
	RevokeRevoked = "revoked"
	// RevokeClosed: the customer's account was closed.
	RevokeClosed = "closed"
	// RevokeReuseDetected: revoked because a rotated refresh token of the customer was
	// presented again.
	RevokeReuseDetected = "reuse_detected"
)

// ActiveAt reports whether the credential works at now: not revoked, and not expired. A
// credential expires at its ExpiresAt instant exactly.
func (t *Token) ActiveAt(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// NewSecret returns 256 random bits as 64 lowercase hex characters, behind prefix.
func NewSecret(prefix string) string {
	var b [32]byte
	// crypto/rand.Read never returns an error since Go 1.24; it aborts the program instead.
	_, _ = rand.Read(b[:])
	dst := make([]byte, len(prefix)+64)
	copy(dst, prefix)
	hex.Encode(dst[len(prefix):], b[:])
	return string(dst)
}

// HashSecret returns the stored form of a secret. A plain SHA-256 suffices: the secrets are
// 256 random bits, so there is nothing to brute-force, and a slow password hash would only
// slow every authenticated request.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// secretMatches compares a presented secret with a stored hash in constant time.
func secretMatches(secret string, hash []byte) bool {
	sum := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(sum[:], hash) == 1
}

// IsSecretShape reports whether s is prefix followed by 64 lowercase hex characters. Checking
// the shape first answers malformed credentials without a database round trip.
func IsSecretShape(s, prefix string) bool {
	if len(s) != len(prefix)+64 || s[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// NewParentID returns a composite balance parent id: 128 random bits as 32 lowercase hex.
func NewParentID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// IssuedTokens are the clear-text credentials minted for a customer; they exist only in the
// response that issues them.
type IssuedTokens struct {
	OAuthToken        string
	OAuthExpiresAt    time.Time
	RefreshToken      string
	RefreshExpiresAt  time.Time
	PrivateKey        string
	DeviceID          string
	storedForCustomer []Token
}

// mintToken mints one credential of kind for partner e's customer, bound to deviceID and
// issued at now, expiring after ttl (0: never). It returns the clear value, which exists only
// in the response that issues it, and the row to store.
func mintToken(e *Partner, customerID int64, kind TokenKind, deviceID string, now time.Time, ttl time.Duration) (string, Token) {
	prefix := ""
	if kind == TokenPrivateKey {
		prefix = PrivateKeyPrefix
	}
	secret := NewSecret(prefix)
	t := Token{PartnerID: e.ID, CustomerID: customerID, Kind: kind, Hash: HashSecret(secret), DeviceID: deviceID, IssuedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	return secret, t
}

// mintCustomerTokens mints the first oauth token, refresh token and private key of a customer
// and returns them with the rows to store (hashes only).
func mintCustomerTokens(e *Partner, deviceID string, now time.Time) IssuedTokens {
	it := IssuedTokens{
		OAuthToken:       NewSecret(""),
		OAuthExpiresAt:   now.Add(e.OAuthTokenTTL),
		RefreshToken:     NewSecret(""),
		RefreshExpiresAt: now.Add(e.RefreshTokenTTL),
		PrivateKey:       NewSecret(PrivateKeyPrefix),
		DeviceID:         deviceID,
	}
	it.storedForCustomer = []Token{
		{PartnerID: e.ID, Kind: TokenOAuth, Hash: HashSecret(it.OAuthToken), DeviceID: deviceID, IssuedAt: now, ExpiresAt: it.OAuthExpiresAt},
		{PartnerID: e.ID, Kind: TokenRefresh, Hash: HashSecret(it.RefreshToken), DeviceID: deviceID, IssuedAt: now, ExpiresAt: it.RefreshExpiresAt},
		{PartnerID: e.ID, Kind: TokenPrivateKey, Hash: HashSecret(it.PrivateKey), IssuedAt: now},
	}
	return it
}
