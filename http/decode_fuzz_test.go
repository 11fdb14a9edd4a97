package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/saldo-mx/saldo"
)

// The fuzz targets check properties that hold for every input, beyond "does not panic": every
// error is a 4400 whose hints are field:reason tokens built only from names the decoder knows
// (so no byte of the input is ever echoed), and every decoded value agrees with an independent
// reading of the same body (encoding/json into interface values, url.ParseQuery, a multipart
// body written by mime/multipart).

// dtIntegerLiteral is the only text an integer-typed field may carry after decoding.
var dtIntegerLiteral = regexp.MustCompile(`^-?[0-9]+$`)

// dtTypeReasons are the wrong-type reasons, one per field type.
var dtTypeReasons = map[fieldType]string{
	fieldString:          "must_be_string",
	fieldInteger:         "must_be_integer",
	fieldStringOrInteger: "must_be_string_or_integer",
}

// dtJSONHints is every hint decodeJSONCustomer may give: the table's fields with any type
// reason, the composite balance's parts, and the body itself.
var dtJSONHints = func() map[string]bool {
	m := map[string]bool{
		"body:invalid_json":                       true,
		"body:invalid_utf8":                       true,
		"composite_balance:must_be_object":        true,
		"composite_balance.parent:must_be_object": true,
		"credit_line:must_be_integer":             true,
	}
	for _, f := range createCustomerFields {
		for _, reason := range dtTypeReasons {
			m[f.name+":"+reason] = true
		}
	}
	return m
}()

// dtFormHints is every hint decodeCreateCustomer may give for a form body.
var dtFormHints = map[string]bool{
	"body:malformed":                          true,
	"body:invalid_utf8":                       true,
	"body:too_large":                          true,
	"composite_balance:must_be_object":        true,
	"composite_balance.parent:must_be_object": true,
	"credit_line:must_be_integer":             true,
}

func init() {
	// A file part under a flat field's name is refused with that field's name.
	for _, fd := range createCustomerFields {
		dtFormHints[fd.name+":must_be_string"] = true
	}
}

// dtBadRequest fails t unless err is a *saldo.Error with code 4400 whose hints are all in
// allowed (which, being built from field names only, means no hint echoes the input). It
// returns the hints.
func dtBadRequest(t *testing.T, err error, allowed map[string]bool) []string {
	t.Helper()
	var e *saldo.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %#v (%v) is not a *saldo.Error", err, err)
	}
	if e.Code != saldo.EBADREQUEST {
		t.Fatalf("error code %q, want %q (%v)", e.Code, saldo.EBADREQUEST, err)
	}
	if len(e.Hints) == 0 {
		t.Fatalf("4400 without hints: %v", err)
	}
	for _, h := range e.Hints {
		field, reason, ok := strings.Cut(h, ":")
		if !ok || field == "" || reason == "" {
			t.Fatalf("hint %q is not field:reason", h)
		}
		if !allowed[h] {
			t.Fatalf("hint %q is not one the decoder may give", h)
		}
	}
	return e.Hints
}

// dtStatus returns the HTTP status a statusError in err's chain gives, or 0.
func dtStatus(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	return 0
}

// dtDecodeAny reads body as exactly one JSON value into interface values, numbers kept as
// their literal: the reference the decoder is compared with. ok is false when body is not
// one JSON value.
func dtDecodeAny(body []byte) (v any, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// dtExpectScalar is what a field of type t holding v decodes to: its text, or the reason it
// has the wrong type.
func dtExpectScalar(v any, t fieldType) (text, reason string) {
	switch v := v.(type) {
	case nil:
		return "", ""
	case string:
		if t != fieldInteger && strings.ContainsRune(v, utf8.RuneError) {
			return "", "invalid_utf8" // what decoding could not read, never replaced
		}
		if t != fieldInteger {
			return v, ""
		}
	case json.Number:
		if t != fieldString && dtIntegerLiteral.MatchString(string(v)) {
			return string(v), ""
		}
	}
	return "", dtTypeReasons[t]
}

// dtExpectComposite is what a composite_balance value decodes to: the credit line's text, or
// the one hint it earns.
func dtExpectComposite(v any) (creditLine, hint string) {
	if v == nil {
		return "", ""
	}
	composite, ok := v.(map[string]any)
	if !ok {
		return "", "composite_balance:must_be_object"
	}
	parentV, ok := composite["parent"]
	if !ok || parentV == nil {
		return "", ""
	}
	parent, ok := parentV.(map[string]any)
	if !ok {
		return "", "composite_balance.parent:must_be_object"
	}
	text, reason := dtExpectScalar(parent["credit_line"], fieldInteger)
	if reason != "" {
		return "", "credit_line:" + reason
	}
	return text, ""
}

func FuzzDecodeJSONCustomer(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@b.mx","mobile":4958129198,"gender":2,"composite_balance":{"parent":{"credit_line":10000000}}}`,
		`{"mobile":"4958129198","gender":"2","kyc_level":2.0,"state_id":1e3}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req saldo.CreateCustomerRequest
		err := decodeJSONCustomer(body, &req)

		ref, valid := dtDecodeAny(body)
		obj, isObject := ref.(map[string]any)
		if !valid || !isObject {
			if err == nil {
				t.Fatalf("accepted a body that is not one JSON object: %q", body)
			}
			if hints := dtBadRequest(t, err, dtJSONHints); !slices.Equal(hints, []string{"body:invalid_json"}) {
				t.Fatalf("body that is not a JSON object gave hints %q, want only body:invalid_json", hints)
			}
			return
		}
		if !utf8.Valid(body) {
			if hints := dtBadRequest(t, err, dtJSONHints); !slices.Equal(hints, []string{"body:invalid_utf8"}) {
				t.Fatalf("body with invalid UTF-8 gave hints %q, want only body:invalid_utf8", hints)
			}
			return
		}

		// Every hint, and only these, for the fields of the wrong type.
		var want []string
		for _, fd := range createCustomerFields {
			v, present := obj[fd.name]
			text, reason := dtExpectScalar(v, fd.typ)
			if reason != "" {
				want = append(want, fd.name+":"+reason)
				continue
			}
			got := *fd.value(&req)
			if !present {
				text = ""
			}
			if got != text {
				t.Fatalf("%s = %q, want %q (body %q)", fd.name, got, text, body)
			}
			if fd.typ == fieldInteger && got != "" && !dtIntegerLiteral.MatchString(got) {
				t.Fatalf("integer field %s holds %q", fd.name, got)
			}
		}
		// The nested credit line, overridden by a top-level credit_line as in form bodies.
		creditLine, hint := dtExpectComposite(obj["composite_balance"])
		if hint != "" {
			want = append(want, hint)
		}
		if top, ok := obj["credit_line"]; ok {
			text, reason := dtExpectScalar(top, fieldInteger)
			switch {
			case reason != "":
				hint = "credit_line:" + reason
				if !slices.Contains(want, hint) {
					want = append(want, hint)
				}
			case text != "":
				creditLine = text
			}
		}
		if hint == "" && req.CompositeCreditLine != creditLine {
			t.Fatalf("composite credit line = %q, want %q (body %q)", req.CompositeCreditLine, creditLine, body)
		}
		if req.CompositeCreditLine != "" && !dtIntegerLiteral.MatchString(req.CompositeCreditLine) {
			t.Fatalf("composite credit line holds %q", req.CompositeCreditLine)
		}

		if len(want) == 0 {
			if err != nil {
				t.Fatalf("rejected a JSON object with every known field of the right type: %v (body %q)", err, body)
			}
			return
		}
		if err == nil {
			t.Fatalf("accepted %q, want hints %q", body, want)
		}
		got := slices.Clone(dtBadRequest(t, err, dtJSONHints))
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("hints %q, want %q (body %q)", got, want, body)
		}
	})
}

// dtServerRequest builds the request the handler sees: the body wrapped as the server's
// middleware wraps it.
func dtServerRequest(target, contentType string, body io.Reader) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, body)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, MaxBodyBytes)
	return r
}

func FuzzDecodeForm(f *testing.F) {
	for _, s := range []string{
		"email=a%40b.mx&mobile=4958129198&gender=2&credit_line=10000000",
		"gender=2&composite_balance=%7B%22parent%22%3A%7B%22credit_line%22%3A5%7D%7D",
		"a=%zz",
		`{"email": "a@b.mx", "gender": 2}`,
		" \n{=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		// The query names fields too: only the body may be read.
		r := dtServerRequest("/user/v1/account/create?campaign_id=from-query&credit_line=7",
			"application/x-www-form-urlencoded", strings.NewReader(body))
		req, err := decodeCreateCustomer(r)

		// A body that opens a JSON object, as curl -d '{…}' sends one, is read exactly as the
		// same body sent as JSON.
		if strings.HasPrefix(strings.TrimLeft(body, " \t\r\n"), "{") {
			jr := dtServerRequest("/user/v1/account/create", "application/json", strings.NewReader(body))
			want, wantErr := decodeCreateCustomer(jr)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) || req != want {
				t.Fatalf("urlencoded %q read as %+v, %v; as JSON it reads %+v, %v", body, req, err, want, wantErr)
			}
			return
		}

		values, perr := url.ParseQuery(body)
		if perr == nil && !dtValidForm(values) {
			if err == nil || saldo.ErrorCode(err) != saldo.EBADREQUEST || !strings.Contains(err.Error(), "invalid_utf8") {
				t.Fatalf("form %q with invalid UTF-8: err = %v, want 4400 invalid_utf8", body, err)
			}
			return
		}
		if perr != nil {
			if err == nil {
				t.Fatalf("accepted %q, which url.ParseQuery rejects: %v", body, perr)
			}
			hints := dtBadRequest(t, err, dtFormHints)
			if !slices.Equal(hints, []string{"body:malformed"}) {
				t.Fatalf("malformed form %q gave hints %q", body, hints)
			}
			if st := dtStatus(err); st != 0 {
				t.Fatalf("malformed form %q gave status %d, want the code's 400", body, st)
			}
			return
		}
		for _, fd := range createCustomerFields {
			if got, want := *fd.value(&req), values.Get(fd.name); got != want {
				t.Fatalf("%s = %q, want %q (body %q)", fd.name, got, want, body)
			}
		}
		// composite_balance must parse whenever it is sent; a credit_line field wins over it.
		wantLine, wantHint := "", ""
		if composite := values.Get("composite_balance"); composite != "" {
			if v, ok := dtDecodeAny([]byte(composite)); !ok {
				wantHint = "composite_balance:must_be_object"
			} else {
				wantLine, wantHint = dtExpectComposite(v)
			}
		}
		if line := values.Get("credit_line"); line != "" {
			wantLine = line
		}
		if wantHint != "" {
			if err == nil {
				t.Fatalf("accepted %q, want %s", body, wantHint)
			}
			if hints := dtBadRequest(t, err, dtFormHints); !slices.Equal(hints, []string{wantHint}) {
				t.Fatalf("hints %q, want [%s] (body %q)", hints, wantHint, body)
			}
			return
		}
		if err != nil {
			t.Fatalf("rejected well-formed form %q: %v", body, err)
		}
		if req.CompositeCreditLine != wantLine {
			t.Fatalf("credit line = %q, want %q (body %q)", req.CompositeCreditLine, wantLine, body)
		}
	})
}

// dtFlatFormField returns where a flat form field named name is decoded to: a field of the
// table, or the top-level credit_line.
func dtFlatFormField(req *saldo.CreateCustomerRequest, name string) (*string, bool) {
	if name == "credit_line" {
		return &req.CompositeCreditLine, true
	}
	for _, fd := range createCustomerFields {
		if fd.name == name {
			return fd.value(req), true
		}
	}
	return nil, false
}

// dtValidForm reports whether every name and value of a form is valid UTF-8.
func dtValidForm(values url.Values) bool {
	for name, vs := range values {
		if !utf8.ValidString(name) {
			return false
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return false
			}
		}
	}
	return true
}

// dtPlainName is a field name the multipart writer cannot garble and the decoder must not know.
var dtPlainName = regexp.MustCompile(`^[A-Za-z0-9_.\[\]-]*$`)

// dtFuzzBoundary is the boundary the raw multipart bodies are declared with.
const dtFuzzBoundary = "saldo-fuzz-boundary"

func FuzzDecodeMultipart(f *testing.F) {
	f.Add("email", "a@b.mx", []byte("--"+dtFuzzBoundary+"\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.mx\r\n--"+dtFuzzBoundary+"--\r\n"))
	f.Add("credit_line", "10000000", []byte("--"+dtFuzzBoundary+"--\r\n"))
	f.Add("composite_balance", `{"parent":{"credit_line":5}}`, []byte(""))
	f.Fuzz(func(t *testing.T, fieldName, fieldValue string, raw []byte) {
		// (a) A well-formed body: the field, and a file part under a name no field has, which
		// must be ignored.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if err := mw.WriteField(fieldName, fieldValue); err != nil {
			t.Fatal(err)
		}
		fw, err := mw.CreateFormFile("selfie_upload", "selfie.jpg")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte("\xff\xd8\xff\xe0 not really a jpeg")); err != nil {
			t.Fatal(err)
		}
		if err := mw.Close(); err != nil {
			t.Fatal(err)
		}
		if buf.Len() <= MaxBodyBytes {
			r := dtServerRequest("/user/v1/account/create", mw.FormDataContentType(), &buf)
			req, err := decodeCreateCustomer(r)
			if r.MultipartForm != nil {
				defer r.MultipartForm.RemoveAll()
			}
			// A part without a name is no field: the multipart reader skips it.
			validText := fieldName == "" || utf8.ValidString(fieldName) && utf8.ValidString(fieldValue)
			if !validText {
				// Refused: for its UTF-8, or before that for a name the part's header cannot hold.
				if err == nil || saldo.ErrorCode(err) != saldo.EBADREQUEST {
					t.Fatalf("multipart field %q=%q with invalid UTF-8: err = %v, want 4400", fieldName, fieldValue, err)
				}
			} else if dst, known := dtFlatFormField(&req, fieldName); known {
				if err != nil {
					t.Fatalf("multipart field %s=%q rejected: %v", fieldName, fieldValue, err)
				}
				if *dst != fieldValue {
					t.Fatalf("multipart field %s decoded as %q, want %q", fieldName, *dst, fieldValue)
				}
				if fieldName != "selfie" && req.Selfie != "" {
					t.Fatalf("the selfie_upload file part leaked into the selfie field: %q", req.Selfie)
				}
			} else if fieldName == "composite_balance" {
				wantLine, wantHint := "", "composite_balance:must_be_object"
				if v, ok := dtDecodeAny([]byte(fieldValue)); ok {
					wantLine, wantHint = dtExpectComposite(v)
				}
				if fieldValue == "" {
					wantLine, wantHint = "", "" // empty means absent
				}
				switch {
				case wantHint != "":
					if hints := dtBadRequest(t, err, dtFormHints); !slices.Equal(hints, []string{wantHint}) {
						t.Fatalf("composite_balance=%q gave hints %q, want [%s]", fieldValue, hints, wantHint)
					}
				case err != nil:
					t.Fatalf("composite_balance=%q rejected: %v", fieldValue, err)
				case req.CompositeCreditLine != wantLine:
					t.Fatalf("composite_balance=%q gave credit line %q, want %q", fieldValue, req.CompositeCreditLine, wantLine)
				}
			} else if err != nil {
				dtBadRequest(t, err, dtFormHints)
			} else if dtPlainName.MatchString(fieldName) {
				// An unknown field, and the file part, are ignored.
				if req != (saldo.CreateCustomerRequest{}) {
					t.Fatalf("unknown multipart field %q set %+v", fieldName, req)
				}
			}
		}

		// (b) Whatever bytes arrive under a fixed boundary.
		r := dtServerRequest("/user/v1/account/create", "multipart/form-data; boundary="+dtFuzzBoundary, bytes.NewReader(raw))
		_, err = decodeCreateCustomer(r)
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if err != nil {
			dtBadRequest(t, err, dtFormHints)
			if st := dtStatus(err); st != 0 && !(st == http.StatusRequestEntityTooLarge && len(raw) > MaxBodyBytes) {
				t.Fatalf("raw multipart body of %d bytes gave status %d: %v", len(raw), st, err)
			}
		}
	})
}

func FuzzJSONScalar(f *testing.F) {
	for _, s := range []string{`"x"`, `12`, `-0`, `2.0`, `1e3`, `null`, `[1]`, `{"a":1}`, `true`, `"\ud800"`} {
		f.Add([]byte(s), uint8(fieldString))
		f.Add([]byte(s), uint8(fieldInteger))
		f.Add([]byte(s), uint8(fieldStringOrInteger))
	}
	f.Fuzz(func(t *testing.T, raw []byte, typ uint8) {
		ft := fieldType(typ % 3)
		text, reason := jsonScalar(json.RawMessage(raw), ft)

		if isInt, want := isJSONInteger(raw), dtIntegerLiteral.Match(raw); isInt != want {
			t.Fatalf("isJSONInteger(%q) = %v, want %v", raw, isInt, want)
		}
		switch reason {
		case "":
		case "invalid_utf8":
			var s string
			if json.Unmarshal(bytes.TrimSpace(raw), &s) != nil || !strings.ContainsRune(s, utf8.RuneError) || text != "" {
				t.Fatalf("jsonScalar(%q, %d) gave invalid_utf8 for a string decoding could read", raw, ft)
			}
		case "must_be_string", "must_be_integer", "must_be_string_or_integer":
			if text != "" {
				t.Fatalf("jsonScalar(%q, %d) gave reason %q and text %q", raw, ft, reason, text)
			}
		default:
			t.Fatalf("jsonScalar(%q, %d) gave reason %q", raw, ft, reason)
		}
		if reason == "" && ft == fieldInteger && text != "" && !dtIntegerLiteral.MatchString(text) {
			t.Fatalf("jsonScalar(%q, integer) accepted text %q", raw, text)
		}

		// On a JSON value, which is all decodeJSONCustomer ever passes, the result is exactly
		// what the value's type calls for.
		if v, ok := dtDecodeAny(raw); ok {
			wantText, wantReason := dtExpectScalar(v, ft)
			if text != wantText || reason != wantReason {
				t.Fatalf("jsonScalar(%q, %d) = %q, %q; want %q, %q", raw, ft, text, reason, wantText, wantReason)
			}
		}
	})
}
