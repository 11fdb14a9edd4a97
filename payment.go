package saldo

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Pay repays debt on partner e's composite balance: a child's (r.ChildID), or a parent's
// children's, oldest charge first (r.ParentID). The money comes from outside saldo or from the
// wallet of the parent's owner. The externalTransactionId makes it safe to repeat.
func (s *Service) Pay(ctx context.Context, e *Partner, r PaymentRequest, idem *Idempotency[*CreditMovement]) (*CreditMovement, error) {
	var h Hints
	checkExternalID(&h, r.ExternalTransactionID)
	checkAmount(&h, r.Amount)
	switch r.Source {
	case "":
		r.Source = SourceExternal
	case SourceExternal, SourceWallet:
	default:
		h.Add("source", "invalid")
	}
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	switch {
	case r.ChildID == 0 && !validParentID(r.ParentID):
		return nil, Errorf(ENOTFOUND, "parent_id:not_found")
	case r.ChildID < 0:
		return nil, Errorf(ENOTFOUND, "child_id:not_found")
	}
	hash := requestHash(string(KindPayment), r.ParentID, formatID(r.ChildID), formatID(r.Amount), string(r.Source))
	return write(ctx, s, s.movements, e, idem, s.clock.Now(), func(w writeTx) (*CreditMovement, error) {
		if w.refused {
			if m, err := repeatedCredit(ctx, w.Tx, e, r.ExternalTransactionID, hash); m != nil || err != nil {
				return m, err
			}
		}
		return pay(ctx, w, e, r, hash)
	})
}

func pay(ctx context.Context, w writeTx, e *Partner, r PaymentRequest, hash []byte) (*CreditMovement, error) {
	tx, now := w.Tx, w.now
	p, child, err := paymentTarget(ctx, tx, e, r)
	if err != nil {
		return nil, err
	}
	t := LedgerTransaction{PartnerID: e.ID, Kind: KindPayment, Status: StatusCompleted, Amount: r.Amount,
		ReferenceKind: ReferenceExternal, ReferenceID: r.ExternalTransactionID, RequestHash: hash,
		BalanceID: p.BalanceID, CreatedAt: now, UpdatedAt: now}
	if child != nil {
		t.BalanceID = child.ID
	}
	if err := insertTransaction(ctx, tx, &t); err != nil {
		return nil, err
	}
	// The owner's wallet is older than any child of its parent: debited first, it is locked
	// in the global order, lower balance id first.
	source, err := paymentSource(ctx, tx, e, r, p, now)
	if err != nil {
		return nil, err
	}
	var paid []paidChild
	if child != nil {
		c, err := tx.RepayChild(ctx, child.ID, r.Amount, true)
		if err != nil {
			return nil, err
		}
		paid = []paidChild{{ChildCredit: c, paid: r.Amount}}
	} else if paid, err = payOldestFirst(ctx, tx, p, r.Amount); err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(paid)+1)
	for _, c := range paid {
		entries = append(entries, Entry{PartnerID: e.ID, BalanceID: c.ID, CustomerID: c.CustomerID, Type: TypePayment,
			Amount: c.paid, BalanceAfter: -c.Debt})
	}
	entries = append(entries, source.entry(e, r.Amount))
	if _, err := tx.ReduceParentDue(ctx, p.ID, r.Amount); err != nil {
		return nil, err
	}
	if err := record(ctx, tx, e, &t, entries, now); err != nil {
		return nil, err
	}
	var m *CreditMovement
	if child != nil {
		m = childMovement(e, &t, paid[0].ChildCredit)
	} else if m, err = parentMovement(ctx, tx, e, &t, p); err != nil {
		return nil, err
	}
	m.Wallet = source.wallet
	return m, nil
}

// paymentTarget finds what a payment repays: a child and its parent, or a parent alone. A
// parent's payment is recorded against the parent's balance.
func paymentTarget(ctx context.Context, tx Tx, e *Partner, r PaymentRequest) (*CompositeParent, *CompositeChild, error) {
	if r.ChildID != 0 {
		c, err := tx.CompositeChild(ctx, e.ID, r.ChildID, false)
		if err != nil {
			return nil, nil, err
		}
		p, err := tx.CompositeParent(ctx, e.ID, c.ParentID)
		return p, c, err
	}
	p, err := tx.CompositeParent(ctx, e.ID, r.ParentID)
	return p, nil, err
}

// paymentFrom is where a payment's money came from: the partner's repayments account, or a
// wallet (after the debit).
type paymentFrom struct {
	wallet     *BalanceAmounts
	customerID int64
}

func (f paymentFrom) entry(e *Partner, amount int64) Entry {
	if f.wallet == nil {
		return Entry{PartnerID: e.ID, SystemAccount: AccountRepayments, Type: TypePayment, Amount: -amount}
	}
	return Entry{PartnerID: e.ID, BalanceID: f.wallet.ID, CustomerID: f.customerID, Type: TypePayment, Amount: -amount,
		BalanceAfter: f.wallet.Amount}
}

// paymentSource takes a wallet payment's money from the parent's owner's wallet.
func paymentSource(ctx context.Context, tx Tx, e *Partner, r PaymentRequest, p *CompositeParent, now time.Time) (paymentFrom, error) {
	if r.Source != SourceWallet {
		return paymentFrom{}, nil
	}
	w, err := walletOf(ctx, tx, e, p.CustomerID, dayIn(now), "source")
	if err != nil {
		return paymentFrom{}, err
	}
	if w.CustomerStatus != accountStatusActive {
		return paymentFrom{}, Errorf(ENOTACTIVE, "source:not_active")
	}
	after, err := tx.Debit(ctx, w.ID, r.Amount)
	if err != nil {
		return paymentFrom{}, inactiveAs(err, Errorf(ENOTACTIVE, "source:not_active"))
	}
	return paymentFrom{wallet: &after, customerID: w.CustomerID}, nil
}

// paidChild is a child's credit after a payment, and what the payment gave it.
type paidChild struct {
	ChildCredit
	paid int64
}

// payOldestFirst spreads amount over parent p's children's debts, the oldest charge still
// owed first, whichever child it is on. Charges are owed newest first: payments and refunds
// settle a child's oldest charges, so its debt is its newest charges'.
func payOldestFirst(ctx context.Context, tx Tx, p *CompositeParent, amount int64) ([]paidChild, error) {
	children, err := tx.ChildrenCredit(ctx, p.ID, true)
	if err != nil {
		return nil, err
	}
	var owed []NetCharge
	var total int64
	for _, c := range children {
		if c.Debt <= 0 {
			continue
		}
		total += c.Debt
		charges, err := owedCharges(ctx, tx, c)
		if err != nil {
			return nil, err
		}
		owed = append(owed, charges...)
	}
	if amount > total {
		return nil, Errorf(EINVALIDSTATE, "amount:exceeds_debt")
	}
	slices.SortFunc(owed, func(a, b NetCharge) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.TransactionID, b.TransactionID))
	})
	share := map[int64]int64{}
	for _, ch := range owed {
		take := min(ch.Net, amount)
		share[ch.ChildID] += take
		if amount -= take; amount == 0 {
			break
		}
	}
	var paid []paidChild
	for _, c := range children { // in id order: the order their balances were locked in
		if share[c.ID] == 0 {
			continue
		}
		after, err := tx.RepayChild(ctx, c.ID, share[c.ID], true)
		if err != nil {
			return nil, err
		}
		paid = append(paid, paidChild{ChildCredit: after, paid: share[c.ID]})
	}
	return paid, nil
}

// owedChargesPage is how many charges owedCharges reads at a time.
const owedChargesPage = 100

// owedCharges returns what child c still owes of each charge: its newest charges up to its
// debt. Debt no charge explains (none should) is owed since the beginning.
func owedCharges(ctx context.Context, tx Tx, c ChildCredit) ([]NetCharge, error) {
	var owed []NetCharge
	left, before := c.Debt, int64(0)
	for left > 0 {
		page, err := tx.NetCharges(ctx, c.ID, before, owedChargesPage)
		if err != nil {
			return nil, err
		}
		for _, ch := range page {
			ch.Net = min(ch.Net, left)
			owed = append(owed, ch)
			if left -= ch.Net; left == 0 {
				return owed, nil
			}
		}
		if len(page) < owedChargesPage {
			break
		}
		before = page[len(page)-1].TransactionID
	}
	return append(owed, NetCharge{ChildID: c.ID, Net: left}), nil
}
