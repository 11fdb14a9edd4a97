package sqlstore

import (
	"time"

	"github.com/saldo-mx/saldo"
)

// Times converts instants to and from an engine's column type.
type Times interface {
	// Arg is the query argument that stores t.
	Arg(t time.Time) any
	// Dest is a Scan destination that fills *t.
	Dest(t *time.Time) any
}

// customerColumns are the customers columns, the id first; customerColumnsNoID leave the id
// to the engine.
var (
	customerColumns = newColumns("customers", []column[saldo.Customer]{
		field("id", func(c *saldo.Customer) *int64 { return &c.ID }),
		field("ecommerce_id", func(c *saldo.Customer) *int64 { return &c.PartnerID }),
		field("email", func(c *saldo.Customer) *string { return &c.Email }),
		derived("email_key", (*saldo.Customer).EmailKey),
		derived("email_key_version", func(*saldo.Customer) int { return saldo.EmailKeyVersion }),
		field("mobile_country_code", func(c *saldo.Customer) *string { return &c.MobileCountryCode }),
		field("mobile", func(c *saldo.Customer) *string { return &c.Mobile }),
		field("first_name", func(c *saldo.Customer) *string { return &c.FirstName }),
		field("middle_name", func(c *saldo.Customer) *string { return &c.MiddleName }),
		field("last_name", func(c *saldo.Customer) *string { return &c.LastName }),
		field("second_last_name", func(c *saldo.Customer) *string { return &c.SecondLastName }),
		field("gender", func(c *saldo.Customer) *int { return &c.Gender }),
		field("rfc", func(c *saldo.Customer) *string { return &c.RFC }),
		field("curp", func(c *saldo.Customer) *string { return &c.CURP }),
		field("date_of_birth", func(c *saldo.Customer) *string { return &c.DateOfBirth }),
		field("password_hash", func(c *saldo.Customer) *string { return &c.PasswordHash }),
		field("account_level", func(c *saldo.Customer) *int { return &c.AccountLevel }),
		field("account_status", func(c *saldo.Customer) *int { return &c.AccountStatus }),
		field("risk_level", func(c *saldo.Customer) *int { return &c.RiskLevel }),
		field("telephone", func(c *saldo.Customer) *string { return &c.Telephone }),
		field("address", func(c *saldo.Customer) *string { return &c.Address }),
		field("correspondence_address", func(c *saldo.Customer) *string { return &c.CorrespondenceAddress }),
		field("street", func(c *saldo.Customer) *string { return &c.Street }),
		field("exterior", func(c *saldo.Customer) *string { return &c.Exterior }),
		field("interior", func(c *saldo.Customer) *string { return &c.Interior }),
		field("colony", func(c *saldo.Customer) *string { return &c.Colony }),
		field("city", func(c *saldo.Customer) *string { return &c.City }),
		field("country_of_birth", func(c *saldo.Customer) *string { return &c.CountryOfBirth }),
		field("zipcode", func(c *saldo.Customer) *string { return &c.Zipcode }),
		field("state_id", func(c *saldo.Customer) *int64 { return &c.StateID }),
		field("nationality_id", func(c *saldo.Customer) *int64 { return &c.NationalityID }),
		field("occupation_id", func(c *saldo.Customer) *int64 { return &c.OccupationID }),
		field("identification_document_front", func(c *saldo.Customer) *string { return &c.IdentificationDocumentFront }),
		field("identification_document_back", func(c *saldo.Customer) *string { return &c.IdentificationDocumentBack }),
		field("identification_document_type", func(c *saldo.Customer) *int64 { return &c.IdentificationDocumentType }),
		field("address_document_front", func(c *saldo.Customer) *string { return &c.AddressDocumentFront }),
		field("address_document_back", func(c *saldo.Customer) *string { return &c.AddressDocumentBack }),
		field("address_document_type", func(c *saldo.Customer) *int64 { return &c.AddressDocumentType }),
		field("selfie", func(c *saldo.Customer) *string { return &c.Selfie }),
		field("business_name", func(c *saldo.Customer) *string { return &c.BusinessName }),
		field("business_purpose", func(c *saldo.Customer) *string { return &c.BusinessPurpose }),
		field("constitution_date", func(c *saldo.Customer) *string { return &c.ConstitutionDate }),
		field("society_type", func(c *saldo.Customer) *int64 { return &c.SocietyType }),
		field("campaign_id", func(c *saldo.Customer) *string { return &c.CampaignID }),
		instant("created_at", func(c *saldo.Customer) *time.Time { return &c.CreatedAt }),
	})
	customerColumnsNoID = customerColumns.withoutFirst()
)

// customerDuplicatesQuery finds which of a customer's unique fields its partner's other
// customers hold. Arguments: ecommerce_id, email_key, mobile_country_code, mobile, rfc, curp,
// and the customer's own id (0 for one not stored yet). Each branch repeats its partial
// index's predicate so the planner can use the index.
func customerDuplicatesQuery(placeholder func(n int) string) string {
	p := placeholder
	other := " AND id <> " + p(7)
	return "SELECT 'email' FROM customers WHERE ecommerce_id = " + p(1) + " AND email_key = " + p(2) + other +
		" UNION ALL SELECT 'mobile' FROM customers WHERE ecommerce_id = " + p(1) +
		" AND mobile_country_code = " + p(3) + " AND mobile = " + p(4) + other +
		" UNION ALL SELECT 'rfc' FROM customers WHERE ecommerce_id = " + p(1) + " AND rfc = " + p(5) +
		" AND rfc <> '' AND rfc NOT IN ('XAXX010101000', 'XEXX010101000')" + other +
		" UNION ALL SELECT 'curp' FROM customers WHERE ecommerce_id = " + p(1) + " AND curp = " + p(6) + " AND curp <> ''" + other
}

// customerDuplicatesArgs are c's arguments for customerDuplicatesQuery.
func customerDuplicatesArgs(c *saldo.Customer) []any {
	return []any{c.PartnerID, c.EmailKey(), c.MobileCountryCode, c.Mobile, c.RFC, c.CURP, c.ID}
}

// partnerRow is a partner as the ecommerces table holds it, token lifetimes in whole
// seconds: a read scans them into oauthTTL and refreshTTL, and ecommerce converts them.
type partnerRow struct {
	e                    *saldo.Partner
	oauthTTL, refreshTTL int64
}

// ecommerce returns the partner a read filled.
func (r *partnerRow) partner() *saldo.Partner {
	r.e.OAuthTokenTTL = time.Duration(r.oauthTTL) * time.Second
	r.e.RefreshTokenTTL = time.Duration(r.refreshTTL) * time.Second
	return r.e
}

// seconds is a column that holds a partner's duration, at, in whole seconds; a read scans it
// into scanned.
func seconds(name string, at func(r *partnerRow) (d *time.Duration, scanned *int64)) column[partnerRow] {
	return column[partnerRow]{
		name: name,
		arg: func(r *partnerRow, _ Times) any {
			d, _ := at(r)
			return int64(*d / time.Second)
		},
		dest: func(r *partnerRow, _ Times) any {
			_, scanned := at(r)
			return scanned
		},
	}
}

// partnerColumns are the ecommerces columns, the id first; partnerColumnsNoID leave the
// id to the engine.
var (
	partnerColumns = newColumns("ecommerces", []column[partnerRow]{
		field("id", func(r *partnerRow) *int64 { return &r.e.ID }),
		field("name", func(r *partnerRow) *string { return &r.e.Name }),
		field("token_hash", func(r *partnerRow) *[]byte { return &r.e.TokenHash }),
		field("composite_balances", func(r *partnerRow) *bool { return &r.e.CompositeBalances }),
		field("max_credit_line", func(r *partnerRow) *int64 { return &r.e.MaxCreditLine }),
		field("strict_rfc", func(r *partnerRow) *bool { return &r.e.StrictRFC }),
		field("max_kyc_level", func(r *partnerRow) *int { return &r.e.MaxKYCLevel }),
		seconds("oauth_token_ttl_seconds", func(r *partnerRow) (*time.Duration, *int64) { return &r.e.OAuthTokenTTL, &r.oauthTTL }),
		seconds("refresh_token_ttl_seconds", func(r *partnerRow) (*time.Duration, *int64) { return &r.e.RefreshTokenTTL, &r.refreshTTL }),
		field("billing_day", func(r *partnerRow) *int { return &r.e.BillingDay }),
		field("payment_due_days", func(r *partnerRow) *int { return &r.e.PaymentDueDays }),
		field("overlimit", func(r *partnerRow) *int64 { return &r.e.Overlimit }),
		field("clabe_prefix", func(r *partnerRow) *string { return &r.e.CLABEPrefix }),
		field("authorization_hold_days", func(r *partnerRow) *int { return &r.e.AuthorizationHoldDays }),
		field("min_payment_percent", func(r *partnerRow) *int { return &r.e.MinPaymentPercent }),
		field("min_payment_floor", func(r *partnerRow) *int64 { return &r.e.MinPaymentFloor }),
		instant("created_at", func(r *partnerRow) *time.Time { return &r.e.CreatedAt }),
	})
	partnerColumnsNoID = partnerColumns.withoutFirst()
)

// compositeParentColumns are the composite_parents columns; the id is saldo's.
var compositeParentColumns = newColumns("composite_parents", []column[saldo.CompositeParent]{
	field("id", func(p *saldo.CompositeParent) *string { return &p.ID }),
	field("ecommerce_id", func(p *saldo.CompositeParent) *int64 { return &p.PartnerID }),
	field("customer_id", func(p *saldo.CompositeParent) *int64 { return &p.CustomerID }),
	field("balance_id", func(p *saldo.CompositeParent) *int64 { return &p.BalanceID }),
	field("credit_line", func(p *saldo.CompositeParent) *int64 { return &p.CreditLine }),
	field("allocated", func(p *saldo.CompositeParent) *int64 { return &p.Allocated }),
	field("billing_day", func(p *saldo.CompositeParent) *int { return &p.BillingDay }),
	field("status", func(p *saldo.CompositeParent) *int { return &p.Status }),
	instant("created_at", func(p *saldo.CompositeParent) *time.Time { return &p.CreatedAt }),
	field("period_start", func(p *saldo.CompositeParent) *string { return &p.PeriodStart }),
	field("due_total", func(p *saldo.CompositeParent) *int64 { return &p.DueTotal }),
	field("due_min", func(p *saldo.CompositeParent) *int64 { return &p.DueMin }),
	field("due_date", func(p *saldo.CompositeParent) *string { return &p.DueDate }),
})

// balanceColumns are the balances columns, the id first; balanceColumnsNoID leave the id to
// the engine.
var (
	balanceColumns = newColumns("balances", []column[saldo.Balance]{
		field("id", func(b *saldo.Balance) *int64 { return &b.ID }),
		field("ecommerce_id", func(b *saldo.Balance) *int64 { return &b.PartnerID }),
		field("customer_id", func(b *saldo.Balance) *int64 { return &b.CustomerID }),
		field("kind", func(b *saldo.Balance) *string { return (*string)(&b.Kind) }),
		field("amount", func(b *saldo.Balance) *int64 { return &b.Amount }),
		field("held", func(b *saldo.Balance) *int64 { return &b.Held }),
		field("status", func(b *saldo.Balance) *int { return &b.Status }),
		instant("created_at", func(b *saldo.Balance) *time.Time { return &b.CreatedAt }),
	})
	balanceColumnsNoID = balanceColumns.withoutFirst()
)

// eventColumns are the events columns written; the id is the engine's. Events are inserted
// a few at a time.
var eventColumns = newColumns("events", []column[saldo.Event]{
	field("ecommerce_id", func(ev *saldo.Event) *int64 { return &ev.PartnerID }),
	field("type", func(ev *saldo.Event) *string { return &ev.Type }),
	field("subject_id", func(ev *saldo.Event) *string { return &ev.SubjectID }),
	derived("payload", func(ev *saldo.Event) string { return string(ev.Payload) }),
	derived("dispatched", (*saldo.Event).Dispatched),
	instant("created_at", func(ev *saldo.Event) *time.Time { return &ev.CreatedAt }),
})

// updatePartner sets partner $1's settings: every column but the id, the token and the
// creation time.
var updatePartner = partnerColumns.update("id = $1", 1, "id", "token_hash", "created_at")
