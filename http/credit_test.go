package http_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// creditStart is when the credit tests begin: noon of 10 November 2026 in Mexico City, so a
// parent created then is billed on the 10th.
var creditStart = time.Date(2026, 11, 10, 18, 0, 0, 0, time.UTC)

// forEachEngineAt runs test on SQLite and on PostgreSQL with a server whose clock the test
// moves.
func forEachEngineAt(t *testing.T, start time.Time, test func(t *testing.T, h *harness, clock *saldo.ManualClock)) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			clock := saldo.NewManualClock(start)
			test(t, harnessOn(t, eng.Open(t), serving{clock: clock}), clock)
		})
	}
}

// cardholder is a customer with a composite parent and one child of its own.
type cardholder struct {
	customer, wallet int64
	parentID         string
	child            int64
}

const compositePath = "/wallet/v1/composite-balance"

func chargePath(child int64) string { return fmt.Sprintf("%s/child/%d/charge", compositePath, child) }
func childPayPath(child int64) string {
	return fmt.Sprintf("%s/child/%d/payment", compositePath, child)
}
func parentPayPath(id string) string { return compositePath + "/parent/" + id + "/payment" }
func settlePath(id int64, what string) string {
	return fmt.Sprintf("/wallet/v1/transactions/%d/%s", id, what)
}

// newCardholder creates customer seq with a parent, and a child of creditLine cents.
func (h *harness) newCardholder(seq uint64, creditLine int64) cardholder {
	h.t.Helper()
	rs := h.create(seq).body["rs"].(map[string]any)
	c := cardholder{customer: int64(rs["id"].(float64)), wallet: int64(rs["ewallet_id"].(float64)),
		parentID: rs["composite_balance"].(map[string]any)["parent"].(map[string]any)["id"].(string)}
	path := compositePath + "/child"
	a := h.do(request{path: path, token: h.composite, body: jsonBody(map[string]any{"parent_id": c.parentID, "credit_line": creditLine})})
	c.child = integer(h.t, "id", numbers(h.t, a.raw)["payload"].(map[string]any)["id"])
	return c
}

// credit is a credit answer's payload, its JSON types checked.
type credit struct {
	id, status, debt, held, available, limit int64
	statusString, parentID                   string
	child                                    *int64
	balance                                  map[string]any
}

func creditOf(t testing.TB, a answer, path string) credit {
	t.Helper()
	payload(t, a, path)
	p := numbers(t, a.raw)["payload"].(map[string]any)
	if len(p) != 10 {
		t.Fatalf("payload %v: want transactionId, status, status_string, child_id, parent_id, debt, held, available_credit, credit_limit and balance", p)
	}
	c := credit{id: integer(t, "transactionId", p["transactionId"]), status: integer(t, "status", p["status"]),
		debt: integer(t, "debt", p["debt"]), held: integer(t, "held", p["held"]),
		available: integer(t, "available_credit", p["available_credit"]), limit: integer(t, "credit_limit", p["credit_limit"])}
	c.statusString, _ = p["status_string"].(string)
	c.parentID, _ = p["parent_id"].(string)
	if p["child_id"] != nil {
		id := integer(t, "child_id", p["child_id"])
		c.child = &id
	}
	c.balance, _ = p["balance"].(map[string]any)
	if want := map[int64]string{1: "Pending", 2: "Completed", 4: "Voided"}[c.status]; c.statusString != want || want == "" {
		t.Errorf("status %d status_string %q", c.status, c.statusString)
	}
	if c.available != c.limit-c.debt-c.held {
		t.Errorf("available_credit %d, want credit_limit %d − debt %d − held %d", c.available, c.limit, c.debt, c.held)
	}
	return c
}

// post sends body as JSON, or as a form body when body is a map[string]string and encode is given.
func (h *harness) post(path string, body any, header map[string]string) answer {
	h.t.Helper()
	return h.do(request{path: path, token: h.composite, body: jsonBody(body), header: header})
}

func (h *harness) postForm(path string, fields map[string]string, encode func(map[string]string) (string, string)) answer {
	h.t.Helper()
	text, ct := encode(fields)
	return h.do(request{path: path, token: h.composite, contentType: ct, body: strings.NewReader(text)})
}

func TestChargesAuthorizationsRefundsAndPayments(t *testing.T) {
	forEachEngineAt(t, creditStart, func(t *testing.T, h *harness, _ *saldo.ManualClock) {
		c := h.newCardholder(1, 100_000)
		charge := chargePath(c.child)

		// A posted charge, capture absent.
		m := creditOf(t, h.post(charge, map[string]any{"amount": 30_000, "externalTransactionId": "c1", "description": "súper",
			"merchant": map[string]any{"name": "OXXO", "mcc": "5411"}}, nil), charge)
		if m.status != 2 || m.debt != 30_000 || m.held != 0 || m.available != 70_000 || m.limit != 100_000 ||
			m.child == nil || *m.child != c.child || m.parentID != c.parentID || m.balance != nil {
			t.Errorf("charge answered %+v", m)
		}
		// The same externalTransactionId and request: the first transaction, nothing charged.
		if again := creditOf(t, h.post(charge, map[string]any{"amount": 30_000, "externalTransactionId": "c1", "description": "súper",
			"merchant": map[string]any{"name": "OXXO", "mcc": 5411}, "capture": true}, nil), charge); again.id != m.id || again.debt != 30_000 {
			t.Errorf("a repeated charge answered %+v, want transaction %d and debt 30000", again, m.id)
		}
		refused(t, h.post(charge, map[string]any{"amount": 30_001, "externalTransactionId": "c1"}, nil), charge, 409, 4409, "externalTransactionId:duplicate")

		// Authorizations from form bodies, every value a string, in both spellings of merchant.
		auth := creditOf(t, h.postForm(charge, map[string]string{"amount": "20000", "externalTransactionId": "a1", "capture": "false",
			"merchant[name]": "Cinépolis", "merchant[mcc]": "7832"}, formOf), charge)
		if auth.status != 1 || auth.debt != 30_000 || auth.held != 20_000 || auth.available != 50_000 {
			t.Errorf("form authorization answered %+v", auth)
		}
		auth2 := creditOf(t, h.postForm(charge, map[string]string{"amount": "10000", "externalTransactionId": "a2", "capture": "0",
			"merchant.name": "Uber", "merchant.mcc": "4121", "description": "viaje"}, multipartOf), charge)
		if auth2.status != 1 || auth2.held != 30_000 || auth2.available != 40_000 {
			t.Errorf("multipart authorization answered %+v", auth2)
		}
		posted := creditOf(t, h.postForm(charge, map[string]string{"amount": "1", "externalTransactionId": "p1", "capture": "TRUE"}, formOf), charge)
		if posted.status != 2 || posted.debt != 30_001 {
			t.Errorf("capture \"TRUE\" answered %+v", posted)
		}
		// More than the available credit: nothing is charged.
		refused(t, h.post(charge, map[string]any{"amount": 40_000, "externalTransactionId": "over"}, nil), charge, 409, 5001, "amount:exceeds_available_credit")

		// Capture part of a hold: the rest is released.
		capture := settlePath(auth.id, "capture")
		cap1 := creditOf(t, h.post(capture, map[string]any{"amount": 15_000}, nil), capture)
		if cap1.id != auth.id || cap1.status != 2 || cap1.debt != 45_001 || cap1.held != 10_000 {
			t.Errorf("partial capture answered %+v", cap1)
		}
		refused(t, h.post(capture, map[string]any{}, nil), capture, 409, 5007, "transaction:already_completed")
		// Void the other.
		void := settlePath(auth2.id, "void")
		if v := creditOf(t, h.do(request{path: void, token: h.composite}), void); v.status != 4 || v.held != 0 || v.debt != 45_001 {
			t.Errorf("void answered %+v", v)
		}
		refused(t, h.do(request{path: void, token: h.composite}), void, 409, 5007, "transaction:already_voided")
		refused(t, h.do(request{path: settlePath(auth2.id, "capture"), token: h.composite}), settlePath(auth2.id, "capture"), 409, 5007, "transaction:already_voided")
		// Capture more than the hold, then all of it without a body.
		auth3 := creditOf(t, h.post(charge, map[string]any{"amount": 5_000, "externalTransactionId": "a3", "capture": "false"}, nil), charge)
		capture3 := settlePath(auth3.id, "capture")
		refused(t, h.post(capture3, map[string]any{"amount": 5_001}, nil), capture3, 409, 5007, "amount:exceeds_hold")
		refused(t, h.post(capture3, map[string]any{"amount": 0}, nil), capture3, 400, 5000, "amount:must_be_positive")
		if all := creditOf(t, h.do(request{path: capture3, token: h.composite}), capture3); all.status != 2 || all.debt != 50_001 || all.held != 0 {
			t.Errorf("capture without a body answered %+v", all)
		}
		// A refund of a hold, of more than was captured, and of part of the first charge.
		auth4 := creditOf(t, h.post(charge, map[string]any{"amount": 1_000, "externalTransactionId": "a4", "capture": false}, nil), charge)
		refund4 := settlePath(auth4.id, "refund")
		refused(t, h.post(refund4, map[string]any{"amount": 1_000}, nil), refund4, 409, 5007, "transaction:not_captured")
		refund := settlePath(m.id, "refund")
		refused(t, h.post(refund, map[string]any{"amount": 30_001}, nil), refund, 409, 5007, "amount:exceeds_captured")
		r := creditOf(t, h.postForm(refund, map[string]string{"amount": "10000"}, formOf), refund)
		if r.id == m.id || r.status != 2 || r.debt != 40_001 || r.held != 1_000 {
			t.Errorf("refund answered %+v", r)
		}
		refused(t, h.post(refund, map[string]any{"amount": 20_001}, nil), refund, 409, 5007, "amount:exceeds_captured")
		refused(t, h.do(request{path: refund, token: h.composite}), refund, 400, 5000, "amount:must_be_positive")
		// A payment is not a charge.
		pay := creditOf(t, h.post(childPayPath(c.child), map[string]any{"amount": 1, "externalTransactionId": "pay0"}, nil), childPayPath(c.child))
		refused(t, h.do(request{path: settlePath(pay.id, "void"), token: h.composite}), settlePath(pay.id, "void"), 409, 5007, "transaction_id:not_a_charge")

		// Unknown transactions are 404 4404, as spei-cashout's complete and fail answer.
		for _, path := range []string{settlePath(999_999, "capture"), settlePath(999_999, "void"), settlePath(999_999, "refund"),
			"/wallet/v1/transactions/abc/capture", "/wallet/v1/transactions/0/void"} {
			refused(t, h.post(path, map[string]any{"amount": 1}, nil), path, 404, 4404, "transaction_id:not_found")
		}
		other := h.do(request{path: capture3, token: h.plain})
		refused(t, other, capture3, 404, 4404, "transaction_id:not_found")
		// Unknown children and parents are 404 5000 "incorrect <id>", as every composite route answers.
		for _, path := range []string{chargePath(999_999), compositePath + "/child/x1/charge", childPayPath(999_999)} {
			refused(t, h.post(path, map[string]any{"amount": 1, "externalTransactionId": "u"}, nil), path, 404, 5000, "incorrect child_id")
		}
		for _, path := range []string{parentPayPath(strings.Repeat("0", 32)), parentPayPath("nope")} {
			refused(t, h.post(path, map[string]any{"amount": 1, "externalTransactionId": "u"}, nil), path, 404, 5000, "incorrect parent_id")
		}
		refused(t, h.do(request{path: charge, token: h.plain, body: jsonBody(map[string]any{"amount": 1, "externalTransactionId": "u"})}),
			charge, 404, 5000, "incorrect child_id")

		// The child and its parent show the credit.
		childPath := fmt.Sprintf("%s/child/%d", compositePath, c.child)
		child := numbers(t, h.do(request{method: "GET", path: childPath, token: h.composite}).raw)["payload"].(map[string]any)
		if integer(t, "debt", child["debt"]) != 40_000 || integer(t, "held", child["held"]) != 1_000 ||
			integer(t, "available_credit", child["available_credit"]) != 59_000 {
			t.Errorf("the child: %v", child)
		}
		parentPath := compositePath + "/parent/" + c.parentID
		parent := numbers(t, h.do(request{method: "GET", path: parentPath, token: h.composite}).raw)["payload"].(map[string]any)
		if integer(t, "debt", parent["debt"]) != 40_000 || integer(t, "held", parent["held"]) != 1_000 || parent["status_string"] != "Active" {
			t.Errorf("the parent: %v", parent)
		}
		// A credit line may not go below debt and holds.
		update := childPath + "/update-credit-line"
		refused(t, h.do(request{method: "PUT", path: update, token: h.composite, body: jsonBody(map[string]any{"credit_line": 40_999})}),
			update, 409, 5002, "credit_line:below_debt_and_holds")
	})
}

func TestCreditPaymentsAndReplays(t *testing.T) {
	forEachEngineAt(t, creditStart, func(t *testing.T, h *harness, _ *saldo.ManualClock) {
		loadUDI(t, h.store)
		c := h.newCardholder(1, 100_000)
		charge := chargePath(c.child)
		// An Idempotency-Key replays a charge, which charged once.
		key := map[string]string{"Idempotency-Key": "charge-key-1"}
		body := map[string]any{"amount": 50_000, "externalTransactionId": "k1"}
		first := h.post(charge, body, key)
		replay := h.post(charge, body, key)
		if creditOf(t, first, charge).id != creditOf(t, replay, charge).id || replay.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replayed charge %s (replayed %q), first %s", replay.raw, replay.header.Get("Idempotent-Replayed"), first.raw)
		}
		refused(t, h.post(charge, map[string]any{"amount": 50_001, "externalTransactionId": "k1"}, key), charge, 422, 4422, "")

		pay := childPayPath(c.child)
		refused(t, h.post(pay, map[string]any{"amount": 50_001, "externalTransactionId": "pay-over"}, nil), pay, 409, 5007, "amount:exceeds_debt")
		p := creditOf(t, h.post(pay, map[string]any{"amount": 10_000, "externalTransactionId": "pay-1"}, nil), pay)
		if p.status != 2 || p.debt != 40_000 || p.child == nil || *p.child != c.child || p.balance != nil {
			t.Errorf("an external child payment answered %+v", p)
		}
		if again := creditOf(t, h.post(pay, map[string]any{"amount": 10_000, "externalTransactionId": "pay-1", "source": "external"}, nil), pay); again.id != p.id || again.debt != 40_000 {
			t.Errorf("a repeated payment answered %+v", again)
		}
		refused(t, h.post(pay, map[string]any{"amount": 10_000, "externalTransactionId": "pay-1", "source": "wallet"}, nil), pay, 409, 4409, "externalTransactionId:duplicate")
		// From the owner's wallet: empty, then topped up.
		refused(t, h.post(pay, map[string]any{"amount": 5_000, "externalTransactionId": "w1", "source": "wallet"}, nil), pay, 409, 5003, "amount:insufficient_funds")
		movementOf(t, h.do(request{path: topUpPath, token: h.composite, body: jsonBody(map[string]any{
			"externalTransactionId": "t1", "balanceId": c.wallet, "amount": 8_000, "sourceCustomerID": c.customer})}), topUpPath)
		w := creditOf(t, h.postForm(pay, map[string]string{"amount": "5000", "externalTransactionId": "w1", "source": "wallet"}, multipartOf), pay)
		if w.debt != 35_000 || w.balance == nil || integer(t, "balance.id", w.balance["id"]) != c.wallet ||
			integer(t, "balance.amount", w.balance["amount"]) != 3_000 || integer(t, "balance.available", w.balance["available"]) != 3_000 {
			t.Errorf("a wallet payment answered %+v", w)
		}
		// A parent's payment: the sums over its children, child_id null.
		second := h.post(compositePath+"/child", map[string]any{"parent_id": c.parentID, "credit_line": 20_000}, nil)
		secondID := integer(t, "id", numbers(t, second.raw)["payload"].(map[string]any)["id"])
		creditOf(t, h.post(chargePath(secondID), map[string]any{"amount": 7_000, "externalTransactionId": "s1"}, nil), chargePath(secondID))
		pp := parentPayPath(c.parentID)
		refused(t, h.post(pp, map[string]any{"amount": 42_001, "externalTransactionId": "pp-over"}, nil), pp, 409, 5007, "amount:exceeds_debt")
		parentPay := creditOf(t, h.postForm(pp, map[string]string{"amount": "36000", "externalTransactionId": "pp1"}, formOf), pp)
		if parentPay.child != nil || parentPay.parentID != c.parentID || parentPay.debt != 6_000 || parentPay.held != 0 || parentPay.status != 2 {
			t.Errorf("a parent payment answered %+v", parentPay)
		}

		for _, tt := range []struct {
			name   string
			path   string
			body   any // a map[string]string is sent as a form
			status int
			code   float64
			hint   string
		}{
			{"amount 0", charge, map[string]any{"amount": 0, "externalTransactionId": "b1"}, 400, 5000, "amount:must_be_positive"},
			{"a negative amount", charge, map[string]any{"amount": -5, "externalTransactionId": "b2"}, 400, 5000, "amount:must_be_positive"},
			{"a fraction", charge, map[string]any{"amount": 1.5, "externalTransactionId": "b3"}, 400, 4400, "amount:must_be_integer"},
			{"an amount that is text", charge, map[string]any{"amount": "abc", "externalTransactionId": "b4"}, 400, 4400, "amount:must_be_integer"},
			{"2^63", charge, `{"amount":9223372036854775808,"externalTransactionId":"b5"}`, 400, 5000, "amount:invalid"},
			{"a form amount that is text", charge, map[string]string{"amount": "abc", "externalTransactionId": "b6"}, 400, 5000, "amount:invalid"},
			{"no externalTransactionId", charge, map[string]any{"amount": 5}, 400, 5000, "externalTransactionId:required"},
			{"an mcc with a letter", charge, map[string]any{"amount": 5, "externalTransactionId": "b7", "merchant": map[string]any{"mcc": "12a4"}}, 400, 5000, "merchant.mcc:invalid"},
			{"a form mcc with a letter", charge, map[string]string{"amount": "5", "externalTransactionId": "b8", "merchant[mcc]": "12a4"}, 400, 5000, "merchant.mcc:invalid"},
			{"capture maybe", charge, map[string]any{"amount": 5, "externalTransactionId": "b9", "capture": "maybe"}, 400, 5000, "capture:invalid"},
			{"a form capture maybe", charge, map[string]string{"amount": "5", "externalTransactionId": "b10", "capture": "maybe"}, 400, 5000, "capture:invalid"},
			{"capture a number", charge, map[string]any{"amount": 5, "externalTransactionId": "b11", "capture": 1}, 400, 4400, "capture:must_be_boolean"},
			{"merchant a string", charge, map[string]any{"amount": 5, "externalTransactionId": "b12", "merchant": "OXXO"}, 400, 4400, "merchant:must_be_object"},
			{"a merchant name a number", charge, map[string]any{"amount": 5, "externalTransactionId": "b13", "merchant": map[string]any{"name": 5}}, 400, 4400, "merchant.name:must_be_string"},
			{"two spellings of a merchant name", charge, map[string]string{"amount": "5", "externalTransactionId": "b14", "merchant[name]": "a", "merchant.name": "b"}, 400, 4400, "merchant.name:ambiguous"},
			{"a refund amount 1.5", settlePath(1, "refund"), map[string]any{"amount": 1.5}, 400, 4400, "amount:must_be_integer"},
			{"a capture amount -5", settlePath(1, "capture"), map[string]any{"amount": -5}, 400, 5000, "amount:must_be_positive"},
			{"a payment source unknown", pay, map[string]any{"amount": 5, "externalTransactionId": "b15", "source": "card"}, 400, 5000, "source:invalid"},
			{"a payment amount 2^63", pay, map[string]string{"amount": "9223372036854775808", "externalTransactionId": "b16"}, 400, 5000, "amount:invalid"},
			{"a payment without an amount", pp, map[string]any{"externalTransactionId": "b17"}, 400, 5000, "amount:must_be_positive"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var a answer
				switch b := tt.body.(type) {
				case map[string]string:
					a = h.postForm(tt.path, b, formOf)
				case string:
					a = h.do(request{path: tt.path, token: h.composite, body: strings.NewReader(b)})
				default:
					a = h.post(tt.path, b, nil)
				}
				refused(t, a, tt.path, tt.status, tt.code, tt.hint)
			})
		}
		child := numbers(t, h.do(request{method: "GET", path: fmt.Sprintf("%s/child/%d", compositePath, c.child), token: h.composite}).raw)["payload"].(map[string]any)
		if integer(t, "debt", child["debt"]) != 0 {
			t.Errorf("after the refusals the child owes %v, want 0 (the parent's payment paid it, oldest first)", child["debt"])
		}

		// A blocked account's child cannot be charged.
		if a := h.do(request{path: fmt.Sprintf("/user/v1/account/%d/status", c.customer), token: h.composite,
			body: jsonBody(map[string]any{"status": 2, "reason": "fraud review"})}); a.status != http.StatusOK {
			t.Fatalf("block: %d %s", a.status, a.raw)
		}
		refused(t, h.post(charge, map[string]any{"amount": 5, "externalTransactionId": "blocked"}, nil), charge, 409, 5005, "account:not_active")
	})
}

// statementOf reads a statement payload's numbers.
func statementOf(t testing.TB, st map[string]any) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, k := range []string{"id", "opening_balance", "charges", "refunds", "payments", "closing_balance", "total_due_payment", "min_due_payment"} {
		out[k] = integer(t, k, st[k])
	}
	return out
}

func TestStatementsAndOverdueParents(t *testing.T) {
	forEachEngineAt(t, creditStart, func(t *testing.T, h *harness, clock *saldo.ManualClock) {
		ctx := context.Background()
		c := h.newCardholder(1, 1_000_000)
		charge := chargePath(c.child)
		ch := creditOf(t, h.post(charge, map[string]any{"amount": 300_000, "externalTransactionId": "s1", "description": "despensa",
			"merchant": map[string]any{"name": "Soriana", "mcc": "5411"}}, nil), charge)
		odd := creditOf(t, h.post(charge, map[string]any{"amount": 1_000, "externalTransactionId": "s2", "merchant": map[string]any{"mcc": "0001"}}, nil), charge)
		creditOf(t, h.post(settlePath(ch.id, "refund"), map[string]any{"amount": 50_000}, nil), settlePath(ch.id, "refund"))
		creditOf(t, h.post(childPayPath(c.child), map[string]any{"amount": 21_000, "externalTransactionId": "p1"}, nil), childPayPath(c.child))

		// The transaction list shows a charge's merchant category.
		lines := numbers(t, h.do(request{method: "GET", path: transactionsPath(c.customer), token: h.composite}).raw)["payload"].(map[string]any)["transactions"].([]any)
		categories := map[int64]any{}
		for _, l := range lines {
			item := l.(map[string]any)
			categories[integer(t, "transactionId", item["transactionId"])] = item["merchantCategoryCode"]
		}
		if got, ok := categories[ch.id].(map[string]any); !ok || got["mcc"] != "5411" || got["description"] != "Grocery Stores, Supermarkets" {
			t.Errorf("the charge's merchantCategoryCode is %v", categories[ch.id])
		}
		if got, ok := categories[odd.id].(map[string]any); !ok || got["mcc"] != "0001" || got["description"] != "" {
			t.Errorf("an unknown code's merchantCategoryCode is %v", categories[odd.id])
		}
		if len(categories) != 4 {
			t.Errorf("the list has %d lines, want the 2 charges, the refund and the payment: %v", len(categories), lines)
		}
		for id, mcc := range categories {
			if id != ch.id && id != odd.id && mcc != nil {
				t.Errorf("transaction %d has merchantCategoryCode %v, want null", id, mcc)
			}
		}

		listPath := compositePath + "/parent/" + c.parentID + "/statements"
		list := func(query string) (items []map[string]any, next any) {
			t.Helper()
			p := payload(t, h.do(request{method: "GET", path: listPath + query, token: h.composite}), listPath)
			for _, it := range p["statements"].([]any) {
				items = append(items, it.(map[string]any))
			}
			return items, p["next_cursor"]
		}
		if items, next := list(""); len(items) != 0 || next != nil {
			t.Errorf("before any cut-off: %v %v", items, next)
		}

		// The cut-off: 00:00 of 10 December in Mexico City.
		clock.Set(time.Date(2026, 12, 10, 7, 0, 0, 0, time.UTC))
		if r, err := h.svc.BillingRun(ctx, clock.Now()); err != nil || r.Statements != 1 {
			t.Fatalf("billing run: %+v %v", r, err)
		}
		items, next := list("")
		if len(items) != 1 || next != nil {
			t.Fatalf("statements: %v next %v", items, next)
		}
		st := items[0]
		n := statementOf(t, numbers(t, h.do(request{method: "GET", path: listPath, token: h.composite}).raw)["payload"].(map[string]any)["statements"].([]any)[0].(map[string]any))
		want := map[string]int64{"id": n["id"], "opening_balance": 0, "charges": 301_000, "refunds": 50_000, "payments": 21_000,
			"closing_balance": 230_000, "total_due_payment": 230_000, "min_due_payment": 23_000}
		for k, v := range want {
			if n[k] != v {
				t.Errorf("statement %s = %d, want %d", k, n[k], v)
			}
		}
		if st["parent_id"] != c.parentID || st["period_start"] != "2026-11-10" || st["cutoff_date"] != "2026-12-10" || st["payment_due_date"] != "2026-12-20" {
			t.Errorf("statement dates: %v", st)
		}
		children := st["children"].([]any)
		if len(children) != 1 || children[0].(map[string]any)["closing_debt"] != 230_000.0 || children[0].(map[string]any)["cumulative_charges"] != 301_000.0 ||
			children[0].(map[string]any)["child_id"] != float64(c.child) || children[0].(map[string]any)["customer_id"] != float64(c.customer) {
			t.Errorf("statement children: %v", children)
		}
		txs := st["transactions"].([]any)
		if len(txs) != 4 {
			t.Fatalf("statement transactions: %v", txs)
		}
		first := txs[0].(map[string]any)
		merchant, _ := first["merchant"].(map[string]any)
		if first["transactionId"] != float64(ch.id) || first["child_id"] != float64(c.child) || first["transactionType"] != 6.0 ||
			first["amount"] != "-300000" || first["description"] != "despensa" || merchant["name"] != "Soriana" || merchant["mcc"] != "5411" ||
			!mexicoCityTimestamp.MatchString(fmt.Sprint(first["timestamp"])) {
			t.Errorf("the statement's first transaction: %v", first)
		}
		var types []float64
		for _, tx := range txs {
			types = append(types, tx.(map[string]any)["transactionType"].(float64))
		}
		if !slices.Equal(types, []float64{6, 6, 7, 8}) {
			t.Errorf("statement transaction types %v, want charge, charge, refund, payment", types)
		}
		one := fmt.Sprintf("%s/statements/%d", compositePath, n["id"])
		if got := payload(t, h.do(request{method: "GET", path: one, token: h.composite}), one); fmt.Sprint(got) != fmt.Sprint(st) {
			t.Errorf("statement read alone %v, listed %v", got, st)
		}

		parentPath := compositePath + "/parent/" + c.parentID
		parent := func() map[string]any {
			t.Helper()
			return payload(t, h.do(request{method: "GET", path: parentPath, token: h.composite}), parentPath)
		}
		if p := parent(); p["min_due_payment"] != 23_000.0 || p["total_due_payment"] != 230_000.0 || p["next_due_date"] != "2026-12-20" ||
			p["debt"] != 230_000.0 || p["held"] != 0.0 || p["status"] != 1.0 || p["status_string"] != "Active" {
			t.Errorf("the parent after its cut-off: %v", p)
		}

		// The day after the due date, unpaid: overdue, and its children cannot be charged.
		clock.Set(time.Date(2026, 12, 21, 7, 0, 0, 0, time.UTC))
		if r, err := h.svc.BillingRun(ctx, clock.Now()); err != nil || r.Overdue != 1 {
			t.Fatalf("billing run: %+v %v", r, err)
		}
		if p := parent(); p["status"] != 2.0 || p["status_string"] != "Overdue" {
			t.Errorf("the parent after its due date: %v", p)
		}
		refused(t, h.post(charge, map[string]any{"amount": 100, "externalTransactionId": "late"}, nil), charge, 409, 5006, "parent:overdue")
		// Paying the minimum restores it.
		pp := parentPayPath(c.parentID)
		creditOf(t, h.post(pp, map[string]any{"amount": 23_000, "externalTransactionId": "min"}, nil), pp)
		if p := parent(); p["status"] != 1.0 || p["status_string"] != "Active" || p["min_due_payment"] != 0.0 || p["total_due_payment"] != 207_000.0 {
			t.Errorf("the parent after its minimum was paid: %v", p)
		}
		creditOf(t, h.post(charge, map[string]any{"amount": 100, "externalTransactionId": "late"}, nil), charge)

		// A second cut-off, and paging newest first.
		clock.Set(time.Date(2027, 1, 10, 7, 0, 0, 0, time.UTC))
		if r, err := h.svc.BillingRun(ctx, clock.Now()); err != nil || r.Statements != 1 {
			t.Fatalf("billing run: %+v %v", r, err)
		}
		page1, next := list("?limit=1")
		if len(page1) != 1 || next == nil || page1[0]["cutoff_date"] != "2027-01-10" || page1[0]["opening_balance"] != 230_000.0 {
			t.Fatalf("first page: %v next %v", page1, next)
		}
		page2, last := list("?limit=1&cursor=" + next.(string))
		if len(page2) != 1 || last != nil || page2[0]["cutoff_date"] != "2026-12-10" {
			t.Errorf("second page: %v next %v", page2, last)
		}
		if again, _ := list("?limit=1&next_cursor=" + next.(string)); len(again) != 1 || again[0]["id"] != page2[0]["id"] {
			t.Errorf("next_cursor= pages as cursor= does: %v", again)
		}

		for _, q := range []struct{ query, hint string }{
			{"?limit=0", "limit:invalid"}, {"?limit=101", "limit:invalid"}, {"?cursor=abc", "cursor:invalid"},
			{"?cursor=" + next.(string) + "&next_cursor=x", "cursor:mismatch"},
		} {
			refused(t, h.do(request{method: "GET", path: listPath + q.query, token: h.composite}), listPath, 400, 5000, q.hint)
		}
		refused(t, h.do(request{method: "GET", path: listPath, token: h.plain}), listPath, 404, 5000, "incorrect parent_id")
		unknown := compositePath + "/parent/" + strings.Repeat("a", 32) + "/statements"
		refused(t, h.do(request{method: "GET", path: unknown, token: h.composite}), unknown, 404, 5000, "incorrect parent_id")
		for _, path := range []string{compositePath + "/statements/999999", compositePath + "/statements/x"} {
			refused(t, h.do(request{method: "GET", path: path, token: h.composite}), path, 404, 5000, "incorrect statement_id")
		}
		refused(t, h.do(request{method: "GET", path: one, token: h.plain}), one, 404, 5000, "incorrect statement_id")
		refused(t, h.do(request{method: "GET", path: one}), one, 401, 4401, "")

		// The feed has the statements and the overdue parent, as openapi.json describes them.
		// On SQLite only: on PostgreSQL the feed holds an event back while any transaction of
		// the server that began before it is open (docs/api.md, GET /events/v1), and the
		// server the tests share runs other transactions.
		if !strings.HasSuffix(t.Name(), "/sqlite") {
			return
		}
		seen := map[string]int{}
		for after := ""; ; {
			feed := payload(t, h.do(request{method: "GET", path: "/events/v1?limit=100" + after, token: h.composite}), "/events/v1")
			events := feed["events"].([]any)
			for _, e := range events {
				seen[e.(map[string]any)["type"].(string)]++
			}
			if len(events) < 100 {
				break
			}
			after = fmt.Sprintf("&after=%v", int64(feed["next_after"].(float64)))
		}
		if seen["statement.created"] != 2 || seen["composite_parent.overdue"] != 1 {
			t.Errorf("event types %v, want 2 statement.created and 1 composite_parent.overdue", seen)
		}
	})
}

// Concurrent charges over the wire never take a child past its credit limit: of 20 charges
// of a tenth of it each, racing, exactly 10 are posted and the others are 5001, never a 500.
func TestConcurrentChargesStayWithinTheCreditLimit(t *testing.T) {
	forEachEngineAt(t, creditStart, func(t *testing.T, h *harness, _ *saldo.ManualClock) {
		c := h.newCardholder(1, 100_000)
		charge := chargePath(c.child)
		statuses := make(chan int, 20)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				body := map[string]any{"amount": 10_000, "externalTransactionId": fmt.Sprintf("race-%d", i), "capture": i%2 == 0}
				a := h.post(charge, body, nil)
				if a.status != http.StatusOK {
					if code, _ := walletError(t, a, charge); a.status != http.StatusConflict || code != 5001 {
						t.Errorf("a racing charge: %d %s", a.status, a.raw)
					}
				}
				statuses <- a.status
			})
		}
		wg.Wait()
		close(statuses)
		ok := 0
		for s := range statuses {
			if s == http.StatusOK {
				ok++
			}
		}
		child := numbers(t, h.do(request{method: "GET", path: fmt.Sprintf("%s/child/%d", compositePath, c.child), token: h.composite}).raw)["payload"].(map[string]any)
		debt, held := integer(t, "debt", child["debt"]), integer(t, "held", child["held"])
		if ok != 10 || debt+held != 100_000 || integer(t, "available_credit", child["available_credit"]) != 0 {
			t.Errorf("%d charges posted, debt %d + held %d; want 10 and 100000", ok, debt, held)
		}
	})
}
