package saldo

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// IdempotencyKeyTTL is how long a key is kept, and so how long a retry is recognised.
const IdempotencyKeyTTL = 24 * time.Hour

// Idempotency asks that a write be done at most once for its partner and key. Respond
// renders the write's outcome as the HTTP response to store, inside the write's transaction.
type Idempotency struct {
	Key         string
	Fingerprint [32]byte
	Respond     func(result any, err error) Response
}

// Response is an HTTP answer as stored for replay.
type Response struct {
	Status int
	Body   []byte
}

// Replayed is returned by a write whose key was already used for the same request: the stored
// response is to be sent again, and nothing new was written.
type Replayed struct {
	Response Response
}

func (r *Replayed) Error() string {
	return fmt.Sprintf("idempotent replay of a %d response", r.Response.Status)
}

// IdempotencyRecord is a used key as stored. Response holds the sealed body.
type IdempotencyRecord struct {
	EcommerceID int64
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

// Fingerprint identifies a request for idempotency: its method, path, body and the media
// type the body is in (the same bytes as JSON and as a form are different requests).
func Fingerprint(method, path, mediaType string, body []byte) [32]byte {
	h := sha256.New()
	for _, part := range []string{method, path, mediaType} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(body)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

type idempotencyKey struct{}

// WithIdempotency returns a context under which the service's next write is idempotent.
func WithIdempotency(ctx context.Context, idem *Idempotency) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, idem)
}

func idempotencyFrom(ctx context.Context) *Idempotency {
	idem, _ := ctx.Value(idempotencyKey{}).(*Idempotency)
	return idem
}

// sealer encrypts stored responses with AES-256-GCM under the server secret key: they may
// carry the credentials a create issued. The partner and key are authenticated with each
// response, so a stored response cannot be replayed under another.
type sealer struct {
	// keys are the current key, which seals and opens, then the retired ones a rotation
	// replaced, which only open what was sealed before it, for as long as the operator keeps
	// them configured.
	keys []cipher.AEAD
}

func newSealer(key [32]byte, retired ...[32]byte) *sealer {
	s := &sealer{}
	for _, k := range append([][32]byte{key}, retired...) {
		// Neither call can fail: the key has an AES-256 length and GCM takes any AES block.
		block, _ := aes.NewCipher(k[:])
		aead, _ := cipher.NewGCM(block)
		s.keys = append(s.keys, aead)
	}
	return s
}

func additionalData(ecommerceID int64, key string) []byte {
	return binary.BigEndian.AppendUint64([]byte(key), uint64(ecommerceID))
}

func (s *sealer) seal(ecommerceID int64, key string, body []byte) []byte {
	aead := s.keys[0]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(body)+aead.Overhead())
	_, _ = rand.Read(nonce)
	return aead.Seal(nonce, nonce, body, additionalData(ecommerceID, key))
}

// open returns the response sealed under the current key or a retired one.
func (s *sealer) open(ecommerceID int64, key string, sealed []byte) ([]byte, error) {
	n := s.keys[0].NonceSize() // GCM's standard nonce, whatever the key
	if len(sealed) < n {
		return nil, errors.New("sealed response too short")
	}
	ad := additionalData(ecommerceID, key)
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
	ecommerceID int64
	key         string
}

func (f *inFlight) claim(ecommerceID int64, key string) (release func(), ok bool) {
	k := inFlightKey{ecommerceID, key}
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

// errUnreadableResponse is a stored response that no secret key of this process opens.
var errUnreadableResponse = errors.New("stored response sealed under a secret key not held")

// storedErrors are the outcomes kept for replay besides successes: what the request itself
// decided. Validation failures, 5xx and rate limits are not kept, so the caller may fix the
// request, or wait, and retry with the same key.
var storedErrors = map[Code]bool{ECONFLICT: true, ENOTFOUND: true, EINSUFFICIENT: true, EBELOWDEBT: true, EUNAUTHORIZED: true}

// writeAttempts bounds how often a write runs again after a unique index refused it: the next
// run's checks see the transaction that won (a duplicate customer, an idempotency key).
const writeAttempts = 3

// update runs fn, a write of partner e, in one transaction, idempotently when ctx asks so:
// a key already used for the same request replays its response (*Replayed), for another
// request it is EIDEMPOTENCYREUSED, and the first use stores the response in fn's
// transaction.
//
// refused tells fn that an earlier run of this write was refused by a unique index
// (ErrDuplicate): a concurrent transaction committed a row this one would have duplicated.
func (s *Service) update(ctx context.Context, e *Ecommerce, fn func(tx Tx, now time.Time, refused bool) (any, error)) (any, error) {
	idem := idempotencyFrom(ctx)
	if idem != nil {
		release, ok := s.inFlight.claim(e.ID, idem.Key)
		if !ok {
			return nil, Errorf(ECONFLICT, "idempotency_key:in_flight")
		}
		defer release()
	}
	refused := false
	for attempt := 1; ; attempt++ {
		var (
			result  any
			failure error // a refusal committed with what it did
		)
		err := s.store.Update(ctx, func(tx Tx) error {
			// The store may run this again: nothing of an earlier run may survive it.
			result, failure = nil, nil
			now := s.clock.Now()
			if e.verifyToken != nil {
				// First, so that a rotated token neither writes nor reads a stored answer.
				if err := tx.CheckEcommerceToken(ctx, e.ID, e.verifyToken); err != nil {
					return err
				}
			}
			if idem != nil {
				if err := s.replay(ctx, tx, e, idem); err != nil {
					return err
				}
			}
			r, err := fn(tx, now, refused)
			var fail *failAfterCommit
			switch {
			case errors.As(err, &fail):
				failure = fail.err
				if idem != nil && storedErrors[ErrorCode(failure)] {
					return s.storeResponse(ctx, tx, e, idem, now, idem.Respond(nil, failure))
				}
				return nil
			case err != nil:
				return err
			}
			result = r
			if idem != nil {
				return s.storeResponse(ctx, tx, e, idem, now, idem.Respond(r, nil))
			}
			return nil
		})
		if errors.Is(err, ErrEcommerceTokenChanged) {
			// Not the partner's request after all: nothing to keep under its key.
			s.partners.drop([32]byte(e.verifyToken))
			return nil, err
		}
		if errors.Is(err, ErrDuplicate) && attempt < writeAttempts {
			refused = true
			continue
		}
		if err == nil && failure != nil {
			return nil, failure
		}
		if errors.Is(err, ErrDuplicate) {
			// Still losing races after every attempt says nothing about the request: not kept.
			return nil, &Error{Code: ECONFLICT, Err: err}
		}
		// A replay, a reused key or an in-flight one never has a stored code; an unreadable
		// stored response is one already.
		if idem != nil && storedErrors[ErrorCode(err)] && !errors.Is(err, errUnreadableResponse) {
			err = s.storeError(ctx, e, idem, err)
		}
		return result, err
	}
}

// failAfterCommit is what a write returns to commit what it did and still fail: a detected
// token reuse revokes the customer's tokens, and is answered 401.
type failAfterCommit struct{ err error }

func (f *failAfterCommit) Error() string { return "committed, then: " + f.err.Error() }
func (f *failAfterCommit) Unwrap() error { return f.err }

// replay returns *Replayed or EIDEMPOTENCYREUSED when idem's key was used already, nil when not.
func (s *Service) replay(ctx context.Context, tx Tx, e *Ecommerce, idem *Idempotency) error {
	rec, err := tx.IdempotencyRecord(ctx, e.ID, idem.Key)
	if ErrorCode(err) == ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(rec.Fingerprint, idem.Fingerprint[:]) != 1 {
		return Errorf(EIDEMPOTENCYREUSED, "idempotency_key:reused")
	}
	body, err := s.sealer.open(e.ID, idem.Key, rec.Response)
	if err != nil {
		// Sealed under a secret key this process doesn't hold: rotated since without keeping
		// the old one as retired, or a replica with other keys. The first request's outcome
		// stands and can't be shown again, so nothing is redone: a conflict the caller can
		// see, not a fault of this request.
		return &Error{Code: ECONFLICT, Hints: []string{"idempotency_key:unreadable"}, Err: fmt.Errorf("%w: %w", errUnreadableResponse, err)}
	}
	return &Replayed{Response: Response{Status: rec.Status, Body: body}}
}

func (s *Service) storeResponse(ctx context.Context, tx Tx, e *Ecommerce, idem *Idempotency, now time.Time, resp Response) error {
	return tx.InsertIdempotencyRecord(ctx, &IdempotencyRecord{
		EcommerceID: e.ID, Key: idem.Key, Fingerprint: idem.Fingerprint[:], Status: resp.Status,
		Response: s.sealer.seal(e.ID, idem.Key, resp.Body), CreatedAt: now,
	})
}

// storeError keeps a write's refusal for replay, in a transaction of its own: the write left
// no rows to keep it with. It returns err, or what a concurrent first use stored.
func (s *Service) storeError(ctx context.Context, e *Ecommerce, idem *Idempotency, err error) error {
	stored := s.store.Update(ctx, func(tx Tx) error {
		if err := s.replay(ctx, tx, e, idem); err != nil {
			return err
		}
		return s.storeResponse(ctx, tx, e, idem, s.clock.Now(), idem.Respond(nil, err))
	})
	var replayed *Replayed
	if errors.As(stored, &replayed) || ErrorCode(stored) == EIDEMPOTENCYREUSED {
		return stored
	}
	// Failing to keep the refusal only means a retry is answered afresh.
	return err
}

// PurgeIdempotencyKeys deletes keys older than IdempotencyKeyTTL and returns how many.
func (s *Service) PurgeIdempotencyKeys(ctx context.Context) (int64, error) {
	var n int64
	err := s.store.Update(ctx, func(tx Tx) (err error) {
		n, err = tx.DeleteIdempotencyRecords(ctx, s.clock.Now().Add(-IdempotencyKeyTTL))
		return err
	})
	return n, err
}

// IdempotencyTx is what a transaction can do with idempotency keys.
type IdempotencyTx interface {
	// IdempotencyRecord returns partner ecommerceID's record of key, or ENOTFOUND.
	IdempotencyRecord(ctx context.Context, ecommerceID int64, key string) (*IdempotencyRecord, error)
	// InsertIdempotencyRecord stores a used key; a key stored already is ErrDuplicate.
	InsertIdempotencyRecord(ctx context.Context, rec *IdempotencyRecord) error
	// DeleteIdempotencyRecords deletes the records created before cutoff.
	DeleteIdempotencyRecords(ctx context.Context, cutoff time.Time) (int64, error)
}
