package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo"
)

// wallet is a customer created for the money tests: its ids and its oauth token.
type wallet struct {
	customer, wallet, parentBalance int64
	token                           string
	clabe                           string // the create answer's
}

// newWallet creates customer seq of the partner whose token is token.
func (h *harness) newWallet(token string, seq uint64, composite bool) wallet {
	h.t.Helper()
	req := createJSON(seq)
	if !composite {
		delete(req, "composite_balance")
	}
	a := h.do(request{path: "/user/v1/account/create", token: token, contentType: "application/json", body: jsonBody(req)})
	if a.status != http.StatusOK {
		h.t.Fatalf("create: %d %s", a.status, a.raw)
	}
	rs := a.body["rs"].(map[string]any)
	w := wallet{customer: int64(rs["id"].(float64)), wallet: int64(rs["ewallet_id"].(float64)), token: rs["oauth_token"].(string), clabe: rs["clabe"].(string)}
	if cb, ok := rs["composite_balance"].(map[string]any); ok {
		w.parentBalance = int64(cb["parent"].(map[string]any)["balance_id"].(float64))
	}
	return w
}

// loadUDI gives the store a UDI value, as `saldo udi load` does: a fresh store has none.
func loadUDI(t testing.TB, store saldo.Store) {
	t.Helper()
	if err := saldo.NewService(store, nil).SetUDIValues(context.Background(), []saldo.UDIValue{{Day: "2026-11-01", Micros: 8_245_227}}); err != nil {
		t.Fatal(err)
	}
}

// numbers decodes an answer keeping numbers as json.Number, to tell integers from strings
// and floats.
func numbers(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

var jsonInteger = regexp.MustCompile(`^-?[0-9]+$`)

// integer returns v when it is a JSON integer, failing the test otherwise.
func integer(t testing.TB, what string, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok || !jsonInteger.MatchString(string(n)) {
		t.Fatalf("%s = %#v, want a JSON integer", what, v)
	}
	i, _ := n.Int64()
	return i
}

// movement is a movement answer's payload, its JSON types checked.
type movement struct {
	id, status, balanceID, amount, available int64
	statusString                             string
}

func movementOf(t testing.TB, a answer, path string) movement {
	t.Helper()
	payload(t, a, path) // the status and envelope
	p := numbers(t, a.raw)["payload"].(map[string]any)
	b, ok := p["balance"].(map[string]any)
	if !ok || len(p) != 4 || len(b) != 3 {
		t.Fatalf("payload %v: want transactionId, status, status_string and balance {id, amount, available}", p)
	}
	m := movement{id: integer(t, "transactionId", p["transactionId"]), status: integer(t, "status", p["status"]),
		balanceID: integer(t, "balance.id", b["id"]), amount: integer(t, "balance.amount", b["amount"]),
		available: integer(t, "balance.available", b["available"])}
	m.statusString, _ = p["status_string"].(string)
	if want := map[int64]string{1: "Pending", 2: "Completed", 3: "Failed", 4: "Voided"}[m.status]; m.statusString != want || want == "" {
		t.Errorf("status %d status_string %q", m.status, m.statusString)
	}
	return m
}

// refused checks a style B error answer's status, code and hint.
func refused(t testing.TB, a answer, path string, status int, code float64, hint string) {
	t.Helper()
	got, hints := walletError(t, a, path)
	if a.status != status || got != code {
		t.Errorf("%s: status %d code %v, want %d %v: %s", path, a.status, got, status, code, a.raw)
	}
	if hint != "" && !slices.Contains(hints, hint) {
		t.Errorf("%s: hints %q lack %q", path, hints, hint)
	}
	if len(hints) == 0 || strings.Contains(hints[0], ":") {
		t.Errorf("%s: first hint %q is not a sentence", path, hints)
	}
}

func formOf(fields map[string]string) (string, string) {
	v := url.Values{}
	for k, s := range fields {
		v.Set(k, s)
	}
	return v.Encode(), "application/x-www-form-urlencoded"
}

func multipartOf(fields map[string]string) (string, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	w.Close()
	return buf.String(), w.FormDataContentType()
}

const (
	topUpPath    = "/wallet/v1/topUp"
	transferPath = "/wallet/v1/transfer"
	cashoutPath  = "/wallet/v1/spei-cashout"
	speiInPath   = "/wallet/v1/spei-in"
)

func balancePath(id int64) string      { return fmt.Sprintf("/wallet/v1/balance/%d", id) }
func transactionsPath(id int64) string { return fmt.Sprintf("/wallet/v1/transactions/%d", id) }

// balanceOf reads a balance's amount and available amount.
func (h *harness) balanceOf(t testing.TB, id int64) (amount, available int64) {
	t.Helper()
	a := h.do(request{method: "GET", path: balancePath(id), token: h.composite})
	payload(t, a, balancePath(id))
	p := numbers(t, a.raw)["payload"].(map[string]any)
	return integer(t, "amount", p["amount"]), integer(t, "available", p["available"])
}

func TestTopUpAnswersTheMovementAndIsIdempotentByExternalID(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := h.newWallet(h.composite, 1, true)
		topUp := func(body any, header map[string]string) answer {
			return h.do(request{path: topUpPath, token: h.composite, body: jsonBody(body), header: header})
		}
		body := map[string]any{"externalTransactionId": "ext-1", "balanceId": a.wallet, "amount": 50_000, "sourceCustomerID": a.customer, "transactionType": 1}

		// A fresh store knows no UDI value: a level with limits cannot be credited.
		r := topUp(body, nil)
		refused(t, r, topUpPath, 503, 7004, "udi:not_configured")
		if r.header.Get("Retry-After") == "" {
			t.Error("7004 without Retry-After")
		}
		loadUDI(t, h.store)

		m := movementOf(t, topUp(body, nil), topUpPath)
		if m.status != 2 || m.balanceID != a.wallet || m.amount != 50_000 || m.available != 50_000 {
			t.Errorf("top-up answered %+v", m)
		}
		// The same id and request again: the first transaction, nothing moved.
		again := movementOf(t, topUp(body, nil), topUpPath)
		if again.id != m.id || again.amount != 50_000 {
			t.Errorf("repeated top-up answered %+v, want transaction %d with amount 50000", again, m.id)
		}
		if amount, _ := h.balanceOf(t, a.wallet); amount != 50_000 {
			t.Errorf("after a repeated top-up the wallet holds %d, want 50000", amount)
		}
		// The same id with another request.
		other := map[string]any{"externalTransactionId": "ext-1", "balanceId": a.wallet, "amount": 50_001, "sourceCustomerID": a.customer}
		refused(t, topUp(other, nil), topUpPath, 409, 4409, "externalTransactionId:duplicate")

		// Integers as digit strings, and an id as a JSON integer.
		m2 := movementOf(t, topUp(map[string]any{"externalTransactionId": 777, "balanceId": fmt.Sprint(a.wallet), "amount": 100,
			"sourceCustomerID": fmt.Sprint(a.customer), "transactionType": "1"}, nil), topUpPath)
		if m2.amount != 50_100 || m2.id == m.id {
			t.Errorf("second top-up answered %+v", m2)
		}
		// An Idempotency-Key replays the answer.
		key := map[string]string{"Idempotency-Key": "topup-key-1"}
		body3 := map[string]any{"externalTransactionId": "ext-3", "balanceId": a.wallet, "amount": 200, "sourceCustomerID": a.customer}
		first := topUp(body3, key)
		replay := topUp(body3, key)
		if movementOf(t, replay, topUpPath).id != movementOf(t, first, topUpPath).id || replay.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay %s (replayed %q), first %s", replay.raw, replay.header.Get("Idempotent-Replayed"), first.raw)
		}
		if amount, _ := h.balanceOf(t, a.wallet); amount != 50_300 {
			t.Errorf("wallet holds %d, want 50300", amount)
		}

		// Form bodies carry every value as a string.
		for i, encode := range []func(map[string]string) (string, string){formOf, multipartOf} {
			text, ct := encode(map[string]string{"externalTransactionId": fmt.Sprintf("form-%d", i), "balanceId": fmt.Sprint(a.wallet),
				"amount": "1000", "sourceCustomerID": fmt.Sprint(a.customer), "transactionType": "1"})
			got := movementOf(t, h.do(request{path: topUpPath, token: h.composite, contentType: ct, body: strings.NewReader(text)}), topUpPath)
			if got.amount != 51_300+int64(i)*1000 {
				t.Errorf("form top-up %d: %+v", i, got)
			}
		}

		b := h.newWallet(h.composite, 2, true)
		for _, tt := range []struct {
			name   string
			body   string
			token  string
			status int
			code   float64
			hint   string
		}{
			{"amount 0", `{"externalTransactionId":"h1","balanceId":%d,"sourceCustomerID":%d,"amount":0}`, h.composite, 400, 5000, "amount:must_be_positive"},
			{"a negative amount", `{"externalTransactionId":"h2","balanceId":%d,"sourceCustomerID":%d,"amount":-5}`, h.composite, 400, 5000, "amount:must_be_positive"},
			{"a fraction", `{"externalTransactionId":"h3","balanceId":%d,"sourceCustomerID":%d,"amount":1.5}`, h.composite, 400, 4400, "amount:must_be_integer"},
			{"2^63", `{"externalTransactionId":"h4","balanceId":%d,"sourceCustomerID":%d,"amount":9223372036854775808}`, h.composite, 400, 5000, "amount:invalid"},
			{"above the maximum", `{"externalTransactionId":"h4b","balanceId":%d,"sourceCustomerID":%d,"amount":9007199254740993}`, h.composite, 400, 5000, "amount:above_maximum"},
			{"an amount as a JSON string", `{"externalTransactionId":"h5","balanceId":%d,"sourceCustomerID":%d,"amount":"100"}`, h.composite, 400, 4400, "amount:must_be_integer"},
			{"an amount that is text", `{"externalTransactionId":"h6","balanceId":%d,"sourceCustomerID":%d,"amount":"abc"}`, h.composite, 400, 4400, "amount:must_be_integer"},
			{"no amount", `{"externalTransactionId":"h7","balanceId":%d,"sourceCustomerID":%d}`, h.composite, 400, 5000, "amount:must_be_positive"},
			{"a balance id that is text", `{"externalTransactionId":"h8","balanceId":"x%d","sourceCustomerID":%d,"amount":5}`, h.composite, 400, 5000, "balanceId:invalid"},
			{"another customer's wallet", `{"externalTransactionId":"h9","balanceId":%d,"sourceCustomerID":%d,"amount":5}`, h.composite, 404, 4404, "balanceId:not_found"},
			{"another partner's wallet", `{"externalTransactionId":"h10","balanceId":%d,"sourceCustomerID":%d,"amount":5}`, h.plain, 404, 4404, "balanceId:not_found"},
			{"no partner token", `{"externalTransactionId":"h11","balanceId":%d,"sourceCustomerID":%d,"amount":5}`, "", 401, 4401, "Authorization-ecommerce:required"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				owner := a.customer
				if tt.name == "another customer's wallet" {
					owner = b.customer
				}
				r := h.do(request{path: topUpPath, token: tt.token, body: strings.NewReader(fmt.Sprintf(tt.body, a.wallet, owner))})
				refused(t, r, topUpPath, tt.status, tt.code, tt.hint)
			})
		}
		if amount, _ := h.balanceOf(t, a.wallet); amount != 52_300 {
			t.Errorf("after the refusals the wallet holds %d, want 52300", amount)
		}
	})
}

func TestTransferAndCashoutMoveMoneyWithTheCustomersToken(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		loadUDI(t, h.store)
		a, b := h.newWallet(h.composite, 1, true), h.newWallet(h.composite, 2, true)
		movementOf(t, h.do(request{path: topUpPath, token: h.composite, body: jsonBody(map[string]any{
			"externalTransactionId": "t1", "balanceId": a.wallet, "amount": 10_000, "sourceCustomerID": a.customer})}), topUpPath)
		transfer := func(token string, body any) answer {
			r := request{path: transferPath, token: h.composite, body: jsonBody(body)}
			if token != "" {
				r.header = map[string]string{"Authorization-customer": token}
			}
			return h.do(r)
		}
		m := movementOf(t, transfer(a.token, map[string]any{"amount": 2_500, "sourceCustomerID": a.customer, "targetID": b.customer, "description": "cena"}), transferPath)
		if m.balanceID != a.wallet || m.amount != 7_500 || m.available != 7_500 || m.status != 2 {
			t.Errorf("transfer answered %+v, want the source wallet at 7500", m)
		}
		if amount, _ := h.balanceOf(t, b.wallet); amount != 2_500 {
			t.Errorf("target holds %d, want 2500", amount)
		}
		// A form body, every value a string.
		text, ct := formOf(map[string]string{"amount": "500", "sourceCustomerID": fmt.Sprint(a.customer), "targetID": fmt.Sprint(b.customer)})
		fm := movementOf(t, h.do(request{path: transferPath, token: h.composite, contentType: ct, body: strings.NewReader(text),
			header: map[string]string{"Authorization-customer": a.token}}), transferPath)
		if fm.amount != 7_000 {
			t.Errorf("form transfer answered %+v", fm)
		}

		ok := map[string]any{"amount": 100, "sourceCustomerID": a.customer, "targetID": b.customer}
		refused(t, transfer(a.token, map[string]any{"amount": 7_001, "sourceCustomerID": a.customer, "targetID": b.customer}), transferPath, 409, 5003, "")
		refused(t, transfer("", ok), transferPath, 401, 4401, "Authorization-customer:required")
		refused(t, transfer(strings.Repeat("ab", 32), ok), transferPath, 401, 4401, "Authorization-customer:invalid")
		refused(t, transfer(b.token, ok), transferPath, 401, 4401, "sourceCustomerID:not_token_owner")
		refused(t, transfer(a.token, map[string]any{"amount": 100, "sourceCustomerID": a.customer, "targetID": a.customer}), transferPath, 400, 5000, "targetID:same_as_source")
		refused(t, transfer(a.token, map[string]any{"amount": 100, "sourceCustomerID": a.customer, "targetID": 999_999}), transferPath, 404, 4404, "targetID:not_found")
		if amount, _ := h.balanceOf(t, a.wallet); amount != 7_000 {
			t.Errorf("after the refusals the source holds %d, want 7000", amount)
		}

		// Cash-outs: pending, then completed or failed.
		clabe := saldo.WalletCLABE("002180", 12345)
		cashout := func(body any) movement {
			t.Helper()
			return movementOf(t, h.do(request{path: cashoutPath, token: h.composite, body: jsonBody(body),
				header: map[string]string{"Authorization-customer": a.token}}), cashoutPath)
		}
		c1 := cashout(map[string]any{"clabe": clabe, "amount": 1_000, "description": "renta"})
		if c1.status != 1 || c1.amount != 6_000 || c1.balanceID != a.wallet {
			t.Errorf("cash-out answered %+v", c1)
		}
		complete := fmt.Sprintf("%s/%d/complete", cashoutPath, c1.id)
		refused(t, h.do(request{path: complete, token: h.plain, body: strings.NewReader("{}")}), complete, 404, 4404, "transactionId:not_found")
		done := movementOf(t, h.do(request{path: complete, token: h.composite, body: strings.NewReader("{}")}), complete)
		if done.id != c1.id || done.status != 2 || done.amount != 6_000 {
			t.Errorf("complete answered %+v", done)
		}
		refused(t, h.do(request{path: complete, token: h.composite, body: strings.NewReader("{}")}), complete, 409, 5007, "transaction:already_completed")
		for _, id := range []string{"abc", "0", "-1", "007"} {
			p := cashoutPath + "/" + id + "/complete"
			refused(t, h.do(request{path: p, token: h.composite, body: strings.NewReader("{}")}), p, 404, 4404, "transactionId:not_found")
		}

		text, ct = multipartOf(map[string]string{"clabe": clabe, "amount": "2000", "description": "luz"})
		c2 := movementOf(t, h.do(request{path: cashoutPath, token: h.composite, contentType: ct, body: strings.NewReader(text),
			header: map[string]string{"Authorization-customer": a.token}}), cashoutPath)
		fail := fmt.Sprintf("%s/%d/fail", cashoutPath, c2.id)
		text, ct = formOf(map[string]string{"reason": "cuenta cancelada"})
		failed := movementOf(t, h.do(request{path: fail, token: h.composite, contentType: ct, body: strings.NewReader(text)}), fail)
		if failed.id != c2.id || failed.status != 3 || failed.amount != 6_000 {
			t.Errorf("fail answered %+v, want the cash-out failed and the wallet back at 6000", failed)
		}
		refused(t, h.do(request{path: fail, token: h.composite}), fail, 409, 5007, "transaction:already_failed")
		// A fail without a body.
		c3 := cashout(map[string]any{"clabe": clabe, "amount": 500})
		fail3 := fmt.Sprintf("%s/%d/fail", cashoutPath, c3.id)
		if f := movementOf(t, h.do(request{path: fail3, token: h.composite}), fail3); f.status != 3 || f.amount != 6_000 {
			t.Errorf("fail without a body answered %+v", f)
		}
		refused(t, h.do(request{path: cashoutPath, token: h.composite, body: jsonBody(map[string]any{"clabe": clabe, "amount": 6_001}),
			header: map[string]string{"Authorization-customer": a.token}}), cashoutPath, 409, 5003, "")
		refused(t, h.do(request{path: cashoutPath, token: h.composite, body: jsonBody(map[string]any{"clabe": "123", "amount": 1}),
			header: map[string]string{"Authorization-customer": a.token}}), cashoutPath, 400, 5000, "clabe:invalid")
		refused(t, h.do(request{path: cashoutPath, token: h.composite, body: jsonBody(map[string]any{"clabe": clabe, "amount": 1})}),
			cashoutPath, 401, 4401, "Authorization-customer:required")
		// The transfer's source completes a cash-out of its own: not a cash-out.
		notCashout := fmt.Sprintf("%s/%d/complete", cashoutPath, m.id)
		refused(t, h.do(request{path: notCashout, token: h.composite, body: strings.NewReader("{}")}), notCashout, 409, 5007, "transactionId:not_a_spei_cashout")

		// An Idempotency-Key replays a cash-out, which moved money once.
		key := map[string]string{"Authorization-customer": a.token, "Idempotency-Key": "cashout-1"}
		first := h.do(request{path: cashoutPath, token: h.composite, body: jsonBody(map[string]any{"clabe": clabe, "amount": 100}), header: key})
		again := h.do(request{path: cashoutPath, token: h.composite, body: jsonBody(map[string]any{"clabe": clabe, "amount": 100}), header: key})
		if movementOf(t, first, cashoutPath) != movementOf(t, again, cashoutPath) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replayed cash-out %s, first %s", again.raw, first.raw)
		}
		if amount, _ := h.balanceOf(t, a.wallet); amount != 5_900 {
			t.Errorf("after a replayed cash-out the wallet holds %d, want 5900", amount)
		}
	})
}

func TestTransactionsListsACustomersMovements(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		loadUDI(t, h.store)
		a, b := h.newWallet(h.composite, 1, true), h.newWallet(h.composite, 2, true)
		var ids []int64
		for i, amount := range []int64{10_000, 20_000, 30_000} {
			m := movementOf(t, h.do(request{path: topUpPath, token: h.composite, body: jsonBody(map[string]any{
				"externalTransactionId": fmt.Sprintf("l%d", i), "balanceId": a.wallet, "amount": amount, "sourceCustomerID": a.customer})}), topUpPath)
			ids = append(ids, m.id)
		}
		m := movementOf(t, h.do(request{path: transferPath, token: h.composite, header: map[string]string{"Authorization-customer": a.token},
			body: jsonBody(map[string]any{"amount": 12_500, "sourceCustomerID": a.customer, "targetID": b.customer, "description": "renta"})}), transferPath)
		ids = append(ids, m.id)

		list := func(query string, header map[string]string, token string) (items []map[string]any, total int64) {
			t.Helper()
			path := transactionsPath(a.customer)
			r := h.do(request{method: "GET", path: path + query, token: token, header: header})
			payload(t, r, path)
			body := numbers(t, r.raw)["payload"].(map[string]any)
			for _, it := range body["transactions"].([]any) {
				items = append(items, it.(map[string]any))
			}
			return items, integer(t, "totalCount", body["totalCount"])
		}
		idsOf := func(items []map[string]any) []int64 {
			var out []int64
			for _, it := range items {
				out = append(out, integer(t, "transactionId", it["transactionId"]))
			}
			return out
		}
		items, total := list("", nil, h.composite)
		if total != 4 || !slices.Equal(idsOf(items), []int64{ids[3], ids[2], ids[1], ids[0]}) {
			t.Fatalf("list: total %d ids %v, want 4, newest first of %v", total, idsOf(items), ids)
		}
		out := items[0]
		if len(out) != 10 {
			t.Errorf("an item has %d fields: %v", len(out), out)
		}
		if out["amount"] != "-12500" || integer(t, "transactionType", out["transactionType"]) != 2 || integer(t, "status", out["status"]) != 2 ||
			out["description"] != "renta" || out["referenceId"] != "" || out["isSettled"] != true ||
			integer(t, "category", out["category"]) != 0 || out["merchantCategoryCode"] != nil || !mexicoCityTimestamp.MatchString(fmt.Sprint(out["timestamp"])) {
			t.Errorf("the transfer's line is %v", out)
		}
		if _, ok := out["merchantCategoryCode"]; !ok {
			t.Error("merchantCategoryCode is absent, want null")
		}
		if first := items[3]; first["amount"] != "10000" || first["referenceId"] != "l0" || integer(t, "transactionType", first["transactionType"]) != 1 {
			t.Errorf("the first top-up's line is %v", first)
		}

		if items, total := list("?limit=2&offset=1", nil, h.composite); total != 4 || !slices.Equal(idsOf(items), []int64{ids[2], ids[1]}) {
			t.Errorf("limit=2&offset=1: total %d ids %v", total, idsOf(items))
		}
		if items, _ := list("?desc=false", nil, h.composite); !slices.Equal(idsOf(items), ids) {
			t.Errorf("desc=false: %v, want %v", idsOf(items), ids)
		}
		if items, total := list(fmt.Sprintf("?transaction_id=%d", ids[1]), nil, h.composite); total != 1 || !slices.Equal(idsOf(items), ids[1:2]) {
			t.Errorf("transaction_id: total %d ids %v", total, idsOf(items))
		}
		if items, total := list("?from=2000-01-01&to=2000-01-31", nil, h.composite); total != 0 || items != nil {
			t.Errorf("a month long past: total %d, %v", total, items)
		}
		// The customer's own token alone.
		if _, total := list("", map[string]string{"Authorization-customer": a.token}, ""); total != 4 {
			t.Errorf("with the customer's token: total %d", total)
		}
		// The target sees the transfer in.
		bPath := transactionsPath(b.customer)
		bp := numbers(t, h.do(request{method: "GET", path: bPath, token: h.composite}).raw)["payload"].(map[string]any)
		if lines := bp["transactions"].([]any); len(lines) != 1 || lines[0].(map[string]any)["amount"] != "12500" ||
			integer(t, "transactionType", lines[0].(map[string]any)["transactionType"]) != 3 {
			t.Errorf("the target's list: %v", bp)
		}

		path := transactionsPath(a.customer)
		for _, q := range []struct{ query, hint string }{
			{"?limit=0", "limit:invalid"}, {"?limit=101", "limit:invalid"}, {"?limit=x", "limit:invalid"},
			{"?offset=-1", "offset:invalid"}, {"?from=2026-13-01", "from:invalid"}, {"?to=yesterday", "to:invalid"},
			{"?desc=maybe", "desc:invalid"}, {"?transaction_id=abc", "transaction_id:invalid"},
			{"?from=2026-02-01&to=2026-01-01", "to:before_from"},
		} {
			refused(t, h.do(request{method: "GET", path: path + q.query, token: h.composite}), path, 400, 5000, q.hint)
		}
		refused(t, h.do(request{method: "GET", path: path, header: map[string]string{"Authorization-customer": b.token}}), path, 401, 4401, "Authorization-customer:invalid")
		refused(t, h.do(request{method: "GET", path: path, token: h.plain}), path, 404, 4404, "customer_id:not_found")
		refused(t, h.do(request{method: "GET", path: "/wallet/v1/transactions/x1", token: h.composite}), "/wallet/v1/transactions/x1", 404, 4404, "customer_id:not_found")
	})
}

func TestBalanceShowsAWalletsLimits(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := h.newWallet(h.composite, 1, true)
		get := func(id int64) map[string]any {
			t.Helper()
			a := h.do(request{method: "GET", path: balancePath(id), token: h.composite})
			payload(t, a, balancePath(id))
			return numbers(t, a.raw)["payload"].(map[string]any)
		}
		p := get(a.wallet)
		limits := p["limits"].(map[string]any)
		if p["kind"] != "wallet" || integer(t, "kyc_level", p["kyc_level"]) != 1 || limits["udi_known"] != false ||
			limits["monthly_deposit_limit"] != nil || limits["balance_cap"] != nil {
			t.Errorf("a wallet without a UDI value: %v", p)
		}
		loadUDI(t, h.store)
		movementOf(t, h.do(request{path: topUpPath, token: h.composite, body: jsonBody(map[string]any{
			"externalTransactionId": "b1", "balanceId": a.wallet, "amount": 100_000, "sourceCustomerID": a.customer})}), topUpPath)
		p = get(a.wallet)
		limits = p["limits"].(map[string]any)
		// Level 1: 750 UDIs a month and a cap of 1000 UDIs, at 8.245227 pesos.
		if integer(t, "id", p["id"]) != a.wallet || integer(t, "customer_id", p["customer_id"]) != a.customer ||
			integer(t, "amount", p["amount"]) != 100_000 || integer(t, "available", p["available"]) != 100_000 ||
			integer(t, "held", p["held"]) != 0 || integer(t, "status", p["status"]) != 1 || limits["udi_known"] != true ||
			integer(t, "monthly_deposit_limit", limits["monthly_deposit_limit"]) != 618_392 ||
			integer(t, "monthly_deposit_remaining", limits["monthly_deposit_remaining"]) != 518_392 ||
			integer(t, "balance_cap", limits["balance_cap"]) != 824_522 ||
			integer(t, "balance_cap_remaining", limits["balance_cap_remaining"]) != 724_522 {
			t.Errorf("the wallet: %v", p)
		}
		parent := get(a.parentBalance)
		if parent["kind"] != "composite_parent" || parent["limits"] != nil || integer(t, "kyc_level", parent["kyc_level"]) != 0 {
			t.Errorf("the composite parent: %v", parent)
		}
		refused(t, h.do(request{method: "GET", path: balancePath(a.wallet), token: h.plain}), balancePath(a.wallet), 404, 4404, "balance_id:not_found")
		refused(t, h.do(request{method: "GET", path: "/wallet/v1/balance/0", token: h.composite}), "/wallet/v1/balance/0", 404, 4404, "balance_id:not_found")
		refused(t, h.do(request{method: "GET", path: balancePath(a.wallet)}), balancePath(a.wallet), 401, 4401, "")
	})
}

func TestSPEIInAndTheWalletsCLABE(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		loadUDI(t, h.store)
		_, spei, err := saldo.NewService(h.store, nil).CreatePartner(context.Background(), saldo.NewPartner{Name: "spei", CLABEPrefix: "646180"})
		if err != nil {
			t.Fatal(err)
		}
		a := h.newWallet(spei, 1, false)
		clabe := saldo.WalletCLABE("646180", a.wallet)
		if a.clabe != clabe || !saldo.ValidCLABE(clabe) {
			t.Errorf("the create answer's clabe is %q, want %q", a.clabe, clabe)
		}
		const clabePath = "/user/v1/account/spei-clabe"
		clabeOf := func(query string, header map[string]string, token string) answer {
			return h.do(request{method: "GET", path: clabePath + query, token: token, header: header})
		}
		for name, r := range map[string]answer{
			"partner":         clabeOf(fmt.Sprintf("?customer_id=%d", a.customer), nil, spei),
			"customer":        clabeOf("", map[string]string{"Authorization-customer": a.token}, ""),
			"customer and id": clabeOf(fmt.Sprintf("?customer_id=%d", a.customer), map[string]string{"Authorization-customer": a.token}, ""),
			"both":            clabeOf("", map[string]string{"Authorization-customer": a.token}, spei),
		} {
			if r.status != 200 || r.body["err"] != nil || r.body["rs"].(map[string]any)["spei_clabe"] != clabe {
				t.Errorf("%s: %d %s, want %s", name, r.status, r.raw, clabe)
			}
		}
		profile := h.do(request{method: "GET", path: fmt.Sprintf("/user/v1/account/%d", a.customer), token: spei})
		if profile.body["rs"].(map[string]any)["clabe"] != clabe {
			t.Errorf("the profile's clabe is %v, want %s", profile.body["rs"].(map[string]any)["clabe"], clabe)
		}
		other := h.newWallet(h.composite, 2, true)
		if r := clabeOf(fmt.Sprintf("?customer_id=%d", other.customer), nil, h.composite); r.body["rs"].(map[string]any)["spei_clabe"] != "" || other.clabe != "" {
			t.Errorf("a partner without a prefix: %s, create answered %q", r.raw, other.clabe)
		}
		for _, tt := range []struct {
			name   string
			r      answer
			status int
			code   float64
			hint   string
		}{
			{"no customer_id", clabeOf("", nil, spei), 400, 5000, "customer_id:required"},
			{"a malformed customer_id", clabeOf("?customer_id=abc", nil, spei), 400, 5000, "customer_id:invalid"},
			{"another customer's id with a token", clabeOf(fmt.Sprintf("?customer_id=%d", other.customer), map[string]string{"Authorization-customer": a.token}, ""), 401, 4401, "Authorization-customer:invalid"},
			{"a token of another partner", clabeOf("", map[string]string{"Authorization-customer": other.token}, spei), 401, 4401, "Authorization-customer:invalid"},
			{"another partner's customer", clabeOf(fmt.Sprintf("?customer_id=%d", other.customer), nil, spei), 404, 4404, "customer_id:not_found"},
			{"no credential", clabeOf("", nil, ""), 401, 4401, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				code, hints := errorOf(t, tt.r)
				if tt.r.status != tt.status || code != tt.code || tt.hint != "" && !slices.Contains(hints, tt.hint) {
					t.Errorf("%d %v %q, want %d %v %s", tt.r.status, code, hints, tt.status, tt.code, tt.hint)
				}
			})
		}

		in := map[string]any{"clabe": clabe, "amount": 25_000, "trackingKey": "MBAN01002611240001", "senderName": "Juan Pérez",
			"senderClabe": saldo.WalletCLABE("002180", 99), "concept": "pago factura 12"}
		m := movementOf(t, h.do(request{path: speiInPath, token: spei, body: jsonBody(in)}), speiInPath)
		if m.status != 2 || m.balanceID != a.wallet || m.amount != 25_000 {
			t.Errorf("spei-in answered %+v", m)
		}
		if again := movementOf(t, h.do(request{path: speiInPath, token: spei, body: jsonBody(in)}), speiInPath); again.id != m.id || again.amount != 25_000 {
			t.Errorf("a repeated spei-in answered %+v, want %d", again, m.id)
		}
		in["amount"] = 25_001
		refused(t, h.do(request{path: speiInPath, token: spei, body: jsonBody(in)}), speiInPath, 409, 4409, "trackingKey:duplicate")
		text, ct := multipartOf(map[string]string{"clabe": clabe, "amount": "1000", "trackingKey": "T2", "senderName": "Ana", "concept": "x"})
		if f := movementOf(t, h.do(request{path: speiInPath, token: spei, contentType: ct, body: strings.NewReader(text)}), speiInPath); f.amount != 26_000 {
			t.Errorf("a multipart spei-in answered %+v", f)
		}
		refused(t, h.do(request{path: speiInPath, token: spei, body: jsonBody(map[string]any{"clabe": saldo.WalletCLABE("646180", 999_999), "amount": 5, "trackingKey": "T3"})}),
			speiInPath, 404, 4404, "clabe:not_found")
		refused(t, h.do(request{path: speiInPath, token: h.composite, body: jsonBody(map[string]any{"clabe": clabe, "amount": 5, "trackingKey": "T4"})}),
			speiInPath, 404, 4404, "clabe:not_found")
		lines := numbers(t, h.do(request{method: "GET", path: transactionsPath(a.customer), token: spei}).raw)["payload"].(map[string]any)["transactions"].([]any)
		if last := lines[len(lines)-1].(map[string]any); last["referenceId"] != "MBAN01002611240001" || last["description"] != "pago factura 12" ||
			integer(t, "transactionType", last["transactionType"]) != 5 {
			t.Errorf("the spei-in's line: %v", last)
		}
	})
}
