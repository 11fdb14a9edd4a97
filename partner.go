package saldo

import (
	"context"
	"time"
)

// Partner is a tenant whose customers saldo onboards: an "e-commerce" in the contract's
// words, which the wire, the CLI and the schema keep. Every partner route is called with its
// token; everything a partner creates is visible to it alone.
type Partner struct {
	ID                int64
	Name              string
	CompositeBalances bool  // customers get a composite balance parent at creation
	MaxCreditLine     int64 // cents; the highest parent credit line a create may ask for
	StrictRFC         bool  // enforce the RFC check digit
	MaxKYCLevel       int   // the highest account_level assigned at creation
	OAuthTokenTTL     time.Duration
	RefreshTokenTTL   time.Duration
	BillingDay        int   // 1–28; 0 means the day the parent is created, capped at 28
	PaymentDueDays    int   // days from the billing date to the due date
	Overlimit         int64 // cents a parent may spend beyond its credit line
	// CLABEPrefix is the 3-digit bank and 3-digit plaza codes of the partner's SPEI
	// participant; its wallets' CLABEs start with it. "" means its wallets have none.
	CLABEPrefix           string
	AuthorizationHoldDays int   // days a card authorization holds credit before it is released
	MinPaymentPercent     int   // the minimum payment of a statement, in percent of its balance
	MinPaymentFloor       int64 // cents; the least minimum payment, unless the balance is lower
	TokenHash             []byte
	CreatedAt             time.Time

	// verifyToken is set on a partner that AuthenticatePartnerForWrite took from its cache:
	// the hash of the token presented, which the write's transaction checks is still the
	// partner's.
	verifyToken []byte
}

// Partner defaults, from the contract.
const (
	DefaultMaxCreditLine         int64 = 10_000_000_000
	DefaultMaxKYCLevel                 = 3
	DefaultOAuthTokenTTL               = time.Hour
	DefaultRefreshTokenTTL             = 90 * 24 * time.Hour
	DefaultPaymentDueDays              = 10
	DefaultAuthorizationHoldDays       = 7
	DefaultMinPaymentPercent           = 10
	DefaultMinPaymentFloor       int64 = 20_000
)

// NewPartner is the input of Service.CreatePartner. Zero values take the defaults.
type NewPartner struct {
	Name              string
	CompositeBalances bool
	MaxCreditLine     int64
	StrictRFC         bool
	MaxKYCLevel       int
	OAuthTokenTTL     time.Duration
	RefreshTokenTTL   time.Duration
	BillingDay        int
	PaymentDueDays    int
	Overlimit         int64
	CLABEPrefix       string
	// AuthorizationHoldDays, MinPaymentPercent and MinPaymentFloor take their defaults when nil.
	AuthorizationHoldDays *int
	MinPaymentPercent     *int
	MinPaymentFloor       *int64
}

// normalize validates the partner settings and fills in defaults.
func (n NewPartner) normalize() (NewPartner, error) {
	var h Hints
	if n.Name == "" || len(n.Name) > 120 {
		h.Add("name", "invalid")
	}
	if n.MaxCreditLine == 0 {
		n.MaxCreditLine = DefaultMaxCreditLine
	}
	if n.MaxCreditLine < 0 || n.MaxCreditLine > maxCreditLine {
		h.Add("max_credit_line", "invalid")
	}
	if n.MaxKYCLevel == 0 {
		n.MaxKYCLevel = DefaultMaxKYCLevel
	}
	if n.MaxKYCLevel < 1 || n.MaxKYCLevel > 3 {
		h.Add("max_kyc_level", "invalid")
	}
	if n.OAuthTokenTTL == 0 {
		n.OAuthTokenTTL = DefaultOAuthTokenTTL
	}
	if n.RefreshTokenTTL == 0 {
		n.RefreshTokenTTL = DefaultRefreshTokenTTL
	}
	if n.OAuthTokenTTL < time.Second || n.RefreshTokenTTL < time.Second {
		h.Add("token_ttl", "invalid")
	}
	if n.BillingDay < 0 || n.BillingDay > 28 {
		h.Add("billing_day", "invalid")
	}
	if n.PaymentDueDays == 0 {
		n.PaymentDueDays = DefaultPaymentDueDays
	}
	if n.PaymentDueDays < 0 || n.PaymentDueDays > 60 {
		h.Add("payment_due_days", "invalid")
	}
	if n.Overlimit < 0 || n.Overlimit > maxCreditLine {
		h.Add("overlimit", "invalid")
	}
	if !validCLABEPrefix(n.CLABEPrefix) {
		h.Add("clabe_prefix", "invalid")
	}
	n.AuthorizationHoldDays = cmpOrDefault(n.AuthorizationHoldDays, DefaultAuthorizationHoldDays)
	if d := *n.AuthorizationHoldDays; d < 1 || d > 30 {
		h.Add("authorization_hold_days", "invalid")
	}
	n.MinPaymentPercent = cmpOrDefault(n.MinPaymentPercent, DefaultMinPaymentPercent)
	if p := *n.MinPaymentPercent; p < 0 || p > 100 {
		h.Add("min_payment_percent", "invalid")
	}
	n.MinPaymentFloor = cmpOrDefault(n.MinPaymentFloor, DefaultMinPaymentFloor)
	if f := *n.MinPaymentFloor; f < 0 || f > maxCreditLine {
		h.Add("min_payment_floor", "invalid")
	}
	return n, h.Err(EINVALID)
}

// row is the partner to store for normalized settings n.
func (n NewPartner) row(tokenHash []byte) *Partner {
	return &Partner{
		Name:                  n.Name,
		CompositeBalances:     n.CompositeBalances,
		MaxCreditLine:         n.MaxCreditLine,
		StrictRFC:             n.StrictRFC,
		MaxKYCLevel:           n.MaxKYCLevel,
		OAuthTokenTTL:         n.OAuthTokenTTL,
		RefreshTokenTTL:       n.RefreshTokenTTL,
		BillingDay:            n.BillingDay,
		PaymentDueDays:        n.PaymentDueDays,
		Overlimit:             n.Overlimit,
		CLABEPrefix:           n.CLABEPrefix,
		AuthorizationHoldDays: *n.AuthorizationHoldDays,
		MinPaymentPercent:     *n.MinPaymentPercent,
		MinPaymentFloor:       *n.MinPaymentFloor,
		TokenHash:             tokenHash,
	}
}

// cmpOrDefault is v, or a pointer to def when v is nil.
func cmpOrDefault[T any](v *T, def T) *T {
	if v == nil {
		return &def
	}
	return v
}

// settings are e's settings as a NewPartner, for an update to change some of them.
func (e *Partner) settings() NewPartner {
	return NewPartner{
		Name: e.Name, CompositeBalances: e.CompositeBalances, MaxCreditLine: e.MaxCreditLine,
		StrictRFC: e.StrictRFC, MaxKYCLevel: e.MaxKYCLevel, OAuthTokenTTL: e.OAuthTokenTTL,
		RefreshTokenTTL: e.RefreshTokenTTL, BillingDay: e.BillingDay, PaymentDueDays: e.PaymentDueDays,
		Overlimit: e.Overlimit, CLABEPrefix: e.CLABEPrefix, AuthorizationHoldDays: &e.AuthorizationHoldDays,
		MinPaymentPercent: &e.MinPaymentPercent, MinPaymentFloor: &e.MinPaymentFloor,
	}
}

// UpdatePartner changes partner id's settings: change receives its current settings and
// edits them. The token stays.
func (s *Service) UpdatePartner(ctx context.Context, id int64, change func(*NewPartner)) (*Partner, error) {
	var updated *Partner
	err := s.store.Update(ctx, func(tx Tx) error {
		e, err := tx.Partner(ctx, id)
		if err != nil {
			return err
		}
		n := e.settings()
		change(&n)
		n, err = n.normalize()
		if err != nil {
			return err
		}
		updated = n.row(e.TokenHash)
		updated.ID, updated.CreatedAt = e.ID, e.CreatedAt
		return tx.UpdatePartner(ctx, updated)
	})
	if err != nil {
		return nil, err
	}
	s.partners.clear()
	return updated, nil
}
