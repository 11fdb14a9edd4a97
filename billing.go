package saldo

import (
	"context"
	"errors"
	"time"
)

// Scheduled work (§9.5): expired holds, cut-offs, overdue parents and the idempotency purge.
// Each piece is safe to run on any number of replicas at once: a hold is released by a
// conditional status change, a cut-off under the lock of its parent (and the statements'
// unique index), an overdue mark by a conditional UPDATE; whoever loses finds the work done.

// BillingReport is what a BillingRun did.
type BillingReport struct {
	HoldsExpired      int
	Statements        int
	Overdue           int
	IdempotencyPurged int64
}

// billingBatch is how many rows each step of BillingRun reads at a time.
const billingBatch = 100

// BillingRun does the scheduled work that is due at now.
func (s *Service) BillingRun(ctx context.Context, now time.Time) (BillingReport, error) {
	var r BillingReport
	var err error
	for {
		n, err := s.ExpireHolds(ctx, now, billingBatch)
		if err != nil {
			return r, err
		}
		r.HoldsExpired += n
		// Replicas read the same batch and share it out: stop only when a pass released
		// nothing, not when it released less than a batch, or holds past the batch wait.
		if n == 0 {
			break
		}
	}
	if r.Statements, err = s.closePeriods(ctx, now); err != nil {
		return r, err
	}
	if r.Overdue, err = s.markOverdue(ctx, now); err != nil {
		return r, err
	}
	r.IdempotencyPurged, err = s.purgeIdempotencyKeys(ctx, now)
	return r, err
}

// latestCutoffs returns, for each billing day, the latest date on or before today (Mexico
// City) that falls on it.
func latestCutoffs(now time.Time) [29]string {
	var cuts [29]string
	y, m, d := now.In(MexicoCity).Date()
	for day := 1; day <= 28; day++ {
		cut := time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
		if d < day {
			cut = time.Date(y, m-1, day, 0, 0, 0, 0, time.UTC)
		}
		cuts[day] = cut.Format(time.DateOnly)
	}
	return cuts
}

// cutoffAfter is the first date after day (YYYY-MM-DD) that falls on billingDay.
func cutoffAfter(day string, billingDay int) (string, error) {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return "", WrapError(EINTERNAL, err, "period start %q", day)
	}
	return nextBillingDate(billingDay, time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, MexicoCity)).Format(time.DateOnly), nil
}

// midnight is 00:00 in Mexico City on day (YYYY-MM-DD).
func midnight(day string) time.Time {
	t, _ := time.Parse(time.DateOnly, day)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, MexicoCity)
}

// closePeriods writes every statement due at now: each parent's periods one cut-off at a
// time, until none is left.
func (s *Service) closePeriods(ctx context.Context, now time.Time) (int, error) {
	cuts := latestCutoffs(now)
	made := 0
	for {
		var parents []CompositeParent
		err := s.store.View(ctx, func(tx Tx) (err error) {
			parents, err = tx.ParentsToClose(ctx, cuts, billingBatch)
			return err
		})
		if err != nil {
			return made, err
		}
		progress := 0
		for _, p := range parents {
			ok, err := s.closePeriod(ctx, p.ID, now)
			if err != nil {
				return made, err
			}
			if ok {
				made++
				progress++
			}
		}
		// A parent behind by several cut-offs comes back in the next pass; another replica
		// may be closing the same parents: stop when a pass changed nothing.
		if progress == 0 {
			return made, nil
		}
	}
}

// closePeriod writes parent id's statement for the first cut-off after its period began, if
// that cut-off is due at now and nobody wrote it first, and reports whether it wrote one.
func (s *Service) closePeriod(ctx context.Context, id string, now time.Time) (bool, error) {
	wrote := false
	err := s.store.Update(ctx, func(tx Tx) error {
		wrote = false
		p, err := tx.LockCompositeParent(ctx, id)
		if err != nil {
			return err
		}
		cutoff, err := cutoffAfter(p.PeriodStart, p.BillingDay)
		if err != nil || midnight(cutoff).After(now) {
			return err
		}
		e, err := tx.Partner(ctx, p.PartnerID)
		if err != nil {
			return err
		}
		st, err := buildStatement(ctx, tx, e, p, cutoff, now)
		if err != nil {
			return err
		}
		if err := tx.InsertStatement(ctx, st); err != nil {
			return err
		}
		if err := settleStatement(ctx, tx, p, st); err != nil {
			return err
		}
		payload, err := statementCreated(ctx, tx, e, p, st)
		if err != nil {
			return err
		}
		wrote = true
		return tx.InsertEvents(ctx, []Event{newEvent(e, now, payload)})
	})
	if errors.Is(err, ErrDuplicate) {
		return false, nil // another replica wrote it
	}
	return wrote, err
}

// buildStatement sums parent p's period ending at cutoff from its children's entries.
func buildStatement(ctx context.Context, tx Tx, e *Partner, p *CompositeParent, cutoff string, now time.Time) (*Statement, error) {
	from, to := midnight(p.PeriodStart), midnight(cutoff)
	st := &Statement{ParentID: p.ID, PartnerID: p.PartnerID, PeriodStart: p.PeriodStart, CutoffDate: cutoff,
		PaymentDueDate: midnight(cutoff).AddDate(0, 0, e.PaymentDueDays).Format(time.DateOnly), CreatedAt: now}
	previous, err := tx.LatestStatement(ctx, p.ID)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return nil, err
	}
	opening := map[int64]int64{}
	if previous != nil {
		st.OpeningBalance = previous.ClosingBalance
		for _, c := range previous.Children {
			opening[c.ChildID] = c.ClosingDebt
		}
	}
	children, err := tx.ChildrenCredit(ctx, p.ID, false)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(children))
	rows := make(map[int64]*StatementChild, len(children))
	st.Children = make([]StatementChild, len(children))
	for i, c := range children {
		ids[i] = c.ID
		st.Children[i] = StatementChild{ChildID: c.ID, CustomerID: c.CustomerID, OpeningDebt: opening[c.ID]}
		rows[c.ID] = &st.Children[i]
	}
	if st.Lines, err = tx.StatementLines(ctx, ids, from, to); err != nil {
		return nil, err
	}
	for _, l := range st.Lines {
		rows[l.ChildID].add(l)
	}
	for i := range st.Children {
		c := &st.Children[i]
		c.ClosingDebt = c.OpeningDebt + c.CumulativeCharges - c.CumulativeRefunds - c.CumulativePayments
		st.Charges += c.CumulativeCharges
		st.Refunds += c.CumulativeRefunds
		st.Payments += c.CumulativePayments
	}
	st.ClosingBalance = st.OpeningBalance + st.Charges - st.Refunds - st.Payments
	st.TotalDue = max(st.ClosingBalance, 0)
	st.MinDue = minimumDue(st.TotalDue, e)
	return st, nil
}

// add counts a line of the child's period.
func (c *StatementChild) add(l StatementLine) {
	switch l.Type {
	case TypeCharge:
		c.CumulativeCharges -= l.Amount
	case TypeRefund:
		c.CumulativeRefunds += l.Amount
	case TypePayment:
		c.CumulativePayments += l.Amount
	}
}

// minimumDue is what must be paid of total by the due date: the partner's percentage of it,
// rounded up, but at least its floor, and never more than total.
func minimumDue(total int64, e *Partner) int64 {
	percent := (total*int64(e.MinPaymentPercent) + 99) / 100
	return min(total, max(percent, e.MinPaymentFloor))
}

// settleStatement makes st's amounts what parent p owes, less what was paid since its
// cut-off: a payment after 00:00 that committed before this statement was written counts
// against it.
func settleStatement(ctx context.Context, tx Tx, p *CompositeParent, st *Statement) error {
	ids := make([]int64, len(st.Children))
	for i, c := range st.Children {
		ids[i] = c.ChildID
	}
	paid, err := tx.PaymentsSince(ctx, ids, midnight(st.CutoffDate))
	if err != nil {
		return err
	}
	total, minDue := max(st.TotalDue-paid, 0), max(st.MinDue-paid, 0)
	return tx.CloseParentPeriod(ctx, p.ID, st.CutoffDate, total, minDue, st.PaymentDueDate)
}

// markOverdue makes overdue the parents whose minimum is still due after their due date.
func (s *Service) markOverdue(ctx context.Context, now time.Time) (int, error) {
	marked := 0
	for {
		var parents []CompositeParent
		err := s.store.Update(ctx, func(tx Tx) (err error) {
			parents, err = tx.MarkOverdue(ctx, dayIn(now), billingBatch)
			if err != nil || len(parents) == 0 {
				return err
			}
			events := make([]Event, len(parents))
			for i, p := range parents {
				events[i] = newEvent(&Partner{ID: p.PartnerID}, now, CompositeParentOverdue{
					ParentID: p.ID, CustomerID: p.CustomerID, MinDuePayment: p.DueMin, TotalDuePayment: p.DueTotal, DueDate: p.DueDate})
			}
			return tx.InsertEvents(ctx, events)
		})
		if err != nil {
			return marked, err
		}
		marked += len(parents)
		if len(parents) < billingBatch {
			return marked, nil
		}
	}
}

// Statements limits.
const (
	DefaultStatementsLimit = 20
	MaxStatementsLimit     = 100
)

// Statements returns up to limit of partner e's parent's statements, newest first, with ids
// below beforeID, and the id to continue before (0 when there are no more).
func (s *Service) Statements(ctx context.Context, e *Partner, parentID string, beforeID int64, limit int) ([]Statement, int64, error) {
	if limit < 1 || limit > MaxStatementsLimit {
		return nil, 0, Errorf(EINVALID, "limit:invalid")
	}
	if !validParentID(parentID) {
		return nil, 0, Errorf(ENOTFOUND, "parent_id:not_found")
	}
	var list []Statement
	err := s.store.View(ctx, func(tx Tx) error {
		if _, err := tx.CompositeParent(ctx, e.ID, parentID); err != nil {
			return err
		}
		var err error
		list, err = tx.Statements(ctx, e.ID, parentID, beforeID, limit+1)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].ID
	}
	return list, next, nil
}

// Statement returns partner e's statement id.
func (s *Service) Statement(ctx context.Context, e *Partner, id int64) (*Statement, error) {
	if id <= 0 {
		return nil, Errorf(ENOTFOUND, "statement_id:not_found")
	}
	var st *Statement
	err := s.store.View(ctx, func(tx Tx) (err error) {
		st, err = tx.Statement(ctx, e.ID, id)
		return err
	})
	return st, err
}
