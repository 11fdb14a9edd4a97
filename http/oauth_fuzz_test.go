package http

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// The /oauth/v1 bodies are outside input too. As for the account create (decode_fuzz_test.go,
// whose reference helpers these targets share), every error must be a 4400 whose hints are
// built from known field names only, and every decoded value must agree with an independent
// reading of the body.

// oauthFuzzFields covers both field types the /oauth/v1 routes have.
var oauthFuzzFields = connectionTokenFields

// oauthJSONHints is every hint decodeFieldsJSON may give for oauthFuzzFields.
var oauthJSONHints = func() map[string]bool {
	m := map[string]bool{"body:invalid_json": true}
	for _, f := range oauthFuzzFields {
		m[f.name+":"+dtTypeReasons[f.typ]] = true
	}
	return m
}()

func FuzzDecodeOAuthJSON(f *testing.F) {
	for _, s := range []string{
		`{"customer_id": 7, "customer_private_key": "sk_00", "device_id": "phone", "client_state": -3}`,
		`{"customer_refresh_token": 5, "device_id": null, "client_state": "7", "customer_id": 1e3}`,
		`{"token": "x"}`,
		`[]`,
		`{"device_id": "a", "device_id": 1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := decodeFieldsJSON(body, oauthFuzzFields)

		ref, valid := dtDecodeAny(body)
		obj, isObject := ref.(map[string]any)
		if !valid || !isObject {
			if err == nil {
				t.Fatalf("accepted a body that is not one JSON object: %q", body)
			}
			if hints := dtBadRequest(t, err, oauthJSONHints); !slices.Equal(hints, []string{"body:invalid_json"}) {
				t.Fatalf("body that is not a JSON object gave hints %q", hints)
			}
			return
		}
		var want []string
		for _, fd := range oauthFuzzFields {
			text, reason := dtExpectScalar(obj[fd.name], fd.typ)
			if reason != "" {
				want = append(want, fd.name+":"+reason)
				continue
			}
			if err == nil && got[fd.name] != text {
				t.Fatalf("%s = %q, want %q (body %q)", fd.name, got[fd.name], text, body)
			}
			if fd.typ == fieldInteger && got[fd.name] != "" && !dtIntegerLiteral.MatchString(got[fd.name]) {
				t.Fatalf("integer field %s holds %q", fd.name, got[fd.name])
			}
		}
		if len(want) == 0 {
			if err != nil {
				t.Fatalf("rejected a JSON object with every known field of the right type: %v (body %q)", err, body)
			}
			for name := range got {
				if !slices.ContainsFunc(oauthFuzzFields, func(f bodyField) bool { return f.name == name }) {
					t.Fatalf("decoded unknown field %q", name)
				}
			}
			return
		}
		if err == nil {
			t.Fatalf("accepted %q, want hints %q", body, want)
		}
		hints := slices.Clone(dtBadRequest(t, err, oauthJSONHints))
		slices.Sort(hints)
		slices.Sort(want)
		if !slices.Equal(hints, want) {
			t.Fatalf("hints %q, want %q (body %q)", hints, want, body)
		}
	})
}

func FuzzDecodeOAuthForm(f *testing.F) {
	for _, s := range []string{
		"customer_refresh_token=ab&device_id=phone&client_state=7",
		"token=x&token=y&token_type_hint=access_token",
		"a=%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		// The query names fields too: only the body may be read.
		r := dtServerRequest("/oauth/v1/get-customer-connection-token?device_id=from-query",
			"application/x-www-form-urlencoded", strings.NewReader(body))
		got, err := decodeFields(r, oauthFuzzFields)

		values, perr := url.ParseQuery(body)
		if perr != nil {
			if err == nil {
				t.Fatalf("accepted %q, which url.ParseQuery rejects: %v", body, perr)
			}
			if hints := dtBadRequest(t, err, map[string]bool{"body:malformed": true}); !slices.Equal(hints, []string{"body:malformed"}) {
				t.Fatalf("malformed form %q gave hints %q", body, hints)
			}
			return
		}
		if err != nil {
			t.Fatalf("rejected well-formed form %q: %v", body, err)
		}
		for _, fd := range oauthFuzzFields {
			if got[fd.name] != values.Get(fd.name) {
				t.Fatalf("%s = %q, want %q (body %q)", fd.name, got[fd.name], values.Get(fd.name), body)
			}
		}
	})
}
