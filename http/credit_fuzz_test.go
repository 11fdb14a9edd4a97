package http

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo"
)

var creditSeeds = []string{
	`{"amount":100,"externalTransactionId":"c1","description":"x","merchant":{"name":"OXXO","mcc":"5411"},"capture":false}`,
	`{"amount":1,"externalTransactionId":7,"merchant":{"mcc":5411},"capture":"true"}`, `{"amount":5,"merchant":"x"}`,
	`{"amount":5,"merchant":{"name":5}}`, `{"amount":5,"capture":"maybe"}`, `{"amount":5,"capture":1}`, `{"amount":1.5}`,
	`{"amount":9223372036854775808}`, `{"merchant":null,"capture":null}`, `{"source":"wallet","amount":3}`, `[]`, `null`, "",
	"amount=100&externalTransactionId=a&merchant%5Bname%5D=OXXO&merchant.mcc=5411&capture=0",
	"merchant%5Bname%5D=a&merchant.name=b", "capture=TRUE&amount=abc", "{\"merchant\":{\"name\":\"\xff\"}}",
}

// checkCapture fails unless a JSON body's capture decoded to what it says: false only from
// false or a string of it.
func checkCapture(t *testing.T, body, contentType string, capture bool) {
	t.Helper()
	if contentType != "" && !strings.HasPrefix(contentType, "application/json") {
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &obj) != nil {
		return
	}
	raw := strings.TrimSpace(string(obj["capture"]))
	var text string
	if json.Unmarshal([]byte(raw), &text) != nil {
		text = raw
	}
	text = strings.ToLower(strings.TrimSpace(text))
	if want := !(text == "false" || text == "0"); capture != want {
		t.Fatalf("capture %s decoded as %v", raw, capture)
	}
}

func FuzzDecodeCharge(f *testing.F) {
	for _, s := range creditSeeds {
		f.Add("3", s, "")
		f.Add("3", s, "application/x-www-form-urlencoded")
	}
	f.Add("abc", "{}", "")
	f.Fuzz(func(t *testing.T, id, body, contentType string) {
		r := moneyRequest("/wallet/v1/composite-balance/child/x/charge", contentType, body)
		r.SetPathValue("child_id", id)
		in, err := decodeCharge(r)
		if saldo.ErrorCode(err) == saldo.ENOTFOUND {
			if _, ok := parseID(id); ok {
				t.Fatalf("id %q refused", id)
			}
			return
		}
		if checkDecodeError(t, err) {
			return
		}
		if strconv.FormatInt(in.ChildID, 10) != id || in.Merchant.MCC != strings.TrimSpace(in.Merchant.MCC) {
			t.Fatalf("decoded %+v from id %q", in, id)
		}
		checkJSONIntegers(t, body, contentType, map[string]int64{"amount": in.Amount})
		checkCapture(t, body, contentType, in.Capture)
	})
}

func FuzzDecodePayment(f *testing.F) {
	for _, s := range creditSeeds {
		f.Add(s, "")
		f.Add(s, "application/x-www-form-urlencoded")
	}
	f.Fuzz(func(t *testing.T, body, contentType string) {
		r := moneyRequest("/wallet/v1/composite-balance/child/3/payment", contentType, body)
		in, err := decodePayment(r, saldo.PaymentRequest{ChildID: 3})
		if checkDecodeError(t, err) {
			return
		}
		if in.ChildID != 3 || in.ParentID != "" || string(in.Source) != strings.TrimSpace(string(in.Source)) {
			t.Fatalf("decoded %+v", in)
		}
		checkJSONIntegers(t, body, contentType, map[string]int64{"amount": in.Amount})
	})
}

func FuzzDecodeCaptureAndRefund(f *testing.F) {
	for _, s := range creditSeeds {
		f.Add("3", s, "")
	}
	f.Add("3", `{"amount":0}`, "")
	f.Add("007", "{}", "")
	f.Add("9223372036854775808", "", "")
	f.Fuzz(func(t *testing.T, id, body, contentType string) {
		for _, decode := range []func(string, string, string) (int64, int64, error){
			func(id, body, ct string) (int64, int64, error) {
				r := moneyRequest("/wallet/v1/transactions/x/capture", ct, body)
				r.SetPathValue("transaction_id", id)
				c, err := decodeCapture(r)
				if err == nil && c.Amount < 0 {
					t.Fatalf("capture amount %d accepted", c.Amount)
				}
				return c.TransactionID, c.Amount, err
			},
			func(id, body, ct string) (int64, int64, error) {
				r := moneyRequest("/wallet/v1/transactions/x/refund", ct, body)
				r.SetPathValue("transaction_id", id)
				c, err := decodeRefund(r)
				return c.TransactionID, c.Amount, err
			},
		} {
			got, amount, err := decode(id, body, contentType)
			if saldo.ErrorCode(err) == saldo.ENOTFOUND {
				if _, ok := parseID(id); ok {
					t.Fatalf("id %q refused", id)
				}
				continue
			}
			if checkDecodeError(t, err) {
				continue
			}
			if strconv.FormatInt(got, 10) != id {
				t.Fatalf("id %q decoded as %d", id, got)
			}
			if strings.TrimSpace(body) != "" {
				checkJSONIntegers(t, body, contentType, map[string]int64{"amount": amount})
			}
		}
	})
}
