package saldo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"
)

// The write path: every write of a partner goes through write, in the manner of river's
// WithTxV. It owns the transaction and its retries, reads the clock once, re-checks a cached
// partner token, and, when asked by an explicit *Idempotency, replays or stores the answer.

// writeTx is what a write's function works with: the transaction, the instant the whole
// write happens at, and whether an earlier run of it was refused by a unique index
// (ErrDuplicate), which tells it to look for what a concurrent transaction committed.
type writeTx struct {
	Tx
	now     time.Time
	refused bool
}

// writeAttempts bounds how often a write runs again after a unique index refused it: the next
// run's checks see the transaction that won (a duplicate customer, an idempotency key).
const writeAttempts = 3

// write runs fn, a write of partner e at now, in one transaction, and returns its result;
// with a group g, that transaction may be shared with other writes of g (group commit).
// With idem, it runs at most once for e and idem's key: a key already used for the same
// request returns *Replayed with the stored answer, for another request EIDEMPOTENCYREUSED,
// and the first use stores the rendered answer in fn's transaction.
//
// The first run inserts the key with its answer without looking for it: the keys' unique
// index refuses a key used already (ErrDuplicate), and only a run after a refusal reads the
// key first. At SERIALIZABLE, reading it first would take predicate locks on the index pages
// that concurrent writes with other keys insert into, and they would abort one another.
//
// fn may return a *failAfterCommit to commit what it did and still fail.
func write[T any](ctx context.Context, s *Service, g *group, e *Partner, idem *Idempotency[T], now time.Time, fn func(writeTx) (T, error)) (T, error) {
	return writeReading(ctx, s, g, nil, e, idem, now, fn)
}

// writeReading is write for a write that first reads a transfer's reads (Tx.ReadTransfers),
// which a batch of g may then read ahead with its other members' (group.go).
func writeReading[T any](ctx context.Context, s *Service, g *group, reads *TransferQuery, e *Partner, idem *Idempotency[T], now time.Time, fn func(writeTx) (T, error)) (T, error) {
	var zero T
	if idem != nil {
		release, ok := s.inFlight.claim(e.ID, idem.Key)
		if !ok {
			return zero, cmp.Or(s.RecheckPartner(ctx, e), error(Errorf(ECONFLICT, "idempotency_key:in_flight")))
		}
		defer release()
	}
	refused := false
	for attempt := 1; ; attempt++ {
		result, err := writeOnce(ctx, s, g, reads, e, idem, writeTx{now: now, refused: refused}, fn)
		if errors.Is(err, ErrDuplicate) && attempt < writeAttempts {
			refused = true
			continue
		}
		if err != nil {
			return zero, settle(ctx, s, e, idem, refused, err)
		}
		return result, nil
	}
}

// writeOnce runs fn in one transaction. A refusal that fn committed comes back as the
// *failAfterCommit it was.
func writeOnce[T any](ctx context.Context, s *Service, g *group, reads *TransferQuery, e *Partner, idem *Idempotency[T], w writeTx, fn func(writeTx) (T, error)) (T, error) {
	var (
		result    T
		committed *failAfterCommit
	)
	err := s.update(ctx, g, reads, func(tx Tx) error {
		// The store may run this again: nothing of an earlier run may survive it.
		var zero T
		result, committed, w.Tx = zero, nil, tx
		if err := checkCachedToken(ctx, tx, e); err != nil {
			return err
		}
		if idem != nil && w.refused {
			if err := s.replay(ctx, tx, e, idem.IdempotencyKey); err != nil {
				return err
			}
		}
		r, err := fn(w)
		if errors.As(err, &committed) {
			return keepRefusal(ctx, s, tx, e, idem, w.now, committed.err)
		}
		if err != nil {
			return err
		}
		result = r
		if idem != nil {
			return s.storeAnswer(ctx, tx, e, idem.IdempotencyKey, w.now, idem.Render(r, nil))
		}
		return nil
	})
	if err == nil && committed != nil {
		return result, committed
	}
	return result, err
}

// checkCachedToken refuses a partner authenticated from the cache whose token was rotated
// since. It comes first, so that a rotated token neither writes nor reads a stored answer.
func checkCachedToken(ctx context.Context, tx Tx, e *Partner) error {
	if e.verifyToken == nil {
		return nil
	}
	return tx.CheckPartnerToken(ctx, e.ID, e.verifyToken)
}

// keepRefusal stores, inside the transaction that commits it, the answer to a refusal that
// committed what it did: a key used already refuses it, and nothing is committed. Such a
// refusal (a detected token reuse, EUNAUTHORIZED) is always one of storedErrors.
func keepRefusal[T any](ctx context.Context, s *Service, tx Tx, e *Partner, idem *Idempotency[T], now time.Time, refusal error) error {
	if idem == nil {
		return nil
	}
	var zero T
	return s.storeAnswer(ctx, tx, e, idem.IdempotencyKey, now, idem.Render(zero, refusal))
}

// storedErrors are the outcomes kept for replay besides successes: what the request itself
// decided. Validation failures, 5xx and rate limits are not kept, so the caller may fix the
// request, or wait, and retry with the same key.
var storedErrors = map[Code]bool{ECONFLICT: true, ENOTFOUND: true, EINSUFFICIENT: true, EBELOWDEBT: true, EUNAUTHORIZED: true,
	EFUNDS: true, ELIMIT: true, ENOTACTIVE: true, EINVALIDSTATE: true}

// settle turns a write's failure into what its caller is told, and keeps a refusal that
// rolled back for replay. A write that failed without looking for its key (looked false)
// answers from the key when it is stored: the request was done already.
func settle[T any](ctx context.Context, s *Service, e *Partner, idem *Idempotency[T], looked bool, err error) error {
	var committed *failAfterCommit
	switch {
	case errors.As(err, &committed):
		// Its answer, if kept, was stored with what it did.
		return committed.err
	case errors.Is(err, ErrPartnerTokenChanged):
		// Not the partner's request after all: nothing to keep under its key.
		s.partners.drop([32]byte(e.verifyToken))
		return err
	case errors.Is(err, ErrDuplicate):
		// Still losing races after every attempt says nothing about the request: not kept.
		return &Error{Code: ECONFLICT, Err: err}
	}
	if idem == nil {
		return err
	}
	// A replay, a reused key or an in-flight one never has a stored code; an unreadable
	// stored answer is one already.
	if storedErrors[ErrorCode(err)] && !errors.Is(err, errUnreadableAnswer) {
		return storeRefusal(ctx, s, e, idem, err)
	}
	// Not when the database is failing: looking would meet the same failure, and add to it.
	if !looked && ErrorCode(err) != EUNAVAILABLE && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		if stored := storedAnswer(ctx, s, e, idem); stored != nil {
			return stored
		}
	}
	return err
}

// storeRefusal keeps a write's refusal for replay, in a transaction of its own: the write
// left no rows to keep it with. Like the write, it inserts the key without looking first. It
// returns err, or what the key's first use stored.
func storeRefusal[T any](ctx context.Context, s *Service, e *Partner, idem *Idempotency[T], err error) error {
	kept := s.store.Update(ctx, func(tx Tx) error {
		var zero T
		return s.storeAnswer(ctx, tx, e, idem.IdempotencyKey, s.clock.Now(), idem.Render(zero, err))
	})
	if errors.Is(kept, ErrDuplicate) {
		if stored := storedAnswer(ctx, s, e, idem); stored != nil {
			return stored
		}
		// The key holds an answer that could not be read just now: answering with this
		// refusal could contradict it, so the caller is told to retry and gets it then.
		return &Error{Code: EUNAVAILABLE, Err: fmt.Errorf("idempotency key stored but not readable: %w", kept)}
	}
	// Failing to keep the refusal only means a retry is answered afresh.
	return err
}

// storedAnswer returns what idem's key answers when it is stored: *Replayed,
// EIDEMPOTENCYREUSED, or ECONFLICT for an answer this process cannot open. It returns nil
// when the key is not stored, or cannot be read now.
func storedAnswer[T any](ctx context.Context, s *Service, e *Partner, idem *Idempotency[T]) error {
	err := s.store.View(ctx, func(tx Tx) error { return s.replay(ctx, tx, e, idem.IdempotencyKey) })
	var replayed *Replayed
	if errors.As(err, &replayed) || ErrorCode(err) == EIDEMPOTENCYREUSED || errors.Is(err, errUnreadableAnswer) {
		return err
	}
	return nil
}

// failAfterCommit is what a write returns to commit what it did and still fail: a detected
// token reuse revokes the customer's tokens, and is answered 401. Its err is one of
// storedErrors, kept under the write's key with what it committed (keepRefusal).
type failAfterCommit struct{ err error }

func (f *failAfterCommit) Error() string { return "committed, then: " + f.err.Error() }
func (f *failAfterCommit) Unwrap() error { return f.err }

// errUnreadableAnswer is a stored answer that no secret key of this process opens.
var errUnreadableAnswer = errors.New("stored answer sealed under a secret key not held")

// replay returns *Replayed or EIDEMPOTENCYREUSED when key was used already, nil when not.
func (s *Service) replay(ctx context.Context, tx Tx, e *Partner, key IdempotencyKey) error {
	rec, err := tx.IdempotencyRecord(ctx, e.ID, key.Key)
	if ErrorCode(err) == ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	body, err := s.sealer.open(e.ID, key.Key, rec.Response)
	if err != nil {
		// Sealed, and its fingerprint keyed, under a secret key this process doesn't hold:
		// rotated since without keeping the old one as retired, or a replica with other keys.
		// The first request's outcome stands and can't be shown again (nor can this request be
		// told from it), so nothing is redone: a conflict the caller can see.
		return &Error{Code: ECONFLICT, Hints: []string{"idempotency_key:unreadable"}, Err: fmt.Errorf("%w: %w", errUnreadableAnswer, err)}
	}
	if !s.sealer.sameRequest(rec.Fingerprint, key.Digest) {
		return Errorf(EIDEMPOTENCYREUSED, "idempotency_key:reused")
	}
	return &Replayed{Answer: Answer{Status: rec.Status, Body: body}}
}

// storeAnswer records key's first use with the answer it got, sealed.
func (s *Service) storeAnswer(ctx context.Context, tx Tx, e *Partner, key IdempotencyKey, now time.Time, a Answer) error {
	return tx.InsertIdempotencyRecord(ctx, &IdempotencyRecord{
		PartnerID: e.ID, Key: key.Key, Fingerprint: s.sealer.fingerprint(key.Digest), Status: a.Status,
		Response: s.sealer.seal(e.ID, key.Key, a.Body), CreatedAt: now,
	})
}
