package saldo

import (
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
	TokenHash         []byte
	CreatedAt         time.Time

	// verifyToken is set on a partner that AuthenticatePartnerForWrite took from its cache:
	// the hash of the token presented, which the write's transaction checks is still the
	// partner's.
	verifyToken []byte
}

// Partner defaults, from the contract.
const (
	DefaultMaxCreditLine   int64 = 10_000_000_000
	DefaultMaxKYCLevel           = 3
	DefaultOAuthTokenTTL         = time.Hour
	DefaultRefreshTokenTTL       = 90 * 24 * time.Hour
	DefaultPaymentDueDays        = 10
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
	return n, h.Err(EINVALID)
}

// row is the partner to store for normalized settings n.
func (n NewPartner) row(tokenHash []byte) *Partner {
	return &Partner{
		Name:              n.Name,
		CompositeBalances: n.CompositeBalances,
		MaxCreditLine:     n.MaxCreditLine,
		StrictRFC:         n.StrictRFC,
		MaxKYCLevel:       n.MaxKYCLevel,
		OAuthTokenTTL:     n.OAuthTokenTTL,
		RefreshTokenTTL:   n.RefreshTokenTTL,
		BillingDay:        n.BillingDay,
		PaymentDueDays:    n.PaymentDueDays,
		Overlimit:         n.Overlimit,
		TokenHash:         tokenHash,
	}
}
