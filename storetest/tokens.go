package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/gen"
)

// testTokens is the customer token lifecycle of the contract's §4 on an engine.
func testTokens(t *testing.T, h Harness) {
	t.Run("AccountCreationTokensWorkAtOnce", func(t *testing.T) { testCreatedTokensWork(t, h) })
	t.Run("ConnectionTokenByPrivateKeyRevokesEveryEarlierToken", func(t *testing.T) { testConnectionByPrivateKey(t, h) })
	t.Run("ConnectionTokenByRefreshTokenRotatesIt", func(t *testing.T) { testConnectionByRefreshToken(t, h) })
	t.Run("ConnectionTokenWithBothCredentialsFollowsTheRefreshToken", func(t *testing.T) { testConnectionWithBothCredentials(t, h) })
	t.Run("RefreshRevokesOAuthTokensOnEveryDevice", func(t *testing.T) { testRefreshRevokesEveryDevice(t, h) })
	t.Run("LiveCredentialsAreOnePerKind", func(t *testing.T) { testOneLivePerKind(t, h) })
	t.Run("RefreshNeedsTheRegisteredDevice", func(t *testing.T) { testRefreshNeedsRegisteredDevice(t, h) })
	t.Run("ExpiryFollowsTheServiceClock", func(t *testing.T) { testExpiryFollowsClock(t, h) })
	t.Run("RotatedRefreshTokenPresentedAgainRevokesEveryToken", func(t *testing.T) { testReuseDetection(t, h) })
	t.Run("OnlyARotatedRefreshTokenIsAReuse", func(t *testing.T) { testNotAReuse(t, h) })
	t.Run("UnknownAndMalformedCredentialsAreUnauthorized", func(t *testing.T) { testUnknownCredentials(t, h) })
	t.Run("AnotherPartnersTokensAreUnknown", func(t *testing.T) { testTokensCrossPartner(t, h) })
	t.Run("RevokeFollowsRFC7009", func(t *testing.T) { testRevoke(t, h) })
	t.Run("IntrospectShowsOnlyActiveTokens", func(t *testing.T) { testIntrospect(t, h) })
	t.Run("ConcurrentRefreshesLeaveOneLiveOAuthToken", func(t *testing.T) { testConcurrentRefreshes(t, h) })
	t.Run("ConcurrentRotationsOfOneRefreshTokenHaveOneWinner", func(t *testing.T) { testConcurrentRotations(t, h) })
	t.Run("ConcurrentConnectionTokensLeaveOneSession", func(t *testing.T) { testConcurrentConnections(t, h) })
	t.Run("TokensAreStoredAsHashesOnly", func(t *testing.T) { testTokensHashedOnly(t, h) })
}

// Lifetimes of the partner tokenSetup registers, unlike the defaults so that the test shows
// they come from the partner's settings.
const (
	oauthTTL   = 10 * time.Minute
	refreshTTL = 48 * time.Hour
)

// session is a customer and the credentials it holds in clear.
type session struct {
	customerID int64
	device     string
	oauth      string
	refresh    string
	privateKey string
}

// tokenSetup returns a fixture with a partner (lifetimes oauthTTL and refreshTTL) and one of
// its customers, created on device "phone".
func tokenSetup(tb testing.TB, h Harness) (*Fixture, *saldo.Partner, session) {
	tb.Helper()
	f := NewFixture(tb, h)
	e := f.Partner(tb, saldo.NewPartner{Name: "tienda", OAuthTokenTTL: oauthTTL, RefreshTokenTTL: refreshTTL})
	return f, e, f.customer(tb, e, 1)
}

// customer creates partner e's customer number seq on device "phone".
func (f *Fixture) customer(tb testing.TB, e *saldo.Partner, seq uint64) session {
	tb.Helper()
	req := gen.Customer("", seq)
	req.DeviceID = "phone"
	out, err := f.Service.CreateCustomer(context.Background(), e, req, nil)
	if err != nil {
		tb.Fatalf("CreateCustomer: %v", err)
	}
	return session{customerID: out.Customer.ID, device: "phone", oauth: out.Tokens.OAuthToken,
		refresh: out.Tokens.RefreshToken, privateKey: out.Tokens.PrivateKey}
}

// byKey asks for a connection token in private key mode.
func (f *Fixture) byKey(tb testing.TB, e *saldo.Partner, s session, device string) session {
	tb.Helper()
	out, err := f.Service.ConnectionToken(context.Background(), e, saldo.ConnectionTokenRequest{
		CustomerID: strconv.FormatInt(s.customerID, 10), PrivateKey: s.privateKey, DeviceID: device}, nil)

	if err != nil {
		tb.Fatalf("ConnectionToken by private key: %v", err)
	}
	return session{customerID: s.customerID, device: device, oauth: out.OAuthToken, refresh: out.RefreshToken, privateKey: s.privateKey}
}

// byRefresh asks for a connection token in refresh token mode.
func (f *Fixture) byRefresh(tb testing.TB, e *saldo.Partner, s session, device string) session {
	tb.Helper()
	out, err := f.Service.ConnectionToken(context.Background(), e, saldo.ConnectionTokenRequest{RefreshToken: s.refresh, DeviceID: device}, nil)
	if err != nil {
		tb.Fatalf("ConnectionToken by refresh token: %v", err)
	}
	return session{customerID: s.customerID, device: device, oauth: out.OAuthToken, refresh: out.RefreshToken, privateKey: s.privateKey}
}

// refreshed asks refresh-customer-token for a new oauth token on s's device.
func (f *Fixture) refreshed(tb testing.TB, e *saldo.Partner, s session) session {
	tb.Helper()
	out, err := f.Service.RefreshOAuthToken(context.Background(), e, saldo.RefreshTokenRequest{RefreshToken: s.refresh, DeviceID: s.device}, nil)
	if err != nil {
		tb.Fatalf("RefreshOAuthToken: %v", err)
	}
	s.oauth = out.OAuthToken
	return s
}

// active reports whether partner e's introspection finds token active.
func (f *Fixture) active(tb testing.TB, e *saldo.Partner, token string) bool {
	tb.Helper()
	in, err := f.Service.IntrospectToken(context.Background(), e, token)
	if err != nil {
		tb.Fatalf("IntrospectToken: %v", err)
	}
	return in.Active
}

// wantUnauthorized fails tb unless err is EUNAUTHORIZED.
func wantUnauthorized(tb testing.TB, what string, err error) {
	tb.Helper()
	if saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
		tb.Errorf("%s: err = %v, want unauthorized", what, err)
	}
}

// tokenRow is a customer_tokens row as read from the table itself.
type tokenRow struct {
	id, customerID int64
	kind, device   string
	hash           []byte
	revoked        bool
	revokedAt      time.Time
	reason         string
}

// tokenRows reads customer_tokens raw: id, ecommerce_id, customer_id, kind, hash, device_id,
// issued_at, expires_at, revoked_at, revoke_reason, in the order of the migration.
func tokenRows(tb testing.TB, h Harness, f *Fixture) []tokenRow {
	tb.Helper()
	var out []tokenRow
	for _, r := range h.Rows(tb, f.Store, "customer_tokens") {
		if len(r) < 10 {
			tb.Fatalf("customer_tokens row has %d columns, want at least 10", len(r))
		}
		row := tokenRow{id: toInt64(tb, r[0]), customerID: toInt64(tb, r[2]), kind: fmt.Sprint(r[3]), device: fmt.Sprint(r[5]),
			revoked: r[8] != nil, reason: fmt.Sprint(r[9])}
		row.hash, _ = r[4].([]byte)
		if row.revoked {
			row.revokedAt = rawTime(tb, r[8])
		}
		out = append(out, row)
	}
	return out
}

// rowOf is the row of the clear secret, found by its hash.
func rowOf(tb testing.TB, h Harness, f *Fixture, secret string) tokenRow {
	tb.Helper()
	want := saldo.HashSecret(secret)
	for _, r := range tokenRows(tb, h, f) {
		if string(r.hash) == string(want) {
			return r
		}
	}
	tb.Fatalf("no customer_tokens row for a secret")
	return tokenRow{}
}

// liveKinds counts the customer's rows that are not revoked, by kind.
func liveKinds(tb testing.TB, h Harness, f *Fixture, customerID int64) map[string]int {
	tb.Helper()
	n := map[string]int{}
	for _, r := range tokenRows(tb, h, f) {
		if r.customerID == customerID && !r.revoked {
			n[r.kind]++
		}
	}
	return n
}

// rawTime reads an instant as either engine stores it: timestamptz or INTEGER microseconds.
func rawTime(tb testing.TB, v any) time.Time {
	tb.Helper()
	switch v := v.(type) {
	case time.Time:
		return v
	case int64:
		return time.UnixMicro(v)
	}
	tb.Fatalf("raw instant is %T", v)
	return time.Time{}
}

// reuseEvents returns the payloads of the token.reuse_detected events, decoded.
func reuseEvents(tb testing.TB, h Harness, f *Fixture) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, r := range h.Rows(tb, f.Store, "events") {
		if fmt.Sprint(r[2]) != saldo.EventTokenReuseDetected {
			continue
		}
		var payload map[string]any
		switch p := r[4].(type) {
		case map[string]any: // jsonb
			payload = p
		case string:
			if err := json.Unmarshal([]byte(p), &payload); err != nil {
				tb.Fatalf("event payload %q: %v", p, err)
			}
		default:
			tb.Fatalf("event payload is %T", r[4])
		}
		out = append(out, payload)
	}
	return out
}

func testCreatedTokensWork(t *testing.T, h Harness) {
	ctx := context.Background()
	f, e, s := tokenSetup(t, h)
	auth, err := f.Service.AuthenticateCustomer(ctx, s.oauth)
	if err != nil {
		t.Fatalf("the oauth token from account creation: %v", err)
	}
	if auth.CustomerID != s.customerID || auth.Partner.ID != e.ID || auth.DeviceID != "phone" {
		t.Errorf("authenticated as customer %d of partner %d on %q", auth.CustomerID, auth.Partner.ID, auth.DeviceID)
	}
	in, err := f.Service.IntrospectToken(ctx, e, s.oauth)
	if err != nil || !in.Active || in.Token.Kind != saldo.TokenOAuth || in.Token.CustomerID != s.customerID ||
		!in.Token.IssuedAt.Equal(Now) || !in.Token.ExpiresAt.Equal(Now.Add(oauthTTL)) {
		t.Errorf("introspect the oauth token = %+v, %v; want active, expiring after the partner's oauth lifetime", in, err)
	}
	in, err = f.Service.IntrospectToken(ctx, e, s.refresh)
	if err != nil || !in.Active || in.Token.Kind != saldo.TokenRefresh || !in.Token.ExpiresAt.Equal(Now.Add(refreshTTL)) {
		t.Errorf("introspect the refresh token = %+v, %v; want active, expiring after the partner's refresh lifetime", in, err)
	}
	f.refreshed(t, e, s)
}

func testConnectionByPrivateKey(t *testing.T, h Harness) {
	ctx := context.Background()
	f, e, s := tokenSetup(t, h)
	f.Clock.Advance(time.Minute)
	out, err := f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{
		CustomerID: strconv.FormatInt(s.customerID, 10), PrivateKey: s.privateKey, DeviceID: "tablet", ClientState: "42"}, nil)

	if err != nil {
		t.Fatal(err)
	}
	issued := Now.Add(time.Minute)
	if out.ClientState != 42 || out.CustomerID != s.customerID || out.DeviceID != "tablet" ||
		!out.OAuthExpiresAt.Equal(issued.Add(oauthTTL)) || !out.RefreshExpiresAt.Equal(issued.Add(refreshTTL)) {
		t.Errorf("connection token = client state %d, customer %d, device %q, expiries %v %v",
			out.ClientState, out.CustomerID, out.DeviceID, out.OAuthExpiresAt, out.RefreshExpiresAt)
	}
	for _, old := range []string{s.oauth, s.refresh} {
		if r := rowOf(t, h, f, old); !r.revoked || r.reason != saldo.RevokeSuperseded || !r.revokedAt.Equal(issued) {
			t.Errorf("earlier %s token: revoked %v at %v for %q; want superseded at %v", r.kind, r.revoked, r.revokedAt, r.reason, issued)
		}
	}
	for _, fresh := range []string{out.OAuthToken, out.RefreshToken} {
		if r := rowOf(t, h, f, fresh); r.revoked || r.device != "tablet" {
			t.Errorf("new %s token: revoked %v, device %q; want live on tablet", r.kind, r.revoked, r.device)
		}
	}
	if auth, err := f.Service.AuthenticateCustomer(ctx, out.OAuthToken); err != nil || auth.CustomerID != s.customerID {
		t.Errorf("new oauth token: %v, %v", auth, err)
	}
	wantUnauthorized(t, "the earlier oauth token", func() error { _, err := f.Service.AuthenticateCustomer(ctx, s.oauth); return err }())

	// The private key lives on: it connects the customer again, and a connection without a
	// client_state echoes 0.
	again, err := f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{
		CustomerID: strconv.FormatInt(s.customerID, 10), PrivateKey: s.privateKey, DeviceID: "tablet"}, nil)

	if err != nil || again.ClientState != 0 {
		t.Fatalf("second connection by private key: %+v, %v", again, err)
	}
	if got := liveKinds(t, h, f, s.customerID); got["oauth"] != 1 || got["refresh"] != 1 || got["private_key"] != 1 {
		t.Errorf("live tokens by kind = %v, want one of each", got)
	}
}

func testConnectionByRefreshToken(t *testing.T, h Harness) {
	f, e, s := tokenSetup(t, h)
	next := f.byRefresh(t, e, s, "laptop")
	if r := rowOf(t, h, f, s.refresh); !r.revoked || r.reason != saldo.RevokeRotated {
		t.Errorf("presented refresh token: revoked %v for %q, want rotated", r.revoked, r.reason)
	}
	if r := rowOf(t, h, f, s.oauth); !r.revoked || r.reason != saldo.RevokeSuperseded {
		t.Errorf("earlier oauth token: revoked %v for %q, want superseded", r.revoked, r.reason)
	}
	for _, tok := range []string{next.oauth, next.refresh} {
		if r := rowOf(t, h, f, tok); r.revoked || r.device != "laptop" {
			t.Errorf("new %s token: revoked %v, device %q; want live on laptop", r.kind, r.revoked, r.device)
		}
	}
	// The new refresh token works for its device.
	f.refreshed(t, e, next)
}

// Real clients send customer_id, customer_private_key and customer_refresh_token together: the
// refresh token decides, whatever the private key says, and a bad one never falls back to it.
func testConnectionWithBothCredentials(t *testing.T, h Harness) {
	f, e, s := tokenSetup(t, h)
	ctx := context.Background()
	other := f.customer(t, e, 2)
	for _, tt := range []struct {
		name       string
		privateKey string
	}{
		{"its own private key", s.privateKey},
		{"another customer's private key", other.privateKey},
		{"a malformed private key", "sk_nope"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{
				CustomerID: strconv.FormatInt(s.customerID, 10), PrivateKey: tt.privateKey, RefreshToken: s.refresh, DeviceID: "phone",
			}, nil)
			if err != nil {
				t.Fatalf("ConnectionToken: %v", err)
			}
			if out.CustomerID != s.customerID {
				t.Errorf("customer %d, want %d", out.CustomerID, s.customerID)
			}
			if r := rowOf(t, h, f, s.refresh); !r.revoked || r.reason != saldo.RevokeRotated {
				t.Errorf("presented refresh token: revoked %v for %q, want rotated", r.revoked, r.reason)
			}
			s.refresh = out.RefreshToken
		})
	}
	// A refresh token that is not live is refused even with a good private key.
	_, err := f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{
		CustomerID: strconv.FormatInt(s.customerID, 10), PrivateKey: s.privateKey, RefreshToken: saldo.NewSecret(""), DeviceID: "phone",
	}, nil)
	wantUnauthorized(t, "unknown refresh token beside a good private key", err)
}

func testRefreshRevokesEveryDevice(t *testing.T, h Harness) {
	ctx := context.Background()
	f, e, s := tokenSetup(t, h)
	// The customer's oauth token is on the tablet, its refresh token too; a refresh for the
	// tablet revokes the earlier token. That no oauth token of another device is left live is
	// the schema's to keep: see LiveCredentialsAreOnePerKind.
	s = f.byKey(t, e, s, "tablet")
	f.Clock.Advance(time.Second)
	next := f.refreshed(t, e, s)
	if r := rowOf(t, h, f, s.oauth); !r.revoked || r.reason != saldo.RevokeSuperseded || !r.revokedAt.Equal(Now.Add(time.Second)) {
		t.Errorf("earlier oauth token: revoked %v at %v for %q, want superseded by the refresh", r.revoked, r.revokedAt, r.reason)
	}
	if r := rowOf(t, h, f, next.oauth); r.revoked || r.device != "tablet" {
		t.Errorf("new oauth token: revoked %v on %q, want live on tablet", r.revoked, r.device)
	}
	if r := rowOf(t, h, f, s.refresh); r.revoked {
		t.Errorf("the refresh token was revoked (%q) by a refresh", r.reason)
	}
	if got := liveKinds(t, h, f, s.customerID); got["oauth"] != 1 || got["refresh"] != 1 {
		t.Errorf("live tokens by kind = %v, want one oauth and one refresh token", got)
	}
	in, err := f.Service.IntrospectToken(ctx, e, next.oauth)
	if err != nil || !in.Token.ExpiresAt.Equal(Now.Add(time.Second+oauthTTL)) {
		t.Errorf("new oauth token expires %v (%v), want the partner's lifetime from the refresh", in.Token.ExpiresAt, err)
	}
}

func testOneLivePerKind(t *testing.T, h Harness) {
	ctx := context.Background()
	f, e, s := tokenSetup(t, h)
	other := f.customer(t, e, 2)
	insert := func(customerID int64, kind saldo.TokenKind) error {
		return f.Store.Update(ctx, func(tx saldo.Tx) error {
			return tx.InsertTokens(ctx, []saldo.Token{{PartnerID: e.ID, CustomerID: customerID, Kind: kind,
				Hash: saldo.HashSecret(saldo.NewSecret("")), DeviceID: "watch", IssuedAt: Now, ExpiresAt: Now.Add(time.Hour)}})
		})
	}
	// Whatever a transaction does, a customer cannot hold two live sessions.
	for _, kind := range []saldo.TokenKind{saldo.TokenOAuth, saldo.TokenRefresh, saldo.TokenPrivateKey} {
		if err := insert(s.customerID, kind); !errors.Is(err, saldo.ErrDuplicate) {
			t.Errorf("a second live %s token: err = %v, want the unique index's refusal", kind, err)
		}
	}
	// Revoked rows do not count, and other customers are apart.
	err := f.Store.Update(ctx, func(tx saldo.Tx) error {
		_, err := tx.RevokeCustomerTokens(ctx, e.ID, s.customerID, []saldo.TokenKind{saldo.TokenOAuth}, Now, saldo.RevokeRevoked)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := insert(s.customerID, saldo.TokenOAuth); err != nil {
		t.Errorf("a live oauth token after the earlier one was revoked: %v", err)
	}
	if !f.active(t, e, other.oauth) {
		t.Error("revoking one customer's tokens revoked another's")
	}
}

func testRefreshNeedsRegisteredDevice(t *testing.T, h Harness) {
	ctx := context.Background()
	f, e, s := tokenSetup(t, h)
	_, err := f.Service.RefreshOAuthToken(ctx, e, saldo.RefreshTokenRequest{RefreshToken: s.refresh, DeviceID: "stranger"}, nil)
	wantUnauthorized(t, "refresh for a device not registered under the token", err)
	if hints := saldo.ErrorHints(err); !slices.Equal(hints, []string{"device_id:not_registered"}) {
		t.Errorf("hints = %v, want device_id:not_registered", hints)
	}
	if !f.active(t, e, s.oauth) || !f.active(t, e, s.refresh) {
		t.Error("a refused refresh revoked tokens")
	}
}

func testExpiryFollowsClock(t *testing.T, h Harness) {
	ctx := context.Background()
	f, e, s := tokenSetup(t, h)
	authErr := func(token string) error { _, err := f.Service.AuthenticateCustomer(ctx, token); return err }

	f.Clock.Advance(oauthTTL - time.Second)
	if err := authErr(s.oauth); err != nil || !f.active(t, e, s.oauth) {
		t.Errorf("oauth token a second before expiry: %v", err)
	}
	f.Clock.Advance(time.Second)
	wantUnauthorized(t, "oauth token at its expiry", authErr(s.oauth))
	if f.active(t, e, s.oauth) {
		t.Error("introspect: oauth token active at its expiry")
	}
	// The refresh token outlives it and gets a new one.
	s = f.refreshed(t, e, s)
	if err := authErr(s.oauth); err != nil {
		t.Errorf("refreshed oauth token: %v", err)
	}

	f.Clock.Set(Now.Add(refreshTTL))
	_, err := f.Service.RefreshOAuthToken(ctx, e, saldo.RefreshTokenRequest{RefreshToken: s.refresh, DeviceID: s.device}, nil)
	wantUnauthorized(t, "refresh with an expired refresh token", err)
	_, err = f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{RefreshToken: s.refresh, DeviceID: s.device}, nil)
	wantUnauthorized(t, "connection token with an expired refresh token", err)
	if n := len(reuseEvents(t, h, f)); n != 0 {
		t.Errorf("an expired refresh token counted as a reuse (%d events)", n)
	}
	// The private key does not expire.
	f.byKey(t, e, s, "phone")
}

func testReuseDetection(t *testing.T, h Harness) {
	ctx := context.Background()
	routes := []struct {
		name    string
		present func(f *Fixture, e *saldo.Partner, stale session) error
	}{
		{"to get-customer-connection-token", func(f *Fixture, e *saldo.Partner, stale session) error {
			_, err := f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{RefreshToken: stale.refresh, DeviceID: stale.device}, nil)
			return err
		}},
		{"to refresh-customer-token", func(f *Fixture, e *saldo.Partner, stale session) error {
			_, err := f.Service.RefreshOAuthToken(ctx, e, saldo.RefreshTokenRequest{RefreshToken: stale.refresh, DeviceID: stale.device}, nil)
			return err
		}},
	}
	for _, route := range routes {
		t.Run(route.name, func(t *testing.T) {
			f, e, stale := tokenSetup(t, h)
			bystander := f.customer(t, e, 2)
			f.Clock.Advance(time.Minute)
			rotatedAt := f.Clock.Now()
			current := f.byRefresh(t, e, stale, "phone")
			current = f.refreshed(t, e, current)

			f.Clock.Advance(time.Minute)
			wantUnauthorized(t, "the rotated refresh token presented again", route.present(f, e, stale))

			for _, tok := range []string{current.oauth, current.refresh} {
				if r := rowOf(t, h, f, tok); !r.revoked || r.reason != saldo.RevokeReuseDetected {
					t.Errorf("current %s token: revoked %v for %q, want reuse_detected", r.kind, r.revoked, r.reason)
				}
			}
			// The tombstone keeps its own story.
			if r := rowOf(t, h, f, stale.refresh); !r.revoked || r.reason != saldo.RevokeRotated || !r.revokedAt.Equal(rotatedAt) {
				t.Errorf("tombstone: revoked %v at %v for %q, want rotated at %v", r.revoked, r.revokedAt, r.reason, rotatedAt)
			}
			if got := liveKinds(t, h, f, stale.customerID); got["oauth"] != 0 || got["refresh"] != 0 || got["private_key"] != 1 {
				t.Errorf("live tokens by kind after reuse = %v, want only the private key", got)
			}
			if !f.active(t, e, bystander.oauth) || !f.active(t, e, bystander.refresh) {
				t.Error("another customer's tokens were revoked")
			}

			events := reuseEvents(t, h, f)
			if len(events) != 1 {
				t.Fatalf("%d token.reuse_detected events, want 1", len(events))
			}
			ev := events[0]
			revokedIDs, _ := ev["revoked_token_ids"].([]any)
			if ev["customer_id"] != float64(stale.customerID) || ev["token_id"] != float64(rowOf(t, h, f, stale.refresh).id) ||
				len(revokedIDs) != 2 || len(ev) != 3 {
				t.Errorf("event payload = %v, want customer_id, token_id and the two revoked ids", ev)
			}
			if payload := fmt.Sprint(ev); strings.Contains(payload, stale.refresh) || strings.Contains(payload, current.refresh) {
				t.Error("event payload holds a token")
			}

			// The partner reconnects the customer with the private key.
			f.byKey(t, e, stale, "phone")
		})
	}
}

func testNotAReuse(t *testing.T, h Harness) {
	ctx := context.Background()
	tests := []struct {
		name   string
		reason string
		revoke func(tb testing.TB, f *Fixture, e *saldo.Partner, s session) session // returns the session that follows
	}{
		{"superseded by a connection token by private key", saldo.RevokeSuperseded, func(tb testing.TB, f *Fixture, e *saldo.Partner, s session) session {
			return f.byKey(tb, e, s, "phone")
		}},
		{"revoked by the partner", saldo.RevokeRevoked, func(tb testing.TB, f *Fixture, e *saldo.Partner, s session) session {
			if _, err := f.Service.RevokeToken(ctx, e, s.refresh, nil); err != nil {
				tb.Fatal(err)
			}
			return f.byKey(tb, e, s, "phone")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, e, old := tokenSetup(t, h)
			next := tt.revoke(t, f, e, old)
			if r := rowOf(t, h, f, old.refresh); r.reason != tt.reason {
				t.Fatalf("old refresh token revoked for %q, want %q", r.reason, tt.reason)
			}
			_, err := f.Service.RefreshOAuthToken(ctx, e, saldo.RefreshTokenRequest{RefreshToken: old.refresh, DeviceID: old.device}, nil)
			wantUnauthorized(t, "refresh with the old refresh token", err)
			_, err = f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{RefreshToken: old.refresh, DeviceID: old.device}, nil)
			wantUnauthorized(t, "connection token with the old refresh token", err)
			if n := len(reuseEvents(t, h, f)); n != 0 {
				t.Errorf("%d reuse events, want none", n)
			}
			if !f.active(t, e, next.oauth) || !f.active(t, e, next.refresh) {
				t.Error("the current tokens were revoked")
			}
		})
	}
}

func testUnknownCredentials(t *testing.T, h Harness) {
	ctx := context.Background()
	f, e, s := tokenSetup(t, h)
	id := strconv.FormatInt(s.customerID, 10)
	tests := []struct {
		name string
		call func() error
	}{
		{"unknown refresh token", func() error {
			_, err := f.Service.RefreshOAuthToken(ctx, e, saldo.RefreshTokenRequest{RefreshToken: saldo.NewSecret(""), DeviceID: "phone"}, nil)
			return err
		}},
		{"malformed refresh token", func() error {
			_, err := f.Service.RefreshOAuthToken(ctx, e, saldo.RefreshTokenRequest{RefreshToken: strings.ToUpper(s.refresh), DeviceID: "phone"}, nil)
			return err
		}},
		{"oauth token as a refresh token", func() error {
			_, err := f.Service.RefreshOAuthToken(ctx, e, saldo.RefreshTokenRequest{RefreshToken: s.oauth, DeviceID: "phone"}, nil)
			return err
		}},
		{"oauth token as a connection's refresh token", func() error {
			_, err := f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{RefreshToken: s.oauth, DeviceID: "phone"}, nil)
			return err
		}},
		{"refresh token of the customer with another customer_id", func() error {
			_, err := f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{CustomerID: strconv.FormatInt(s.customerID+1, 10), RefreshToken: s.refresh, DeviceID: "phone"}, nil)
			return err
		}},
		{"unknown private key", func() error {
			_, err := f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{CustomerID: id, PrivateKey: saldo.NewSecret(saldo.PrivateKeyPrefix), DeviceID: "phone"}, nil)
			return err
		}},
		{"private key without its prefix", func() error {
			_, err := f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{CustomerID: id, PrivateKey: strings.TrimPrefix(s.privateKey, "sk_"), DeviceID: "phone"}, nil)
			return err
		}},
		{"private key with another customer's id", func() error {
			_, err := f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{CustomerID: strconv.FormatInt(s.customerID+1, 10), PrivateKey: s.privateKey, DeviceID: "phone"}, nil)
			return err
		}},
		{"refresh token as an Authorization-customer token", func() error {
			_, err := f.Service.AuthenticateCustomer(ctx, s.refresh)
			return err
		}},
		{"private key as an Authorization-customer token", func() error {
			_, err := f.Service.AuthenticateCustomer(ctx, s.privateKey)
			return err
		}},
		{"malformed Authorization-customer token", func() error {
			_, err := f.Service.AuthenticateCustomer(ctx, s.oauth+" ")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantUnauthorized(t, tt.name, tt.call()) })
	}
	for _, tok := range []string{s.oauth, s.refresh} {
		if !f.active(t, e, tok) {
			t.Error("a refused call revoked a token")
		}
	}
}

func testTokensCrossPartner(t *testing.T, h Harness) {
	ctx := context.Background()
	f, a, s := tokenSetup(t, h)
	b := f.Partner(t, saldo.NewPartner{Name: "otra"})
	// A rotated token of a's, so that b could trigger a reuse detection if it counted.
	current := f.byRefresh(t, a, s, "phone")

	_, err := f.Service.RefreshOAuthToken(ctx, b, saldo.RefreshTokenRequest{RefreshToken: current.refresh, DeviceID: "phone"}, nil)
	wantUnauthorized(t, "b refreshing with a's refresh token", err)
	_, err = f.Service.ConnectionToken(ctx, b, saldo.ConnectionTokenRequest{RefreshToken: s.refresh, DeviceID: "phone"}, nil)
	wantUnauthorized(t, "b presenting a's rotated refresh token", err)
	_, err = f.Service.ConnectionToken(ctx, b, saldo.ConnectionTokenRequest{CustomerID: strconv.FormatInt(s.customerID, 10), PrivateKey: s.privateKey, DeviceID: "phone"}, nil)
	wantUnauthorized(t, "b presenting a's customer's private key", err)
	if f.active(t, b, current.oauth) || f.active(t, b, current.refresh) {
		t.Error("b's introspection finds a's tokens active")
	}
	if _, err := f.Service.RevokeToken(ctx, b, current.refresh, nil); err != nil {
		t.Errorf("b revoking a's token: %v, want no error", err)
	}
	if !f.active(t, a, current.oauth) || !f.active(t, a, current.refresh) {
		t.Error("b revoked a's tokens")
	}
	if n := len(reuseEvents(t, h, f)); n != 0 {
		t.Errorf("b triggered %d reuse detections on a's customer", n)
	}
}

func testRevoke(t *testing.T, h Harness) {
	ctx := context.Background()
	t.Run("an oauth token alone", func(t *testing.T) {
		f, e, s := tokenSetup(t, h)
		if _, err := f.Service.RevokeToken(ctx, e, s.oauth, nil); err != nil {
			t.Fatal(err)
		}
		if r := rowOf(t, h, f, s.oauth); !r.revoked || r.reason != saldo.RevokeRevoked {
			t.Errorf("oauth token: revoked %v for %q, want revoked", r.revoked, r.reason)
		}
		if !f.active(t, e, s.refresh) {
			t.Error("revoking the oauth token revoked the refresh token")
		}
		f.refreshed(t, e, s)
	})
	t.Run("a refresh token and the oauth tokens issued under it", func(t *testing.T) {
		f, e, s := tokenSetup(t, h)
		if _, err := f.Service.RevokeToken(ctx, e, s.refresh, nil); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{s.refresh, s.oauth} {
			if r := rowOf(t, h, f, tok); !r.revoked || r.reason != saldo.RevokeRevoked {
				t.Errorf("%s token: revoked %v for %q, want revoked", r.kind, r.revoked, r.reason)
			}
		}
	})
	t.Run("what cannot be revoked is no error", func(t *testing.T) {
		f, e, s := tokenSetup(t, h)
		for name, tok := range map[string]string{
			"unknown": saldo.NewSecret(""), "malformed": "not a token", "a private key": s.privateKey,
		} {
			if _, err := f.Service.RevokeToken(ctx, e, tok, nil); err != nil {
				t.Errorf("revoke %s: %v", name, err)
			}
		}
		if _, err := f.Service.RevokeToken(ctx, e, s.oauth, nil); err != nil {
			t.Fatal(err)
		}
		f.Clock.Advance(time.Minute)
		if _, err := f.Service.RevokeToken(ctx, e, s.oauth, nil); err != nil {
			t.Errorf("revoke twice: %v", err)
		}
		if r := rowOf(t, h, f, s.oauth); !r.revokedAt.Equal(Now) {
			t.Errorf("a second revocation moved revoked_at to %v", r.revokedAt)
		}
		if got := liveKinds(t, h, f, s.customerID); got["private_key"] != 1 || got["refresh"] != 1 {
			t.Errorf("live tokens = %v, want the private key and the refresh token", got)
		}
		if _, err := f.Service.RevokeToken(ctx, e, "", nil); saldo.ErrorCode(err) != saldo.EINVALID || !slices.Equal(saldo.ErrorHints(err), []string{"token:required"}) {
			t.Errorf("revoke without a token: %v, want invalid token:required", err)
		}
	})
}

func testIntrospect(t *testing.T, h Harness) {
	ctx := context.Background()
	f, e, s := tokenSetup(t, h)
	revoked := f.customer(t, e, 2)
	if _, err := f.Service.RevokeToken(ctx, e, revoked.oauth, nil); err != nil {
		t.Fatal(err)
	}
	in, err := f.Service.IntrospectToken(ctx, e, s.oauth)
	if err != nil {
		t.Fatal(err)
	}
	want := saldo.Token{PartnerID: e.ID, CustomerID: s.customerID, Kind: saldo.TokenOAuth, DeviceID: "phone", IssuedAt: Now, ExpiresAt: Now.Add(oauthTTL)}
	got := in.Token
	if !in.Active || got.PartnerID != want.PartnerID || got.CustomerID != want.CustomerID || got.Kind != want.Kind ||
		got.DeviceID != want.DeviceID || !got.IssuedAt.Equal(want.IssuedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("introspect = %+v, want active %+v", in, want)
	}
	for name, tok := range map[string]string{
		"a revoked token": revoked.oauth, "a private key": s.privateKey, "an unknown token": saldo.NewSecret(""), "a malformed token": "x",
	} {
		if f.active(t, e, tok) {
			t.Errorf("%s is active", name)
		}
	}
	if _, err := f.Service.IntrospectToken(ctx, e, " "); saldo.ErrorCode(err) != saldo.EINVALID {
		t.Errorf("introspect without a token: %v, want invalid", err)
	}
}

// concurrency is how many calls race in the concurrent tests.
const concurrency = 12

// race runs call concurrency times at once and returns how many succeeded; every other
// outcome must be EUNAUTHORIZED.
func race(tb testing.TB, call func(i int) error) (wins int) {
	tb.Helper()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		start  = make(chan struct{})
		others []error
	)
	for i := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := call(i)
			mu.Lock()
			defer mu.Unlock()
			switch saldo.ErrorCode(err) {
			case "":
				wins++
			case saldo.EUNAUTHORIZED:
			default:
				others = append(others, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(others) > 0 {
		tb.Errorf("calls failed with errors other than unauthorized: %v", others)
	}
	return wins
}

func testConcurrentRefreshes(t *testing.T, h Harness) {
	ctx := context.Background()
	f, e, s := tokenSetup(t, h)
	var (
		mu     sync.Mutex
		issued []string
	)
	wins := race(t, func(int) error {
		out, err := f.Service.RefreshOAuthToken(ctx, e, saldo.RefreshTokenRequest{RefreshToken: s.refresh, DeviceID: s.device}, nil)
		if err == nil {
			mu.Lock()
			issued = append(issued, out.OAuthToken)
			mu.Unlock()
		}
		return err
	})
	// A refresh does not consume its refresh token, so each one succeeds in turn and revokes
	// the oauth token the one before issued.
	if wins != concurrency {
		t.Errorf("%d of %d refreshes succeeded, want all", wins, concurrency)
	}
	live := 0
	for _, tok := range issued {
		if f.active(t, e, tok) {
			live++
		}
	}
	if got := liveKinds(t, h, f, s.customerID); live != 1 || got["oauth"] != 1 || got["refresh"] != 1 {
		t.Errorf("%d issued oauth tokens active, live rows by kind %v; want exactly one oauth token", live, got)
	}
}

func testConcurrentRotations(t *testing.T, h Harness) {
	ctx := context.Background()
	f, e, s := tokenSetup(t, h)
	wins := race(t, func(int) error {
		_, err := f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{RefreshToken: s.refresh, DeviceID: s.device}, nil)
		return err
	})
	// One call rotates the token; every later one presents a rotated token, which is a reuse:
	// it revokes what the winner was issued.
	if wins != 1 {
		t.Errorf("%d of %d rotations of one refresh token succeeded, want exactly 1", wins, concurrency)
	}
	if got := liveKinds(t, h, f, s.customerID); got["oauth"] != 0 || got["refresh"] != 0 {
		t.Errorf("live tokens by kind = %v, want no oauth or refresh token after the reuses", got)
	}
	if n := len(reuseEvents(t, h, f)); n != concurrency-1 {
		t.Errorf("%d reuse events, want %d", n, concurrency-1)
	}
	rotated := 0
	for _, r := range tokenRows(t, h, f) {
		if r.reason == saldo.RevokeRotated {
			rotated++
		}
	}
	if rotated != 1 {
		t.Errorf("%d tokens revoked as rotated, want 1", rotated)
	}
}

func testConcurrentConnections(t *testing.T, h Harness) {
	ctx := context.Background()
	f, e, s := tokenSetup(t, h)
	wins := race(t, func(i int) error {
		_, err := f.Service.ConnectionToken(ctx, e, saldo.ConnectionTokenRequest{
			CustomerID: strconv.FormatInt(s.customerID, 10), PrivateKey: s.privateKey, DeviceID: fmt.Sprintf("device-%d", i)}, nil)

		return err
	})
	if wins != concurrency {
		t.Errorf("%d of %d connections by private key succeeded, want all", wins, concurrency)
	}
	got := liveKinds(t, h, f, s.customerID)
	if got["oauth"] != 1 || got["refresh"] != 1 {
		t.Errorf("live tokens by kind = %v, want exactly one refresh and one oauth token", got)
	}
	// And they are one session: both on the device of the last connection.
	devices := map[string]bool{}
	for _, r := range tokenRows(t, h, f) {
		if !r.revoked && r.kind != "private_key" {
			devices[r.device] = true
		}
	}
	if len(devices) != 1 {
		t.Errorf("live tokens on devices %v, want one", devices)
	}
}

func testTokensHashedOnly(t *testing.T, h Harness) {
	ctx := context.Background()
	f, e, s := tokenSetup(t, h)
	secrets := []string{s.oauth, s.refresh, s.privateKey}
	next := f.byKey(t, e, s, "tablet")
	secrets = append(secrets, next.oauth, next.refresh)
	rotated := f.byRefresh(t, e, next, "tablet")
	secrets = append(secrets, rotated.oauth, rotated.refresh)
	refreshed := f.refreshed(t, e, rotated)
	secrets = append(secrets, refreshed.oauth)
	// A reuse writes an event too.
	_, err := f.Service.RefreshOAuthToken(ctx, e, saldo.RefreshTokenRequest{RefreshToken: next.refresh, DeviceID: "tablet"}, nil)
	wantUnauthorized(t, "reuse", err)

	for _, table := range append([]string{"ecommerces"}, Tables...) {
		dump := dumpRows(h.Rows(t, f.Store, table))
		for _, secret := range secrets {
			if strings.Contains(dump, secret) || strings.Contains(dump, strings.TrimPrefix(secret, saldo.PrivateKeyPrefix)) {
				t.Errorf("table %s holds a token in clear", table)
			}
		}
	}
	if n := len(tokenRows(t, h, f)); n != 8 {
		t.Errorf("customer_tokens has %d rows, want 8 (every token issued, revoked ones kept)", n)
	}
}
