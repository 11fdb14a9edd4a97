package http

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo"
)

// These tests drive decodeCreateCustomer with real *http.Request values whose bodies are
// wrapped as the server's middleware wraps them.

// dtWant is the outcome a decode test expects: a request, or an error with a status (0 for
// the code's usual 400) and hints (in any order).
type dtWant struct {
	req    saldo.CreateCustomerRequest
	status int
	hints  []string
}

// dtCheck compares decodeCreateCustomer's result with want.
func dtCheck(t *testing.T, got saldo.CreateCustomerRequest, err error, want dtWant) {
	t.Helper()
	if want.hints == nil {
		if err != nil {
			t.Fatalf("error %v, want none", err)
		}
		if diff := dtDiff(got, want.req); diff != "" {
			t.Fatalf("decoded request differs (got, want):\n%s", diff)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want hints %q", want.hints)
	}
	var e *saldo.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *saldo.Error", err)
	}
	if e.Code != saldo.EBADREQUEST {
		t.Fatalf("code %q, want %q", e.Code, saldo.EBADREQUEST)
	}
	gotHints, wantHints := slices.Clone(e.Hints), slices.Clone(want.hints)
	slices.Sort(gotHints)
	slices.Sort(wantHints)
	if !slices.Equal(gotHints, wantHints) {
		t.Fatalf("hints %q, want %q", e.Hints, want.hints)
	}
	if st := dtStatus(err); st != want.status {
		t.Fatalf("status override %d, want %d (error %v)", st, want.status, err)
	}
}

// dtDiff lists the fields in which two requests differ.
func dtDiff(got, want saldo.CreateCustomerRequest) string {
	var b strings.Builder
	for _, f := range createCustomerFields {
		if g, w := *f.value(&got), *f.value(&want); g != w {
			fmt.Fprintf(&b, "  %s: %q, %q\n", f.name, g, w)
		}
	}
	if got.CompositeCreditLine != want.CompositeCreditLine {
		fmt.Fprintf(&b, "  composite credit line: %q, %q\n", got.CompositeCreditLine, want.CompositeCreditLine)
	}
	return b.String()
}

// dtDecode decodes body sent with contentType ("" sends no Content-Type).
func dtDecode(t *testing.T, contentType, body string) (saldo.CreateCustomerRequest, error) {
	t.Helper()
	r := dtServerRequest("/user/v1/account/create", contentType, strings.NewReader(body))
	req, err := decodeCreateCustomer(r)
	if r.MultipartForm != nil {
		t.Cleanup(func() { _ = r.MultipartForm.RemoveAll() })
	}
	return req, err
}

// dtMultipartPart is one part of a multipart body; a file part has a file name.
type dtMultipartPart struct{ name, filename, value string }

// dtMultipart writes parts as a multipart/form-data body, returning it and its content type.
func dtMultipart(t *testing.T, parts ...dtMultipartPart) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.name, p.filename)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, p.value); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), mw.FormDataContentType()
}

// dtFullRequest is what dtFullJSON decodes to.
var dtFullRequest = saldo.CreateCustomerRequest{
	Email: "juan.perez@example.mx", Mobile: "4958129198", MobileCountryCode: "+52",
	FirstName: "Juan", MiddleName: "Carlos", LastName: "Pérez", SecondLastName: "Gómez",
	Gender: "2", RFC: "PEGJ800101AB1", CURP: "BOXW310820HNERXN09", DateOfBirth: "1931-08-20",
	Password: "correct horse", DeviceID: "iphone-15", KYCLevel: "3",
	Telephone: "5555555555", Address: "Av. Reforma 1", CorrespondenceAddress: "Apartado 2",
	Street: "Reforma", Exterior: "1", Interior: "2B", Colony: "Juárez", City: "CDMX",
	CountryOfBirth: "MX", Zipcode: "06600", StateID: "9", NationalityID: "1", OccupationID: "12",
	IdentificationDocumentFront: "doc://id-front", IdentificationDocumentBack: "doc://id-back",
	IdentificationDocumentType: "1", AddressDocumentFront: "doc://addr-front",
	AddressDocumentBack: "doc://addr-back", AddressDocumentType: "2", Selfie: "doc://selfie",
	BusinessName: "Pérez & Hijos", BusinessPurpose: "Retail", ConstitutionDate: "2001-02-03",
	SocietyType: "4", CampaignID: "spring-26", CompositeCreditLine: "10000000",
}

const dtFullJSON = `{
	"email": "juan.perez@example.mx", "mobile": 4958129198, "mobile_country_code": "+52",
	"first_name": "Juan", "middle_name": "Carlos", "last_name": "Pérez", "second_last_name": "Gómez",
	"gender": 2, "rfc": "PEGJ800101AB1", "curp": "BOXW310820HNERXN09", "date_of_birth": "1931-08-20",
	"password": "correct horse", "device_id": "iphone-15", "kyc_level": 3,
	"telephone": "5555555555", "address": "Av. Reforma 1", "correspondence_address": "Apartado 2",
	"street": "Reforma", "exterior": "1", "interior": "2B", "colony": "Juárez", "city": "CDMX",
	"country_of_birth": "MX", "zipcode": "06600", "state_id": 9, "nationality_id": 1, "occupation_id": 12,
	"identification_document_front": "doc://id-front", "identification_document_back": "doc://id-back",
	"identification_document_type": 1, "address_document_front": "doc://addr-front",
	"address_document_back": "doc://addr-back", "address_document_type": 2, "selfie": "doc://selfie",
	"business_name": "Pérez & Hijos", "business_purpose": "Retail", "constitution_date": "2001-02-03",
	"society_type": 4, "campaign_id": "spring-26",
	"composite_balance": {"parent": {"credit_line": 10000000}}
}`

func TestDecodeCreateCustomerJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want dtWant
	}{
		{"every field with its right JSON type", dtFullJSON, dtWant{req: dtFullRequest}},
		{"mobile as a JSON number", `{"mobile": 4958129198}`,
			dtWant{req: saldo.CreateCustomerRequest{Mobile: "4958129198"}}},
		{"mobile as a JSON string", `{"mobile": "4958129198"}`,
			dtWant{req: saldo.CreateCustomerRequest{Mobile: "4958129198"}}},
		{"mobile_country_code and zipcode as numbers", `{"mobile_country_code": 52, "zipcode": 6600}`,
			dtWant{req: saldo.CreateCustomerRequest{MobileCountryCode: "52", Zipcode: "6600"}}},
		{"strings are passed on untrimmed and unvalidated: rules are the validator's",
			`{"email": "  not an email  ", "gender": -0, "state_id": 99999999999999999999999}`,
			dtWant{req: saldo.CreateCustomerRequest{Email: "  not an email  ", Gender: "-0", StateID: "99999999999999999999999"}}},
		{"digit strings for integer fields are must_be_integer",
			`{"gender": "2", "kyc_level": "1", "state_id": "9", "nationality_id": "1", "occupation_id": "3",
			  "identification_document_type": "1", "address_document_type": "1", "society_type": "1"}`,
			dtWant{hints: []string{"gender:must_be_integer", "kyc_level:must_be_integer", "state_id:must_be_integer",
				"nationality_id:must_be_integer", "occupation_id:must_be_integer", "identification_document_type:must_be_integer",
				"address_document_type:must_be_integer", "society_type:must_be_integer"}}},
		{"float 2.0 for gender is must_be_integer", `{"gender": 2.0}`,
			dtWant{hints: []string{"gender:must_be_integer"}}},
		{"exponent 1e3 for an integer field is must_be_integer", `{"state_id": 1e3}`,
			dtWant{hints: []string{"state_id:must_be_integer"}}},
		{"number for a string field is must_be_string", `{"email": 5, "rfc": 123}`,
			dtWant{hints: []string{"email:must_be_string", "rfc:must_be_string"}}},
		{"float for mobile is must_be_string_or_integer", `{"mobile": 4958129198.0}`,
			dtWant{hints: []string{"mobile:must_be_string_or_integer"}}},
		{"array and object where scalars are expected", `{"first_name": ["Juan"], "gender": {"id": 2}, "mobile": [4958129198]}`,
			dtWant{hints: []string{"first_name:must_be_string", "gender:must_be_integer", "mobile:must_be_string_or_integer"}}},
		{"boolean for a string field is must_be_string", `{"password": true}`,
			dtWant{hints: []string{"password:must_be_string"}}},
		{"null is absent",
			`{"email": null, "mobile": null, "gender": null, "state_id": null, "composite_balance": null}`,
			dtWant{req: saldo.CreateCustomerRequest{}}},
		{"null parent and null credit line are absent",
			`{"composite_balance": {"parent": {"credit_line": null}}, "email": "a@b.mx"}`,
			dtWant{req: saldo.CreateCustomerRequest{Email: "a@b.mx"}}},
		{"composite_balance without parent is absent", `{"composite_balance": {"other": 1}}`,
			dtWant{req: saldo.CreateCustomerRequest{}}},
		{"unknown fields are ignored, whatever their type",
			`{"email": "a@b.mx", "nickname": ["x"], "extra": {"deep": [1, 2, {"x": null}]}, "ok": true}`,
			dtWant{req: saldo.CreateCustomerRequest{Email: "a@b.mx"}}},
		{"field names are case-sensitive: Email is an unknown field", `{"Email": 5, "EMAIL": "x@y.mx"}`,
			dtWant{req: saldo.CreateCustomerRequest{}}},
		{"nested composite_balance.parent.credit_line", `{"composite_balance": {"parent": {"credit_line": 10000000}}}`,
			dtWant{req: saldo.CreateCustomerRequest{CompositeCreditLine: "10000000"}}},
		{"credit_line at the top level of a JSON body is read as in a form", `{"credit_line": 10000000}`,
			dtWant{req: saldo.CreateCustomerRequest{CompositeCreditLine: "10000000"}}},
		{"a top-level credit_line wins over the nested one", `{"credit_line": 5, "composite_balance": {"parent": {"credit_line": 7}}}`,
			dtWant{req: saldo.CreateCustomerRequest{CompositeCreditLine: "5"}}},
		{"a wrong type in both credit lines is named once", `{"credit_line": "5", "composite_balance": {"parent": {"credit_line": "7"}}}`,
			dtWant{hints: []string{"credit_line:must_be_integer"}}},
		{"composite_balance an array is composite_balance:must_be_object", `{"composite_balance": [{"parent": {"credit_line": 1}}]}`,
			dtWant{hints: []string{"composite_balance:must_be_object"}}},
		{"composite_balance holding JSON text in a JSON body is composite_balance:must_be_object",
			`{"composite_balance": "{\"parent\": {\"credit_line\": 1}}"}`,
			dtWant{hints: []string{"composite_balance:must_be_object"}}},
		{"composite_balance a number is composite_balance:must_be_object", `{"composite_balance": 10000000}`,
			dtWant{hints: []string{"composite_balance:must_be_object"}}},
		{"composite_balance.parent not an object", `{"composite_balance": {"parent": 10000000}}`,
			dtWant{hints: []string{"composite_balance.parent:must_be_object"}}},
		{"credit_line as a digit string is must_be_integer", `{"composite_balance": {"parent": {"credit_line": "10000000"}}}`,
			dtWant{hints: []string{"credit_line:must_be_integer"}}},
		{"credit_line as a float is must_be_integer", `{"composite_balance": {"parent": {"credit_line": 100.5}}}`,
			dtWant{hints: []string{"credit_line:must_be_integer"}}},
		{"every wrong-type field reported at once",
			`{"email": 1, "mobile": true, "gender": "2", "first_name": {}, "zipcode": [], "composite_balance": []}`,
			dtWant{hints: []string{"email:must_be_string", "mobile:must_be_string_or_integer", "gender:must_be_integer",
				"first_name:must_be_string", "zipcode:must_be_string_or_integer", "composite_balance:must_be_object"}}},
		{"duplicate keys: the last one counts", `{"email": 5, "email": "a@b.mx"}`,
			dtWant{req: saldo.CreateCustomerRequest{Email: "a@b.mx"}}},
		{"invalid UTF-8 in a string is body:invalid_utf8, never replaced", "{\"first_name\": \"Ju\xffan\"}",
			dtWant{hints: []string{"body:invalid_utf8"}}},
		{"a lone surrogate escape is <field>:invalid_utf8", `{"first_name": "Ju\udc00an"}`,
			dtWant{hints: []string{"first_name:invalid_utf8"}}},
		{"top-level JSON array is body:invalid_json", `[{"email": "a@b.mx"}]`,
			dtWant{hints: []string{"body:invalid_json"}}},
		{"top-level JSON string is body:invalid_json", `"email"`, dtWant{hints: []string{"body:invalid_json"}}},
		{"top-level JSON number is body:invalid_json", `42`, dtWant{hints: []string{"body:invalid_json"}}},
		{"top-level null is body:invalid_json", `null`, dtWant{hints: []string{"body:invalid_json"}}},
		{"empty body is body:invalid_json", ``, dtWant{hints: []string{"body:invalid_json"}}},
		{"trailing garbage is body:invalid_json", `{"email": "a@b.mx"} x`, dtWant{hints: []string{"body:invalid_json"}}},
		{"two objects are body:invalid_json", `{}{}`, dtWant{hints: []string{"body:invalid_json"}}},
		{"truncated object is body:invalid_json", `{"email": "a@b.mx"`, dtWant{hints: []string{"body:invalid_json"}}},
		{"byte order mark is body:invalid_json", "\xef\xbb\xbf{}", dtWant{hints: []string{"body:invalid_json"}}},
		{"nesting beyond the JSON decoder's limit is body:invalid_json",
			`{"x": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`,
			dtWant{hints: []string{"body:invalid_json"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := dtDecode(t, "application/json", tc.body)
			dtCheck(t, req, err, tc.want)
		})
	}
}

// TestDecodeCreateCustomerJSONCoversTheFieldTable builds bodies from createCustomerFields,
// so a field added to the table is covered without touching this test.
func TestDecodeCreateCustomerJSONCoversTheFieldTable(t *testing.T) {
	t.Run("every field of the right type is decoded", func(t *testing.T) {
		body := map[string]string{}
		var want saldo.CreateCustomerRequest
		for _, f := range createCustomerFields {
			if f.typ == fieldString {
				body[f.name] = fmt.Sprintf("%q", "v-"+f.name)
				*f.value(&want) = "v-" + f.name
			} else {
				body[f.name] = "7"
				*f.value(&want) = "7"
			}
		}
		req, err := dtDecode(t, "application/json", dtObject(body))
		dtCheck(t, req, err, dtWant{req: want})
	})
	t.Run("every field of the wrong type is reported", func(t *testing.T) {
		body := map[string]string{}
		var hints []string
		for _, f := range createCustomerFields {
			switch f.typ {
			case fieldString:
				body[f.name] = "7"
				hints = append(hints, f.name+":must_be_string")
			case fieldInteger:
				body[f.name] = `"7"`
				hints = append(hints, f.name+":must_be_integer")
			default:
				body[f.name] = "7.5"
				hints = append(hints, f.name+":must_be_string_or_integer")
			}
		}
		req, err := dtDecode(t, "application/json", dtObject(body))
		dtCheck(t, req, err, dtWant{hints: hints})
	})
}

// TestCreateCustomerFieldsCoverTheRequest holds the decoders' table to
// saldo.CreateCustomerRequest: every field of the request has exactly one entry, but the
// composite credit line, which is decoded on its own.
func TestCreateCustomerFieldsCoverTheRequest(t *testing.T) {
	typ := reflect.TypeFor[saldo.CreateCustomerRequest]()
	entryOf := map[string]string{} // Go field name → table entry name
	names := map[string]bool{}
	for _, f := range createCustomerFields {
		if names[f.name] {
			t.Errorf("table entry %q appears twice", f.name)
		}
		names[f.name] = true
		var req saldo.CreateCustomerRequest
		*f.value(&req) = "x"
		v := reflect.ValueOf(req)
		for i := range v.NumField() {
			if v.Field(i).String() == "" {
				continue
			}
			field := typ.Field(i).Name
			if other, ok := entryOf[field]; ok {
				t.Errorf("table entries %q and %q both decode into %s", other, f.name, field)
			}
			entryOf[field] = f.name
		}
	}
	for i := range typ.NumField() {
		field := typ.Field(i).Name
		_, ok := entryOf[field]
		switch {
		case field == "CompositeCreditLine" && ok:
			t.Errorf("the composite credit line has table entry %q; it is decoded on its own", entryOf[field])
		case field != "CompositeCreditLine" && !ok:
			t.Errorf("field %s of saldo.CreateCustomerRequest has no entry in createCustomerFields", field)
		}
	}
}

// dtObject writes a JSON object from names and JSON texts.
func dtObject(fields map[string]string) string {
	var parts []string
	for name, v := range fields {
		parts = append(parts, fmt.Sprintf("%q: %s", name, v))
	}
	slices.Sort(parts)
	return "{" + strings.Join(parts, ", ") + "}"
}

// dtFlatForm is the flat form every form test starts from: all fields as digit strings or text.
func dtFlatForm() url.Values {
	v := url.Values{}
	for _, f := range createCustomerFields {
		if f.typ == fieldString {
			v.Set(f.name, "v-"+f.name)
		} else {
			v.Set(f.name, "7")
		}
	}
	return v
}

// dtFlatRequest is what dtFlatForm decodes to.
func dtFlatRequest() saldo.CreateCustomerRequest {
	var r saldo.CreateCustomerRequest
	for _, f := range createCustomerFields {
		if f.typ == fieldString {
			*f.value(&r) = "v-" + f.name
		} else {
			*f.value(&r) = "7"
		}
	}
	return r
}

func TestDecodeCreateCustomerForms(t *testing.T) {
	with := func(extra map[string]string) url.Values {
		v := dtFlatForm()
		for k, x := range extra {
			v.Set(k, x)
		}
		return v
	}
	withLine := func(line string) saldo.CreateCustomerRequest {
		r := dtFlatRequest()
		r.CompositeCreditLine = line
		return r
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want dtWant
	}{
		{"flat fields, numbers as digit strings", dtFlatForm(), dtWant{req: dtFlatRequest()}},
		{"accented names survive", with(map[string]string{"last_name": "Pérez", "second_last_name": "Gómez", "colony": "Ñuñoa"}),
			dtWant{req: func() saldo.CreateCustomerRequest {
				r := dtFlatRequest()
				r.LastName, r.SecondLastName, r.Colony = "Pérez", "Gómez", "Ñuñoa"
				return r
			}()}},
		{"credit_line as a top-level field", with(map[string]string{"credit_line": "10000000"}),
			dtWant{req: withLine("10000000")}},
		{"composite_balance holding the JSON text", with(map[string]string{"composite_balance": `{"parent": {"credit_line": 10000000}}`}),
			dtWant{req: withLine("10000000")}},
		{"composite_balance holding JSON null is absent", with(map[string]string{"composite_balance": `null`}),
			dtWant{req: withLine("")}},
		{"composite_balance holding invalid JSON text is composite_balance:must_be_object",
			with(map[string]string{"composite_balance": `{"parent": {"credit_line": 10000000}`}),
			dtWant{hints: []string{"composite_balance:must_be_object"}}},
		{"composite_balance holding a JSON array is composite_balance:must_be_object",
			with(map[string]string{"composite_balance": `[]`}),
			dtWant{hints: []string{"composite_balance:must_be_object"}}},
		{"composite_balance holding a non-object parent", with(map[string]string{"composite_balance": `{"parent": "x"}`}),
			dtWant{hints: []string{"composite_balance.parent:must_be_object"}}},
		{"composite_balance holding a string credit line", with(map[string]string{"composite_balance": `{"parent": {"credit_line": "5"}}`}),
			dtWant{hints: []string{"credit_line:must_be_integer"}}},
		{"unknown fields are ignored", with(map[string]string{"nickname": "x", "composite_balance.parent.credit_line": "5"}),
			dtWant{req: dtFlatRequest()}},
	} {
		t.Run("urlencoded/"+tc.name, func(t *testing.T) {
			req, err := dtDecode(t, "application/x-www-form-urlencoded", tc.form.Encode())
			dtCheck(t, req, err, tc.want)
		})
		t.Run("multipart/"+tc.name, func(t *testing.T) {
			var parts []dtMultipartPart
			for name, vs := range tc.form {
				for _, v := range vs {
					parts = append(parts, dtMultipartPart{name: name, value: v})
				}
			}
			body, ct := dtMultipart(t, parts...)
			req, err := dtDecode(t, ct, body)
			dtCheck(t, req, err, tc.want)
		})
	}
}

func TestDecodeCreateCustomerMultipartFilePartsUnderOtherNamesAreIgnored(t *testing.T) {
	body, ct := dtMultipart(t,
		dtMultipartPart{name: "email", value: "a@b.mx"},
		dtMultipartPart{name: "selfie_upload", filename: "selfie.jpg", value: "\xff\xd8\xff\xe0 jpeg bytes"},
		dtMultipartPart{name: "gender", value: "2"},
	)
	req, err := dtDecode(t, ct, body)
	dtCheck(t, req, err, dtWant{req: saldo.CreateCustomerRequest{Email: "a@b.mx", Gender: "2"}})
}

// Documents are references to files stored elsewhere: a file sent under a document field's
// name is refused rather than silently dropped.
func TestDecodeCreateCustomerMultipartFileUnderAFieldNameIsRefused(t *testing.T) {
	body, ct := dtMultipart(t,
		dtMultipartPart{name: "email", value: "a@b.mx"},
		dtMultipartPart{name: "selfie", filename: "selfie.jpg", value: "\xff\xd8\xff\xe0 jpeg bytes"},
		dtMultipartPart{name: "identification_document_front", filename: "ine.png", value: "\x89PNG\r\n\x1a\n"},
	)
	_, err := dtDecode(t, ct, body)
	hints := dtBadRequest(t, err, dtFormHints)
	slices.Sort(hints)
	if want := []string{"identification_document_front:must_be_string", "selfie:must_be_string"}; !slices.Equal(hints, want) {
		t.Errorf("hints = %q, want %q", hints, want)
	}
}

func TestDecodeCreateCustomerFormOnlyReadsTheBody(t *testing.T) {
	// Fields named in the query string are not part of the create request.
	r := dtServerRequest("/user/v1/account/create?email=query%40x.mx&credit_line=5",
		"application/x-www-form-urlencoded", strings.NewReader("gender=2"))
	req, err := decodeCreateCustomer(r)
	dtCheck(t, req, err, dtWant{req: saldo.CreateCustomerRequest{Gender: "2"}})
}

func TestDecodeCreateCustomerMalformedQueryDoesNotSpoilAFormBody(t *testing.T) {
	// The contract's 4400 is for an unparseable body; the body here is well formed. A JSON
	// body is decoded whatever the query says, and a form body should be too.
	urlencoded := func() (string, string) { return "gender=2", "application/x-www-form-urlencoded" }
	multi := func() (string, string) { return dtMultipart(t, dtMultipartPart{name: "gender", value: "2"}) }
	for _, tc := range []struct {
		name string
		body func() (string, string)
	}{{"urlencoded", urlencoded}, {"multipart", multi}} {
		for _, query := range []string{"utm=a;b", "ref=%zz"} {
			t.Run(tc.name+"/"+query, func(t *testing.T) {
				body, ct := tc.body()
				r := dtServerRequest("/user/v1/account/create?"+query, ct, strings.NewReader(body))
				req, err := decodeCreateCustomer(r)
				dtCheck(t, req, err, dtWant{req: saldo.CreateCustomerRequest{Gender: "2"}})
			})
		}
	}
}

func TestDecodeCreateCustomerMalformedBodies(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, body string
	}{
		{"urlencoded with a bad percent escape", "application/x-www-form-urlencoded", "email=%zz"},
		{"urlencoded with a semicolon separator", "application/x-www-form-urlencoded", "email=a@b.mx;gender=2"},
		{"multipart without a boundary", "multipart/form-data", "--x\r\n\r\n--x--\r\n"},
		{"multipart cut short", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b"},
		{"multipart with no parts at all", "multipart/form-data; boundary=x", "not multipart"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := dtDecode(t, tc.contentType, tc.body)
			dtCheck(t, req, err, dtWant{hints: []string{"body:malformed"}})
		})
	}
}

func TestDecodeCreateCustomerContentTypes(t *testing.T) {
	form, formType := dtMultipart(t, dtMultipartPart{name: "email", value: "a@b.mx"})
	for _, tc := range []struct {
		name, contentType, body string
		want                    dtWant
	}{
		{"no Content-Type is parsed as JSON", "", `{"email": "a@b.mx"}`,
			dtWant{req: saldo.CreateCustomerRequest{Email: "a@b.mx"}}},
		{"no Content-Type with a form body is invalid JSON", "", `email=a%40b.mx`,
			dtWant{hints: []string{"body:invalid_json"}}},
		{"application/json with a charset", "application/json; charset=utf-8", `{"email": "a@b.mx"}`,
			dtWant{req: saldo.CreateCustomerRequest{Email: "a@b.mx"}}},
		{"media types are case-insensitive", "Application/JSON; Charset=UTF-8", `{"email": "a@b.mx"}`,
			dtWant{req: saldo.CreateCustomerRequest{Email: "a@b.mx"}}},
		{"urlencoded with a charset", "application/x-www-form-urlencoded; charset=UTF-8", `email=a%40b.mx`,
			dtWant{req: saldo.CreateCustomerRequest{Email: "a@b.mx"}}},
		// What curl -d '{…}' sends without -H 'Content-Type: application/json'.
		{"urlencoded that is a JSON object is parsed as JSON", "application/x-www-form-urlencoded", `{"email": "a@b.mx", "gender": 2}`,
			dtWant{req: saldo.CreateCustomerRequest{Email: "a@b.mx", Gender: "2"}}},
		{"urlencoded JSON after blanks is parsed as JSON", "application/x-www-form-urlencoded", " \r\n\t{\"email\": \"a@b.mx\"}",
			dtWant{req: saldo.CreateCustomerRequest{Email: "a@b.mx"}}},
		{"urlencoded JSON keeps the JSON type rules", "application/x-www-form-urlencoded", `{"gender": "2"}`,
			dtWant{hints: []string{"gender:must_be_integer"}}},
		{"urlencoded that starts like JSON and is not is invalid JSON", "application/x-www-form-urlencoded", `{email=a%40b.mx`,
			dtWant{hints: []string{"body:invalid_json"}}},
		{"urlencoded with an escaped brace is a form", "application/x-www-form-urlencoded", `%7B=x&email=a%40b.mx`,
			dtWant{req: saldo.CreateCustomerRequest{Email: "a@b.mx"}}},
		{"multipart is never sniffed", formType, form,
			dtWant{req: saldo.CreateCustomerRequest{Email: "a@b.mx"}}},
		{"multipart with a charset", formType + "; charset=utf-8", form,
			dtWant{req: saldo.CreateCustomerRequest{Email: "a@b.mx"}}},
		{"text/plain is 415", "text/plain", `{"email": "a@b.mx"}`,
			dtWant{status: http.StatusUnsupportedMediaType, hints: []string{"content_type:unsupported"}}},
		{"text/json is 415", "text/json", `{"email": "a@b.mx"}`,
			dtWant{status: http.StatusUnsupportedMediaType, hints: []string{"content_type:unsupported"}}},
		{"application/xml is 415", "application/xml", `<email>a@b.mx</email>`,
			dtWant{status: http.StatusUnsupportedMediaType, hints: []string{"content_type:unsupported"}}},
		{"malformed Content-Type is 415", "application/json; charset", `{"email": "a@b.mx"}`,
			dtWant{status: http.StatusUnsupportedMediaType, hints: []string{"content_type:unsupported"}}},
		{"Content-Type without a subtype is 415", "application", `{"email": "a@b.mx"}`,
			dtWant{status: http.StatusUnsupportedMediaType, hints: []string{"content_type:unsupported"}}},
		{"Content-Type of only a slash is 415", "/", `{"email": "a@b.mx"}`,
			dtWant{status: http.StatusUnsupportedMediaType, hints: []string{"content_type:unsupported"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := dtDecode(t, tc.contentType, tc.body)
			dtCheck(t, req, err, tc.want)
		})
	}
}

// dtUnsized hides a reader's length, so the request goes out without Content-Length (as a
// chunked body would) and only the MaxBytesReader can stop it.
type dtUnsized struct{ io.Reader }

func TestDecodeCreateCustomerBodyOverTheLimitIs413(t *testing.T) {
	pad := strings.Repeat("a", MaxBodyBytes)
	multipartValue, multipartValueType := dtMultipart(t,
		dtMultipartPart{name: "email", value: "a@b.mx"}, dtMultipartPart{name: "address", value: pad})
	multipartFile, multipartFileType := dtMultipart(t,
		dtMultipartPart{name: "email", value: "a@b.mx"}, dtMultipartPart{name: "selfie_upload", filename: "selfie.jpg", value: pad})
	for _, tc := range []struct {
		name, contentType, body string
	}{
		{"JSON", "application/json", `{"email": "a@b.mx", "address": "` + pad + `"}`},
		{"JSON of whitespace", "application/json", `{"email": "a@b.mx"}` + strings.Repeat(" ", MaxBodyBytes)},
		{"urlencoded", "application/x-www-form-urlencoded", "email=a%40b.mx&address=" + pad},
		{"multipart with a large value", multipartValueType, multipartValue},
		{"multipart with a large file", multipartFileType, multipartFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := dtServerRequest("/user/v1/account/create", tc.contentType, dtUnsized{strings.NewReader(tc.body)})
			r.ContentLength = -1
			req, err := decodeCreateCustomer(r)
			if r.MultipartForm != nil {
				defer r.MultipartForm.RemoveAll()
			}
			if err != nil {
				t.Logf("error chain: %s", dtChain(err))
			}
			dtCheck(t, req, err, dtWant{status: http.StatusRequestEntityTooLarge, hints: []string{"body:too_large"}})
		})
	}
}

func TestDecodeCreateCustomerBodyAtTheLimitIsRead(t *testing.T) {
	head := `{"email": "a@b.mx"}`
	jsonBody := head + strings.Repeat(" ", MaxBodyBytes-len(head))
	formHead := "email=a%40b.mx&address="
	formBody := formHead + strings.Repeat("a", MaxBodyBytes-len(formHead))
	for _, tc := range []struct {
		name, contentType, body string
		want                    saldo.CreateCustomerRequest
	}{
		{"JSON", "application/json", jsonBody, saldo.CreateCustomerRequest{Email: "a@b.mx"}},
		{"urlencoded", "application/x-www-form-urlencoded", formBody,
			saldo.CreateCustomerRequest{Email: "a@b.mx", Address: strings.Repeat("a", MaxBodyBytes-len(formHead))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.body) != MaxBodyBytes {
				t.Fatalf("body of %d bytes, want %d", len(tc.body), MaxBodyBytes)
			}
			r := dtServerRequest("/user/v1/account/create", tc.contentType, dtUnsized{strings.NewReader(tc.body)})
			r.ContentLength = -1
			req, err := decodeCreateCustomer(r)
			dtCheck(t, req, err, dtWant{req: tc.want})
		})
	}
}

// dtChain describes each error in err's chain with its type, for reports.
func dtChain(err error) string {
	var parts []string
	for err != nil {
		parts = append(parts, fmt.Sprintf("%T(%q)", err, err.Error()))
		err = errors.Unwrap(err)
	}
	return strings.Join(parts, " -> ")
}
