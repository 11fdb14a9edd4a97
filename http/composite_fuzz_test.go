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
	for _, seed := range []string{encodeCursor(1), encodeCursor(1 << 62), "", "Y2hpbGQ6", "Y2hpbGQ6LTE", "%%%", "Y2hpbGQ6MDA3"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		id, ok := decodeCursor(cursor)
		if !ok {
			return
		}
		if id <= 0 {
			t.Fatalf("cursor %q accepted with id %d", cursor, id)
		}
		if again, ok := decodeCursor(encodeCursor(id)); !ok || again != id {
			t.Fatalf("cursor %q: id %d does not round-trip (%d, %v)", cursor, id, again, ok)
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
