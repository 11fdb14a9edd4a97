package saldo

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// assertLowerHex fails unless s is exactly n lowercase hex characters.
func assertLowerHex(t testing.TB, s string, n int) {
	t.Helper()
	if len(s) != n {
		t.Errorf("%q has %d characters, want %d", s, len(s), n)
	}
	if strings.Trim(s, "0123456789abcdef") != "" {
		t.Errorf("%q is not lowercase hex", s)
	}
}

func TestNewSecretShape(t *testing.T) {
	for _, prefix := range []string{PartnerTokenPrefix, PrivateKeyPrefix, ""} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			s := NewSecret(prefix)
			if !strings.HasPrefix(s, prefix) {
				t.Fatalf("NewSecret(%q) = %q: prefix missing", prefix, s)
			}
			assertLowerHex(t, s[len(prefix):], 64)
			if !IsSecretShape(s, prefix) {
				t.Errorf("IsSecretShape(NewSecret(%q), %q) = false", prefix, prefix)
			}
		})
	}
}

func TestNewSecretValuesAreDistinct(t *testing.T) {
	const n = 1000
	seen := make(map[string]bool, n)
	for range n {
		s := NewSecret(PartnerTokenPrefix)
		if seen[s] {
			t.Fatalf("NewSecret repeated %q within %d calls", s, n)
		}
		seen[s] = true
	}
}

func TestIsSecretShape(t *testing.T) {
	const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name   string
		s      string
		prefix string
		want   bool
	}{
		{"e-commerce token", "ek_" + hex64, PartnerTokenPrefix, true},
		{"private key", "sk_" + hex64, PrivateKeyPrefix, true},
		{"oauth or refresh token without a prefix", hex64, "", true},
		{"63 hex characters", "ek_" + hex64[:63], PartnerTokenPrefix, false},
		{"65 hex characters", "ek_" + hex64 + "0", PartnerTokenPrefix, false},
		{"upper-case hex", "ek_" + strings.ToUpper(hex64), PartnerTokenPrefix, false},
		{"one upper-case hex digit", "ek_" + hex64[:63] + "F", PartnerTokenPrefix, false},
		{"letter beyond f", "ek_" + hex64[:63] + "g", PartnerTokenPrefix, false},
		{"private key where an e-commerce token is expected", "sk_" + hex64, PartnerTokenPrefix, false},
		{"e-commerce token where a private key is expected", "ek_" + hex64, PrivateKeyPrefix, false},
		{"upper-case prefix", "EK_" + hex64, PartnerTokenPrefix, false},
		{"prefix missing", hex64, PartnerTokenPrefix, false},
		{"prefix where none is expected", "ek_" + hex64, "", false},
		{"prefix alone", "ek_", PartnerTokenPrefix, false},
		{"empty string", "", PartnerTokenPrefix, false},
		{"trailing space", "ek_" + hex64[:63] + " ", PartnerTokenPrefix, false},
		{"Bearer scheme in front", "Bearer ek_" + hex64, PartnerTokenPrefix, false},
		{"multi-byte character in place of a digit", "ek_" + hex64[:62] + "é", PartnerTokenPrefix, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsSecretShape(tc.s, tc.prefix); got != tc.want {
				t.Errorf("IsSecretShape(%q, %q) = %v, want %v", tc.s, tc.prefix, got, tc.want)
			}
		})
	}
}

func TestHashSecret(t *testing.T) {
	a, b := NewSecret(PartnerTokenPrefix), NewSecret(PartnerTokenPrefix)
	ha := HashSecret(a)

	t.Run("a 256-bit digest", func(t *testing.T) {
		if len(ha) != 32 {
			t.Errorf("hash has %d bytes, want 32", len(ha))
		}
	})
	t.Run("deterministic, so a presented secret can be looked up", func(t *testing.T) {
		if !bytes.Equal(ha, HashSecret(a)) {
			t.Error("two hashes of the same secret differ")
		}
	})
	t.Run("different secrets hash differently", func(t *testing.T) {
		if bytes.Equal(ha, HashSecret(b)) {
			t.Error("two different secrets share a hash")
		}
	})
	t.Run("the hash does not contain the secret", func(t *testing.T) {
		if bytes.Contains(ha, []byte(a)) || bytes.Contains(ha, []byte(a[len(PartnerTokenPrefix):])) {
			t.Error("hash holds the secret in clear")
		}
	})
	t.Run("the prefix is part of what is hashed", func(t *testing.T) {
		if bytes.Equal(HashSecret(a), HashSecret(a[len(PartnerTokenPrefix):])) {
			t.Error("ek_X and X share a hash")
		}
	})
}

func TestSecretMatches(t *testing.T) {
	secret, other := NewSecret(PrivateKeyPrefix), NewSecret(PrivateKeyPrefix)
	hash := HashSecret(secret)
	flipped := bytes.Clone(hash)
	flipped[len(flipped)-1] ^= 1
	for _, tc := range []struct {
		name   string
		secret string
		hash   []byte
		want   bool
	}{
		{"the secret against its own hash", secret, hash, true},
		{"another secret", other, hash, false},
		{"the secret with its last character changed", secret[:len(secret)-1] + string(secret[len(secret)-1]^1), hash, false},
		{"the secret upper-cased", strings.ToUpper(secret), hash, false},
		{"the secret without its prefix", secret[len(PrivateKeyPrefix):], hash, false},
		{"a hash with one bit flipped", secret, flipped, false},
		{"a truncated hash", secret, hash[:16], false},
		{"an empty hash", secret, nil, false},
		{"the empty secret against an empty hash", "", nil, false},
		{"the clear secret stored in place of its hash", secret, []byte(secret), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := secretMatches(tc.secret, tc.hash); got != tc.want {
				t.Errorf("SecretMatches = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNewParentID(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		id := NewParentID()
		assertLowerHex(t, id, 32)
		if seen[id] {
			t.Fatalf("NewParentID repeated %q", id)
		}
		seen[id] = true
	}
}

func TestMintCustomerTokens(t *testing.T) {
	now := time.Date(2026, time.March, 15, 18, 30, 0, 0, time.UTC)
	e := &Partner{ID: 42, OAuthTokenTTL: 30 * time.Minute, RefreshTokenTTL: 7 * 24 * time.Hour}
	it := mintCustomerTokens(e, "iphone-15", now)

	t.Run("clear values have the contract's shapes", func(t *testing.T) {
		assertLowerHex(t, it.OAuthToken, 64)
		assertLowerHex(t, it.RefreshToken, 64)
		if !IsSecretShape(it.PrivateKey, PrivateKeyPrefix) {
			t.Errorf("private key %q is not sk_ + 64 lowercase hex", it.PrivateKey)
		}
	})
	t.Run("the three secrets are distinct", func(t *testing.T) {
		if it.OAuthToken == it.RefreshToken || it.OAuthToken == it.PrivateKey[len(PrivateKeyPrefix):] ||
			it.RefreshToken == it.PrivateKey[len(PrivateKeyPrefix):] {
			t.Errorf("secrets repeat: %q %q %q", it.OAuthToken, it.RefreshToken, it.PrivateKey)
		}
	})
	t.Run("expiries follow the partner's lifetimes", func(t *testing.T) {
		if want := now.Add(30 * time.Minute); !it.OAuthExpiresAt.Equal(want) {
			t.Errorf("oauth token expires at %v, want %v", it.OAuthExpiresAt, want)
		}
		if want := now.Add(7 * 24 * time.Hour); !it.RefreshExpiresAt.Equal(want) {
			t.Errorf("refresh token expires at %v, want %v", it.RefreshExpiresAt, want)
		}
	})
	t.Run("bound to the device", func(t *testing.T) {
		if it.DeviceID != "iphone-15" {
			t.Errorf("device id = %q, want iphone-15", it.DeviceID)
		}
	})

	stored := it.storedForCustomer
	if len(stored) != 3 {
		t.Fatalf("stored %d tokens, want 3", len(stored))
	}
	byKind := make(map[TokenKind]Token)
	for _, tok := range stored {
		if _, dup := byKind[tok.Kind]; dup {
			t.Fatalf("two stored tokens of kind %q", tok.Kind)
		}
		byKind[tok.Kind] = tok
	}
	for _, tc := range []struct {
		kind    TokenKind
		clear   string
		expires time.Time
		device  string
	}{
		{TokenOAuth, it.OAuthToken, it.OAuthExpiresAt, "iphone-15"},
		{TokenRefresh, it.RefreshToken, it.RefreshExpiresAt, "iphone-15"},
		{TokenPrivateKey, it.PrivateKey, time.Time{}, ""},
	} {
		t.Run("stored "+string(tc.kind), func(t *testing.T) {
			tok, ok := byKind[tc.kind]
			if !ok {
				t.Fatalf("no stored token of kind %q", tc.kind)
			}
			if !secretMatches(tc.clear, tok.Hash) {
				t.Error("stored hash does not match the issued secret")
			}
			if bytes.Contains(tok.Hash, []byte(tc.clear)) {
				t.Error("stored row holds the secret in clear")
			}
			if tok.PartnerID != e.ID {
				t.Errorf("ecommerce id = %d, want %d", tok.PartnerID, e.ID)
			}
			if !tok.IssuedAt.Equal(now) {
				t.Errorf("issued at %v, want %v", tok.IssuedAt, now)
			}
			if !tok.ExpiresAt.Equal(tc.expires) {
				t.Errorf("expires at %v, want %v (zero: never)", tok.ExpiresAt, tc.expires)
			}
			if tc.kind != TokenPrivateKey && tok.DeviceID != tc.device {
				t.Errorf("device id = %q, want %q", tok.DeviceID, tc.device)
			}
			if !tok.RevokedAt.IsZero() {
				t.Errorf("freshly minted token revoked at %v", tok.RevokedAt)
			}
		})
	}
	t.Run("the private key has no expiry", func(t *testing.T) {
		if exp := byKind[TokenPrivateKey].ExpiresAt; !exp.IsZero() {
			t.Errorf("private key expires at %v; it lives until rotated", exp)
		}
	})
}

func TestMintCustomerTokensUsesTheContractDefaults(t *testing.T) {
	n, err := NewPartner{Name: "partner"}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, time.March, 15, 18, 30, 0, 0, time.UTC)
	it := mintCustomerTokens(n.row(nil), defaultDeviceID, now)
	if want := now.Add(time.Hour); !it.OAuthExpiresAt.Equal(want) {
		t.Errorf("oauth token expires at %v, want one hour later, %v", it.OAuthExpiresAt, want)
	}
	if want := now.AddDate(0, 0, 90); !it.RefreshExpiresAt.Equal(want) {
		t.Errorf("refresh token expires at %v, want 90 days later, %v", it.RefreshExpiresAt, want)
	}
	if it.DeviceID != defaultDeviceID {
		t.Errorf("device id = %q, want %q", it.DeviceID, defaultDeviceID)
	}
}

func TestMintCustomerTokensIssuesNewSecretsEachTime(t *testing.T) {
	e := &Partner{ID: 1, OAuthTokenTTL: time.Hour, RefreshTokenTTL: time.Hour}
	now := time.Date(2026, time.March, 15, 18, 30, 0, 0, time.UTC)
	a, b := mintCustomerTokens(e, "d", now), mintCustomerTokens(e, "d", now)
	if a.OAuthToken == b.OAuthToken || a.RefreshToken == b.RefreshToken || a.PrivateKey == b.PrivateKey {
		t.Error("two mints returned a secret in common")
	}
}
