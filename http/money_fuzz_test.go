package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo"
)

// moneyRequest is a request to a money route as the server hands it to a decoder.
func moneyRequest(path, contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, MaxBodyBytes)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set(customerHeader, strings.Repeat("ab", 32))
	return r
}

// checkDecodeError fails unless err is a 4400 or a 5000: a decoder refuses what it cannot
// read, never anything else.
func checkDecodeError(t *testing.T, err error) bool {
	t.Helper()
	if err == nil {
		return false
	}
	var e *saldo.Error
	if !errors.As(err, &e) || e.Code != saldo.EBADREQUEST && e.Code != saldo.EINVALID {
		t.Fatalf("error %v is neither 4400 nor 5000", err)
	}
	return true
}

var moneySeeds = []string{
	`{"externalTransactionId":"e1","balanceId":1,"amount":100,"sourceCustomerID":"2","transactionType":1}`,
	`{"externalTransactionId":7,"balanceId":"1","amount":1.5}`, `{"amount":"100"}`, `{"amount":9223372036854775808}`,
	`{"amount":-5,"targetID":3,"sourceCustomerID":2,"description":"x"}`, `{"clabe":"646180000000000013","amount":1,"trackingKey":"k"}`,
	`[]`, `null`, `{"amount":1e3}`, "{\"clabe\":\"\xff\"}", `{"reason":5}`, "amount=100&balanceId=1",
}

func FuzzDecodeTopUp(f *testing.F) {
	for _, s := range moneySeeds {
		f.Add(s, "")
		f.Add(s, "application/x-www-form-urlencoded")
	}
	f.Fuzz(func(t *testing.T, body, contentType string) {
		in, err := decodeTopUp(moneyRequest("/wallet/v1/topUp", contentType, body))
		if checkDecodeError(t, err) {
			return
		}
		checkJSONIntegers(t, body, contentType, map[string]int64{"amount": in.Amount, "balanceId": in.BalanceID,
			"sourceCustomerID": in.CustomerID, "transactionType": in.TransactionType})
	})
}

// checkJSONIntegers fails unless each integer field of a JSON body decoded to what the body
// holds: amount only from a JSON integer, the ids from an integer or a digit string.
func checkJSONIntegers(t *testing.T, body, contentType string, got map[string]int64) {
	t.Helper()
	if contentType != "" && !strings.HasPrefix(contentType, "application/json") {
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &obj) != nil {
		return
	}
	for name, n := range got {
		raw := bytes.TrimSpace(obj[name])
		if len(raw) == 0 || string(raw) == "null" {
			if n != 0 {
				t.Fatalf("%s decoded as %d from nothing in %q", name, n, body)
			}
			continue
		}
		text := string(raw)
		if raw[0] == '"' {
			if name == "amount" {
				t.Fatalf("amount read from a JSON string in %q", body)
			}
			_ = json.Unmarshal(raw, &text)
		}
		if want, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64); err == nil && want != n || err != nil && text != "" {
			t.Fatalf("%s decoded as %d from %s", name, n, raw)
		}
	}
}

func FuzzDecodeTransfer(f *testing.F) {
	for _, s := range moneySeeds {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, body, contentType string) {
		in, err := decodeTransfer(moneyRequest("/wallet/v1/transfer", contentType, body))
		if checkDecodeError(t, err) {
			return
		}
		if in.CustomerToken != strings.Repeat("ab", 32) {
			t.Fatalf("the customer token is %q", in.CustomerToken)
		}
		checkJSONIntegers(t, body, contentType, map[string]int64{"amount": in.Amount, "sourceCustomerID": in.SourceCustomerID, "targetID": in.TargetCustomerID})
	})
}

func FuzzDecodeCashout(f *testing.F) {
	for _, s := range moneySeeds {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, body, contentType string) {
		in, err := decodeCashout(moneyRequest("/wallet/v1/spei-cashout", contentType, body))
		if checkDecodeError(t, err) {
			return
		}
		if in.CLABE != strings.TrimSpace(in.CLABE) || in.CustomerToken == "" {
			t.Fatalf("decoded %+v", in)
		}
	})
}

func FuzzDecodeSPEIIn(f *testing.F) {
	for _, s := range moneySeeds {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, body, contentType string) {
		in, err := decodeSPEIIn(moneyRequest("/wallet/v1/spei-in", contentType, body))
		if checkDecodeError(t, err) {
			return
		}
		if in.CLABE != strings.TrimSpace(in.CLABE) || in.SenderCLABE != strings.TrimSpace(in.SenderCLABE) {
			t.Fatalf("decoded %+v", in)
		}
	})
}

func FuzzDecodeCashoutOutcome(f *testing.F) {
	for _, s := range moneySeeds {
		f.Add("3", s, "")
	}
	f.Add("abc", "", "")
	f.Add("007", "{}", "")
	f.Add("9223372036854775808", "", "")
	f.Fuzz(func(t *testing.T, id, body, contentType string) {
		r := moneyRequest("/wallet/v1/spei-cashout/x/fail", contentType, body)
		r.SetPathValue("transactionId", id)
		o, err := decodeFailCashout(r)
		if saldo.ErrorCode(err) == saldo.ENOTFOUND {
			if _, ok := parseID(id); ok {
				t.Fatalf("id %q refused", id)
			}
			return
		}
		if checkDecodeError(t, err) {
			return
		}
		if o.TransactionID <= 0 || strconv.FormatInt(o.TransactionID, 10) != id {
			t.Fatalf("id %q decoded as %d", id, o.TransactionID)
		}
	})
}

func FuzzTransactionQuery(f *testing.F) {
	for _, q := range []string{"", "limit=5&offset=10", "from=2026-01-01&to=2026-01-31", "desc=false", "transaction_id=7",
		"limit=0", "offset=-1", "from=2026-13-01", "desc=maybe", "limit=99999999999999999999"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest(http.MethodGet, "/wallet/v1/transactions/1", nil)
		r.URL.RawQuery = query
		q, err := transactionQuery(r)
		if err != nil {
			if saldo.ErrorCode(err) != saldo.EINVALID {
				t.Fatalf("error %v is not a 5000", err)
			}
			return
		}
		if q.Limit < 1 || q.Limit > saldo.MaxTransactionsLimit || q.Offset < 0 || q.TransactionID < 0 {
			t.Fatalf("accepted %q as %+v", query, q)
		}
	})
}
