package http

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo"
)

func FuzzDecodeCursor(f *testing.F) {
	for _, seed := range []string{encodeCursor(childCursor, 1), encodeCursor(childCursor, 1<<62), encodeCursor(customerCursor, 3),
		"", "Y2hpbGQ6", "Y2hpbGQ6LTE", "%%%", "Y2hpbGQ6MDA3"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		for _, kind := range []cursorKind{childCursor, customerCursor} {
			id, ok := decodeCursor(kind, cursor)
			if !ok {
				continue
			}
			if id <= 0 {
				t.Fatalf("%s cursor %q accepted with id %d", kind, cursor, id)
			}
			if again, ok := decodeCursor(kind, encodeCursor(kind, id)); !ok || again != id {
				t.Fatalf("%s cursor %q: id %d does not round-trip (%d, %v)", kind, cursor, id, again, ok)
			}
			// One list's cursor is no other's.
			for _, other := range []cursorKind{childCursor, customerCursor} {
				if _, ok := decodeCursor(other, cursor); other != kind && ok {
					t.Fatalf("cursor %q is both a %s and a %s cursor", cursor, kind, other)
				}
			}
		}
	})
}

func FuzzDecodeFields(f *testing.F) {
	for _, seed := range []string{`{"parent_id":"ab","credit_line":5,"customer_id":7}`, `{"credit_line":"5"}`, `[]`, `null`,
		`{"credit_line":1e3}`, `{"credit_line":99999999999999999999999}`, "{\"parent_id\":\"\xff\"}", `{"a":` + strings.Repeat("[", 5000)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/wallet/v1/composite-balance/child", strings.NewReader(body))
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, MaxBodyBytes)
		fields, err := decodeFields(r, createChildFields)
		if err != nil {
			var e *saldo.Error
			if !errors.As(err, &e) || e.Code != saldo.EBADREQUEST {
				t.Fatalf("error %v is not a 4400", err)
			}
			return
		}
		for _, name := range []string{"credit_line", "customer_id"} {
			if v := fields[name]; v != "" && !isJSONInteger([]byte(v)) {
				t.Fatalf("%s decoded as %q, not an integer literal", name, v)
			}
		}
	})
}
