package saldo

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// IdempotencyKeyTTL is how long a key is kept, and so how long a retry is recognised.
const IdempotencyKeyTTL = 24 * time.Hour

// Idempotency asks that a write be done at most once for its partner and key. The adapter
// that serves the write says how the request is identified and renders the answer to keep:
// Render runs inside the write's transaction, with the write's result or its refusal, so
// that the answer stored is the one sent.
type Idempotency[T any] struct {
	IdempotencyKey
	Render func(result T, err error) Answer
}

// IdempotencyKey is the key a partner sent and a digest of the request it came with: the
// same key with another digest is another request, refused with EIDEMPOTENCYREUSED. The
// adapter decides what makes two requests the same (a SHA-256 of them, say); the service
// stores the digest only keyed under the server secret key.
type IdempotencyKey struct {
	Key    string
	Digest [32]byte
}

// Answer is a write's outcome as the adapter rendered it, kept for replay. The service
// stores and returns it without reading it.
type Answer struct {
	Status int
	Body   []byte
}

// Replayed is returned by a write whose key was already used for the same request: the stored
// answer is to be sent again, and nothing new was written.
type Replayed struct {
	Answer Answer
}

func (r *Replayed) Error() string {
	return fmt.Sprintf("idempotent replay of a %d answer", r.Answer.Status)
}

// IdempotencyRecord is a used key as stored. Response holds the sealed answer's body.
type IdempotencyRecord struct {
	PartnerID   int64
	Key         string
	Fingerprint []byte
	Status      int
	Response    []byte
	CreatedAt   time.Time
}

// CheckIdempotencyKey reports whether key is 1–255 printable ASCII characters.
func CheckIdempotencyKey(key string) error {
	if len(key) == 0 || len(key) > 255 {
		return Errorf(EBADREQUEST, "idempotency_key:invalid")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return Errorf(EBADREQUEST, "idempotency_key:invalid")
		}
	}
	return nil
}

// sealer encrypts stored responses with AES-256-GCM under the server secret key: they may
// carry the credentials a create issued. The partner and key are authenticated with each
// response, so a stored response cannot be replayed under another.
//
// It also keys the requests' fingerprints: a plain hash of a body that holds a password would
// let anyone with the rows test guesses at the password, which defeats its slow hash.
type sealer struct {
	// keys are the current key, which seals and opens, then the retired ones a rotation
	// replaced, which only open what was sealed before it, for as long as the operator keeps
	// them configured.
	keys []cipher.AEAD
	// fingerprintKeys are HMAC keys derived from the same secret keys, in the same order.
	fingerprintKeys [][]byte
}

func newSealer(key [32]byte, retired ...[32]byte) *sealer {
	s := &sealer{}
	for _, k := range append([][32]byte{key}, retired...) {
		// Neither call can fail: the key has an AES-256 length and GCM takes any AES block.
		block, _ := aes.NewCipher(k[:])
		aead, _ := cipher.NewGCM(block)
		s.keys = append(s.keys, aead)
		// A key of its own for the fingerprints, so that the AES key is used for nothing else.
		derive := hmac.New(sha256.New, k[:])
		derive.Write([]byte("saldo idempotency fingerprint v1"))
		s.fingerprintKeys = append(s.fingerprintKeys, derive.Sum(nil))
	}
	return s
}

// fingerprint is the stored form of a request's digest: keyed under the current key.
func (s *sealer) fingerprint(digest [32]byte) []byte {
	return keyedDigest(s.fingerprintKeys[0], digest)
}

// sameRequest reports whether stored is digest's fingerprint under the current key or a
// retired one. A record written before fingerprints were keyed holds the digest itself;
// such records are purged within IdempotencyKeyTTL of the upgrade.
func (s *sealer) sameRequest(stored []byte, digest [32]byte) bool {
	for _, k := range s.fingerprintKeys {
		if hmac.Equal(stored, keyedDigest(k, digest)) {
			return true
		}
	}
	return hmac.Equal(stored, digest[:])
}

func keyedDigest(key []byte, digest [32]byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write(digest[:])
	return mac.Sum(nil)
}

func additionalData(partnerID int64, key string) []byte {
	return binary.BigEndian.AppendUint64([]byte(key), uint64(partnerID))
}

func (s *sealer) seal(partnerID int64, key string, body []byte) []byte {
	aead := s.keys[0]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(body)+aead.Overhead())
	_, _ = rand.Read(nonce)
	return aead.Seal(nonce, nonce, body, additionalData(partnerID, key))
}

// open returns the response sealed under the current key or a retired one.
func (s *sealer) open(partnerID int64, key string, sealed []byte) ([]byte, error) {
	n := s.keys[0].NonceSize() // GCM's standard nonce, whatever the key
	if len(sealed) < n {
		return nil, errors.New("sealed response too short")
	}
	ad := additionalData(partnerID, key)
	var err error
	for _, aead := range s.keys {
		var body []byte
		if body, err = aead.Open(nil, sealed[:n], sealed[n:], ad); err == nil {
			return body, nil
		}
	}
	return nil, err
}

// inFlight holds the keys whose first request is still running in this process, so a
// concurrent duplicate is told so at once instead of queueing behind it.
type inFlight struct {
	mu   sync.Mutex
	keys map[inFlightKey]struct{}
}

type inFlightKey struct {
	partnerID int64
	key       string
}

func (f *inFlight) claim(partnerID int64, key string) (release func(), ok bool) {
	k := inFlightKey{partnerID, key}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, busy := f.keys[k]; busy {
		return nil, false
	}
	f.keys[k] = struct{}{}
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.keys, k)
	}, true
}

// PurgeIdempotencyKeys deletes keys older than IdempotencyKeyTTL and returns how many.
func (s *Service) PurgeIdempotencyKeys(ctx context.Context) (int64, error) {
	return s.purgeIdempotencyKeys(ctx, s.clock.Now())
}

func (s *Service) purgeIdempotencyKeys(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.store.Update(ctx, func(tx Tx) (err error) {
		n, err = tx.DeleteIdempotencyRecords(ctx, now.Add(-IdempotencyKeyTTL))
		return err
	})
	return n, err
}

// IdempotencyTx is what a transaction can do with idempotency keys.
type IdempotencyTx interface {
	// IdempotencyRecord returns partner partnerID's record of key, or ENOTFOUND.
	IdempotencyRecord(ctx context.Context, partnerID int64, key string) (*IdempotencyRecord, error)
	// InsertIdempotencyRecord stores a used key; a key stored already is ErrDuplicate.
	InsertIdempotencyRecord(ctx context.Context, rec *IdempotencyRecord) error
	// DeleteIdempotencyRecords deletes the records created before cutoff.
	DeleteIdempotencyRecords(ctx context.Context, cutoff time.Time) (int64, error)
}
