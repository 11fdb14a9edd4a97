package saldo

import (
	"crypto/sha256"
	"testing"
)

// A request's fingerprint is its digest keyed under the secret key: the same request matches
// under the current key and a retired one, another request never, and the digest itself only
// as a record written before fingerprints were keyed.
func TestFingerprintsAreKeyedAndSurviveARotation(t *testing.T) {
	oldKey, newKey := [32]byte{1}, [32]byte{2}
	digest, other := sha256.Sum256([]byte("POST /user/v1/account/create")), sha256.Sum256([]byte("another request"))
	before, rotated, stranger := newSealer(oldKey), newSealer(newKey, oldKey), newSealer([32]byte{3})
	stored := before.fingerprint(digest)
	if string(stored) == string(digest[:]) || len(stored) != sha256.Size {
		t.Fatalf("fingerprint %x is the digest itself or not 32 bytes", stored)
	}
	for _, tt := range []struct {
		name   string
		s      *sealer
		stored []byte
		digest [32]byte
		want   bool
	}{
		{"the same request under the same key", before, stored, digest, true},
		{"the same request under the retired key", rotated, stored, digest, true},
		{"the same request under the new key", rotated, rotated.fingerprint(digest), digest, true},
		{"another request", rotated, stored, other, false},
		{"a key never held", stranger, stored, digest, false},
		{"a record written before fingerprints were keyed", stranger, digest[:], digest, true},
		{"such a record of another request", stranger, other[:], digest, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.sameRequest(tt.stored, tt.digest); got != tt.want {
				t.Errorf("sameRequest = %v, want %v", got, tt.want)
			}
		})
	}
}
