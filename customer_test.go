package saldo

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The create-request tests exercise the §3 field rules and the §3.1 KYC levels through the
// unexported validator. The identifiers are hard-coded (internal/gen imports saldo, so it
// cannot be used from an internal test): the spec's own vectors, CURP BOXW310820HNERXN09
// (born 1931-08-20), personal RFC GODE561231GR8 and business RFC MAB9307148T4.

// validateNow is 12:00 in Mexico City on 2026-03-15 (18:00 UTC): the same calendar day in
// both zones, so the date rules below do not depend on which zone "today" is read in.
var validateNow = time.Date(2026, time.March, 15, 18, 0, 0, 0, time.UTC)

const (
	specCURP          = "BOXW310820HNERXN09"
	specCURPBirth     = "1931-08-20"
	specPersonalRFC   = "GODE561231GR8"
	specBusinessRFC   = "MAB9307148T4"
	specBadDigitRFC   = "VACE460910SX6" // its check digit should be 5
	specFixedDigitRFC = "VACE460910SX5"
)

// requestPartner returns a partner with the contract's defaults, changed by n's non-zero
// settings.
func requestPartner(t testing.TB, n NewPartner) *Partner {
	t.Helper()
	if n.Name == "" {
		n.Name = "test partner"
	}
	n, err := n.normalize()
	if err != nil {
		t.Fatalf("partner settings %+v: %v", n, err)
	}
	e := n.row(HashSecret("ek_test"))
	e.ID = 7
	return e
}

// minimalPersonalRequest is the least a personal account needs: level 1.
func minimalPersonalRequest() CreateCustomerRequest {
	return CreateCustomerRequest{
		Email:     "juan.perez@example.com",
		Mobile:    "4958129198",
		FirstName: "Juan",
		LastName:  "Pérez",
		Gender:    "2",
		RFC:       specPersonalRFC,
	}
}

// minimalBusinessRequest is the least a business account needs: level 1.
func minimalBusinessRequest() CreateCustomerRequest {
	return CreateCustomerRequest{
		Email:     "pagos@comercializadora.example.mx",
		Mobile:    "5512345678",
		FirstName: "Comercializadora 2000, S.A.",
		LastName:  "de C.V.",
		Gender:    "3",
		RFC:       specBusinessRFC,
	}
}

// withAddress adds the address and nationality data that KYC level 2 asks of both account types.
func withAddress(r CreateCustomerRequest) CreateCustomerRequest {
	r.Street = "Avenida Insurgentes Sur"
	r.Exterior = "1602"
	r.Colony = "Crédito Constructor"
	r.City = "Ciudad de México"
	r.Zipcode = "03940"
	r.StateID = "9"
	r.NationalityID = "1"
	return r
}

// withDocuments adds the documents KYC level 3 asks of both account types, without the last
// item (selfie or society_type), which differs by account type.
func withDocuments(r CreateCustomerRequest) CreateCustomerRequest {
	r.IdentificationDocumentFront = "docs/ine-front.jpg"
	r.IdentificationDocumentBack = "docs/ine-back.jpg"
	r.IdentificationDocumentType = "1"
	r.AddressDocumentFront = "docs/cfe-receipt.pdf"
	r.AddressDocumentType = "2"
	return r
}

func level2PersonalRequest() CreateCustomerRequest {
	r := withAddress(minimalPersonalRequest())
	r.CURP = specCURP
	r.DateOfBirth = specCURPBirth
	return r
}

func level3PersonalRequest() CreateCustomerRequest {
	r := withDocuments(level2PersonalRequest())
	r.Selfie = "docs/selfie.jpg"
	return r
}

func level2BusinessRequest() CreateCustomerRequest {
	r := withAddress(minimalBusinessRequest())
	r.ConstitutionDate = "1993-07-14"
	return r
}

func level3BusinessRequest() CreateCustomerRequest {
	r := withDocuments(level2BusinessRequest())
	r.SocietyType = "1"
	return r
}

// kycHints is one "<field>:required_for_level_<level>" hint per field.
func kycHints(level int, fields ...string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = fmt.Sprintf("%s:required_for_level_%d", f, level)
	}
	return out
}

var (
	personalLevel2Fields = []string{"date_of_birth", "curp", "street", "exterior", "colony", "city", "zipcode", "state_id", "nationality_id"}
	businessLevel2Fields = []string{"constitution_date", "street", "exterior", "colony", "city", "zipcode", "state_id", "nationality_id"}
	documentFields       = []string{"identification_document_front", "identification_document_back", "identification_document_type", "address_document_front", "address_document_type"}
)

// assertInvalid fails unless err is an EINVALID error whose hints are exactly want. The
// contract promises the set of hints, not their order.
func assertInvalid(t testing.TB, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("the request was accepted; want hints %q", want)
	}
	if code := ErrorCode(err); code != EINVALID {
		t.Errorf("error code = %q, want %q (err: %v)", code, EINVALID, err)
	}
	got := slices.Sorted(slices.Values(ErrorHints(err)))
	if w := slices.Sorted(slices.Values(want)); !slices.Equal(got, w) {
		t.Errorf("hints = %q\nwant    %q", got, w)
	}
}

// mustValidate validates r and fails the test if it is refused.
func mustValidate(t testing.TB, e *Partner, r CreateCustomerRequest, now time.Time) validatedCreate {
	t.Helper()
	v, err := r.validate(e, now)
	if err != nil {
		t.Fatalf("the request was refused: %v", err)
	}
	return v
}

// validateCase is one request and what validate must say about it: no hints means valid.
type validateCase struct {
	name    string
	base    func() CreateCustomerRequest // default minimalPersonalRequest
	edit    func(r *CreateCustomerRequest)
	partner NewPartner
	now     time.Time // default validateNow
	want    []string
}

func runValidateCases(t *testing.T, cases []validateCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := tc.base
			if base == nil {
				base = minimalPersonalRequest
			}
			r := base()
			if tc.edit != nil {
				tc.edit(&r)
			}
			now := tc.now
			if now.IsZero() {
				now = validateNow
			}
			e := requestPartner(t, tc.partner)
			if len(tc.want) == 0 {
				mustValidate(t, e, r, now)
				return
			}
			_, err := r.validate(e, now)
			assertInvalid(t, err, tc.want...)
		})
	}
}

func TestValidateAcceptsTheMinimalRequests(t *testing.T) {
	runValidateCases(t, []validateCase{
		{name: "personal account with email, mobile, names, gender and RFC"},
		{name: "personal account with a CURP instead of an RFC", edit: func(r *CreateCustomerRequest) { r.RFC, r.CURP = "", specCURP }},
		{name: "personal account with both RFC and CURP", edit: func(r *CreateCustomerRequest) { r.CURP = specCURP }},
		{name: "business account with email, mobile, names, gender 3 and RFC", base: minimalBusinessRequest},
		{name: "full level 3 personal request", base: level3PersonalRequest},
		{name: "full level 3 business request", base: level3BusinessRequest},
	})
}

func TestValidateRequiredFields(t *testing.T) {
	runValidateCases(t, []validateCase{
		{name: "email missing", edit: func(r *CreateCustomerRequest) { r.Email = "" }, want: []string{"email:required"}},
		{name: "email of white space only is missing", edit: func(r *CreateCustomerRequest) { r.Email = " \t\n " }, want: []string{"email:required"}},
		{name: "mobile missing", edit: func(r *CreateCustomerRequest) { r.Mobile = "" }, want: []string{"mobile:required"}},
		{name: "first_name missing", edit: func(r *CreateCustomerRequest) { r.FirstName = "" }, want: []string{"first_name:required"}},
		{name: "first_name of spaces only is missing", edit: func(r *CreateCustomerRequest) { r.FirstName = "   " }, want: []string{"first_name:required"}},
		{name: "last_name missing", edit: func(r *CreateCustomerRequest) { r.LastName = "" }, want: []string{"last_name:required"}},
		{name: "gender missing", edit: func(r *CreateCustomerRequest) { r.Gender = "" }, want: []string{"gender:required"}},
		{name: "personal account at level 1 needs neither RFC nor CURP", edit: func(r *CreateCustomerRequest) { r.RFC, r.CURP = "", "" }},
		{name: "business account without RFC", base: minimalBusinessRequest, edit: func(r *CreateCustomerRequest) { r.RFC = "" }, want: []string{"rfc:required"}},
		{name: "business account cannot replace its RFC with a CURP", base: minimalBusinessRequest,
			edit: func(r *CreateCustomerRequest) { r.RFC, r.CURP = "", specCURP }, want: []string{"curp:not_allowed", "rfc:required"}},
		{name: "empty request names every required field",
			base: func() CreateCustomerRequest { return CreateCustomerRequest{} },
			want: []string{"email:required", "mobile:required", "first_name:required", "last_name:required", "gender:required"}},
	})
}

func TestValidateEmail(t *testing.T) {
	const domain = "@example.com"
	setEmail := func(s string) func(*CreateCustomerRequest) { return func(r *CreateCustomerRequest) { r.Email = s } }
	runValidateCases(t, []validateCase{
		{name: "plain address", edit: setEmail("ana@example.com")},
		{name: "sub-domains and plus tag", edit: setEmail("ana.lopez+promo@mail.example.com.mx")},
		{name: "upper case is accepted", edit: setEmail("Ana.Lopez@Example.COM")},
		{name: "surrounding white space is trimmed", edit: setEmail("  ana@example.com \t")},
		{name: "254 ASCII characters", edit: setEmail(strings.Repeat("a", 254-len(domain)) + domain)},
		{name: "254 characters that take 496 bytes (length is in characters)", edit: setEmail(strings.Repeat("ñ", 254-len(domain)) + domain)},
		{name: "255 characters", edit: setEmail(strings.Repeat("a", 255-len(domain)) + domain), want: []string{"email:invalid"}},
		{name: "no @", edit: setEmail("ana.example.com"), want: []string{"email:invalid"}},
		{name: "two @", edit: setEmail("ana@lopez@example.com"), want: []string{"email:invalid"}},
		{name: "empty local part", edit: setEmail("@example.com"), want: []string{"email:invalid"}},
		{name: "empty domain", edit: setEmail("ana@"), want: []string{"email:invalid"}},
		{name: "domain without a dot", edit: setEmail("ana@localhost"), want: []string{"email:invalid"}},
		{name: "empty label between dots", edit: setEmail("ana@example..com"), want: []string{"email:invalid"}},
		{name: "domain starting with a dot", edit: setEmail("ana@.example.com"), want: []string{"email:invalid"}},
		{name: "domain ending with a dot", edit: setEmail("ana@example.com."), want: []string{"email:invalid"}},
		{name: "space in the local part", edit: setEmail("ana lopez@example.com"), want: []string{"email:invalid"}},
		{name: "space in the domain", edit: setEmail("ana@exam ple.com"), want: []string{"email:invalid"}},
		{name: "tab inside", edit: setEmail("ana\t@example.com"), want: []string{"email:invalid"}},
		{name: "non-breaking space inside", edit: setEmail("ana\u00a0lopez@example.com"), want: []string{"email:invalid"}},
		{name: "NUL byte inside", edit: setEmail("ana\x00@example.com"), want: []string{"email:invalid"}},
		{name: "invalid UTF-8", edit: setEmail("ana\xff@example.com"), want: []string{"email:invalid"}},
		{name: "accents composed or not are accepted", edit: setEmail("jose\u0301@example.com")},
		{name: "zero-width space inside", edit: setEmail("ana\u200b@example.com"), want: []string{"email:invalid"}},
		{name: "zero-width joiner inside", edit: setEmail("an\u200da@example.com"), want: []string{"email:invalid"}},
		{name: "soft hyphen inside", edit: setEmail("ana\u00adlopez@example.com"), want: []string{"email:invalid"}},
		{name: "byte order mark inside", edit: setEmail("\ufeffana@example.com"), want: []string{"email:invalid"}},
		{name: "right-to-left override inside", edit: setEmail("ana\u202emoc.elpmaxe@example.com"), want: []string{"email:invalid"}},
		{name: "left-to-right mark inside", edit: setEmail("ana@example\u200e.com"), want: []string{"email:invalid"}},
		{name: "variation selector inside", edit: setEmail("ana\ufe0f@example.com"), want: []string{"email:invalid"}},
		{name: "combining grapheme joiner inside", edit: setEmail("ana\u034f@example.com"), want: []string{"email:invalid"}},
	})
}

// Uniqueness compares the key: every spelling of one address gets the same key, and other
// addresses keep theirs.
func TestEmailKeyFoldsSpellingsOfOneAddress(t *testing.T) {
	for _, tt := range []struct {
		name string
		a, b string
		same bool
	}{
		{"ASCII case", "Juan.Perez@Example.com", "juan.perez@example.com", true},
		{"Greek capitals", "ΣΟΦΙΑ@example.gr", "σοφια@example.gr", true},
		{"Greek final sigma", "ΟΔΥΣΣΕΑΣ@example.gr", "οδυσσεας@example.gr", true},
		{"composed and decomposed accents (NFC and NFD)", "jos\u00e9@example.com", "jose\u0301@example.com", true},
		{"fullwidth letters", "\uff4a\uff55\uff41\uff4e@example.com", "juan@example.com", true},
		{"sharp s folds to ss", "stra\u00dfe@example.de", "STRASSE@example.de", true},
		{"long s folds to s", "\u017fofia@example.com", "sofia@example.com", true},
		{"Kelvin sign folds to k", "\u212aarla@example.com", "karla@example.com", true},
		{"another letter", "juan@example.com", "juana@example.com", false},
		{"an accent is a letter of its own", "jose@example.com", "jos\u00e9@example.com", false},
		{"another domain", "juan@example.com", "juan@example.mx", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := emailKey(tt.a), emailKey(tt.b)
			if (ka == kb) != tt.same {
				t.Errorf("keys %q and %q: same %v, want %v", ka, kb, ka == kb, tt.same)
			}
		})
	}
}

// An ASCII address takes a shortcut to its key: the key is the one the full rule makes.
func TestEmailKeyOfASCIIIsTheFullRules(t *testing.T) {
	var every strings.Builder
	for b := range utf8.RuneSelf {
		every.WriteByte(byte(b))
	}
	for _, email := range []string{every.String(), "Juan.Perez@Example.COM", "KARLA+sofia_01@EXAMPLE.mx", ""} {
		if got, want := emailKey(email), foldEmail(email); got != want {
			t.Errorf("emailKey(%q) = %q, want %q", email, got, want)
		}
	}
}

func TestValidateMobile(t *testing.T) {
	setMobile := func(s string) func(*CreateCustomerRequest) { return func(r *CreateCustomerRequest) { r.Mobile = s } }
	runValidateCases(t, []validateCase{
		{name: "10 digits", edit: setMobile("5512345678")},
		{name: "10 digits with surrounding spaces are trimmed", edit: setMobile(" 5512345678 ")},
		{name: "9 digits", edit: setMobile("551234567"), want: []string{"mobile:invalid"}},
		{name: "11 digits", edit: setMobile("55123456789"), want: []string{"mobile:invalid"}},
		{name: "a letter among 10 characters", edit: setMobile("55123456a8"), want: []string{"mobile:invalid"}},
		// mobile is returned as a JSON number, which cannot keep a leading zero.
		{name: "leading zero", edit: setMobile("0512345678"), want: []string{"mobile:invalid"}},
		{name: "spaces between the digits", edit: setMobile("55 1234 5678"), want: []string{"mobile:invalid"}},
		{name: "dashes between the digits", edit: setMobile("55-1234-5678"), want: []string{"mobile:invalid"}},
		{name: "country code included", edit: setMobile("+525512345678"), want: []string{"mobile:invalid"}},
		{name: "negative number", edit: setMobile("-551234567"), want: []string{"mobile:invalid"}},
		{name: "full-width digits are not ASCII digits", edit: setMobile("５５１２３４５６７８"), want: []string{"mobile:invalid"}},
	})
}

func TestValidateMobileCountryCode(t *testing.T) {
	setCode := func(s string) func(*CreateCustomerRequest) {
		return func(r *CreateCustomerRequest) { r.MobileCountryCode = s }
	}
	runValidateCases(t, []validateCase{
		{name: "one digit", edit: setCode("1")},
		{name: "three digits", edit: setCode("502")},
		{name: "leading plus", edit: setCode("+52")},
		{name: "four digits", edit: setCode("5215"), want: []string{"mobile_country_code:invalid"}},
		{name: "plus and four digits", edit: setCode("+5215"), want: []string{"mobile_country_code:invalid"}},
		{name: "plus alone", edit: setCode("+"), want: []string{"mobile_country_code:invalid"}},
		{name: "two pluses", edit: setCode("++52"), want: []string{"mobile_country_code:invalid"}},
		{name: "letters", edit: setCode("MX"), want: []string{"mobile_country_code:invalid"}},
		{name: "negative", edit: setCode("-52"), want: []string{"mobile_country_code:invalid"}},
		{name: "zero alone", edit: setCode("0"), want: []string{"mobile_country_code:invalid"}},
		{name: "zeros alone", edit: setCode("000"), want: []string{"mobile_country_code:invalid"}},
		{name: "plus and zero", edit: setCode("+0"), want: []string{"mobile_country_code:invalid"}},
	})

	t.Run("normalised to digits only", func(t *testing.T) {
		e := requestPartner(t, NewPartner{})
		for in, want := range map[string]string{"": "52", "   ": "52", "52": "52", "+52": "52", " +1 ": "1", "502": "502",
			"052": "52", "+052": "52", "001": "1"} {
			r := minimalPersonalRequest()
			r.MobileCountryCode = in
			if got := mustValidate(t, e, r, validateNow).customer.MobileCountryCode; got != want {
				t.Errorf("mobile_country_code %q stored as %q, want %q", in, got, want)
			}
		}
	})
}

func TestValidateNames(t *testing.T) {
	first := func(s string) func(*CreateCustomerRequest) { return func(r *CreateCustomerRequest) { r.FirstName = s } }
	last := func(s string) func(*CreateCustomerRequest) { return func(r *CreateCustomerRequest) { r.LastName = s } }
	middle := func(s string) func(*CreateCustomerRequest) {
		return func(r *CreateCustomerRequest) { r.MiddleName = s }
	}
	secondLast := func(s string) func(*CreateCustomerRequest) {
		return func(r *CreateCustomerRequest) { r.SecondLastName = s }
	}
	runValidateCases(t, []validateCase{
		{name: "accented first name", edit: first("José María")},
		{name: "Ñ in a surname", edit: last("Ñúñez")},
		{name: "apostrophe", edit: last("O'Connor")},
		{name: "hyphen", edit: last("Smith-Jones")},
		{name: "initials with dots", edit: first("J. R.")},
		{name: "ampersand", edit: first("Ana & Luis")},
		{name: "Cyrillic script", edit: first("Алексей")},
		{name: "Han script", edit: first("李小龙")},
		{name: "Greek with a polytonic accent", edit: first("Ἀθηνᾶ")},
		{name: "accent written as a combining mark", edit: first("Jose\u0301")},
		{name: "60 accented characters (120 bytes)", edit: first(strings.Repeat("é", 60))},
		{name: "60 characters in last_name", edit: last(strings.Repeat("Ñ", 60))},
		{name: "surrounding spaces are trimmed before the length check", edit: first("  " + strings.Repeat("a", 60) + "  ")},
		{name: "61 accented characters", edit: first(strings.Repeat("é", 61)), want: []string{"first_name:invalid"}},
		{name: "61 characters in last_name", edit: last(strings.Repeat("a", 61)), want: []string{"last_name:invalid"}},
		{name: "digit in a personal first name", edit: first("Juan2"), want: []string{"first_name:invalid"}},
		{name: "comma in a personal last name", edit: last("Pérez, Gómez"), want: []string{"last_name:invalid"}},
		{name: "underscore", edit: first("Juan_Carlos"), want: []string{"first_name:invalid"}},
		{name: "at sign", edit: first("Juan@"), want: []string{"first_name:invalid"}},
		{name: "emoji", edit: first("Juan 😀"), want: []string{"first_name:invalid"}},
		{name: "tab inside", edit: first("Juan\tCarlos"), want: []string{"first_name:invalid"}},
		{name: "newline inside", edit: last("Pérez\nGómez"), want: []string{"last_name:invalid"}},
		{name: "NUL byte inside", edit: first("Juan\x00"), want: []string{"first_name:invalid"}},
		{name: "invalid UTF-8", edit: first("Ju\xffan"), want: []string{"first_name:invalid"}},

		{name: "middle_name on a personal account", edit: middle("Carlos")},
		{name: "second_last_name on a personal account", edit: secondLast("Gómez")},
		{name: "middle_name with a digit", edit: middle("Carlos3"), want: []string{"middle_name:invalid"}},
		{name: "middle_name of 61 characters", edit: middle(strings.Repeat("a", 61)), want: []string{"middle_name:invalid"}},
		{name: "second_last_name with a control character", edit: secondLast("Gó\x7fmez"), want: []string{"second_last_name:invalid"}},

		{name: "business names may hold digits and commas", base: minimalBusinessRequest,
			edit: func(r *CreateCustomerRequest) { r.FirstName, r.LastName = "Grupo 7, Servicios", "S. de R.L. de C.V." }},
		{name: "business name of 60 characters", base: minimalBusinessRequest, edit: first(strings.Repeat("7", 60))},
		{name: "business name of 61 characters", base: minimalBusinessRequest, edit: first(strings.Repeat("7", 61)), want: []string{"first_name:invalid"}},
		{name: "business name with a hash sign", base: minimalBusinessRequest, edit: first("Grupo #1"), want: []string{"first_name:invalid"}},
		{name: "business name with a control character", base: minimalBusinessRequest, edit: last("S.A.\x01"), want: []string{"last_name:invalid"}},
		{name: "middle_name on a business account", base: minimalBusinessRequest, edit: middle("Carlos"), want: []string{"middle_name:not_allowed"}},
		{name: "second_last_name on a business account", base: minimalBusinessRequest, edit: secondLast("Gómez"), want: []string{"second_last_name:not_allowed"}},
		{name: "both personal-only names on a business account", base: minimalBusinessRequest,
			edit: func(r *CreateCustomerRequest) { r.MiddleName, r.SecondLastName = "Carlos", "Gómez" },
			want: []string{"middle_name:not_allowed", "second_last_name:not_allowed"}},
		{name: "white-space middle_name on a business account is absent", base: minimalBusinessRequest, edit: middle("   ")},
	})
}

func TestValidateGender(t *testing.T) {
	setGender := func(s string) func(*CreateCustomerRequest) { return func(r *CreateCustomerRequest) { r.Gender = s } }
	runValidateCases(t, []validateCase{
		{name: "1 female", edit: setGender("1")},
		{name: "2 male", edit: setGender("2")},
		{name: "surrounding spaces are trimmed", edit: setGender(" 1 ")},
		{name: "3 makes the account a business, whose RFC has 12 characters", edit: setGender("3"), want: []string{"rfc:invalid"}},
		{name: "0", edit: setGender("0"), want: []string{"gender:invalid"}},
		{name: "4", edit: setGender("4"), want: []string{"gender:invalid"}},
		{name: "leading zero", edit: setGender("02"), want: []string{"gender:invalid"}},
		{name: "decimal", edit: setGender("2.0"), want: []string{"gender:invalid"}},
		{name: "negative", edit: setGender("-2"), want: []string{"gender:invalid"}},
		{name: "gender_string instead of the number", edit: setGender("Male"), want: []string{"gender:invalid"}},
	})

	t.Run("stored as the number", func(t *testing.T) {
		e := requestPartner(t, NewPartner{})
		for _, tc := range []struct {
			req  CreateCustomerRequest
			want int
		}{{minimalPersonalRequest(), GenderMale}, {minimalBusinessRequest(), GenderBusiness}} {
			if got := mustValidate(t, e, tc.req, validateNow).customer.Gender; got != tc.want {
				t.Errorf("gender %q stored as %d, want %d", tc.req.Gender, got, tc.want)
			}
		}
	})
}

func TestValidateRFC(t *testing.T) {
	setRFC := func(s string) func(*CreateCustomerRequest) { return func(r *CreateCustomerRequest) { r.RFC = s } }
	strict := NewPartner{StrictRFC: true}
	runValidateCases(t, []validateCase{
		{name: "lower case is upper-cased before the checks", edit: setRFC("gode561231gr8")},
		{name: "lower-case ñ is upper-cased to Ñ", edit: setRFC("ñañe800101ab1")},
		{name: "surrounding spaces are trimmed", edit: setRFC("  GODE561231GR8 ")},
		{name: "personal RFC of 12 characters", edit: setRFC("GODE561231GR"), want: []string{"rfc:invalid"}},
		{name: "personal RFC of 14 characters", edit: setRFC("GODE561231GR8X"), want: []string{"rfc:invalid"}},
		{name: "business-shaped RFC on a personal account", edit: setRFC(specBusinessRFC), want: []string{"rfc:invalid"}},
		{name: "personal-shaped RFC on a business account", base: minimalBusinessRequest, edit: setRFC(specPersonalRFC), want: []string{"rfc:invalid"}},
		{name: "digit among the name letters", edit: setRFC("G0DE561231GR8"), want: []string{"rfc:invalid"}},
		{name: "month 13 is not a real date", edit: setRFC("GODE561331GR8"), want: []string{"rfc:invalid"}},
		{name: "February 30 is not a real date", edit: setRFC("GODE560230GR8"), want: []string{"rfc:invalid"}},
		{name: "dash in the homoclave", edit: setRFC("GODE561231G-8"), want: []string{"rfc:invalid"}},
		{name: "space inside", edit: setRFC("GODE 561231GR8"), want: []string{"rfc:invalid"}},
		{name: "invalid UTF-8", edit: setRFC("GOD\xff561231GR8"), want: []string{"rfc:invalid"}},

		{name: "wrong check digit passes when strict_rfc is off", edit: setRFC(specBadDigitRFC)},
		{name: "wrong check digit fails when strict_rfc is on", partner: strict, edit: setRFC(specBadDigitRFC), want: []string{"rfc:invalid_check_digit"}},
		{name: "corrected check digit passes strict_rfc", partner: strict, edit: setRFC(specFixedDigitRFC)},
		{name: "spec personal vector passes strict_rfc", partner: strict},
		{name: "spec business vector passes strict_rfc", partner: strict, base: minimalBusinessRequest},
		{name: "lower-case RFC is upper-cased before the check digit", partner: strict, edit: setRFC("vace460910sx6"), want: []string{"rfc:invalid_check_digit"}},
		{name: "generic RFC for the general public passes strict_rfc", partner: strict, edit: setRFC("XAXX010101000")},
	})

	t.Run("stored upper-cased", func(t *testing.T) {
		r := minimalPersonalRequest()
		r.RFC = " gode561231gr8 "
		if got := mustValidate(t, requestPartner(t, NewPartner{}), r, validateNow).customer.RFC; got != specPersonalRFC {
			t.Errorf("rfc stored as %q, want %q", got, specPersonalRFC)
		}
	})
}

func TestValidateCURP(t *testing.T) {
	curpOnly := func() CreateCustomerRequest {
		r := minimalPersonalRequest()
		r.RFC, r.CURP = "", specCURP
		return r
	}
	runValidateCases(t, []validateCase{
		{name: "valid CURP with the date of birth it encodes", base: curpOnly, edit: func(r *CreateCustomerRequest) { r.DateOfBirth = specCURPBirth }},
		{name: "letter differentiator places Feb 29 in 2000", base: curpOnly,
			edit: func(r *CreateCustomerRequest) {
				r.CURP, r.DateOfBirth, r.Gender = "GOMC000229MDFRRRA9", "2000-02-29", "1"
			}},
		{name: "wrong check digit", base: curpOnly, edit: func(r *CreateCustomerRequest) { r.CURP = "BOXW310820HNERXN08" }, want: []string{"curp:invalid_check_digit"}},
		{name: "17 characters", base: curpOnly, edit: func(r *CreateCustomerRequest) { r.CURP = "BOXW310820HNERXN0" }, want: []string{"curp:invalid"}},
		{name: "19 characters", base: curpOnly, edit: func(r *CreateCustomerRequest) { r.CURP = "BOXW310820HNERXN090" }, want: []string{"curp:invalid"}},
		{name: "month 13 is not a real birth date", base: curpOnly, edit: func(r *CreateCustomerRequest) { r.CURP = "BOXW311320HNERXN09" }, want: []string{"curp:invalid"}},
		{name: "unknown state code", base: curpOnly, edit: func(r *CreateCustomerRequest) { r.CURP = "BOXW310820HZZRXN09" }, want: []string{"curp:invalid"}},
		{name: "a CURP whose birth date is in the future", base: curpOnly, edit: func(r *CreateCustomerRequest) {
			r.CURP, r.DateOfBirth = curpWithCheckDigit(t, "GOMC900115HDFRRRA"), "" // character 17 a letter: born 2090
		}, want: []string{"curp:invalid"}},
		{name: "date of birth one day off the CURP's", base: curpOnly, edit: func(r *CreateCustomerRequest) { r.DateOfBirth = "1931-08-21" }, want: []string{"curp:date_mismatch"}},
		{name: "date of birth in another year than the CURP's", base: curpOnly, edit: func(r *CreateCustomerRequest) { r.DateOfBirth = "1932-08-20" }, want: []string{"curp:date_mismatch"}},
		{name: "an unreadable date of birth is reported, not compared", base: curpOnly, edit: func(r *CreateCustomerRequest) { r.DateOfBirth = "20/08/1931" }, want: []string{"date_of_birth:invalid"}},
		{name: "CURP alongside an RFC must still agree with the date of birth", edit: func(r *CreateCustomerRequest) { r.CURP, r.DateOfBirth = specCURP, "1956-12-31" }, want: []string{"curp:date_mismatch"}},
		{name: "CURP on a business account", base: minimalBusinessRequest, edit: func(r *CreateCustomerRequest) { r.CURP = specCURP }, want: []string{"curp:not_allowed"}},
	})
}

func TestValidateDateOfBirth(t *testing.T) {
	dob := func(s string) func(*CreateCustomerRequest) {
		return func(r *CreateCustomerRequest) { r.DateOfBirth = s }
	}
	runValidateCases(t, []validateCase{
		{name: "ordinary date", edit: dob("1990-05-17")},
		{name: "leap day in a leap year", edit: dob("2000-02-29")},
		{name: "yesterday: age 0", edit: dob("2026-03-14")},
		{name: "120th birthday today: age 120", edit: dob("1906-03-15")},
		{name: "day-month-year order", edit: dob("17-05-1990"), want: []string{"date_of_birth:invalid"}},
		{name: "slashes", edit: dob("1990/05/17"), want: []string{"date_of_birth:invalid"}},
		{name: "month without leading zero", edit: dob("1990-5-17"), want: []string{"date_of_birth:invalid"}},
		{name: "no separators", edit: dob("19900517"), want: []string{"date_of_birth:invalid"}},
		{name: "timestamp instead of a date", edit: dob("1990-05-17T00:00:00Z"), want: []string{"date_of_birth:invalid"}},
		{name: "February 29 in a common year", edit: dob("1990-02-29"), want: []string{"date_of_birth:invalid"}},
		{name: "month 13", edit: dob("1990-13-01"), want: []string{"date_of_birth:invalid"}},
		{name: "day 00", edit: dob("1990-01-00"), want: []string{"date_of_birth:invalid"}},
		{name: "today is not in the past", edit: dob("2026-03-15"), want: []string{"date_of_birth:not_in_past"}},
		{name: "tomorrow", edit: dob("2026-03-16"), want: []string{"date_of_birth:not_in_past"}},
		{name: "far future", edit: dob("2999-01-01"), want: []string{"date_of_birth:not_in_past"}},
		{name: "121st birthday today: age 121", edit: dob("1905-03-15"), want: []string{"date_of_birth:out_of_range"}},
		{name: "two centuries ago", edit: dob("1800-01-01"), want: []string{"date_of_birth:out_of_range"}},
		{name: "the age limit is for personal accounts only", base: minimalBusinessRequest, edit: dob("1850-01-01")},
		{name: "today is read in Mexico City: at 21:00 on the 15th there it is already the 16th in UTC",
			now: time.Date(2026, time.March, 16, 3, 0, 0, 0, time.UTC), edit: dob("2026-03-15"), want: []string{"date_of_birth:not_in_past"}},
	})
}

// TestValidateAcceptsAge120UntilThe121stBirthday pins §3's "personal accounts: age 0–120": a
// person is 120 from the 120th birthday until the day before the 121st.
func TestValidateAcceptsAge120UntilThe121stBirthday(t *testing.T) {
	runValidateCases(t, []validateCase{
		{name: "120 years and one day old", edit: func(r *CreateCustomerRequest) { r.DateOfBirth = "1906-03-14" }},
		{name: "121st birthday tomorrow", edit: func(r *CreateCustomerRequest) { r.DateOfBirth = "1905-03-16" }},
	})
}

func TestValidatePassword(t *testing.T) {
	pw := func(s string) func(*CreateCustomerRequest) { return func(r *CreateCustomerRequest) { r.Password = s } }
	runValidateCases(t, []validateCase{
		{name: "8 characters", edit: pw("abcd1234")},
		{name: "128 characters", edit: pw(strings.Repeat("x", 128))},
		{name: "8 two-byte characters", edit: pw(strings.Repeat("ñ", 8))},
		{name: "128 two-byte characters (256 bytes)", edit: pw(strings.Repeat("ñ", 128))},
		{name: "only white space is absent", edit: pw("        ")},
		{name: "7 characters", edit: pw("abc1234"), want: []string{"password:invalid"}},
		{name: "7 two-byte characters (14 bytes)", edit: pw(strings.Repeat("ñ", 7)), want: []string{"password:invalid"}},
		{name: "129 characters", edit: pw(strings.Repeat("x", 129)), want: []string{"password:invalid"}},
		{name: "a NUL byte", edit: pw("secret\x00secret"), want: []string{"password:invalid"}},
		{name: "a line feed", edit: pw("secret\nsecret"), want: []string{"password:invalid"}},
		{name: "invalid UTF-8", edit: pw("password\xff"), want: []string{"password:invalid"}},
	})

	t.Run("kept in clear for hashing, outside the customer row", func(t *testing.T) {
		r := minimalPersonalRequest()
		r.Password = "correct horse"
		v := mustValidate(t, requestPartner(t, NewPartner{}), r, validateNow)
		if v.password != "correct horse" {
			t.Errorf("password = %q, want %q", v.password, "correct horse")
		}
		if v.customer.PasswordHash != "" {
			t.Errorf("validate filled PasswordHash %q; hashing happens later", v.customer.PasswordHash)
		}
	})
}

func TestValidateDeviceID(t *testing.T) {
	e := requestPartner(t, NewPartner{})
	for _, tc := range []struct {
		name, in, want string
	}{
		{"absent defaults to \"default\"", "", defaultDeviceID},
		{"white space only defaults to \"default\"", "  ", defaultDeviceID},
		{"given is kept, trimmed", " iphone-15 ", "iphone-15"},
		{"128 characters", strings.Repeat("d", 128), strings.Repeat("d", 128)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := minimalPersonalRequest()
			r.DeviceID = tc.in
			if got := mustValidate(t, e, r, validateNow).deviceID; got != tc.want {
				t.Errorf("device id = %q, want %q", got, tc.want)
			}
		})
	}
	// The refusals (129 characters, control characters, invalid UTF-8) are in
	// TestValidateOptionalTextFields.
}

func TestValidateKYCLevelField(t *testing.T) {
	level := func(s string) func(*CreateCustomerRequest) { return func(r *CreateCustomerRequest) { r.KYCLevel = s } }
	runValidateCases(t, []validateCase{
		{name: "1", edit: level("1")},
		{name: "0", edit: level("0"), want: []string{"kyc_level:invalid"}},
		{name: "4 is never assigned at creation", edit: level("4"), want: []string{"kyc_level:invalid"}},
		{name: "negative", edit: level("-1"), want: []string{"kyc_level:invalid"}},
		{name: "explicit plus sign", edit: level("+2"), want: []string{"kyc_level:invalid"}},
		{name: "decimal", edit: level("1.5"), want: []string{"kyc_level:invalid"}},
		{name: "word", edit: level("two"), want: []string{"kyc_level:invalid"}},
	})
}

// textField is an optional free-text field of §3 and the longest value it takes.
type textField struct {
	name     string
	max      int
	business bool // the field belongs to business accounts
	value    func(*CreateCustomerRequest) *string
}

var optionalTextFields = []textField{
	{"telephone", 120, false, func(r *CreateCustomerRequest) *string { return &r.Telephone }},
	{"address", 120, false, func(r *CreateCustomerRequest) *string { return &r.Address }},
	{"correspondence_address", 120, false, func(r *CreateCustomerRequest) *string { return &r.CorrespondenceAddress }},
	{"street", 120, false, func(r *CreateCustomerRequest) *string { return &r.Street }},
	{"exterior", 120, false, func(r *CreateCustomerRequest) *string { return &r.Exterior }},
	{"interior", 120, false, func(r *CreateCustomerRequest) *string { return &r.Interior }},
	{"colony", 120, false, func(r *CreateCustomerRequest) *string { return &r.Colony }},
	{"city", 120, false, func(r *CreateCustomerRequest) *string { return &r.City }},
	{"country_of_birth", 120, false, func(r *CreateCustomerRequest) *string { return &r.CountryOfBirth }},
	{"identification_document_front", 512, false, func(r *CreateCustomerRequest) *string { return &r.IdentificationDocumentFront }},
	{"identification_document_back", 512, false, func(r *CreateCustomerRequest) *string { return &r.IdentificationDocumentBack }},
	{"address_document_front", 512, false, func(r *CreateCustomerRequest) *string { return &r.AddressDocumentFront }},
	{"address_document_back", 512, false, func(r *CreateCustomerRequest) *string { return &r.AddressDocumentBack }},
	{"selfie", 512, false, func(r *CreateCustomerRequest) *string { return &r.Selfie }},
	{"device_id", 128, false, func(r *CreateCustomerRequest) *string { return &r.DeviceID }},
	{"campaign_id", 32, false, func(r *CreateCustomerRequest) *string { return &r.CampaignID }},
	{"business_name", 120, true, func(r *CreateCustomerRequest) *string { return &r.BusinessName }},
	{"business_purpose", 120, true, func(r *CreateCustomerRequest) *string { return &r.BusinessPurpose }},
}

func TestValidateOptionalTextFields(t *testing.T) {
	for _, f := range optionalTextFields {
		base := minimalPersonalRequest
		if f.business {
			base = minimalBusinessRequest
		}
		set := func(s string) func(*CreateCustomerRequest) { return func(r *CreateCustomerRequest) { *f.value(r) = s } }
		invalid := []string{f.name + ":invalid"}
		t.Run(f.name, func(t *testing.T) {
			runValidateCases(t, []validateCase{
				{name: fmt.Sprintf("%d ASCII characters", f.max), base: base, edit: set(strings.Repeat("a", f.max))},
				{name: fmt.Sprintf("%d two-byte characters", f.max), base: base, edit: set(strings.Repeat("ñ", f.max))},
				{name: "white space only is absent", base: base, edit: set(" \t ")},
				{name: fmt.Sprintf("%d characters", f.max+1), base: base, edit: set(strings.Repeat("a", f.max+1)), want: invalid},
				{name: "newline inside", base: base, edit: set("line one\nline two"), want: invalid},
				{name: "NUL byte inside", base: base, edit: set("abc\x00def"), want: invalid},
				{name: "DEL control character inside", base: base, edit: set("abc\x7fdef"), want: invalid},
				{name: "C1 control character inside", base: base, edit: set("abc\u0085def"), want: invalid},
				{name: "invalid UTF-8", base: base, edit: set("abc\xffdef"), want: invalid},
			})
		})
	}

	t.Run("values are stored trimmed", func(t *testing.T) {
		r := minimalPersonalRequest()
		r.Street, r.CampaignID, r.Selfie = "  Av. Reforma  ", " spring-2026 ", " docs/selfie.jpg "
		c := mustValidate(t, requestPartner(t, NewPartner{}), r, validateNow).customer
		if c.Street != "Av. Reforma" || c.CampaignID != "spring-2026" || c.Selfie != "docs/selfie.jpg" {
			t.Errorf("stored street %q, campaign_id %q, selfie %q; want them trimmed", c.Street, c.CampaignID, c.Selfie)
		}
	})
}

func TestValidateNumericFields(t *testing.T) {
	set := func(field func(*CreateCustomerRequest) *string, s string) func(*CreateCustomerRequest) {
		return func(r *CreateCustomerRequest) { *field(r) = s }
	}
	zip := func(r *CreateCustomerRequest) *string { return &r.Zipcode }
	state := func(r *CreateCustomerRequest) *string { return &r.StateID }
	nationality := func(r *CreateCustomerRequest) *string { return &r.NationalityID }
	occupation := func(r *CreateCustomerRequest) *string { return &r.OccupationID }
	idType := func(r *CreateCustomerRequest) *string { return &r.IdentificationDocumentType }
	addrType := func(r *CreateCustomerRequest) *string { return &r.AddressDocumentType }
	runValidateCases(t, []validateCase{
		{name: "zipcode of 5 digits", edit: set(zip, "06600")},
		{name: "zipcode with a leading zero keeps it", edit: set(zip, "01000")},
		{name: "zipcode of 4 digits", edit: set(zip, "0660"), want: []string{"zipcode:invalid"}},
		{name: "zipcode of 6 digits", edit: set(zip, "066000"), want: []string{"zipcode:invalid"}},
		{name: "zipcode with a letter", edit: set(zip, "0660A"), want: []string{"zipcode:invalid"}},
		{name: "zipcode with a dash", edit: set(zip, "06-60"), want: []string{"zipcode:invalid"}},

		{name: "state_id 1", edit: set(state, "1")},
		{name: "state_id 32", edit: set(state, "32")},
		{name: "state_id 0", edit: set(state, "0"), want: []string{"state_id:invalid"}},
		{name: "state_id 33", edit: set(state, "33"), want: []string{"state_id:invalid"}},
		{name: "state_id negative", edit: set(state, "-9"), want: []string{"state_id:invalid"}},
		{name: "state_id as a state code", edit: set(state, "DF"), want: []string{"state_id:invalid"}},

		{name: "nationality_id 1", edit: set(nationality, "1")},
		{name: "nationality_id 0", edit: set(nationality, "0"), want: []string{"nationality_id:invalid"}},
		{name: "nationality_id negative", edit: set(nationality, "-1"), want: []string{"nationality_id:invalid"}},
		{name: "nationality_id as a word", edit: set(nationality, "MX"), want: []string{"nationality_id:invalid"}},
		{name: "occupation_id 12", edit: set(occupation, "12")},
		{name: "occupation_id 0", edit: set(occupation, "0"), want: []string{"occupation_id:invalid"}},
		{name: "occupation_id decimal", edit: set(occupation, "1.0"), want: []string{"occupation_id:invalid"}},

		{name: "identification_document_type 1", edit: set(idType, "1")},
		{name: "identification_document_type 0", edit: set(idType, "0"), want: []string{"identification_document_type:invalid"}},
		{name: "identification_document_type beyond a small integer", edit: set(idType, "99999999999"), want: []string{"identification_document_type:invalid"}},
		{name: "address_document_type 2", edit: set(addrType, "2")},
		{name: "address_document_type negative", edit: set(addrType, "-2"), want: []string{"address_document_type:invalid"}},
	})

	t.Run("stored as numbers", func(t *testing.T) {
		c := mustValidate(t, requestPartner(t, NewPartner{}), level3PersonalRequest(), validateNow).customer
		if c.Zipcode != "03940" || c.StateID != 9 || c.NationalityID != 1 || c.IdentificationDocumentType != 1 || c.AddressDocumentType != 2 {
			t.Errorf("stored zipcode %q, state_id %d, nationality_id %d, identification_document_type %d, address_document_type %d",
				c.Zipcode, c.StateID, c.NationalityID, c.IdentificationDocumentType, c.AddressDocumentType)
		}
	})
}

func TestValidateBusinessOnlyFields(t *testing.T) {
	runValidateCases(t, []validateCase{
		{name: "business_name on a personal account", edit: func(r *CreateCustomerRequest) { r.BusinessName = "Tacos Juan" }, want: []string{"business_name:not_allowed"}},
		{name: "business_purpose on a personal account", edit: func(r *CreateCustomerRequest) { r.BusinessPurpose = "Food" }, want: []string{"business_purpose:not_allowed"}},
		{name: "constitution_date on a personal account", edit: func(r *CreateCustomerRequest) { r.ConstitutionDate = "2010-01-01" }, want: []string{"constitution_date:not_allowed"}},
		{name: "society_type on a personal account", edit: func(r *CreateCustomerRequest) { r.SocietyType = "1" }, want: []string{"society_type:not_allowed"}},
		{name: "white-space business_name on a personal account is absent", edit: func(r *CreateCustomerRequest) { r.BusinessName = "  " }},
		{name: "every business-only field on a personal account",
			edit: func(r *CreateCustomerRequest) {
				r.BusinessName, r.BusinessPurpose, r.ConstitutionDate, r.SocietyType = "Tacos Juan", "Food", "2010-01-01", "1"
			},
			want: []string{"business_name:not_allowed", "business_purpose:not_allowed", "constitution_date:not_allowed", "society_type:not_allowed"}},

		{name: "business account with name, purpose, constitution date and society type", base: minimalBusinessRequest,
			edit: func(r *CreateCustomerRequest) {
				r.BusinessName, r.BusinessPurpose, r.ConstitutionDate, r.SocietyType = "Comercializadora", "Retail", "1993-07-14", "4"
			}},
		{name: "constitution_date in day-month-year order", base: minimalBusinessRequest,
			edit: func(r *CreateCustomerRequest) { r.ConstitutionDate = "14-07-1993" }, want: []string{"constitution_date:invalid"}},
		{name: "constitution_date that does not exist", base: minimalBusinessRequest,
			edit: func(r *CreateCustomerRequest) { r.ConstitutionDate = "1993-02-30" }, want: []string{"constitution_date:invalid"}},
		{name: "constitution_date tomorrow", base: minimalBusinessRequest,
			edit: func(r *CreateCustomerRequest) { r.ConstitutionDate = "2026-03-16" }, want: []string{"constitution_date:in_future"}},
		{name: "society_type 0", base: minimalBusinessRequest,
			edit: func(r *CreateCustomerRequest) { r.SocietyType = "0" }, want: []string{"society_type:invalid"}},
		{name: "society_type as a word", base: minimalBusinessRequest,
			edit: func(r *CreateCustomerRequest) { r.SocietyType = "SA" }, want: []string{"society_type:invalid"}},
	})
}

func TestValidateCompositeCreditLine(t *testing.T) {
	composite := NewPartner{CompositeBalances: true}
	line := func(s string) func(*CreateCustomerRequest) {
		return func(r *CreateCustomerRequest) { r.CompositeCreditLine = s }
	}
	runValidateCases(t, []validateCase{
		{name: "required when the partner has composite balances", partner: composite, want: []string{"credit_line:required"}},
		{name: "white space only counts as absent", partner: composite, edit: line("   "), want: []string{"credit_line:required"}},
		{name: "refused when the partner has no composite balances", edit: line("100000"), want: []string{"composite_balance:not_enabled"}},
		{name: "a zero credit line is accepted and ignored without composite balances", edit: line("0")},
		{name: "a negative credit line is refused without composite balances", edit: line("-1"), want: []string{"composite_balance:not_enabled"}},
		{name: "absent is fine without composite balances"},
		{name: "zero", partner: composite, edit: line("0")},
		{name: "the default maximum, 10,000,000,000 cents", partner: composite, edit: line("10000000000")},
		{name: "one cent above the default maximum", partner: composite, edit: line("10000000001"), want: []string{"credit_line:above_maximum"}},
		{name: "the partner's own maximum", partner: NewPartner{CompositeBalances: true, MaxCreditLine: 500_000}, edit: line("500000")},
		{name: "one cent above the partner's own maximum", partner: NewPartner{CompositeBalances: true, MaxCreditLine: 500_000},
			edit: line("500001"), want: []string{"credit_line:above_maximum"}},
		{name: "negative", partner: composite, edit: line("-1"), want: []string{"credit_line:negative"}},
		{name: "decimal", partner: composite, edit: line("100.50"), want: []string{"credit_line:invalid"}},
		{name: "exponent notation", partner: composite, edit: line("1e6"), want: []string{"credit_line:invalid"}},
		{name: "explicit plus sign", partner: composite, edit: line("+100"), want: []string{"credit_line:invalid"}},
		{name: "hexadecimal", partner: composite, edit: line("0x10"), want: []string{"credit_line:invalid"}},
		{name: "word", partner: composite, edit: line("lots"), want: []string{"credit_line:invalid"}},
	})

	t.Run("the validated amount is kept for the parent", func(t *testing.T) {
		r := minimalPersonalRequest()
		r.CompositeCreditLine = " 10000000 "
		if got := mustValidate(t, requestPartner(t, composite), r, validateNow).creditLine; got != 10_000_000 {
			t.Errorf("credit line = %d, want 10000000", got)
		}
	})
}

func TestValidateReportsEveryFailingField(t *testing.T) {
	e := requestPartner(t, NewPartner{})

	t.Run("four bad fields give four hints", func(t *testing.T) {
		r := minimalPersonalRequest()
		r.Email, r.Mobile, r.Zipcode, r.KYCLevel = "juan.example.com", "12345", "123", "9"
		_, err := r.validate(e, validateNow)
		assertInvalid(t, err, "email:invalid", "mobile:invalid", "zipcode:invalid", "kyc_level:invalid")
	})

	t.Run("required, invalid and not-allowed reasons together", func(t *testing.T) {
		r := minimalBusinessRequest()
		r.Email, r.RFC, r.MiddleName, r.CURP, r.StateID = "", "GODE561231GR8", "Carlos", specCURP, "40"
		r.CompositeCreditLine = "5000"
		_, err := r.validate(e, validateNow)
		assertInvalid(t, err, "email:required", "rfc:invalid", "middle_name:not_allowed", "curp:not_allowed",
			"state_id:invalid", "composite_balance:not_enabled")
	})
}

func TestValidateNormalizes(t *testing.T) {
	r := CreateCustomerRequest{
		Email:             "  Juan.Perez@Example.COM ",
		Mobile:            " 4958129198",
		MobileCountryCode: "+52",
		FirstName:         " Juan ",
		LastName:          "Pérez\t",
		SecondLastName:    " Gómez ",
		Gender:            "2",
		RFC:               "gode561231gr8",
		CURP:              " " + specCURP + " ",
		DateOfBirth:       " " + specCURPBirth,
	}
	v := mustValidate(t, requestPartner(t, NewPartner{}), r, validateNow)
	c := v.customer
	for _, tc := range []struct {
		field, got, want string
	}{
		{"email keeps its case", c.Email, "Juan.Perez@Example.COM"},
		{"mobile", c.Mobile, "4958129198"},
		{"mobile_country_code drops the plus", c.MobileCountryCode, "52"},
		{"first_name", c.FirstName, "Juan"},
		{"last_name", c.LastName, "Pérez"},
		{"second_last_name", c.SecondLastName, "Gómez"},
		{"middle_name absent", c.MiddleName, ""},
		{"rfc upper-cased", c.RFC, specPersonalRFC},
		{"curp", c.CURP, specCURP},
		{"date_of_birth", c.DateOfBirth, specCURPBirth},
		{"device id defaults", v.deviceID, defaultDeviceID},
	} {
		t.Run(tc.field, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	t.Run("account is active at level 1", func(t *testing.T) {
		if c.AccountStatus != accountStatusActive || c.AccountLevel != 1 {
			t.Errorf("account_status %d, account_level %d; want %d, 1", c.AccountStatus, c.AccountLevel, accountStatusActive)
		}
	})
	t.Run("email key folds case for uniqueness", func(t *testing.T) {
		if got := c.EmailKey(); got != "juan.perez@example.com" {
			t.Errorf("EmailKey() = %q", got)
		}
	})
}

func TestValidateAssignsKYCLevel(t *testing.T) {
	for _, tc := range []struct {
		name    string
		req     func() CreateCustomerRequest
		edit    func(r *CreateCustomerRequest)
		partner NewPartner
		want    int
	}{
		{name: "personal with the required fields only: level 1", req: minimalPersonalRequest, want: 1},
		{name: "personal with a CURP but no address: level 1", req: minimalPersonalRequest,
			edit: func(r *CreateCustomerRequest) { r.CURP, r.DateOfBirth = specCURP, specCURPBirth }, want: 1},
		{name: "personal with the level 2 data: level 2", req: level2PersonalRequest, want: 2},
		{name: "country_of_birth stands in for nationality_id", req: level2PersonalRequest,
			edit: func(r *CreateCustomerRequest) { r.NationalityID, r.CountryOfBirth = "", "México" }, want: 2},
		{name: "without nationality_id or country_of_birth level 2 is not reached", req: level2PersonalRequest,
			edit: func(r *CreateCustomerRequest) { r.NationalityID = "" }, want: 1},
		{name: "without date_of_birth level 2 is not reached, even with a CURP", req: level2PersonalRequest,
			edit: func(r *CreateCustomerRequest) { r.DateOfBirth = "" }, want: 1},
		{name: "without zipcode level 2 is not reached", req: level2PersonalRequest,
			edit: func(r *CreateCustomerRequest) { r.Zipcode = "" }, want: 1},
		{name: "personal with the level 3 data: level 3", req: level3PersonalRequest, want: 3},
		{name: "address_document_back is not needed for level 3", req: level3PersonalRequest,
			edit: func(r *CreateCustomerRequest) { r.AddressDocumentBack = "" }, want: 3},
		{name: "level 3 documents without the level 2 data: level 1", req: level3PersonalRequest,
			edit: func(r *CreateCustomerRequest) { r.Street = "" }, want: 1},
		{name: "personal without selfie stays at level 2", req: level3PersonalRequest,
			edit: func(r *CreateCustomerRequest) { r.Selfie = "" }, want: 2},

		{name: "business with the required fields only: level 1", req: minimalBusinessRequest, want: 1},
		{name: "business with constitution_date and address: level 2", req: level2BusinessRequest, want: 2},
		{name: "business without constitution_date stays at level 1", req: level2BusinessRequest,
			edit: func(r *CreateCustomerRequest) { r.ConstitutionDate = "" }, want: 1},
		{name: "business with documents and society_type: level 3", req: level3BusinessRequest, want: 3},
		{name: "business with a selfie instead of society_type stays at level 2", req: level3BusinessRequest,
			edit: func(r *CreateCustomerRequest) { r.SocietyType, r.Selfie = "", "docs/selfie.jpg" }, want: 2},

		{name: "kyc_level 1 caps level 3 data at 1", req: level3PersonalRequest,
			edit: func(r *CreateCustomerRequest) { r.KYCLevel = "1" }, want: 1},
		{name: "kyc_level 2 caps level 3 data at 2", req: level3PersonalRequest,
			edit: func(r *CreateCustomerRequest) { r.KYCLevel = "2" }, want: 2},
		{name: "kyc_level 3 with level 3 data", req: level3PersonalRequest,
			edit: func(r *CreateCustomerRequest) { r.KYCLevel = "3" }, want: 3},
		{name: "kyc_level 2 with level 2 business data", req: level2BusinessRequest,
			edit: func(r *CreateCustomerRequest) { r.KYCLevel = "2" }, want: 2},
		{name: "partner max_kyc_level 2 caps level 3 data at 2", req: level3PersonalRequest,
			partner: NewPartner{MaxKYCLevel: 2}, want: 2},
		{name: "partner max_kyc_level 1 caps level 3 data at 1", req: level3BusinessRequest,
			partner: NewPartner{MaxKYCLevel: 1}, want: 1},
		{name: "partner max_kyc_level 2 caps a requested level 3 the data supports", req: level3PersonalRequest,
			edit: func(r *CreateCustomerRequest) { r.KYCLevel = "3" }, partner: NewPartner{MaxKYCLevel: 2}, want: 2},
		{name: "the lower of kyc_level and max_kyc_level wins", req: level3PersonalRequest,
			edit: func(r *CreateCustomerRequest) { r.KYCLevel = "1" }, partner: NewPartner{MaxKYCLevel: 2}, want: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req()
			if tc.edit != nil {
				tc.edit(&r)
			}
			v := mustValidate(t, requestPartner(t, tc.partner), r, validateNow)
			if got := v.customer.AccountLevel; got != tc.want {
				t.Errorf("account_level = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestValidateRefusesUnsupportedKYCLevel(t *testing.T) {
	level := func(base func() CreateCustomerRequest, kyc string, edit func(r *CreateCustomerRequest)) func() CreateCustomerRequest {
		return func() CreateCustomerRequest {
			r := base()
			r.KYCLevel = kyc
			if edit != nil {
				edit(&r)
			}
			return r
		}
	}
	runValidateCases(t, []validateCase{
		{name: "personal level 1 data asking for level 2 names every level 2 field",
			base: level(minimalPersonalRequest, "2", nil), want: kycHints(2, personalLevel2Fields...)},
		{name: "personal level 1 data asking for level 3 names every level 2 and 3 field under level 3",
			base: level(minimalPersonalRequest, "3", nil),
			want: kycHints(3, append(append(slices.Clone(personalLevel2Fields), documentFields...), "selfie")...)},
		{name: "personal level 2 data asking for level 3 names the documents and selfie",
			base: level(level2PersonalRequest, "3", nil), want: kycHints(3, append(slices.Clone(documentFields), "selfie")...)},
		{name: "a CURP without date_of_birth names only the missing date",
			base: level(level2PersonalRequest, "2", func(r *CreateCustomerRequest) { r.DateOfBirth = "" }),
			want: kycHints(2, "date_of_birth")},
		{name: "no nationality_id nor country_of_birth is named as nationality_id",
			base: level(level2PersonalRequest, "2", func(r *CreateCustomerRequest) { r.NationalityID, r.City = "", "" }),
			want: kycHints(2, "city", "nationality_id")},
		{name: "a missing selfie alone",
			base: level(level3PersonalRequest, "3", func(r *CreateCustomerRequest) { r.Selfie = "" }),
			want: kycHints(3, "selfie")},
		{name: "business level 1 data asking for level 2 names constitution_date and the address",
			base: level(minimalBusinessRequest, "2", nil), want: kycHints(2, businessLevel2Fields...)},
		{name: "business level 2 data asking for level 3 needs society_type, not a selfie",
			base: level(level2BusinessRequest, "3", nil), want: kycHints(3, append(slices.Clone(documentFields), "society_type")...)},
		{name: "business with a selfie but no society_type asking for level 3",
			base: level(level3BusinessRequest, "3", func(r *CreateCustomerRequest) { r.SocietyType, r.Selfie = "", "docs/selfie.jpg" }),
			want: kycHints(3, "society_type")},
		{name: "asking for the partner's maximum level still needs that level's data",
			partner: NewPartner{MaxKYCLevel: 2},
			base:    level(minimalPersonalRequest, "2", nil), want: kycHints(2, personalLevel2Fields...)},
	})
}

// TestValidateReportsKYCGapsWithOtherFailures pins §2's "Report every failing field of a
// request, not only the first" for a request that both breaks a field rule and asks for a
// KYC level its data does not support.
func TestValidateReportsKYCGapsWithOtherFailures(t *testing.T) {
	r := level2PersonalRequest()
	r.KYCLevel, r.Email, r.CURP = "2", "juan.example.com", ""
	_, err := r.validate(requestPartner(t, NewPartner{}), validateNow)
	assertInvalid(t, err, "email:invalid", "curp:required_for_level_2")
}

// TestValidateAcceptsNamesInEveryScript pins §3's "letters (any script)" for scripts whose
// vowels are written as spacing combining marks (Unicode category Mc), not letters.
func TestValidateAcceptsNamesInEveryScript(t *testing.T) {
	runValidateCases(t, []validateCase{
		{name: "Devanagari", edit: func(r *CreateCustomerRequest) { r.FirstName = "प्रिया" }},
		{name: "Tamil", edit: func(r *CreateCustomerRequest) { r.LastName = "தமிழ்" }},
	})
}

func TestAssignLevelWithoutRequestAddsNoHints(t *testing.T) {
	e := requestPartner(t, NewPartner{})
	c := mustValidate(t, e, level2PersonalRequest(), validateNow).customer
	var h Hints
	if got := assignLevel(&h, &c, 0, 3); got != 2 || len(h) != 0 {
		t.Errorf("assignLevel(no request) = %d with hints %q; want 2 and none", got, h)
	}
	if got := assignLevel(&h, &c, 3, 3); len(h) != 6 {
		t.Errorf("assignLevel(request 3) = %d with hints %q; want the 6 level 3 fields", got, h)
	}
}

// curpWithCheckDigit completes the first 17 characters of a CURP with the check digit that
// makes it well-formed.
func curpWithCheckDigit(t testing.TB, body string) string {
	t.Helper()
	for d := '0'; d <= '9'; d++ {
		if _, reason := ParseCURP(body + string(d)); reason == "" {
			return body + string(d)
		}
	}
	t.Fatalf("no check digit completes %s", body)
	return ""
}

// TestTrimSpaceCoversEveryField holds trimSpace to the request's fields: a field added to
// CreateCustomerRequest but not to trimSpace fails here.
func TestTrimSpaceCoversEveryField(t *testing.T) {
	var r CreateCustomerRequest
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.Type.Kind() != reflect.String {
			t.Fatalf("field %s is a %s; the request holds text only", f.Name, f.Type)
		}
		v.Field(i).SetString(" \t" + f.Name + "\r\n ")
	}
	r.trimSpace()
	for i := range v.NumField() {
		if name, got := v.Type().Field(i).Name, v.Field(i).String(); got != name {
			t.Errorf("field %s is %q after trimSpace, want %q", name, got, name)
		}
	}
}
