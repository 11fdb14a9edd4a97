package http

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"

	"github.com/saldo-mx/saldo"
)

// The feed's query parser accepts exactly a canonical event id (or 0) as after and 1 to 100
// as limit, and refuses anything else with a 5000 naming each bad parameter.
func FuzzFeedQuery(f *testing.F) {
	for _, q := range []string{"", "after=0", "after=7&limit=2", "limit=100", "after=-1", "after=abc&limit=abc", "after=01",
		"after=+5", "after=9223372036854775807", "after=9223372036854775808", "limit=0", "limit=101", "limit=%2B3",
		"after=1&after=x", "after=&limit=", "after=%00", "limit=1e2", ";after=3"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest(http.MethodGet, "/events/v1", nil)
		r.URL.RawQuery = query
		after, limit, err := feedQuery(r)
		values := r.URL.Query()
		afterText, limitText := values.Get("after"), values.Get("limit")
		afterOK := afterText == "" || afterText == "0" || validID(afterText)
		n, convErr := strconv.Atoi(limitText)
		limitOK := limitText == "" || convErr == nil && n >= 1 && n <= saldo.MaxEventsLimit
		if err != nil {
			if saldo.ErrorCode(err) != saldo.EINVALID {
				t.Fatalf("%q: error %v is not a 5000", query, err)
			}
			var want []string
			if !afterOK {
				want = append(want, "after:invalid")
			}
			if !limitOK {
				want = append(want, "limit:invalid")
			}
			if got := saldo.ErrorHints(err); !slices.Equal(got, want) {
				t.Fatalf("%q: hints %q, want %q", query, got, want)
			}
			return
		}
		if !afterOK || !limitOK {
			t.Fatalf("%q accepted as after %d limit %d", query, after, limit)
		}
		if after < 0 || limit < 1 || limit > saldo.MaxEventsLimit {
			t.Fatalf("%q accepted as after %d limit %d", query, after, limit)
		}
		if afterText != "" && strconv.FormatInt(after, 10) != afterText {
			t.Fatalf("%q: after %q read as %d", query, afterText, after)
		}
		if limitText == "" && limit != saldo.DefaultEventsLimit || limitText != "" && limit != n {
			t.Fatalf("%q: limit %q read as %d", query, limitText, limit)
		}
	})
}

// validID reports whether s is an id in canonical decimal form.
func validID(s string) bool {
	_, ok := parseID(s)
	return ok
}
