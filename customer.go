package saldo

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Gender values double as the account type: 3 is a business.
const (
	GenderFemale   = 1
	GenderMale     = 2
	GenderBusiness = 3
)

// Account statuses (account_status). Every account is active at creation.
const (
	accountStatusActive  = 1
	AccountStatusActive  = accountStatusActive
	AccountStatusBlocked = 2
	AccountStatusClosed  = 3
)

// defaultDeviceID is the device the first oauth token is bound to when none is named.
const defaultDeviceID = "default"

// Customer is an end user of a partner, as stored. Optional text is "" and optional numbers
// are 0 when not given, which is also how the contract renders them.
type Customer struct {
	ID                          int64
	PartnerID                   int64
	Email                       string // as given, trimmed; uniqueness uses EmailKey
	MobileCountryCode           string
	Mobile                      string // 10 digits
	FirstName                   string
	MiddleName                  string
	LastName                    string
	SecondLastName              string
	Gender                      int
	RFC                         string
	CURP                        string
	DateOfBirth                 string // YYYY-MM-DD
	PasswordHash                string // argon2id, PHC string format
	AccountLevel                int
	AccountStatus               int
	RiskLevel                   int
	Telephone                   string
	Address                     string
	CorrespondenceAddress       string
	Street                      string
	Exterior                    string
	Interior                    string
	Colony                      string
	City                        string
	CountryOfBirth              string
	Zipcode                     string
	StateID                     int64
	NationalityID               int64
	OccupationID                int64
	IdentificationDocumentFront string
	IdentificationDocumentBack  string
	IdentificationDocumentType  int64
	AddressDocumentFront        string
	AddressDocumentBack         string
	AddressDocumentType         int64
	Selfie                      string
	BusinessName                string
	BusinessPurpose             string
	ConstitutionDate            string // YYYY-MM-DD
	SocietyType                 int64
	CampaignID                  string
	CreatedAt                   time.Time
}

// IsBusiness reports whether the account is a business (person_type 2).
func (c *Customer) IsBusiness() bool { return c.Gender == GenderBusiness }

// EmailKey is the form of the email that uniqueness compares: case-insensitive.
func (c *Customer) EmailKey() string { return emailKey(c.Email) }

// EmailKeyVersion is the rule emailKey follows, stored with every key it makes
// (customers.email_key_version): 1 was strings.ToLower; 2 is the rule below. Change it with
// the rule, so that RekeyCustomers finds the keys an older rule made.
const EmailKeyVersion = 2

// emailKey folds an email for case-insensitive comparison.
//
// Two spellings of one address must collide: the key folds widths (fullwidth letters), puts
// the text in Unicode NFC (composed and decomposed accents), and applies full case folding
// (Greek capitals, "ß" as "ss", "ſ" as "s"). What cannot be compared this way, invisible
// and control characters, validEmail refuses before.
func emailKey(email string) string {
	for i := 0; i < len(email); i++ {
		if email[i] >= utf8.RuneSelf {
			return foldEmail(email)
		}
	}
	// Widths and NFC leave ASCII as it is, and its full case folding is lowering: the same key
	// without the transformers' allocations, for the addresses nearly every create sends.
	return strings.ToLower(email)
}

// foldEmail is emailKey's rule for any text.
func foldEmail(email string) string {
	folded := cases.Fold().String(norm.NFC.String(width.Fold.String(email)))
	return norm.NFC.String(folded)
}

// UniqueRFC reports whether the customer's RFC takes part in uniqueness: the generic RFCs
// for the general public and for foreigners are shared by many people.
func (c *Customer) UniqueRFC() bool { return c.RFC != "" && !isGenericRFC(c.RFC) }

// CreateCustomerRequest is POST /user/v1/account/create as it arrived. Every field is text,
// whatever the content type: decoders check JSON types and hand over the literal, so one
// validator serves JSON, multipart and urlencoded bodies alike. "" means absent.
type CreateCustomerRequest struct {
	Email, Mobile, MobileCountryCode                                                              string
	FirstName, MiddleName, LastName, SecondLastName                                               string
	Gender, RFC, CURP, DateOfBirth, Password, DeviceID, KYCLevel                                  string
	Telephone, Address, CorrespondenceAddress, Street, Exterior, Interior, Colony, City           string
	CountryOfBirth, Zipcode, StateID, NationalityID, OccupationID                                 string
	IdentificationDocumentFront, IdentificationDocumentBack, IdentificationDocumentType           string
	AddressDocumentFront, AddressDocumentBack, AddressDocumentType, Selfie                        string
	BusinessName, BusinessPurpose, ConstitutionDate, SocietyType, CampaignID, CompositeCreditLine string
}

// trimSpace removes the white space around every field of r: a field of white space only
// is absent.
func (r *CreateCustomerRequest) trimSpace() {
	for _, p := range [...]*string{
		&r.Email, &r.Mobile, &r.MobileCountryCode,
		&r.FirstName, &r.MiddleName, &r.LastName, &r.SecondLastName,
		&r.Gender, &r.RFC, &r.CURP, &r.DateOfBirth, &r.Password, &r.DeviceID, &r.KYCLevel,
		&r.Telephone, &r.Address, &r.CorrespondenceAddress, &r.Street, &r.Exterior, &r.Interior, &r.Colony, &r.City,
		&r.CountryOfBirth, &r.Zipcode, &r.StateID, &r.NationalityID, &r.OccupationID,
		&r.IdentificationDocumentFront, &r.IdentificationDocumentBack, &r.IdentificationDocumentType,
		&r.AddressDocumentFront, &r.AddressDocumentBack, &r.AddressDocumentType, &r.Selfie,
		&r.BusinessName, &r.BusinessPurpose, &r.ConstitutionDate, &r.SocietyType, &r.CampaignID, &r.CompositeCreditLine,
	} {
		*p = strings.TrimSpace(*p)
	}
}

// validatedCreate is a create request that passed every rule.
type validatedCreate struct {
	customer   Customer
	password   string // clear text, hashed before the transaction starts
	deviceID   string
	creditLine int64
}

// validate applies every rule of the contract to r for partner e at now, reporting every
// failing field at once. The steps run in the order their hints are reported.
func (r CreateCustomerRequest) validate(e *Partner, now time.Time) (validatedCreate, error) {
	return r.check(e, now, nil)
}

// check is validate for a create (stored nil) or for an update of stored: an update's request
// is the stored customer with the update's fields laid over it (requestOf); it may not set
// credentials, and its level is never lower than the stored one.
func (r CreateCustomerRequest) check(e *Partner, now time.Time, stored *Customer) (validatedCreate, error) {
	r.trimSpace()
	var h Hints
	v := validatedCreate{}
	c := &v.customer
	today := civilDate(now.In(MexicoCity))

	// gender first: it decides which rules apply to the rest.
	c.Gender = checkGender(&h, r.Gender)
	business := c.Gender == GenderBusiness
	c.Email = checkEmail(&h, r.Email)
	c.Mobile = checkMobile(&h, r.Mobile)
	c.MobileCountryCode = checkMobileCountryCode(&h, r.MobileCountryCode)
	r.checkNames(&h, c, business)
	c.DateOfBirth = r.DateOfBirth
	birth := checkDateOfBirth(&h, r.DateOfBirth, business, today)
	c.CURP = checkCURP(&h, r.CURP, business, birth, today)
	c.RFC = checkRFC(&h, r.RFC, business, e.StrictRFC, now)
	if stored == nil {
		v.password = checkPassword(&h, r.Password)
		v.deviceID = checkFirstDeviceID(&h, r.DeviceID)
	} else if r.Password != "" {
		h.Add("password", "not_allowed")
	}
	requestedLevel := checkRequestedLevel(&h, r.KYCLevel)
	r.checkContactAndAddress(&h, c)
	r.checkDocumentLinks(&h, c)
	c.Zipcode = checkZipcode(&h, r.Zipcode)
	r.checkCatalogueIDs(&h, c)
	r.checkBusinessFields(&h, c, today)
	c.CampaignID = checkText(&h, "campaign_id", r.CampaignID, 32)
	if stored == nil {
		v.creditLine = checkParentCreditLine(&h, e, r.CompositeCreditLine)
	}
	c.AccountLevel = checkKYCRequirements(&h, c, requestedLevel, e.MaxKYCLevel)
	c.AccountStatus = accountStatusActive
	if stored != nil {
		c.AccountLevel = max(c.AccountLevel, stored.AccountLevel)
	}
	return v, h.Err(EINVALID)
}

// The check functions below each apply the rules of one concern, adding a hint to h for
// every failure, and return the value the customer row stores. What a failing field leaves
// behind (the text as given, or the zero value) is never seen: a refused request stores
// nothing.

// checkGender reads gender, which doubles as the account type (GenderBusiness); 0 when it is
// absent or invalid.
func checkGender(h *Hints, s string) int {
	switch s {
	case "":
		h.Add("gender", "required")
	case "1", "2", "3":
		return int(s[0] - '0')
	default:
		h.Add("gender", "invalid")
	}
	return 0
}

// checkEmail requires an email of the shape validEmail describes; it keeps its case.
func checkEmail(h *Hints, s string) string {
	switch {
	case s == "":
		h.Add("email", "required")
	case !validEmail(s):
		h.Add("email", "invalid")
	}
	return s
}

// checkMobile requires a ten-digit mobile number.
func checkMobile(h *Hints, s string) string {
	switch {
	case s == "":
		h.Add("mobile", "required")
	// The contract returns mobile as a JSON number, so a leading zero could not round-trip;
	// no Mexican number starts with one.
	case len(s) != 10 || !allDigits(s) || s[0] == '0':
		h.Add("mobile", "invalid")
	}
	return s
}

// checkMobileCountryCode accepts one to three digits after an optional "+", which is
// dropped; absent is Mexico's 52.
func checkMobileCountryCode(h *Hints, s string) string {
	code := strings.TrimPrefix(s, "+")
	switch {
	case s == "":
		return "52"
	case len(code) < 1 || len(code) > 3 || !allDigits(code):
		h.Add("mobile_country_code", "invalid")
		return code
	}
	// Calling codes have no leading zero: "052" is 52, and "0" or "000" is no code at all.
	if code = strings.TrimLeft(code, "0"); code == "" {
		h.Add("mobile_country_code", "invalid")
	}
	return code
}

// checkNames validates the four name fields into c: first and last name are required, and
// only a person has a middle or second last name.
func (r *CreateCustomerRequest) checkNames(h *Hints, c *Customer, business bool) {
	c.FirstName = checkName(h, "first_name", r.FirstName, true, business)
	c.LastName = checkName(h, "last_name", r.LastName, true, business)
	c.MiddleName = checkPersonalName(h, "middle_name", r.MiddleName, business)
	c.SecondLastName = checkPersonalName(h, "second_last_name", r.SecondLastName, business)
}

// checkPersonalName validates an optional name that a business account may not have.
func checkPersonalName(h *Hints, field, s string, business bool) string {
	if business && s != "" {
		h.Add(field, "not_allowed")
		return ""
	}
	return checkName(h, field, s, false, false)
}

// checkDateOfBirth validates an optional date of birth before today (a calendar date, as
// civilDate gives); it returns the date when it is valid, else the zero time.
func checkDateOfBirth(h *Hints, s string, business bool, today time.Time) time.Time {
	if s == "" {
		return time.Time{}
	}
	d, ok := parseDate(s)
	switch {
	case !ok:
		h.Add("date_of_birth", "invalid")
	case !d.Before(today):
		h.Add("date_of_birth", "not_in_past")
	// Age 0–120: a person is 120 until the day before the 121st birthday.
	case !business && !d.AddDate(121, 0, 0).After(today):
		h.Add("date_of_birth", "out_of_range")
	default:
		return d
	}
	return time.Time{}
}

// checkCURP validates an optional CURP, upper-cased: only a person has one, its birth date
// is not after today, and it agrees with birth, the valid date of birth if one was given.
func checkCURP(h *Hints, s string, business bool, birth, today time.Time) string {
	curp := strings.ToUpper(s)
	if curp == "" {
		return ""
	}
	if business {
		h.Add("curp", "not_allowed")
		return curp
	}
	curpBirth, reason := ParseCURP(curp)
	switch {
	case reason != "":
		h.Add("curp", reason)
	case curpBirth.After(today):
		h.Add("curp", "invalid")
	case !birth.IsZero() && !curpBirth.Equal(birth):
		h.Add("curp", "date_mismatch")
	}
	return curp
}

// checkRFC validates the RFC, upper-cased, as ParseRFC does for the account type; strict
// enforces the check digit. A business needs its RFC; a person needs one only to reach a
// level that asks for it.
func checkRFC(h *Hints, s string, business, strict bool, now time.Time) string {
	rfc := strings.ToUpper(s)
	switch {
	case rfc == "" && business:
		// A personal account needs neither RFC nor CURP at level 1; level 2 asks for the CURP.
		h.Add("rfc", "required")
	case rfc != "":
		if _, reason := ParseRFC(rfc, business, strict, now); reason != "" {
			h.Add("rfc", reason)
		}
	}
	return rfc
}

// checkPassword validates an optional password of 8 to 128 characters. It is returned in
// clear, to be hashed outside the customer row.
func checkPassword(h *Hints, s string) string {
	// Control characters (NUL above all) in a password are a client's mistake or an attack,
	// never a choice a person made at a keyboard.
	if n := utf8.RuneCountInString(s); s != "" &&
		(n < 8 || n > 128 || !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl)) {
		h.Add("password", "invalid")
	}
	return s
}

// checkFirstDeviceID validates the optional device the first oauth token is bound to;
// absent is DefaultDeviceID.
func checkFirstDeviceID(h *Hints, s string) string {
	if id := checkText(h, "device_id", s, maxDeviceIDLength); id != "" {
		return id
	}
	return defaultDeviceID
}

// checkRequestedLevel validates kyc_level, the account level the partner asks for: 1 to 3,
// 0 when absent.
func checkRequestedLevel(h *Hints, s string) int {
	return int(checkInt(h, "kyc_level", s, 1, 3))
}

// checkContactAndAddress validates the optional free-text contact and address fields into c.
func (r *CreateCustomerRequest) checkContactAndAddress(h *Hints, c *Customer) {
	c.Telephone = checkText(h, "telephone", r.Telephone, 120)
	c.Address = checkText(h, "address", r.Address, 120)
	c.CorrespondenceAddress = checkText(h, "correspondence_address", r.CorrespondenceAddress, 120)
	c.Street = checkText(h, "street", r.Street, 120)
	c.Exterior = checkText(h, "exterior", r.Exterior, 120)
	c.Interior = checkText(h, "interior", r.Interior, 120)
	c.Colony = checkText(h, "colony", r.Colony, 120)
	c.City = checkText(h, "city", r.City, 120)
	c.CountryOfBirth = checkText(h, "country_of_birth", r.CountryOfBirth, 120)
}

// checkDocumentLinks validates the optional references to the KYC documents into c.
func (r *CreateCustomerRequest) checkDocumentLinks(h *Hints, c *Customer) {
	c.IdentificationDocumentFront = checkText(h, "identification_document_front", r.IdentificationDocumentFront, 512)
	c.IdentificationDocumentBack = checkText(h, "identification_document_back", r.IdentificationDocumentBack, 512)
	c.AddressDocumentFront = checkText(h, "address_document_front", r.AddressDocumentFront, 512)
	c.AddressDocumentBack = checkText(h, "address_document_back", r.AddressDocumentBack, 512)
	c.Selfie = checkText(h, "selfie", r.Selfie, 512)
}

// checkZipcode validates an optional five-digit zipcode, kept as text for its leading zeros.
func checkZipcode(h *Hints, s string) string {
	if s != "" && (len(s) != 5 || !allDigits(s)) {
		h.Add("zipcode", "invalid")
	}
	return s
}

// checkCatalogueIDs validates the optional catalogue numbers into c.
func (r *CreateCustomerRequest) checkCatalogueIDs(h *Hints, c *Customer) {
	c.StateID = checkInt(h, "state_id", r.StateID, 1, 32)
	c.NationalityID = checkInt(h, "nationality_id", r.NationalityID, 1, maxID)
	c.OccupationID = checkInt(h, "occupation_id", r.OccupationID, 1, maxID)
	c.IdentificationDocumentType = checkInt(h, "identification_document_type", r.IdentificationDocumentType, 1, maxSmallInt)
	c.AddressDocumentType = checkInt(h, "address_document_type", r.AddressDocumentType, 1, maxSmallInt)
}

// checkBusinessFields validates the fields only a business account has into c. On a personal
// account they are refused rather than dropped: a partner who sends them believes it is
// opening a business account. Without a valid gender the account type is unknown, and they
// are checked as a business's.
func (r *CreateCustomerRequest) checkBusinessFields(h *Hints, c *Customer, today time.Time) {
	personal := c.Gender != 0 && !c.IsBusiness()
	if businessOnly(h, "business_name", r.BusinessName, personal) {
		c.BusinessName = checkText(h, "business_name", r.BusinessName, 120)
	}
	if businessOnly(h, "business_purpose", r.BusinessPurpose, personal) {
		c.BusinessPurpose = checkText(h, "business_purpose", r.BusinessPurpose, 120)
	}
	if businessOnly(h, "constitution_date", r.ConstitutionDate, personal) {
		c.ConstitutionDate = checkConstitutionDate(h, r.ConstitutionDate, today)
	}
	if businessOnly(h, "society_type", r.SocietyType, personal) {
		c.SocietyType = checkInt(h, "society_type", r.SocietyType, 1, maxSmallInt)
	}
}

// businessOnly refuses a business-only field given on a personal account, and reports
// whether the field's own rules are still to be applied.
func businessOnly(h *Hints, field, s string, personal bool) bool {
	if s != "" && personal {
		h.Add(field, "not_allowed")
		return false
	}
	return true
}

// checkConstitutionDate validates an optional constitution date, not after today.
func checkConstitutionDate(h *Hints, s string, today time.Time) string {
	if s == "" {
		return ""
	}
	d, ok := parseDate(s)
	switch {
	case !ok:
		h.Add("constitution_date", "invalid")
	case d.After(today):
		h.Add("constitution_date", "in_future")
	default:
		return s
	}
	return ""
}

// checkParentCreditLine validates the credit line of the composite balance parent, in cents:
// a partner with composite balances must give one, up to its maximum; one without may not.
func checkParentCreditLine(h *Hints, e *Partner, s string) int64 {
	if !e.CompositeBalances {
		// Real client code sends credit_line=0 whatever the partner: a zero asks for nothing
		// and is ignored, while any other value expects a parent and must hear why there is none.
		if n, err := strconv.ParseInt(s, 10, 64); s != "" && (err != nil || n != 0) {
			h.Add("composite_balance", "not_enabled")
		}
		return 0
	}
	if s == "" {
		h.Add("credit_line", "required")
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil || !allDigits(strings.TrimPrefix(s, "-")):
		h.Add("credit_line", "invalid")
	case n < 0:
		h.Add("credit_line", "negative")
	case n > e.MaxCreditLine:
		h.Add("credit_line", "above_maximum")
	default:
		return n
	}
	return 0
}

// checkKYCRequirements returns the account level of c (see assignLevel) and reports what a
// requested level lacks. KYC gaps are reported alongside the other failures, except for a
// field already named: a malformed zipcode is zipcode:invalid, not also missing.
func checkKYCRequirements(h *Hints, c *Customer, requested, partnerMax int) int {
	var kyc Hints
	level := assignLevel(&kyc, c, requested, partnerMax)
	for _, hint := range kyc {
		field, _, _ := strings.Cut(hint, ":")
		if !slices.ContainsFunc(*h, func(s string) bool { return strings.HasPrefix(s, field+":") }) {
			*h = append(*h, hint)
		}
	}
	return level
}

const (
	maxID       = 1<<31 - 1
	maxSmallInt = 1<<15 - 1
)

// kycRequirement is one piece of data a KYC level needs. present is false when the customer
// lacks it.
type kycRequirement struct {
	field   string
	present func(c *Customer) bool
}

func has(s string) bool { return s != "" }

// kycRequirements lists, for levels 2 and 3, what each account type must have provided.
func kycRequirements(level int, business bool) []kycRequirement {
	switch {
	case level == 2 && !business:
		return append([]kycRequirement{
			{"date_of_birth", func(c *Customer) bool { return has(c.DateOfBirth) }},
			{"curp", func(c *Customer) bool { return has(c.CURP) }},
		}, kycAddress...)
	case level == 2:
		return append([]kycRequirement{
			{"constitution_date", func(c *Customer) bool { return has(c.ConstitutionDate) }},
			{"rfc", func(c *Customer) bool { return has(c.RFC) }},
		}, kycAddress...)
	case level == 3:
		last := kycRequirement{"selfie", func(c *Customer) bool { return has(c.Selfie) }}
		if business {
			last = kycRequirement{"society_type", func(c *Customer) bool { return c.SocietyType != 0 }}
		}
		return []kycRequirement{
			{"identification_document_front", func(c *Customer) bool { return has(c.IdentificationDocumentFront) }},
			{"identification_document_back", func(c *Customer) bool { return has(c.IdentificationDocumentBack) }},
			{"identification_document_type", func(c *Customer) bool { return c.IdentificationDocumentType != 0 }},
			{"address_document_front", func(c *Customer) bool { return has(c.AddressDocumentFront) }},
			{"address_document_type", func(c *Customer) bool { return c.AddressDocumentType != 0 }},
			last,
		}
	}
	return nil
}

var kycAddress = []kycRequirement{
	{"street", func(c *Customer) bool { return has(c.Street) }},
	{"exterior", func(c *Customer) bool { return has(c.Exterior) }},
	{"colony", func(c *Customer) bool { return has(c.Colony) }},
	{"city", func(c *Customer) bool { return has(c.City) }},
	{"zipcode", func(c *Customer) bool { return has(c.Zipcode) }},
	{"state_id", func(c *Customer) bool { return c.StateID != 0 }},
	// Either one proves nationality; the hint names nationality_id.
	{"nationality_id", func(c *Customer) bool { return c.NationalityID != 0 || has(c.CountryOfBirth) }},
}

// assignLevel returns the account level of c: the highest level whose data is present,
// capped by the requested level and the partner's maximum. A requested level the data does
// not support is an error naming every missing field.
func assignLevel(h *Hints, c *Customer, requested, partnerMax int) int {
	dataLevel := 1
	for level := 2; level <= 3; level++ {
		if len(missingFor(c, level)) > 0 {
			break
		}
		dataLevel = level
	}
	if requested > dataLevel {
		for level := 2; level <= requested; level++ {
			for _, f := range missingFor(c, level) {
				h.Add(f, "required_for_level_"+strconv.Itoa(requested))
			}
		}
	}
	level := dataLevel
	if requested != 0 {
		level = min(level, requested)
	}
	return min(level, partnerMax)
}

func missingFor(c *Customer, level int) []string {
	var missing []string
	for _, r := range kycRequirements(level, c.IsBusiness()) {
		if !r.present(c) {
			missing = append(missing, r.field)
		}
	}
	return missing
}

// validEmail checks the contract's shape: one @, a non-empty local part, a dotted domain
// without empty labels, no white space or control characters, at most 254 characters.
func validEmail(s string) bool {
	if utf8.RuneCountInString(s) > 254 || !utf8.ValidString(s) {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return false
	}
	for _, r := range s {
		if invisible(r) {
			return false
		}
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") {
		return false
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" {
			return false
		}
	}
	return true
}

// invisible reports whether r shows nothing or changes how the text around it shows: white
// space, control and format characters (zero-width spaces and joiners, soft hyphens, the
// byte order mark, bidirectional overrides), variation selectors and the other default
// ignorable code points. In an identifier they make two addresses look alike.
func invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Bidi_Control,
		unicode.Join_Control, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}

// checkName validates a person's or business's name: letters of any script with their marks
// (accents, and the vowel signs of scripts such as Devanagari), spaces and . ' - &; business
// names may also hold digits and commas.
func checkName(h *Hints, field, s string, required, business bool) string {
	if s == "" {
		if required {
			h.Add(field, "required")
		}
		return ""
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 60 {
		h.Add(field, "invalid")
		return ""
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsMark(r), r == ' ', r == '.', r == '\'', r == '-', r == '&':
		case business && (unicode.IsDigit(r) || r == ','):
		default:
			h.Add(field, "invalid")
			return ""
		}
	}
	return s
}

// checkText validates free text: valid UTF-8, no control characters, at most max characters.
func checkText(h *Hints, field, s string, max int) string {
	if s == "" {
		return ""
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		h.Add(field, "invalid")
		return ""
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			h.Add(field, "invalid")
			return ""
		}
	}
	return s
}

// checkInt parses an optional decimal integer in [lo, hi]; 0 means absent.
func checkInt(h *Hints, field, s string, lo, hi int64) int64 {
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || !allDigits(strings.TrimPrefix(s, "-")) || n < lo || n > hi {
		h.Add(field, "invalid")
		return 0
	}
	return n
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseDate parses a strict YYYY-MM-DD calendar date.
func parseDate(s string) (time.Time, bool) {
	if len(s) != 10 {
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, s)
	return d, err == nil
}

// civilDate is the calendar date of t (in t's zone) at midnight UTC, comparable with
// parseDate's results.
func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
