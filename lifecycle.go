package saldo

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// The customer's lifecycle: updates that may raise the KYC level, block and close, search.
//
// A customer's status is kept on the customer's row and, mirrored, on every balance of the
// customer: a movement's conditional UPDATE of a balance requires it active, so a block
// committed before a movement reaches the balance refuses the movement, whatever the
// movement read before. Block and close lock the customer, then its balances.

// LifecycleTx is what a transaction can do with a customer's lifecycle.
type LifecycleTx interface {
	// LockCustomerRow returns partner partnerID's customer id, locked until the transaction
	// ends, or ENOTFOUND.
	LockCustomerRow(ctx context.Context, partnerID, id int64) (*Customer, error)
	// UpdateCustomer stores c's profile, level and status. A unique index it would violate is
	// reported as an error for which errors.Is(err, ErrDuplicate) holds.
	UpdateCustomer(ctx context.Context, c *Customer) error
	// SetBalancesStatus sets the status of every balance of the customer and returns them.
	SetBalancesStatus(ctx context.Context, partnerID, customerID int64, status int) ([]Balance, error)
	// Obligations returns what a customer still owes or has pending: debt on composite
	// balances (its own children, and those of its parents), and pending SPEI cash-outs.
	Obligations(ctx context.Context, partnerID, customerID int64) (Obligations, error)
	// SearchCustomers returns up to q.Limit customers of partner partnerID that match q, in id
	// order after q.AfterID.
	SearchCustomers(ctx context.Context, partnerID int64, q CustomerQuery) ([]Customer, error)
	// WalletsOf and ParentsOf return the wallets and composite parents of the customers.
	WalletsOf(ctx context.Context, partnerID int64, customerIDs []int64) ([]Balance, error)
	ParentsOf(ctx context.Context, partnerID int64, customerIDs []int64) ([]CompositeParent, error)
}

// Obligations are what keeps a customer from being closed besides money in its wallet.
type Obligations struct {
	Debt            int64 // cents owed on composite balances
	Held            int64 // cents held by open authorizations on the children of its parents
	PendingCashouts int64 // SPEI cash-outs not yet completed or failed
}

// UpdateCustomer changes partner e's customer id: the fields present in r (non-empty) are
// laid over the stored profile and the whole is checked by the create's rules, every failing
// field at once. The KYC level is recomputed and raised, never lowered. The account type
// (personal or business) and the credentials cannot change.
func (s *Service) UpdateCustomer(ctx context.Context, e *Partner, id int64, r CreateCustomerRequest, idem *Idempotency[*CustomerProfile]) (*CustomerProfile, error) {
	if id <= 0 {
		return nil, Errorf(ENOTFOUND, "customer_id:not_found")
	}
	return write(ctx, s, nil, e, idem, s.clock.Now(), func(w writeTx) (*CustomerProfile, error) {
		return updateCustomer(ctx, w, e, id, r)
	})
}

func updateCustomer(ctx context.Context, w writeTx, e *Partner, id int64, r CreateCustomerRequest) (*CustomerProfile, error) {
	tx, now := w.Tx, w.now
	before, err := tx.LockCustomerRow(ctx, e.ID, id)
	if err != nil {
		return nil, err
	}
	if before.AccountStatus == AccountStatusClosed {
		return nil, Errorf(ENOTACTIVE, "account:closed")
	}
	after, err := patched(e, before, r, now)
	if err != nil {
		return nil, err
	}
	if w.refused {
		if err := duplicatesOf(ctx, tx, after); err != nil {
			return nil, err
		}
	}
	changed := changedFields(before, after)
	if len(changed) > 0 || after.AccountLevel != before.AccountLevel {
		if err := tx.UpdateCustomer(ctx, after); err != nil {
			return nil, err
		}
		events := []Event{newEvent(e, now, CustomerUpdated{CustomerID: id, Fields: changed})}
		if after.AccountLevel != before.AccountLevel {
			events = append(events, newEvent(e, now, CustomerLevelChanged{CustomerID: id, From: before.AccountLevel, To: after.AccountLevel}))
		}
		if err := tx.InsertEvents(ctx, events); err != nil {
			return nil, err
		}
	}
	return profile(ctx, tx, e, after)
}

// patched is before with r's fields laid over it and checked.
func patched(e *Partner, before *Customer, r CreateCustomerRequest, now time.Time) (*Customer, error) {
	merged := requestOf(before)
	r.trimSpace()
	for _, f := range CustomerFields {
		if v := *f.Of(&r); v != "" {
			*f.Of(&merged) = v
		}
	}
	// The account type is fixed: a gender across it is refused, and the rest is checked by
	// the stored type's rules.
	var crossed bool
	if g, err := strconv.Atoi(merged.Gender); err == nil && (g == GenderBusiness) != before.IsBusiness() {
		crossed, merged.Gender = true, strconv.Itoa(before.Gender)
	}
	v, err := merged.check(e, now, before)
	if crossed {
		h := Hints(ErrorHints(err))
		h.Add("gender", "not_allowed")
		err = h.Err(EINVALID)
	}
	if err != nil {
		return nil, err
	}
	after := v.customer
	after.ID, after.PartnerID, after.CreatedAt = before.ID, before.PartnerID, before.CreatedAt
	after.PasswordHash, after.RiskLevel, after.AccountStatus = before.PasswordHash, before.RiskLevel, before.AccountStatus
	return &after, nil
}

// duplicatesOf refuses c when another customer of its partner holds one of its identifiers.
func duplicatesOf(ctx context.Context, tx Tx, c *Customer) error {
	taken, err := tx.CustomerDuplicates(ctx, c)
	if err != nil {
		return err
	}
	var h Hints
	for _, f := range taken {
		h.Add(f, "duplicate")
	}
	return h.Err(ECONFLICT)
}

// profile reads what a customer's profile shows besides the customer.
func profile(ctx context.Context, tx Tx, e *Partner, c *Customer) (*CustomerProfile, error) {
	p := &CustomerProfile{Customer: *c}
	w, err := tx.Wallet(ctx, e.ID, c.ID)
	if err != nil {
		return nil, err
	}
	p.Wallet = *w
	p.Parent, err = tx.CompositeParentOf(ctx, e.ID, c.ID)
	if ErrorCode(err) == ENOTFOUND {
		p.Parent, err = nil, nil
	}
	return p, err
}

// StatusChange is the input of SetCustomerStatus.
type StatusChange struct {
	CustomerID int64
	Status     int
	Reason     string
}

// SetCustomerStatus blocks, unblocks or closes partner e's customer. A blocked customer's
// tokens are refused (EFORBIDDEN) and no money moves to or from it until it is active again.
// Closing is final: it needs an empty wallet, no debt and nothing pending, and revokes every
// credential.
func (s *Service) SetCustomerStatus(ctx context.Context, e *Partner, c StatusChange, idem *Idempotency[*CustomerProfile]) (*CustomerProfile, error) {
	var h Hints
	if c.Status < AccountStatusActive || c.Status > AccountStatusClosed {
		h.Add("status", "invalid")
	}
	checkLength(&h, "reason", c.Reason, 255)
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	if c.CustomerID <= 0 {
		return nil, Errorf(ENOTFOUND, "customer_id:not_found")
	}
	return write(ctx, s, nil, e, idem, s.clock.Now(), func(w writeTx) (*CustomerProfile, error) {
		return setStatus(ctx, w, e, c)
	})
}

func setStatus(ctx context.Context, w writeTx, e *Partner, c StatusChange) (*CustomerProfile, error) {
	tx, now := w.Tx, w.now
	cu, err := tx.LockCustomerRow(ctx, e.ID, c.CustomerID)
	if err != nil {
		return nil, err
	}
	from := cu.AccountStatus
	switch {
	case from == c.Status:
		return profile(ctx, tx, e, cu)
	case from == AccountStatusClosed:
		return nil, Errorf(ENOTACTIVE, "account:closed")
	}
	balances, err := tx.SetBalancesStatus(ctx, e.ID, cu.ID, c.Status)
	if err != nil {
		return nil, err
	}
	if c.Status == AccountStatusClosed {
		if err := closable(ctx, tx, e, cu.ID, balances); err != nil {
			return nil, err
		}
		kinds := []TokenKind{TokenOAuth, TokenRefresh, TokenPrivateKey}
		if _, err := tx.RevokeCustomerTokens(ctx, e.ID, cu.ID, kinds, now, RevokeClosed); err != nil {
			return nil, err
		}
	}
	cu.AccountStatus = c.Status
	if err := tx.UpdateCustomer(ctx, cu); err != nil {
		return nil, err
	}
	event := newEvent(e, now, CustomerStatusChanged{CustomerID: cu.ID, From: from, To: c.Status})
	if err := tx.InsertEvents(ctx, []Event{event}); err != nil {
		return nil, err
	}
	return profile(ctx, tx, e, cu)
}

// closable refuses to close a customer that still holds money, owes any, or has a movement
// pending. balances are the customer's, locked.
func closable(ctx context.Context, tx Tx, e *Partner, customerID int64, balances []Balance) error {
	var h Hints
	for _, b := range balances {
		if b.Kind == BalanceWallet && b.Amount != 0 {
			h.Add("wallet", "not_empty")
		}
		if b.Held != 0 {
			h.Add("holds", "open")
		}
	}
	o, err := tx.Obligations(ctx, e.ID, customerID)
	if err != nil {
		return err
	}
	if o.Debt != 0 {
		h.Add("debt", "outstanding")
	}
	if o.PendingCashouts != 0 || o.Held != 0 {
		h.Add("holds", "open")
	}
	return h.Err(ENOTACTIVE)
}

// CustomerQuery filters and pages a partner's customers. Identifiers are matched after the
// normalisation uniqueness uses.
type CustomerQuery struct {
	Limit   int
	AfterID int64
	Email   string // compared by EmailKey
	Mobile  string // 10 digits
	RFC     string
	CURP    string
	Status  int // 0: any
	Level   int // 0: any
	From    time.Time
	To      time.Time
}

// SearchCustomers returns a page of partner e's customers matching q, and the id to continue
// after (0 on the last page).
func (s *Service) SearchCustomers(ctx context.Context, e *Partner, q CustomerQuery) ([]CustomerProfile, int64, error) {
	if err := q.normalize(); err != nil {
		return nil, 0, err
	}
	var profiles []CustomerProfile
	err := s.store.View(ctx, func(tx Tx) error {
		q := q
		q.Limit++ // one more than asked tells whether another page exists
		found, err := tx.SearchCustomers(ctx, e.ID, q)
		if err != nil {
			return err
		}
		profiles, err = profilesOf(ctx, tx, e, found)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(profiles) > q.Limit {
		profiles = profiles[:q.Limit]
		next = profiles[q.Limit-1].Customer.ID
	}
	return profiles, next, nil
}

// normalize checks q and brings its identifiers to their stored forms.
func (q *CustomerQuery) normalize() error {
	var h Hints
	if q.Limit < 1 || q.Limit > MaxChildrenLimit {
		h.Add("limit", "invalid")
	}
	if q.Status < 0 || q.Status > AccountStatusClosed {
		h.Add("status", "invalid")
	}
	if q.Level < 0 || q.Level > 4 {
		h.Add("account_level", "invalid")
	}
	if q.Email != "" {
		q.Email = emailKey(q.Email)
	}
	// Upper-cased as checkRFC and checkCURP store them ("ñ" too).
	q.RFC, q.CURP = strings.ToUpper(q.RFC), strings.ToUpper(q.CURP)
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		h.Add("created_to", "before_created_from")
	}
	return h.Err(EINVALID)
}

// profilesOf adds to customers their wallets and composite parents, in three queries.
func profilesOf(ctx context.Context, tx Tx, e *Partner, customers []Customer) ([]CustomerProfile, error) {
	if len(customers) == 0 {
		return []CustomerProfile{}, nil
	}
	ids := make([]int64, len(customers))
	for i, c := range customers {
		ids[i] = c.ID
	}
	wallets, err := tx.WalletsOf(ctx, e.ID, ids)
	if err != nil {
		return nil, err
	}
	parents, err := tx.ParentsOf(ctx, e.ID, ids)
	if err != nil {
		return nil, err
	}
	walletOf := map[int64]Balance{}
	for _, w := range wallets {
		walletOf[w.CustomerID] = w
	}
	parentOf := map[int64]*CompositeParent{}
	for i := range parents {
		if _, ok := parentOf[parents[i].CustomerID]; !ok {
			parentOf[parents[i].CustomerID] = &parents[i]
		}
	}
	out := make([]CustomerProfile, len(customers))
	for i, c := range customers {
		out[i] = CustomerProfile{Customer: c, Wallet: walletOf[c.ID], Parent: parentOf[c.ID]}
	}
	return out, nil
}
