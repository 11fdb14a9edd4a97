package sqlstore

import (
	"strconv"
	"strings"
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

// customerColumns are the customers columns written at creation, in the order of
// customerArgs; customerSelect adds the id first, in the order of customerDest.
const (
	customerColumns = "ecommerce_id, email, email_key, mobile_country_code, mobile, first_name, middle_name, " +
		"last_name, second_last_name, gender, rfc, curp, date_of_birth, password_hash, account_level, " +
		"account_status, risk_level, telephone, address, correspondence_address, street, exterior, interior, " +
		"colony, city, country_of_birth, zipcode, state_id, nationality_id, occupation_id, " +
		"identification_document_front, identification_document_back, identification_document_type, " +
		"address_document_front, address_document_back, address_document_type, selfie, business_name, " +
		"business_purpose, constitution_date, society_type, campaign_id, created_at"
	customerSelect = "id, " + customerColumns
)

// customerArgs are c's values for customerColumns.
func customerArgs(c *saldo.Customer, tm Times) []any {
	return []any{c.EcommerceID, c.Email, c.EmailKey(), c.MobileCountryCode, c.Mobile, c.FirstName, c.MiddleName,
		c.LastName, c.SecondLastName, c.Gender, c.RFC, c.CURP, c.DateOfBirth, c.PasswordHash, c.AccountLevel,
		c.AccountStatus, c.RiskLevel, c.Telephone, c.Address, c.CorrespondenceAddress, c.Street, c.Exterior, c.Interior,
		c.Colony, c.City, c.CountryOfBirth, c.Zipcode, c.StateID, c.NationalityID, c.OccupationID,
		c.IdentificationDocumentFront, c.IdentificationDocumentBack, c.IdentificationDocumentType,
		c.AddressDocumentFront, c.AddressDocumentBack, c.AddressDocumentType, c.Selfie, c.BusinessName,
		c.BusinessPurpose, c.ConstitutionDate, c.SocietyType, c.CampaignID, tm.Arg(c.CreatedAt)}
}

// customerDest are the Scan destinations for customerSelect.
func customerDest(c *saldo.Customer, tm Times) []any {
	var emailKey string
	return []any{&c.ID, &c.EcommerceID, &c.Email, &emailKey, &c.MobileCountryCode, &c.Mobile, &c.FirstName, &c.MiddleName,
		&c.LastName, &c.SecondLastName, &c.Gender, &c.RFC, &c.CURP, &c.DateOfBirth, &c.PasswordHash, &c.AccountLevel,
		&c.AccountStatus, &c.RiskLevel, &c.Telephone, &c.Address, &c.CorrespondenceAddress, &c.Street, &c.Exterior, &c.Interior,
		&c.Colony, &c.City, &c.CountryOfBirth, &c.Zipcode, &c.StateID, &c.NationalityID, &c.OccupationID,
		&c.IdentificationDocumentFront, &c.IdentificationDocumentBack, &c.IdentificationDocumentType,
		&c.AddressDocumentFront, &c.AddressDocumentBack, &c.AddressDocumentType, &c.Selfie, &c.BusinessName,
		&c.BusinessPurpose, &c.ConstitutionDate, &c.SocietyType, &c.CampaignID, tm.Dest(&c.CreatedAt)}
}

// customerDuplicatesQuery finds which of a new customer's unique fields its partner's other
// customers hold. Arguments: ecommerce_id, email_key, mobile_country_code, mobile, rfc, curp.
// Each branch repeats its partial index's predicate so the planner can use the index.
func customerDuplicatesQuery(placeholder func(n int) string) string {
	p := placeholder
	return "SELECT 'email' FROM customers WHERE ecommerce_id = " + p(1) + " AND email_key = " + p(2) +
		" UNION ALL SELECT 'mobile' FROM customers WHERE ecommerce_id = " + p(1) +
		" AND mobile_country_code = " + p(3) + " AND mobile = " + p(4) +
		" UNION ALL SELECT 'rfc' FROM customers WHERE ecommerce_id = " + p(1) + " AND rfc = " + p(5) +
		" AND rfc <> '' AND rfc NOT IN ('XAXX010101000', 'XEXX010101000')" +
		" UNION ALL SELECT 'curp' FROM customers WHERE ecommerce_id = " + p(1) + " AND curp = " + p(6) + " AND curp <> ''"
}

// customerDuplicatesArgs are c's arguments for customerDuplicatesQuery.
func customerDuplicatesArgs(c *saldo.Customer) []any {
	return []any{c.EcommerceID, c.EmailKey(), c.MobileCountryCode, c.Mobile, c.RFC, c.CURP}
}

// ecommerceColumns are the ecommerces columns written at creation, in the order of
// ecommerceArgs; ecommerceSelect adds the id first, in the order of ecommerceScanner.dest.
const (
	ecommerceColumns = "name, token_hash, composite_balances, max_credit_line, strict_rfc, max_kyc_level, " +
		"oauth_token_ttl_seconds, refresh_token_ttl_seconds, billing_day, payment_due_days, overlimit, created_at"
	ecommerceSelect = "id, " + ecommerceColumns
)

// ecommerceArgs are e's values for ecommerceColumns.
func ecommerceArgs(e *saldo.Ecommerce, tm Times) []any {
	return []any{e.Name, e.TokenHash, e.CompositeBalances, e.MaxCreditLine, e.StrictRFC, e.MaxKYCLevel,
		int64(e.OAuthTokenTTL / time.Second), int64(e.RefreshTokenTTL / time.Second), e.BillingDay, e.PaymentDueDays,
		e.Overlimit, tm.Arg(e.CreatedAt)}
}

// ecommerceScanner fills an Ecommerce from a row of ecommerceSelect.
type ecommerceScanner struct {
	e                  saldo.Ecommerce
	oauthTTL, refreshT int64
}

// dest are the Scan destinations for ecommerceSelect.
func (s *ecommerceScanner) dest(tm Times) []any {
	e := &s.e
	return []any{&e.ID, &e.Name, &e.TokenHash, &e.CompositeBalances, &e.MaxCreditLine, &e.StrictRFC, &e.MaxKYCLevel,
		&s.oauthTTL, &s.refreshT, &e.BillingDay, &e.PaymentDueDays, &e.Overlimit, tm.Dest(&e.CreatedAt)}
}

// ecommerce returns the scanned partner.
func (s *ecommerceScanner) ecommerce() *saldo.Ecommerce {
	e := s.e
	e.OAuthTokenTTL = time.Duration(s.oauthTTL) * time.Second
	e.RefreshTokenTTL = time.Duration(s.refreshT) * time.Second
	return &e
}

// compositeParentColumns are the composite_parents columns, in the order of compositeParentArgs
// and compositeParentDest.
const compositeParentColumns = "id, ecommerce_id, customer_id, balance_id, credit_line, allocated, billing_day, status, created_at"

// compositeParentArgs are p's values for compositeParentColumns.
func compositeParentArgs(p *saldo.CompositeParent, tm Times) []any {
	return []any{p.ID, p.EcommerceID, p.CustomerID, p.BalanceID, p.CreditLine, p.Allocated, p.BillingDay, p.Status, tm.Arg(p.CreatedAt)}
}

// compositeParentDest are the Scan destinations for compositeParentColumns.
func compositeParentDest(p *saldo.CompositeParent, tm Times) []any {
	return []any{&p.ID, &p.EcommerceID, &p.CustomerID, &p.BalanceID, &p.CreditLine, &p.Allocated, &p.BillingDay, &p.Status, tm.Dest(&p.CreatedAt)}
}

// balanceColumns are the balances columns written at creation, in the order of balanceArgs;
// balanceSelect adds the id first, in the order of balanceDest.
const (
	balanceColumns = "ecommerce_id, customer_id, kind, amount, status, created_at"
	balanceSelect  = "id, " + balanceColumns
)

// balanceArgs are b's values for balanceColumns.
func balanceArgs(b *saldo.Balance, tm Times) []any {
	return []any{b.EcommerceID, b.CustomerID, string(b.Kind), b.Amount, b.Status, tm.Arg(b.CreatedAt)}
}

// balanceDest are the Scan destinations for balanceSelect.
func balanceDest(b *saldo.Balance, tm Times) []any {
	return []any{&b.ID, &b.EcommerceID, &b.CustomerID, (*string)(&b.Kind), &b.Amount, &b.Status, tm.Dest(&b.CreatedAt)}
}

// tokenColumns are the customer_tokens columns written at issue, in the order of tokenArgs.
const tokenColumns = "ecommerce_id, customer_id, kind, hash, device_id, issued_at, expires_at"

// tokenArgs are t's values for tokenColumns. A token that does not expire stores NULL.
func tokenArgs(t *saldo.Token, tm Times) []any {
	var expires any
	if !t.ExpiresAt.IsZero() {
		expires = tm.Arg(t.ExpiresAt)
	}
	return []any{t.EcommerceID, t.CustomerID, string(t.Kind), t.Hash, t.DeviceID, tm.Arg(t.IssuedAt), expires}
}

// eventColumns are the events columns, in the order of eventArgs.
const eventColumns = "ecommerce_id, type, subject_id, payload, created_at"

// eventArgs are ev's values for eventColumns.
func eventArgs(ev *saldo.Event, tm Times) []any {
	return []any{ev.EcommerceID, ev.Type, ev.SubjectID, string(ev.Payload), tm.Arg(ev.CreatedAt)}
}

// insert returns "INSERT INTO table (columns) VALUES (…)" for rows rows, numbering
// placeholders with placeholder(1…).
func insert(table, columns string, rows int, placeholder func(n int) string) string {
	n := strings.Count(columns, ",") + 1
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + columns + ") VALUES ")
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(placeholder(r*n + i + 1))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// dollar numbers placeholders $1, $2, … as PostgreSQL and SQLite both accept.
func dollar(n int) string { return "$" + strconv.Itoa(n) }
