package saldo

import (
	"context"
	"sync"
	"time"
)

// A busy partner's creates would each look its row up by token hash first: a round trip to
// the database before the create's own. partnerCache keeps partners found that way, and a
// write authenticated from it checks the token again inside its own transaction, where the
// check costs no round trip (Tx.CheckPartnerToken is sent with the inserts). So a token
// rotated by another process (the CLI, another replica) is refused by the next write as it is
// today, only one statement later.
//
// It holds successful lookups only: an unknown token always reaches the database, so a new
// partner's token works at once and random tokens cannot fill it. Entries expire after
// partnerCacheTTL of real time, measured on the monotonic clock and not on the service's
// clock, which tests set and which dates rows.
type partnerCache struct {
	mu      sync.Mutex
	entries map[[32]byte]partnerEntry
}

type partnerEntry struct {
	e       *Partner
	expires time.Time
}

const (
	partnerCacheTTL  = time.Minute
	partnerCacheSize = 1024 // far more partners than one deployment serves
)

// get returns a copy of the partner cached for hash, or nil.
func (c *partnerCache) get(hash [32]byte) *Partner {
	c.mu.Lock()
	defer c.mu.Unlock()
	entry, ok := c.entries[hash]
	if !ok || time.Now().After(entry.expires) {
		return nil
	}
	e := *entry.e
	return &e
}

func (c *partnerCache) put(hash [32]byte, e *Partner) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= partnerCacheSize {
		c.entries = map[[32]byte]partnerEntry{}
	}
	copied := *e
	c.entries[hash] = partnerEntry{e: &copied, expires: time.Now().Add(partnerCacheTTL)}
}

func (c *partnerCache) drop(hash [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, hash)
}

func (c *partnerCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
}

// AuthenticatePartnerForWrite is AuthenticatePartner for a partner write: it may answer
// from a cache without a database round trip, and the write's transaction then checks that
// the token is still the partner's, refusing it with EUNAUTHORIZED when it was rotated since.
// Only the partner writes of this service (those that go through its write path) do that
// check, so the partner it returns must be used for one of them.
func (s *Service) AuthenticatePartnerForWrite(ctx context.Context, token string) (*Partner, error) {
	if !IsSecretShape(token, PartnerTokenPrefix) {
		return nil, Errorf(EUNAUTHORIZED)
	}
	hash := [32]byte(HashSecret(token))
	if e := s.partners.get(hash); e != nil {
		e.verifyToken = hash[:]
		return e, nil
	}
	e, err := s.AuthenticatePartner(ctx, token)
	if err != nil {
		return nil, err
	}
	s.partners.put(hash, e)
	return e, nil
}
