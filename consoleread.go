package saldo

import (
	"context"
	"time"
)

// What the operator console reads and does beyond the API's use cases. Its mutations go
// through the same methods as the API's (SetCustomerStatus, RotatePartnerToken,
// RedeliverEvent) or, where the API has none, through a method here that the API could call
// as well.

// ConsoleDays is how many days the overview's charts cover.
const ConsoleDays = 30

// Overview is what the console's first page draws.
type Overview struct {
	Days               []time.Time // the start of each day, oldest first (Mexico City days)
	CustomersCreated   []int64     // per day
	DeliveriesSucceded []int64     // webhook attempts answered 2xx, per day
	DeliveriesFailed   []int64     // other webhook attempts, per day
	Partners           []*Partner
	Totals             []PartnerTotals // of each partner, in Partners' order
}

// Overview reads the overview's series in one snapshot.
func (s *Service) Overview(ctx context.Context) (*Overview, error) {
	v := &Overview{}
	bounds := dayBounds(s.clock.Now(), ConsoleDays)
	v.Days = bounds[:ConsoleDays]
	err := s.store.View(ctx, func(tx Tx) (err error) {
		if v.CustomersCreated, err = tx.CountByDay(ctx, SeriesCustomersCreated, bounds); err != nil {
			return err
		}
		if v.DeliveriesSucceded, err = tx.CountByDay(ctx, SeriesDeliveriesSucceded, bounds); err != nil {
			return err
		}
		if v.DeliveriesFailed, err = tx.CountByDay(ctx, SeriesDeliveriesFailed, bounds); err != nil {
			return err
		}
		if v.Partners, err = tx.Partners(ctx); err != nil {
			return err
		}
		ids := make([]int64, len(v.Partners))
		for i, e := range v.Partners {
			ids[i] = e.ID
		}
		v.Totals, err = tx.PartnerTotals(ctx, ids)
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// dayBounds are the starts of the last days calendar days in Mexico City up to now's, and the
// start of the day after: days+1 instants.
func dayBounds(now time.Time, days int) []time.Time {
	y, m, d := now.In(MexicoCity).Date()
	first := time.Date(y, m, d-days+1, 0, 0, 0, 0, MexicoCity)
	out := make([]time.Time, days+1)
	for i := range out {
		out[i] = first.AddDate(0, 0, i)
	}
	return out
}

// CustomerPartner returns the partner of customer id, across partners, for the console, which
// names a customer by its id alone. ENOTFOUND when there is no such customer.
func (s *Service) CustomerPartner(ctx context.Context, id int64) (*Partner, error) {
	if id <= 0 {
		return nil, Errorf(ENOTFOUND, "customer_id:not_found")
	}
	var e *Partner
	err := s.store.View(ctx, func(tx Tx) error {
		partnerID, err := tx.CustomerPartnerID(ctx, id)
		if err != nil {
			return Errorf(ENOTFOUND, "customer_id:not_found")
		}
		e, err = tx.Partner(ctx, partnerID)
		return err
	})
	return e, err
}

// CustomerSessions returns partner e's customer's live sessions: its oauth and refresh tokens
// neither revoked nor expired, newest first.
func (s *Service) CustomerSessions(ctx context.Context, e *Partner, customerID int64) ([]Token, error) {
	var list []Token
	now := s.clock.Now()
	err := s.store.View(ctx, func(tx Tx) (err error) {
		list, err = tx.LiveCustomerTokens(ctx, e.ID, customerID, now)
		return err
	})
	return list, err
}

// RevokeCustomerSessions revokes every oauth and refresh token of partner e's customer, so
// that the customer must connect again; its private key stays. It returns how many it
// revoked.
func (s *Service) RevokeCustomerSessions(ctx context.Context, e *Partner, customerID int64) (int, error) {
	if customerID <= 0 {
		return 0, Errorf(ENOTFOUND, "customer_id:not_found")
	}
	return write(ctx, s, nil, e, nil, s.clock.Now(), func(w writeTx) (int, error) {
		if _, err := w.LockCustomer(ctx, e.ID, customerID); err != nil {
			return 0, err
		}
		ids, err := w.RevokeCustomerTokens(ctx, e.ID, customerID, []TokenKind{TokenOAuth, TokenRefresh}, w.now, RevokeRevoked)
		return len(ids), err
	})
}

// CustomerEvents returns up to limit of partner e's events about its customer, newest first.
func (s *Service) CustomerEvents(ctx context.Context, e *Partner, customerID int64, limit int) ([]Event, error) {
	var list []Event
	err := s.store.View(ctx, func(tx Tx) (err error) {
		list, err = tx.SubjectEvents(ctx, e.ID, formatID(customerID), limit)
		return err
	})
	return list, err
}
