package saldo

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"runtime"
	"time"
)

// Service carries out saldo's use cases. Each method that writes owns its transaction and
// reads the clock once for it.
type Service struct {
	store Store
	clock Clock
	// passwordHashes bounds concurrent argon2id hashes: each holds 19 MiB while it runs.
	passwordHashes chan struct{}
	sealer         *sealer
	inFlight       inFlight
	partners       partnerCache
	webhooks       WebhookPolicy
	// creates, movements and creditLines group-commit account creates, ledger movements and
	// the credit-line writes of composite parents (new children, their lines).
	creates, movements, creditLines *group
}

// Option configures a Service.
type Option func(*options)

type options struct {
	secretKey   *[32]byte // nil: a key made for this process alone
	retiredKeys [][32]byte
	webhooks    WebhookPolicy
	creates     GroupCommit
	movements   GroupCommit
}

// WithGroupCommit tunes the group commit of account creates and of ledger movements (top-ups,
// transfers, SPEI, cash-outs, charges and payments; the credit-line writes of composite
// parents, new children and their lines, are tuned as movements but batched apart); Members 1
// turns it off for that kind.
func WithGroupCommit(creates, movements GroupCommit) Option {
	return func(o *options) { o.creates, o.movements = creates, movements }
}

// WithWebhookPolicy sets which webhook endpoint URLs are allowed.
func WithWebhookPolicy(p WebhookPolicy) Option {
	return func(o *options) { o.webhooks = p }
}

// WithSecretKey sets the server secret key that encrypts stored responses.
func WithSecretKey(key [32]byte) Option {
	return func(o *options) { o.secretKey = &key }
}

// WithRetiredSecretKeys adds server secret keys that a rotation retired: stored responses
// sealed under them still open for replay, and nothing new is sealed under them.
func WithRetiredSecretKeys(keys ...[32]byte) Option {
	return func(o *options) { o.retiredKeys = append(o.retiredKeys, keys...) }
}

// NewService returns a service over store. A nil clock is the system clock. Without
// WithSecretKey, stored responses are sealed under a key made for this process alone, which
// suits tests, not a server whose stored responses must outlive a restart.
func NewService(store Store, clock Clock, opts ...Option) *Service {
	if clock == nil {
		clock = SystemClock{}
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.secretKey == nil {
		o.secretKey = new([32]byte)
		_, _ = rand.Read(o.secretKey[:])
	}
	return &Service{store: store, clock: clock, passwordHashes: make(chan struct{}, runtime.GOMAXPROCS(0)),
		sealer: newSealer(*o.secretKey, o.retiredKeys...), inFlight: inFlight{keys: map[inFlightKey]struct{}{}},
		webhooks: o.webhooks, creates: newGroup(store, o.creates, true),
		movements: newGroup(store, o.movements, false), creditLines: newGroup(store, o.movements, false)}
}

// Now is the service's clock reading.
func (s *Service) Now() time.Time { return s.clock.Now() }

// Ping reports whether the database can be reached.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// CreatePartner registers a partner and returns it with its token, shown this once.
func (s *Service) CreatePartner(ctx context.Context, n NewPartner) (*Partner, string, error) {
	n, err := n.normalize()
	if err != nil {
		return nil, "", err
	}
	token := NewSecret(PartnerTokenPrefix)
	e := n.row(HashSecret(token))
	err = s.store.Update(ctx, func(tx Tx) error {
		e.CreatedAt = s.clock.Now()
		return tx.InsertPartner(ctx, e)
	})
	if err != nil {
		return nil, "", err
	}
	return e, token, nil
}

// EnsureSandbox creates the sandbox partner when the database has no partner at all, so a
// newcomer on the embedded default can call the API at once. created is false, and the token
// empty, when partners exist already.
func (s *Service) EnsureSandbox(ctx context.Context) (e *Partner, token string, created bool, err error) {
	token = NewSecret(PartnerTokenPrefix)
	err = s.store.Update(ctx, func(tx Tx) error {
		existing, err := tx.Partners(ctx)
		if err != nil || len(existing) > 0 {
			return err
		}
		n, _ := NewPartner{Name: "sandbox", CompositeBalances: true}.normalize()
		e = n.row(HashSecret(token))
		e.CreatedAt = s.clock.Now()
		return tx.InsertPartner(ctx, e)
	})
	if err != nil || e == nil {
		return nil, "", false, err
	}
	return e, token, true, nil
}

// Partners lists every partner.
func (s *Service) Partners(ctx context.Context) ([]*Partner, error) {
	var list []*Partner
	err := s.store.View(ctx, func(tx Tx) (err error) {
		list, err = tx.Partners(ctx)
		return err
	})
	return list, err
}

// RotatePartnerToken replaces a partner's token; the old one stops working at once.
func (s *Service) RotatePartnerToken(ctx context.Context, id int64) (string, error) {
	token := NewSecret(PartnerTokenPrefix)
	err := s.store.Update(ctx, func(tx Tx) error {
		return tx.SetPartnerTokenHash(ctx, id, HashSecret(token))
	})
	if err != nil {
		return "", err
	}
	// Other processes' caches learn of it from their next write's check.
	s.partners.clear()
	return token, nil
}

// AuthenticatePartner returns the partner whose token this is.
func (s *Service) AuthenticatePartner(ctx context.Context, token string) (*Partner, error) {
	if !IsSecretShape(token, PartnerTokenPrefix) {
		return nil, Errorf(EUNAUTHORIZED)
	}
	hash := HashSecret(token)
	var e *Partner
	err := s.store.Autocommit(ctx, func(tx Tx) (err error) {
		e, err = tx.PartnerByTokenHash(ctx, hash)
		return err
	})
	if ErrorCode(err) == ENOTFOUND || err == nil && !secretMatches(token, e.TokenHash) {
		return nil, Errorf(EUNAUTHORIZED)
	}
	return e, err
}

// CreatedCustomer is the outcome of CreateCustomer: everything the one transaction wrote, and
// the credentials in clear, which exist nowhere else.
type CreatedCustomer struct {
	Customer Customer
	Wallet   Balance
	Tokens   IssuedTokens
	Parent   *CompositeParent // nil when the partner has no composite balances
}

// CreateCustomer registers a customer of partner e: it validates r, inserts the customer with
// its KYC level, opens the wallet, mints the tokens, opens the composite parent when the
// partner has composite balances, and records the events, all in one transaction.
func (s *Service) CreateCustomer(ctx context.Context, e *Partner, r CreateCustomerRequest, idem *Idempotency[*CreatedCustomer]) (*CreatedCustomer, error) {
	now := s.clock.Now()
	v, err := r.validate(e, now)
	if err != nil {
		// A rotated token hears 401 first, not what its request lacked.
		return nil, cmp.Or(s.RecheckPartner(ctx, e), err)
	}
	if v.password != "" {
		// Hashing is slow by design: do it before the transaction holds any lock.
		select {
		case s.passwordHashes <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		v.customer.PasswordHash = hashPassword(v.password)
		<-s.passwordHashes
	}
	// The first run inserts without looking: the unique indexes refuse a duplicate. Only a
	// run after such a refusal looks first, to name every taken field. So a create reads
	// nothing that concurrent creates write, which at SERIALIZABLE would make them abort each
	// other; a run again after a serialization failure does not look either, or every retry
	// would read the pages that concurrent creates insert into and be aborted again.
	return write(ctx, s, s.creates, e, idem, now, func(w writeTx) (*CreatedCustomer, error) {
		return createCustomer(ctx, w, e, v)
	})
}

// RecheckPartner checks, for a partner that AuthenticatePartnerForWrite took from its cache,
// that its token is still the partner's, and returns the EUNAUTHORIZED of a rotated one; for
// any other partner it returns nil. A refusal decided before the write's transaction (a body
// that does not decode, a field rule, a key in flight) calls it first, so that a rotated
// token hears 401 rather than what its request lacked; only refusals pay for the round trip.
// The check goes in a write transaction: an engine may send it with the commit.
func (s *Service) RecheckPartner(ctx context.Context, e *Partner) error {
	if e.verifyToken == nil {
		return nil
	}
	err := s.store.Update(ctx, func(tx Tx) error { return checkCachedToken(ctx, tx, e) })
	if errors.Is(err, ErrPartnerTokenChanged) {
		s.partners.drop([32]byte(e.verifyToken))
		return err
	}
	// Any other failure leaves the refusal as it was: the token was not found rotated.
	return nil
}

func createCustomer(ctx context.Context, w writeTx, e *Partner, v validatedCreate) (*CreatedCustomer, error) {
	tx, now := w.Tx, w.now
	out := &CreatedCustomer{Customer: v.customer}
	c := &out.Customer
	c.PartnerID = e.ID
	c.CreatedAt = now

	balances := 1
	if e.CompositeBalances {
		balances = 2
	}
	if err := tx.ReserveIDs(ctx, IDCounts{Customers: 1, Balances: balances}); err != nil {
		return nil, err
	}
	if w.refused {
		taken, err := tx.CustomerDuplicates(ctx, c)
		if err != nil {
			return nil, err
		}
		if len(taken) > 0 {
			var h Hints
			for _, f := range taken {
				h.Add(f, "duplicate")
			}
			return nil, h.Err(ECONFLICT)
		}
	}
	if err := tx.InsertCustomer(ctx, c); err != nil {
		return nil, err
	}

	out.Wallet = Balance{PartnerID: e.ID, CustomerID: c.ID, Kind: BalanceWallet, Status: BalanceStatusActive, CreatedAt: now}
	if err := tx.InsertBalance(ctx, &out.Wallet); err != nil {
		return nil, err
	}

	out.Tokens = mintCustomerTokens(e, v.deviceID, now)
	stored := out.Tokens.storedForCustomer
	out.Tokens.storedForCustomer = nil
	for i := range stored {
		stored[i].CustomerID = c.ID
	}
	if err := tx.InsertTokens(ctx, stored); err != nil {
		return nil, err
	}

	events := []Event{newEvent(e, now, CustomerCreated{CustomerID: c.ID, AccountLevel: c.AccountLevel, WalletID: out.Wallet.ID})}
	if e.CompositeBalances {
		p, err := openCompositeParent(ctx, tx, e, c.ID, v.creditLine, now)
		if err != nil {
			return nil, err
		}
		out.Parent = p
		events = append(events, newEvent(e, now, CompositeParentCreated{
			ParentID: p.ID, CustomerID: c.ID, BalanceID: p.BalanceID, CreditLine: p.CreditLine,
		}))
	}
	if err := tx.InsertEvents(ctx, events); err != nil {
		return nil, err
	}
	return out, nil
}

// openCompositeParent creates a customer's composite balance parent and the balance behind it.
func openCompositeParent(ctx context.Context, tx Tx, e *Partner, customerID, creditLine int64, now time.Time) (*CompositeParent, error) {
	b := Balance{PartnerID: e.ID, CustomerID: customerID, Kind: BalanceCompositeParent, Status: BalanceStatusActive, CreatedAt: now}
	if err := tx.InsertBalance(ctx, &b); err != nil {
		return nil, err
	}
	p := &CompositeParent{
		ID:          NewParentID(),
		PartnerID:   e.ID,
		CustomerID:  customerID,
		BalanceID:   b.ID,
		CreditLine:  creditLine,
		BillingDay:  billingDayFor(e, now),
		Status:      ParentActive,
		CreatedAt:   now,
		PeriodStart: dayIn(now),
	}
	if err := tx.InsertCompositeParent(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// CustomerProfile is a customer as GET /user/v1/account/{id} shows it: no secrets.
type CustomerProfile struct {
	Customer Customer
	Wallet   Balance
	Parent   *CompositeParent
}

// Customer returns partner e's customer id, or ENOTFOUND; another partner's customer is
// indistinguishable from one that does not exist.
func (s *Service) Customer(ctx context.Context, e *Partner, id int64) (*CustomerProfile, error) {
	var p CustomerProfile
	err := s.store.View(ctx, func(tx Tx) error {
		c, err := tx.Customer(ctx, e.ID, id)
		if err != nil {
			return err
		}
		p.Customer = *c
		w, err := tx.Wallet(ctx, e.ID, id)
		if err != nil {
			return err
		}
		p.Wallet = *w
		p.Parent, err = tx.CompositeParentOf(ctx, e.ID, id)
		if ErrorCode(err) == ENOTFOUND {
			p.Parent, err = nil, nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}
