package http

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/saldo-mx/saldo"
)

// An endpoint body in JSON either decodes to exactly what encoding/json reads from it (for
// the fields that have the right types) or is refused with 4400, never a panic or another code;
// enabled is read only from an update.
func FuzzDecodeEndpointJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"url":"https://x.example","events":["*"],"description":"d"}`, `{"events":"a,b"}`,
		`{"events":[1]}`, `{"events":[null]}`, `{"events":null,"url":null}`, `{"enabled":true}`, `{"enabled":"true"}`,
		`{"enabled":0}`, `{"url":"\udc00"}`, `{"events":["a","\u00e9"]}`, `[]`, `{"events":{}}`, `not json`} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, update bool) {
		r := httptest.NewRequest(http.MethodPatch, "/webhooks/v1/endpoints/1", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		fields, err := decodeEndpointFields(r, update)
		if err != nil {
			if saldo.ErrorCode(err) != saldo.EBADREQUEST {
				t.Fatalf("%q: error %v is not a 4400", body, err)
			}
			return
		}
		var obj map[string]any
		if json.Unmarshal(body, &obj) != nil {
			t.Fatalf("%q accepted but is not a JSON object", body)
		}
		if fields.events != nil {
			items, ok := obj["events"].([]any)
			if !ok || len(items) != len(*fields.events) {
				t.Fatalf("%q: events %q from %#v", body, *fields.events, obj["events"])
			}
			for i, item := range items {
				if item != (*fields.events)[i] || !utf8.ValidString((*fields.events)[i]) {
					t.Fatalf("%q: events %q from %#v", body, *fields.events, items)
				}
			}
		} else if v, ok := obj["events"]; ok && v != nil {
			t.Fatalf("%q: events %#v dropped", body, v)
		}
		if fields.url != nil && obj["url"] != *fields.url {
			t.Fatalf("%q: url %q from %#v", body, *fields.url, obj["url"])
		}
		if fields.enabled != nil && (!update || obj["enabled"] != *fields.enabled) {
			t.Fatalf("%q: enabled %v from %#v (update %v)", body, *fields.enabled, obj["enabled"], update)
		}
	})
}

// A form's events are its values split at commas, trimmed, without empty items, in order.
func FuzzFormEvents(f *testing.F) {
	for _, s := range []string{"", "a", "a,b", " a , ,b,", ",,,", "*", "a\x00,b"} {
		f.Add(s, "c")
	}
	f.Fuzz(func(t *testing.T, first, second string) {
		v := url.Values{"events": {first, second}, "enabled": {"true"}}
		r := httptest.NewRequest(http.MethodPatch, "/webhooks/v1/endpoints/1", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		fields, err := decodeEndpointFields(r, true)
		var want []string
		for _, part := range strings.Split(first+","+second, ",") {
			if part = strings.TrimSpace(part); part != "" {
				want = append(want, part)
			}
		}
		switch {
		case !utf8.ValidString(first) || !utf8.ValidString(second):
			if saldo.ErrorCode(err) != saldo.EBADREQUEST {
				t.Fatalf("invalid UTF-8 %q %q: %v, want 4400", first, second, err)
			}
		case len(want) > maxEvents:
			if !slices.Contains(saldo.ErrorHints(err), "events:too_many") {
				t.Fatalf("%d events: %v, want events:too_many", len(want), err)
			}
		case err != nil:
			t.Fatalf("%q %q: %v", first, second, err)
		case !slices.Equal(*fields.events, append([]string{}, want...)) || fields.enabled == nil || !*fields.enabled:
			t.Fatalf("%q %q: events %q enabled %v, want %q", first, second, *fields.events, fields.enabled, want)
		}
	})
}

// The attempts list reads limit 1 to 100 (default 20) and a cursor of its own kind only.
func FuzzAttemptsQuery(f *testing.F) {
	for _, q := range []string{"", "limit=2", "limit=0", "limit=101", "cursor=" + encodeCursor(attemptCursor, 7),
		"cursor=" + encodeCursor(childCursor, 7), "cursor=x&next_cursor=y", "next_cursor=" + encodeCursor(attemptCursor, 3)} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		before, limit, err := attemptsQuery(q)
		if err != nil {
			if saldo.ErrorCode(err) != saldo.EINVALID {
				t.Fatalf("%q: error %v is not a 5000", query, err)
			}
			return
		}
		if limit < 1 || limit > saldo.MaxChildrenLimit || before < 0 {
			t.Fatalf("%q accepted as before %d limit %d", query, before, limit)
		}
		if before > 0 {
			cursor, _ := listCursor(q)
			if encodeCursor(attemptCursor, before) != cursor {
				t.Fatalf("%q: cursor %q read as %d", query, cursor, before)
			}
		}
	})
}
