package saldo

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// unreachableStore fails the test when the service reaches it: the requests given to a
// service over it must be answered before any transaction.
type unreachableStore struct{ tb testing.TB }

func (s unreachableStore) reached() error {
	s.tb.Helper()
	s.tb.Error("the request reached the store")
	return errors.New("unreachable store")
}

func (s unreachableStore) Update(context.Context, func(Tx) error) error     { return s.reached() }
func (s unreachableStore) View(context.Context, func(Tx) error) error       { return s.reached() }
func (s unreachableStore) Autocommit(context.Context, func(Tx) error) error { return s.reached() }
func (s unreachableStore) Ping(context.Context) error                       { return s.reached() }
func (s unreachableStore) Close() error                                     { return nil }

var sessionNow = time.Date(2026, 11, 24, 16, 26, 49, 0, time.UTC)

func offlineService(tb testing.TB) *Service {
	tb.Helper()
	return NewService(unreachableStore{tb}, NewManualClock(sessionNow))
}

// assertError fails unless err has code and exactly hints, in any order.
func assertError(tb testing.TB, err error, code Code, hints ...string) {
	tb.Helper()
	if ErrorCode(err) != code {
		tb.Fatalf("err = %v, want %s", err, code)
	}
	got := slices.Clone(ErrorHints(err))
	slices.Sort(got)
	slices.Sort(hints)
	if !slices.Equal(got, hints) {
		tb.Errorf("hints = %v, want %v", got, hints)
	}
}

func TestConnectionTokenRequestRules(t *testing.T) {
	e := &Partner{ID: 1, OAuthTokenTTL: time.Hour, RefreshTokenTTL: time.Hour}
	key, refresh := NewSecret(PrivateKeyPrefix), NewSecret("")
	tests := []struct {
		name  string
		req   ConnectionTokenRequest
		hints []string
	}{
		{"an empty body names the private key mode's fields", ConnectionTokenRequest{},
			[]string{"device_id:required", "customer_id:required", "customer_private_key:required"}},
		{"private key mode without the key", ConnectionTokenRequest{CustomerID: "7", DeviceID: "phone"},
			[]string{"customer_private_key:required"}},
		{"private key mode without the customer", ConnectionTokenRequest{PrivateKey: key, DeviceID: "phone"},
			[]string{"customer_id:required"}},
		{"a customer_id that is not a positive integer", ConnectionTokenRequest{CustomerID: "0", PrivateKey: key, DeviceID: "phone"},
			[]string{"customer_id:invalid"}},
		{"a negative customer_id", ConnectionTokenRequest{CustomerID: "-7", PrivateKey: key, DeviceID: "phone"},
			[]string{"customer_id:invalid"}},
		{"a customer_id that is not a number", ConnectionTokenRequest{CustomerID: "7a", PrivateKey: key, DeviceID: "phone"},
			[]string{"customer_id:invalid"}},
		{"a client_state beyond 64 bits", ConnectionTokenRequest{CustomerID: "7", PrivateKey: key, DeviceID: "phone", ClientState: "9223372036854775808"},
			[]string{"client_state:invalid"}},
		{"a client_state with a fraction", ConnectionTokenRequest{CustomerID: "7", PrivateKey: key, DeviceID: "phone", ClientState: "1.5"},
			[]string{"client_state:invalid"}},
		{"a device_id over 128 characters", ConnectionTokenRequest{CustomerID: "7", PrivateKey: key, DeviceID: strings.Repeat("d", 129)},
			[]string{"device_id:invalid"}},
		{"a device_id with a control character", ConnectionTokenRequest{CustomerID: "7", PrivateKey: key, DeviceID: "pho\nne"},
			[]string{"device_id:invalid"}},
		{"a device_id of spaces is absent", ConnectionTokenRequest{CustomerID: "7", PrivateKey: key, DeviceID: "   "},
			[]string{"device_id:required"}},
		{"refresh token mode with a bad customer_id", ConnectionTokenRequest{CustomerID: "x", RefreshToken: refresh, DeviceID: "phone"},
			[]string{"customer_id:invalid"}},
		{"every failing field at once", ConnectionTokenRequest{CustomerID: "x", ClientState: "y"},
			[]string{"device_id:required", "customer_id:invalid", "client_state:invalid", "customer_private_key:required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := offlineService(t).ConnectionToken(context.Background(), e, tt.req, nil)
			assertError(t, err, EINVALID, tt.hints...)
		})
	}
}

func TestConnectionTokenRequestNormalizes(t *testing.T) {
	key := NewSecret(PrivateKeyPrefix)
	v, err := ConnectionTokenRequest{CustomerID: " 7 ", PrivateKey: " " + key + "\t", DeviceID: " phone ", ClientState: "-42"}.validate()
	if err != nil {
		t.Fatal(err)
	}
	if v.customerID != 7 || v.privateKey != key || v.deviceID != "phone" || v.clientState != -42 || v.refreshToken != "" {
		t.Errorf("validated = %+v", v)
	}
	v, err = ConnectionTokenRequest{RefreshToken: "r", DeviceID: "phone"}.validate()
	if err != nil || v.customerID != 0 || v.clientState != 0 {
		t.Errorf("refresh mode without customer_id or client_state = %+v, %v; want both 0", v, err)
	}
}

func TestRefreshTokenRequestRules(t *testing.T) {
	e := &Partner{ID: 1}
	tests := []struct {
		name  string
		req   RefreshTokenRequest
		hints []string
	}{
		{"an empty body", RefreshTokenRequest{}, []string{"customer_refresh_token:required", "device_id:required"}},
		{"no device", RefreshTokenRequest{RefreshToken: NewSecret("")}, []string{"device_id:required"}},
		{"a device_id that is not valid text", RefreshTokenRequest{RefreshToken: NewSecret(""), DeviceID: "\xff"}, []string{"device_id:invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := offlineService(t).RefreshOAuthToken(context.Background(), e, tt.req, nil)
			assertError(t, err, EINVALID, tt.hints...)
		})
	}
}

// Malformed credentials are answered from their shape alone: the offline store would fail
// the test if a transaction began.
func TestMalformedCredentialsAreAnsweredWithoutTheDatabase(t *testing.T) {
	ctx := context.Background()
	e := &Partner{ID: 1}
	hex := NewSecret("")
	malformed := map[string]string{
		"upper-case hex":    strings.ToUpper(hex),
		"63 characters":     hex[:63],
		"a prefix":          "sk_" + hex,
		"SQL":               "' OR 1=1 --",
		"a Bearer scheme":   "Bearer " + hex,
		"a non-ASCII digit": hex[:62] + "é",
	}
	for name, bad := range malformed {
		t.Run(name, func(t *testing.T) {
			s := offlineService(t)
			_, err := s.ConnectionToken(ctx, e, ConnectionTokenRequest{RefreshToken: bad, DeviceID: "phone"}, nil)
			assertError(t, err, EUNAUTHORIZED)
			_, err = s.RefreshOAuthToken(ctx, e, RefreshTokenRequest{RefreshToken: bad, DeviceID: "phone"}, nil)
			assertError(t, err, EUNAUTHORIZED)
			_, err = s.AuthenticateCustomer(ctx, bad)
			assertError(t, err, EUNAUTHORIZED)
			if _, err := s.RevokeToken(ctx, e, bad, nil); err != nil {
				t.Errorf("revoke: %v, want nothing to revoke", err)
			}
			if in, err := s.IntrospectToken(ctx, e, bad); err != nil || in.Active {
				t.Errorf("introspect: %+v, %v; want inactive", in, err)
			}
		})
	}
	t.Run("a private key without its prefix", func(t *testing.T) {
		_, err := offlineService(t).ConnectionToken(ctx, e, ConnectionTokenRequest{CustomerID: "7", PrivateKey: hex, DeviceID: "phone"}, nil)
		assertError(t, err, EUNAUTHORIZED)
	})
	t.Run("an e-commerce token as a private key", func(t *testing.T) {
		_, err := offlineService(t).ConnectionToken(ctx, e, ConnectionTokenRequest{CustomerID: "7", PrivateKey: NewSecret(PartnerTokenPrefix), DeviceID: "phone"}, nil)
		assertError(t, err, EUNAUTHORIZED)
	})
}

func TestRevokeAndIntrospectNeedAToken(t *testing.T) {
	ctx := context.Background()
	s := offlineService(t)
	_, err := s.RevokeToken(ctx, &Partner{ID: 1}, " ", nil)
	assertError(t, err, EINVALID, "token:required")
	_, err = s.IntrospectToken(ctx, &Partner{ID: 1}, "")
	assertError(t, err, EINVALID, "token:required")
}

func TestTokenActiveAt(t *testing.T) {
	expires := sessionNow.Add(time.Hour)
	tests := []struct {
		name string
		tok  Token
		at   time.Time
		want bool
	}{
		{"before expiry", Token{ExpiresAt: expires}, expires.Add(-time.Microsecond), true},
		{"at the expiry instant", Token{ExpiresAt: expires}, expires, false},
		{"after expiry", Token{ExpiresAt: expires}, expires.Add(time.Second), false},
		{"no expiry (a private key)", Token{}, sessionNow.AddDate(50, 0, 0), true},
		{"revoked before expiry", Token{ExpiresAt: expires, RevokedAt: sessionNow, RevokeReason: RevokeRevoked}, sessionNow, false},
		{"revoked without expiry", Token{RevokedAt: sessionNow}, sessionNow, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tok.ActiveAt(tt.at); got != tt.want {
				t.Errorf("ActiveAt = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMintToken(t *testing.T) {
	e := &Partner{ID: 3}
	tests := []struct {
		kind    TokenKind
		prefix  string
		ttl     time.Duration
		expires time.Time
	}{
		{TokenOAuth, "", 10 * time.Minute, sessionNow.Add(10 * time.Minute)},
		{TokenRefresh, "", 48 * time.Hour, sessionNow.Add(48 * time.Hour)},
		{TokenPrivateKey, PrivateKeyPrefix, 0, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			secret, row := mintToken(e, 9, tt.kind, "tablet", sessionNow, tt.ttl)
			if !IsSecretShape(secret, tt.prefix) {
				t.Errorf("secret %q has the wrong shape", secret)
			}
			if !secretMatches(secret, row.Hash) || strings.Contains(string(row.Hash), secret) {
				t.Error("the row does not hold the secret's hash, and only it")
			}
			if row.PartnerID != 3 || row.CustomerID != 9 || row.Kind != tt.kind || row.DeviceID != "tablet" ||
				!row.IssuedAt.Equal(sessionNow) || !row.ExpiresAt.Equal(tt.expires) || !row.RevokedAt.IsZero() {
				t.Errorf("row = %+v", row)
			}
		})
	}
}
