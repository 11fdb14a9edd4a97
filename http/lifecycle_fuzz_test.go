package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo"
)

// The lifecycle routes' query and body are outside input: every refusal is a 4400 or 5000
// naming known parameters only, and what is accepted agrees with an independent reading.

var customerQueryHints = map[string]bool{
	"limit:invalid": true, "cursor:invalid": true, "cursor:mismatch": true, "mobile:invalid": true, "status:invalid": true,
	"account_level:invalid": true, "created_from:invalid": true, "created_to:invalid": true, "created_to:before_created_from": true,
}

func FuzzCustomerQuery(f *testing.F) {
	for _, s := range []string{
		"", "limit=5&email=JUAN@Example.com", "mobile=5512345678&status=2&account_level=3", "limit=0&cursor=xyz&mobile=123",
		"created_from=2026-05-01&created_to=2026-05-01", "created_from=2026-05-02&created_to=2026-05-01", "cursor=" + encodeCursor(customerCursor, 9),
		"cursor=" + encodeCursor(childCursor, 9), "cursor=a&next_cursor=b", "status=%ff&rfc=%00", "limit=-1&status=01",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		got, err := customerQuery(q)
		if err != nil {
			var e *saldo.Error
			if !errors.As(err, &e) || e.Code != saldo.EINVALID || len(e.Hints) == 0 {
				t.Fatalf("%q: error %v is not a 5000 with hints", raw, err)
			}
			for _, h := range e.Hints {
				if !customerQueryHints[h] {
					t.Fatalf("%q: unknown hint %q", raw, h)
				}
			}
			return
		}
		if got.Limit < 1 || got.Limit > saldo.MaxChildrenLimit || got.Status < 0 || got.Status > 3 || got.Level < 0 || got.Level > 4 || got.AfterID < 0 {
			t.Fatalf("%q accepted as %+v", raw, got)
		}
		if text := q.Get("limit"); text != "" {
			if n, err := strconv.Atoi(text); err != nil || n != got.Limit {
				t.Fatalf("%q: limit %d", raw, got.Limit)
			}
		} else if got.Limit != saldo.DefaultChildrenLimit {
			t.Fatalf("%q: default limit %d", raw, got.Limit)
		}
		if m := got.Mobile; m != "" && (len(m) != 10 || strings.Trim(m, "0123456789") != "") {
			t.Fatalf("%q: mobile %q accepted", raw, m)
		}
		if !got.From.IsZero() && !got.To.IsZero() && !got.To.After(got.From) {
			t.Fatalf("%q: range %v to %v accepted", raw, got.From, got.To)
		}
		if c := q.Get("cursor"); c != "" && encodeCursor(customerCursor, got.AfterID) != c {
			t.Fatalf("%q: cursor read as %d", raw, got.AfterID)
		}
	})
}

func FuzzDecodeStatusChange(f *testing.F) {
	for _, s := range []string{`{"status": 2, "reason": "fraud"}`, `{"status": "3"}`, `{"status": 1.5}`, `{"status": -1}`,
		`{"status": 99999999999999999999}`, `{"reason": 5}`, `[]`, `status=2&reason=x`, "{\"status\": \"\xff\"}"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, body string, form bool) {
		r := httptest.NewRequest(http.MethodPost, "/user/v1/account/7/status", strings.NewReader(body))
		r.SetPathValue("customer_id", "7")
		if form {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, MaxBodyBytes)
		got, err := decodeStatusChange(r)
		if err != nil {
			var e *saldo.Error
			if !errors.As(err, &e) || e.Code != saldo.EBADREQUEST && e.Code != saldo.EINVALID {
				t.Fatalf("%q: error %v is neither 4400 nor 5000", body, err)
			}
			if e.Code == saldo.EINVALID {
				for _, h := range e.Hints {
					if h != "status:required" && h != "status:invalid" {
						t.Fatalf("%q: hint %q", body, h)
					}
				}
			}
			return
		}
		if got.CustomerID != 7 || got.Status < 0 {
			t.Fatalf("%q decoded as %+v", body, got)
		}
		if got.Status != 0 {
			// An accepted status is the integer the body sent.
			var text string
			if form && !looksLikeJSONObject([]byte(body)) {
				v, _ := url.ParseQuery(body)
				text = v["status"][0]
			} else {
				dec := json.NewDecoder(strings.NewReader(body))
				dec.UseNumber()
				var obj map[string]any
				if err := dec.Decode(&obj); err != nil {
					t.Fatalf("%q accepted but does not decode: %v", body, err)
				}
				text = fmt.Sprint(obj["status"])
			}
			if n, err := strconv.Atoi(strings.TrimSpace(text)); err != nil || n != got.Status {
				t.Fatalf("%q: status %d from %q", body, got.Status, text)
			}
		}
	})
}
