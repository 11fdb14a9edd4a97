package saldo

import (
	"bytes"
	"context"
	"strconv"
	"time"
)

// checkMerchant records a merchant the charge cannot carry.
func checkMerchant(h *Hints, m Merchant) {
	checkLength(h, "merchant.name", m.Name, 120)
	if m.MCC == "" {
		return
	}
	if len(m.MCC) != 4 {
		h.Add("merchant.mcc", "invalid")
		return
	}
	for i := 0; i < 4; i++ {
		if m.MCC[i] < '0' || m.MCC[i] > '9' {
			h.Add("merchant.mcc", "invalid")
			return
		}
	}
}

// checkExternalID records a missing or over-long externalTransactionId.
func checkExternalID(h *Hints, id string) {
	if id == "" {
		h.Add("externalTransactionId", "required")
		return
	}
	checkLength(h, "externalTransactionId", id, 64)
}

// Charge charges partner e's child: a posted charge, or with r.Capture false an
// authorization that holds the amount. The partner's externalTransactionId makes it safe to
// repeat.
func (s *Service) Charge(ctx context.Context, e *Partner, r ChargeRequest, idem *Idempotency[*CreditMovement]) (*CreditMovement, error) {
	var h Hints
	checkExternalID(&h, r.ExternalTransactionID)
	checkAmount(&h, r.Amount)
	checkLength(&h, "description", r.Description, 255)
	checkMerchant(&h, r.Merchant)
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	if r.ChildID <= 0 {
		return nil, Errorf(ENOTFOUND, "child_id:not_found")
	}
	hash := requestHash(string(KindCharge), formatID(r.ChildID), formatID(r.Amount), r.Description,
		r.Merchant.Name, r.Merchant.MCC, strconv.FormatBool(r.Capture))
	return write(ctx, s, s.movements, e, idem, s.clock.Now(), func(w writeTx) (*CreditMovement, error) {
		if w.refused {
			if m, err := repeatedCredit(ctx, w.Tx, e, r.ExternalTransactionID, hash); m != nil || err != nil {
				return m, err
			}
		}
		return charge(ctx, w, e, r, hash)
	})
}

func charge(ctx context.Context, w writeTx, e *Partner, r ChargeRequest, hash []byte) (*CreditMovement, error) {
	tx, now := w.Tx, w.now
	t := LedgerTransaction{PartnerID: e.ID, Kind: KindCharge, Status: StatusCompleted, Amount: r.Amount,
		ReferenceKind: ReferenceExternal, ReferenceID: r.ExternalTransactionID, RequestHash: hash,
		Description: r.Description, BalanceID: r.ChildID, Merchant: r.Merchant, CreatedAt: now, UpdatedAt: now}
	posted, hold := r.Amount, int64(0)
	if r.Capture {
		t.Captured = r.Amount
	} else {
		t.Status, t.ExpiresAt = StatusPending, now.Add(time.Duration(e.AuthorizationHoldDays)*24*time.Hour)
		posted, hold = 0, r.Amount
	}
	if err := insertTransaction(ctx, tx, &t); err != nil {
		return nil, err
	}
	c, err := tx.ChargeChild(ctx, e.ID, r.ChildID, posted, hold, e.Overlimit)
	if err != nil {
		return nil, err
	}
	var entries []Entry
	if posted > 0 {
		entries = cardEntries(e, c, TypeCharge, -posted)
	}
	if err := record(ctx, tx, e, &t, entries, now); err != nil {
		return nil, err
	}
	return childMovement(e, &t, c), nil
}

// cardEntries are the entries of amount (signed as the child sees it) between a child and
// the partner's card network account.
func cardEntries(e *Partner, c ChildCredit, typ TransactionType, amount int64) []Entry {
	return []Entry{
		{PartnerID: e.ID, BalanceID: c.ID, CustomerID: c.CustomerID, Type: typ, Amount: amount, BalanceAfter: -c.Debt},
		{PartnerID: e.ID, SystemAccount: AccountCardNetwork, Type: typ, Amount: -amount},
	}
}

func childMovement(e *Partner, t *LedgerTransaction, c ChildCredit) *CreditMovement {
	return &CreditMovement{Transaction: *t, ChildID: c.ID, ParentID: c.ParentID, Debt: c.Debt, Held: c.Held,
		CreditLimit: c.CreditLine + e.Overlimit}
}

// repeatedCredit answers a write of credit whose externalTransactionId was used already: with
// the first transaction and the child's credit now when the request is the same, else
// ECONFLICT. It returns nil, nil when the id is unused.
func repeatedCredit(ctx context.Context, tx Tx, e *Partner, id string, hash []byte) (*CreditMovement, error) {
	t, err := tx.TransactionByReference(ctx, e.ID, ReferenceExternal, id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(t.RequestHash, hash) {
		return nil, Errorf(ECONFLICT, "externalTransactionId:duplicate")
	}
	return creditNow(ctx, tx, e, t)
}

// creditNow is transaction t with the credit of the balance it is about as it stands.
func creditNow(ctx context.Context, tx Tx, e *Partner, t *LedgerTransaction) (*CreditMovement, error) {
	c, err := tx.CompositeChild(ctx, e.ID, t.BalanceID, false)
	if err == nil {
		return &CreditMovement{Transaction: *t, ChildID: c.ID, ParentID: c.ParentID, Debt: c.Debt, Held: c.Held,
			CreditLimit: c.CreditLine + e.Overlimit}, nil
	}
	if ErrorCode(err) != ENOTFOUND {
		return nil, err
	}
	// A parent's payment: its balance is the parent's.
	p, err := tx.CompositeParentByBalance(ctx, e.ID, t.BalanceID)
	if err != nil {
		return nil, err
	}
	return parentMovement(ctx, tx, e, t, p)
}

func parentMovement(ctx context.Context, tx Tx, e *Partner, t *LedgerTransaction, p *CompositeParent) (*CreditMovement, error) {
	_, debt, held, err := tx.ParentTotals(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	return &CreditMovement{Transaction: *t, ParentID: p.ID, Debt: debt, Held: held, CreditLimit: p.CreditLine + e.Overlimit}, nil
}

// Capture posts an authorization of partner e: r.Amount of it, or all of it when 0; the
// rest of the hold is released.
func (s *Service) Capture(ctx context.Context, e *Partner, r CaptureRequest, idem *Idempotency[*CreditMovement]) (*CreditMovement, error) {
	var h Hints
	if r.Amount != 0 {
		checkAmount(&h, r.Amount)
	}
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	return s.settleHold(ctx, e, r.TransactionID, idem, func(t *LedgerTransaction) (int64, error) {
		amount := r.Amount
		if amount == 0 {
			amount = t.Amount
		}
		if amount > t.Amount {
			return 0, Errorf(EINVALIDSTATE, "amount:exceeds_hold")
		}
		return amount, nil
	})
}

// Void releases an authorization of partner e.
func (s *Service) Void(ctx context.Context, e *Partner, transactionID int64, idem *Idempotency[*CreditMovement]) (*CreditMovement, error) {
	return s.settleHold(ctx, e, transactionID, idem, func(*LedgerTransaction) (int64, error) { return 0, nil })
}

// settleHold captures (posted > 0) or voids (posted = 0) authorization id; posted says how
// much of it to post.
func (s *Service) settleHold(ctx context.Context, e *Partner, id int64, idem *Idempotency[*CreditMovement], posted func(*LedgerTransaction) (int64, error)) (*CreditMovement, error) {
	if id <= 0 {
		return nil, Errorf(ENOTFOUND, "transaction_id:not_found")
	}
	return write(ctx, s, s.movements, e, idem, s.clock.Now(), func(w writeTx) (*CreditMovement, error) {
		t, err := lockedCharge(ctx, w.Tx, e, id)
		if err != nil {
			return nil, err
		}
		if t.Status != StatusPending {
			return nil, Errorf(EINVALIDSTATE, "transaction:already_"+statusWord[t.Status])
		}
		amount, err := posted(t)
		if err != nil {
			return nil, err
		}
		return releaseHold(ctx, w.Tx, e, t, amount, "", w.now)
	})
}

// lockedCharge returns partner e's charge id, locked.
func lockedCharge(ctx context.Context, tx Tx, e *Partner, id int64) (*LedgerTransaction, error) {
	t, err := tx.LedgerTransaction(ctx, e.ID, id, true)
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(ENOTFOUND, "transaction_id:not_found")
	}
	if err != nil {
		return nil, err
	}
	if t.Kind != KindCharge {
		return nil, Errorf(EINVALIDSTATE, "transaction_id:not_a_charge")
	}
	return t, nil
}

// releaseHold ends pending authorization t: posts posted of it (a capture) or nothing (a
// void, or an expiry with reason "expired"), and releases the hold.
func releaseHold(ctx context.Context, tx Tx, e *Partner, t *LedgerTransaction, posted int64, reason string, now time.Time) (*CreditMovement, error) {
	to := StatusCompleted
	if posted == 0 {
		to = StatusVoided
		if err := tx.SetTransactionStatus(ctx, t.ID, StatusPending, to, reason, now); err != nil {
			return nil, err
		}
	} else if err := tx.CaptureCharge(ctx, t.ID, posted, now); err != nil {
		return nil, err
	}
	c, err := tx.ReleaseHold(ctx, t.BalanceID, t.Amount, posted)
	if err != nil {
		return nil, err
	}
	if posted > 0 {
		entries := cardEntries(e, c, TypeCharge, -posted)
		for i := range entries {
			entries[i].TransactionID, entries[i].CreatedAt = t.ID, now
		}
		if err := tx.InsertEntries(ctx, entries); err != nil {
			return nil, err
		}
	}
	previous := t.Status
	t.Status, t.Captured, t.Reason, t.UpdatedAt = to, posted, reason, now
	ev := TransactionUpdated{TransactionID: t.ID, Kind: t.Kind, PreviousStatus: previous, Status: to, Captured: posted, Reason: reason}
	if err := tx.InsertEvents(ctx, []Event{newEvent(e, now, ev)}); err != nil {
		return nil, err
	}
	return childMovement(e, t, c), nil
}

// Refund gives back r.Amount of a captured charge of partner e: it lowers the child's debt
// (below 0 when the charge was paid already: the customer is then owed it).
func (s *Service) Refund(ctx context.Context, e *Partner, r RefundRequest, idem *Idempotency[*CreditMovement]) (*CreditMovement, error) {
	var h Hints
	checkAmount(&h, r.Amount)
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	if r.TransactionID <= 0 {
		return nil, Errorf(ENOTFOUND, "transaction_id:not_found")
	}
	return write(ctx, s, s.movements, e, idem, s.clock.Now(), func(w writeTx) (*CreditMovement, error) {
		tx, now := w.Tx, w.now
		t, err := lockedCharge(ctx, tx, e, r.TransactionID)
		if err != nil {
			return nil, err
		}
		if t.Status != StatusCompleted {
			return nil, Errorf(EINVALIDSTATE, "transaction:not_captured")
		}
		if err := tx.AddRefunded(ctx, t.ID, r.Amount, now); err != nil {
			return nil, err
		}
		refund := LedgerTransaction{PartnerID: e.ID, Kind: KindRefund, Status: StatusCompleted, Amount: r.Amount,
			RequestHash: []byte{}, ReversesID: t.ID, Description: t.Description, BalanceID: t.BalanceID,
			Merchant: t.Merchant, CreatedAt: now, UpdatedAt: now}
		if err := insertTransaction(ctx, tx, &refund); err != nil {
			return nil, err
		}
		c, err := tx.RepayChild(ctx, t.BalanceID, r.Amount, false)
		if err != nil {
			return nil, err
		}
		if err := record(ctx, tx, e, &refund, cardEntries(e, c, TypeRefund, r.Amount), now); err != nil {
			return nil, err
		}
		return childMovement(e, &refund, c), nil
	})
}

// ExpireHolds releases up to limit authorizations whose hold ran out by now, each in a
// transaction of its own, and returns how many it released. An authorization captured or
// voided meanwhile, or released by another replica, is left alone.
func (s *Service) ExpireHolds(ctx context.Context, now time.Time, limit int) (int, error) {
	var holds []LedgerTransaction
	err := s.store.View(ctx, func(tx Tx) (err error) {
		holds, err = tx.ExpiredHolds(ctx, now, limit)
		return err
	})
	if err != nil {
		return 0, err
	}
	released := 0
	for _, h := range holds {
		err := s.store.Update(ctx, func(tx Tx) error {
			e, err := tx.Partner(ctx, h.PartnerID)
			if err != nil {
				return err
			}
			t, err := tx.LedgerTransaction(ctx, e.ID, h.ID, true)
			if err != nil {
				return err
			}
			if t.Status != StatusPending {
				return Errorf(EINVALIDSTATE, "transaction:already_"+statusWord[t.Status])
			}
			_, err = releaseHold(ctx, tx, e, t, 0, "expired", now)
			return err
		})
		switch {
		case err == nil:
			released++
		case ErrorCode(err) != EINVALIDSTATE:
			return released, err
		}
	}
	return released, nil
}
