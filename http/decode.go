package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/saldo-mx/saldo"
)

// requestBody is a request body in any content type the API reads: a JSON body as its bytes,
// a form body as its fields.
type requestBody struct {
	json  []byte
	form  url.Values
	files map[string][]*multipart.FileHeader

	// object is json parsed, once: the oauth routes read the partner token from it before
	// their decoder reads their fields.
	object    map[string]json.RawMessage
	objectErr error
	parsed    bool
}

// sentBody is r's body as read once for the whole request: its bytes, for the
// Idempotency-Key's digest, and what they parse to, for the partner token in an oauth body
// and for the route's decoder.
type sentBody struct {
	raw     []byte
	rawErr  error
	rawRead bool
	body    *requestBody
	err     error
	read    bool
}

// sentBodyOf is the sentBody of r's request; a request outside the middleware (a decoder's
// own test) gets one of its own.
func sentBodyOf(r *http.Request) *sentBody {
	if info := requestInfoFrom(r.Context()); info != nil {
		return &info.body
	}
	return &sentBody{}
}

// rawBody returns r's body as sent: at most MaxBodyBytes, read once whoever asks.
func rawBody(r *http.Request) ([]byte, error) {
	return sentBodyOf(r).rawOf(r)
}

func (sb *sentBody) rawOf(r *http.Request) ([]byte, error) {
	if !sb.rawRead {
		sb.raw, sb.rawErr = io.ReadAll(r.Body)
		if sb.rawErr != nil {
			sb.rawErr = bodyError(sb.rawErr)
		}
		sb.rawRead = true
	}
	return sb.raw, sb.rawErr
}

// readBody reads r's body by its Content-Type: JSON (also when no Content-Type is given),
// application/x-www-form-urlencoded or multipart/form-data. An urlencoded body that begins
// with '{' is read as JSON: it is what `curl -d '{…}'` sends without -H 'Content-Type:
// application/json', and no form field's name begins with '{'. Only the body is read: the
// query string is not part of a request's fields, and a malformed one must not spoil a
// well-formed body. It is read and parsed once per request, whoever asks.
func readBody(r *http.Request) (*requestBody, error) {
	sb := sentBodyOf(r)
	if !sb.read {
		sb.body, sb.err = sb.parse(r)
		if sb.err == nil {
			sb.err = sb.body.checkUTF8()
		}
		sb.read = true
	}
	return sb.body, sb.err
}

func (sb *sentBody) parse(r *http.Request) (*requestBody, error) {
	mediaType := "application/json"
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			return nil, withStatus(http.StatusUnsupportedMediaType, saldo.Errorf(saldo.EBADREQUEST, "content_type:unsupported"))
		}
		mediaType = mt
	}
	switch mediaType {
	case "application/json", "application/x-www-form-urlencoded", "multipart/form-data":
	default:
		return nil, withStatus(http.StatusUnsupportedMediaType, saldo.Errorf(saldo.EBADREQUEST, "content_type:unsupported"))
	}
	body, err := sb.rawOf(r)
	if err != nil {
		return nil, err
	}
	switch mediaType {
	case "multipart/form-data":
		r.Body = io.NopCloser(bytes.NewReader(body))
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, bodyError(err)
		}
		// Everything is kept in memory: the body is at most MaxBodyBytes.
		form, err := mr.ReadForm(MaxBodyBytes)
		if err != nil {
			return nil, bodyError(err)
		}
		return &requestBody{form: form.Value, files: form.File}, nil
	case "application/x-www-form-urlencoded":
		if looksLikeJSONObject(body) {
			return &requestBody{json: body}, nil
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, saldo.Errorf(saldo.EBADREQUEST, "body:malformed")
		}
		return &requestBody{form: form}, nil
	}
	return &requestBody{json: body}, nil
}

// jsonObject is the body parsed as one JSON object (see jsonObject), parsed once.
func (b *requestBody) jsonObject() (map[string]json.RawMessage, error) {
	if !b.parsed {
		b.object, b.objectErr = jsonObject(b.json)
		b.parsed = true
	}
	return b.object, b.objectErr
}

// checkUTF8 refuses form fields that are not valid UTF-8 (4400): nothing unreadable is ever
// replaced, or two different addresses could become one. JSON bodies are checked whole by
// jsonObject.
func (b *requestBody) checkUTF8() error {
	for name, values := range b.form {
		// The hint names no field: a name may itself be what cannot be read, and hints never
		// echo what the caller sent.
		if !utf8.ValidString(name) || slices.ContainsFunc(values, func(v string) bool { return !utf8.ValidString(v) }) {
			return saldo.Errorf(saldo.EBADREQUEST, "body:invalid_utf8")
		}
	}
	return nil
}

// looksLikeJSONObject reports whether body's first character other than JSON whitespace is
// '{', the start of a JSON object.
func looksLikeJSONObject(body []byte) bool {
	body = bytes.TrimLeft(body, " \t\r\n")
	return len(body) > 0 && body[0] == '{'
}

// filesUnder refuses a file part sent under a field's name: documents and credentials are
// text, and a file would otherwise be dropped without a word.
func (b *requestBody) filesUnder(names func(yield func(string) bool)) error {
	var h saldo.Hints
	for name := range names {
		if _, isFile := b.files[name]; isFile {
			h.Add(name, "must_be_string")
		}
	}
	return h.Err(saldo.EBADREQUEST)
}

// fieldType is the JSON type a request field must have.
type fieldType int

const (
	fieldString fieldType = iota
	fieldInteger
	fieldStringOrInteger
)

// requestField names a flat field of saldo.CreateCustomerRequest, the JSON type it must
// have, and where its text goes.
type requestField struct {
	name  string
	typ   fieldType
	value func(*saldo.CreateCustomerRequest) *string
}

// customerFieldTypes are the JSON types of the customer fields that are not strings.
var customerFieldTypes = map[string]fieldType{
	"mobile": fieldStringOrInteger, "mobile_country_code": fieldStringOrInteger, "gender": fieldInteger,
	"kyc_level": fieldInteger, "zipcode": fieldStringOrInteger, "state_id": fieldInteger,
	"nationality_id": fieldInteger, "occupation_id": fieldInteger, "identification_document_type": fieldInteger,
	"address_document_type": fieldInteger, "society_type": fieldInteger,
}

// createCustomerFields lists the flat fields of the create request (saldo.CustomerFields)
// with their JSON types. The composite balance credit line is nested in JSON and so is
// decoded on its own.
var createCustomerFields = func() []requestField {
	fields := make([]requestField, len(saldo.CustomerFields))
	for i, f := range saldo.CustomerFields {
		fields[i] = requestField{name: f.Name, typ: customerFieldTypes[f.Name], value: f.Of}
	}
	return fields
}()

// decodeCreateCustomer reads POST /user/v1/account/create in any content type the contract
// allows into the text form the validator takes. It reports wrong JSON types (4400) for every
// field at once; the field rules themselves are the validator's (5000).
func decodeCreateCustomer(r *http.Request) (saldo.CreateCustomerRequest, error) {
	var req saldo.CreateCustomerRequest
	b, err := readBody(r)
	if err != nil {
		return req, err
	}
	if b.form == nil {
		return req, decodeJSONCustomer(b.json, &req)
	}
	err = b.filesUnder(func(yield func(string) bool) {
		for _, f := range createCustomerFields {
			if !yield(f.name) {
				return
			}
		}
	})
	if err != nil {
		return req, err
	}
	return req, decodeFormCustomer(b.form, &req)
}

// bodyError tells a body that was too large from one that could not be parsed.
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return withStatus(http.StatusRequestEntityTooLarge, saldo.Errorf(saldo.EBADREQUEST, "body:too_large"))
	}
	return saldo.Errorf(saldo.EBADREQUEST, "body:malformed")
}

// decodeJSONCustomer decodes a JSON object body. Unknown fields are ignored; null is absent.
func decodeJSONCustomer(body []byte, req *saldo.CreateCustomerRequest) error {
	obj, err := jsonObject(body)
	if err != nil {
		return err
	}
	var h saldo.Hints
	for _, f := range createCustomerFields {
		if text, ok := jsonField(obj, f.name, f.typ, &h); ok {
			*f.value(req) = text
		}
	}
	if raw, ok := obj["composite_balance"]; ok {
		creditLine, field, reason := compositeCreditLine(raw)
		if reason != "" {
			h.Add(field, reason)
		}
		req.CompositeCreditLine = creditLine
	}
	// A top-level credit_line, as form bodies send it, is read too rather than ignored: a
	// partner who sends one expects a parent, and must hear composite_balance:not_enabled.
	if text, ok := jsonField(obj, "credit_line", fieldInteger, &h); ok && text != "" {
		req.CompositeCreditLine = text
	}
	return h.Err(saldo.EBADREQUEST)
}

// jsonObject parses a body that must be one JSON object.
func jsonObject(body []byte) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, saldo.Errorf(saldo.EBADREQUEST, "body:invalid_json")
	}
	// encoding/json reads invalid UTF-8 as U+FFFD: refuse it instead.
	if !utf8.Valid(body) {
		return nil, saldo.Errorf(saldo.EBADREQUEST, "body:invalid_utf8")
	}
	return obj, nil
}

// jsonField returns the text of field name of obj when it is present with type t; a present
// field of another type is recorded in h.
func jsonField(obj map[string]json.RawMessage, name string, t fieldType, h *saldo.Hints) (string, bool) {
	raw, ok := obj[name]
	if !ok {
		return "", false
	}
	text, reason := jsonScalar(raw, t)
	if reason != "" {
		h.Add(name, reason)
		return "", false
	}
	return text, true
}

// jsonScalar returns the text of a JSON value of type t, or a reason it has the wrong type.
func jsonScalar(raw json.RawMessage, t fieldType) (text, reason string) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", ""
	case raw[0] == '"' && t != fieldInteger:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", "must_be_string"
		}
		if strings.ContainsRune(s, utf8.RuneError) {
			// What decoding could not read (a lone surrogate escape, "\udc00") became U+FFFD,
			// and two different texts would become one; nobody sends U+FFFD for itself.
			return "", "invalid_utf8"
		}
		return s, ""
	case isJSONInteger(raw) && t != fieldString:
		return string(raw), ""
	case t == fieldString:
		return "", "must_be_string"
	case t == fieldInteger:
		return "", "must_be_integer"
	}
	return "", "must_be_string_or_integer"
}

// isJSONInteger reports whether a JSON literal is an integer: an optional minus and digits,
// no fraction or exponent.
func isJSONInteger(raw []byte) bool {
	if len(raw) > 0 && raw[0] == '-' {
		raw = raw[1:]
	}
	if len(raw) == 0 {
		return false
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// compositeCreditLine reads {"parent": {"credit_line": N}}. It returns the credit line's
// text, or the field at fault and why.
func compositeCreditLine(raw json.RawMessage) (creditLine, field, reason string) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return "", "", ""
	}
	var composite map[string]json.RawMessage
	if err := json.Unmarshal(raw, &composite); err != nil || composite == nil {
		return "", "composite_balance", "must_be_object"
	}
	parentRaw, ok := composite["parent"]
	if !ok || string(bytes.TrimSpace(parentRaw)) == "null" {
		return "", "", ""
	}
	var parent map[string]json.RawMessage
	if err := json.Unmarshal(parentRaw, &parent); err != nil || parent == nil {
		return "", "composite_balance.parent", "must_be_object"
	}
	lineRaw, ok := parent["credit_line"]
	if !ok {
		return "", "", ""
	}
	text, reason := jsonScalar(lineRaw, fieldInteger)
	if reason != "" {
		return "", "credit_line", reason
	}
	return text, "", ""
}

// decodeFormCustomer reads flat form fields, all text; of a repeated field, the first value.
// The credit line is a top-level credit_line field or a composite_balance field holding the
// JSON object; when both are sent, credit_line wins (and composite_balance must still parse).
func decodeFormCustomer(form url.Values, req *saldo.CreateCustomerRequest) error {
	for _, f := range createCustomerFields {
		if v, ok := form[f.name]; ok && len(v) > 0 {
			*f.value(req) = v[0]
		}
	}
	if composite := form.Get("composite_balance"); composite != "" {
		creditLine, field, reason := compositeCreditLine(json.RawMessage(composite))
		if reason != "" {
			return saldo.Errorf(saldo.EBADREQUEST, field+":"+reason)
		}
		req.CompositeCreditLine = creditLine
	}
	if line := form.Get("credit_line"); line != "" {
		req.CompositeCreditLine = line
	}
	return nil
}

// bodyField is a field of a flat request body and the JSON type it must have.
type bodyField struct {
	name string
	typ  fieldType
}

// decodeFields reads a flat body of the given fields, in any content type readBody reads,
// into the fields' text; absent, null and empty fields are missing from the map. It reports
// every field of the wrong JSON type at once (4400); the rules are the service's.
func decodeFields(r *http.Request, fields []bodyField) (map[string]string, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if b.form == nil {
		obj, err := b.jsonObject()
		if err != nil {
			return nil, err
		}
		return jsonFields(obj, fields)
	}
	err = b.filesUnder(func(yield func(string) bool) {
		for _, f := range fields {
			if !yield(f.name) {
				return
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return decodeFieldsForm(b.form, fields), nil
}

// decodeFieldsJSON decodes a JSON object body. Unknown fields are ignored; null is absent.
func decodeFieldsJSON(body []byte, fields []bodyField) (map[string]string, error) {
	obj, err := jsonObject(body)
	if err != nil {
		return nil, err
	}
	return jsonFields(obj, fields)
}

// jsonFields reads the given fields of a JSON object.
func jsonFields(obj map[string]json.RawMessage, fields []bodyField) (map[string]string, error) {
	out := make(map[string]string, len(fields))
	var h saldo.Hints
	for _, f := range fields {
		if text, ok := jsonField(obj, f.name, f.typ, &h); ok && text != "" {
			out[f.name] = text
		}
	}
	if err := h.Err(saldo.EBADREQUEST); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeFieldsForm reads flat form fields, all text; of a repeated field, the first value.
func decodeFieldsForm(form url.Values, fields []bodyField) map[string]string {
	out := make(map[string]string, len(fields))
	for _, f := range fields {
		if v, ok := form[f.name]; ok && len(v) > 0 && v[0] != "" {
			out[f.name] = v[0]
		}
	}
	return out
}
