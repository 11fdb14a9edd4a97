package http_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/saldo-mx/saldo/internal/testdb"
)

func TestIdempotencyKeyReplaysTheFirstAnswer(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		body, _ := json.Marshal(createJSON(1))
		send := func(key string, body []byte) answer {
			return h.do(request{path: "/user/v1/account/create", token: h.composite, contentType: "application/json",
				body: bytes.NewReader(body), header: map[string]string{"Idempotency-Key": key}})
		}
		first := send("order-1", body)
		if first.status != 200 || first.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("first: %d, replayed %q: %s", first.status, first.header.Get("Idempotent-Replayed"), first.raw)
		}
		again := send("order-1", body)
		if again.status != 200 || again.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.raw, first.raw) {
			t.Errorf("retry: %d, replayed %q, same body %v", again.status, again.header.Get("Idempotent-Replayed"), bytes.Equal(again.raw, first.raw))
		}

		other, _ := json.Marshal(createJSON(2))
		reused := send("order-1", other)
		if code, hints := errorOf(t, reused); reused.status != 422 || code != 4422 || !strings.Contains(strings.Join(hints, " "), "idempotency_key:reused") {
			t.Errorf("same key, other body: %d %v %v", reused.status, code, hints)
		}
		for _, key := range []string{strings.Repeat("k", 256), "tab\there", "ñ"} {
			bad := send(key, other)
			if code, _ := errorOf(t, bad); bad.status != 400 || code != 4400 {
				t.Errorf("key %q: %d %v, want 400 4400", key, bad.status, code)
			}
		}
		if n := len(testdb.Rows(t, h.store, "customers")); n != 1 {
			t.Errorf("%d customers, want 1", n)
		}
	})
}

func TestIdempotentChildIsCreatedOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		rs := h.create(1).body["rs"].(map[string]any)
		parentID := rs["composite_balance"].(map[string]any)["parent"].(map[string]any)["id"].(string)
		body := fmt.Sprintf(`{"parent_id": %q, "credit_line": 6000000}`, parentID)
		const path = "/wallet/v1/composite-balance/child"
		var answers []answer
		for range 2 {
			answers = append(answers, h.do(request{path: path, token: h.composite, body: strings.NewReader(body),
				header: map[string]string{"Idempotency-Key": "child-1"}}))
		}
		if answers[0].status != 200 || answers[1].status != 200 || !bytes.Equal(answers[0].raw, answers[1].raw) ||
			answers[1].header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("answers %d %s / %d %s", answers[0].status, answers[0].raw, answers[1].status, answers[1].raw)
		}
		// Without the key the second would have taken 6,000,000 more than the 10,000,000 line allows.
		parent := payload(t, h.do(request{method: "GET", path: "/wallet/v1/composite-balance/parent/" + parentID, token: h.composite}),
			"/wallet/v1/composite-balance/parent/"+parentID)
		if parent["children"] != 1.0 || parent["available_credit"] != 4000000.0 {
			t.Errorf("parent after the retry: %v", parent)
		}
		// A refusal the request itself decided is kept too: the same key answers the same 5001,
		// byte for byte, even once credit is free.
		over := fmt.Sprintf(`{"parent_id": %q, "credit_line": 5000000}`, parentID)
		first := h.do(request{path: path, token: h.composite, body: strings.NewReader(over), header: map[string]string{"Idempotency-Key": "child-2"}})
		if code, _ := walletError(t, first, path); first.status != 409 || code != 5001 {
			t.Fatalf("over the parent's credit: %d %v", first.status, code)
		}
		childID := answers[0].body["payload"].(map[string]any)["id"].(float64)
		lowerPath := fmt.Sprintf("%s/%d/update-credit-line", path, int64(childID))
		payload(t, h.do(request{method: "PUT", path: lowerPath, token: h.composite, body: strings.NewReader(`{"credit_line": 1000000}`)}), lowerPath)
		replay := h.do(request{path: path, token: h.composite, body: strings.NewReader(over), header: map[string]string{"Idempotency-Key": "child-2"}})
		if replay.status != 409 || replay.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(replay.raw, first.raw) {
			t.Errorf("retry of the refusal with credit free: %d, replayed %q, same bytes %v", replay.status, replay.header.Get("Idempotent-Replayed"), bytes.Equal(replay.raw, first.raw))
		}
	})
}

// Sixteen identical requests at once with one key: one customer, and every answer is the
// created customer (first or replayed) or 409 idempotency_key:in_flight.
func TestConcurrentRetriesOverHTTP(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		body, _ := json.Marshal(createJSON(1))
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			answers []answer
			start   = make(chan struct{})
		)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				a := h.do(request{path: "/user/v1/account/create", token: h.composite, contentType: "application/json",
					body: bytes.NewReader(body), header: map[string]string{"Idempotency-Key": "burst"}})
				mu.Lock()
				answers = append(answers, a)
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		var ids []any
		for _, a := range answers {
			switch a.status {
			case 200:
				ids = append(ids, a.body["rs"].(map[string]any)["id"])
			case 409:
				if _, hints := errorOf(t, a); !strings.Contains(strings.Join(hints, " "), "idempotency_key:in_flight") {
					t.Errorf("409 without in_flight: %s", a.raw)
				}
			default:
				t.Errorf("answer %d: %s", a.status, a.raw)
			}
		}
		for _, id := range ids {
			if id != ids[0] {
				t.Errorf("answers name customers %v", ids)
				break
			}
		}
		if n := len(testdb.Rows(t, h.store, "customers")); n != 1 || len(ids) == 0 {
			t.Errorf("%d customers, %d successful answers; want 1 customer", n, len(ids))
		}
	})
}

// A partner that retries a rotation whose answer it never saw must get the same tokens back:
// without the key, presenting the rotated refresh token again would be a reuse and end the
// customer's session.
func TestRetriedRotationReplaysInsteadOfDetectingReuse(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		rs := h.create(1).body["rs"].(map[string]any)
		body := fmt.Sprintf(`{"customer_refresh_token": %q, "device_id": "phone"}`, rs["refresh_token"])
		const path = "/oauth/v1/get-customer-connection-token"
		rotate := func() answer {
			return h.do(request{path: path, token: h.composite, body: strings.NewReader(body), header: map[string]string{"Idempotency-Key": "rotate-1"}})
		}
		first, retry := rotate(), rotate()
		if first.status != 200 || retry.status != 200 || !bytes.Equal(first.raw, retry.raw) || retry.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("first %d %s, retry %d %s", first.status, first.raw, retry.status, retry.raw)
		}
		newRefresh := first.body["response"].(map[string]any)["customer_refresh_token"]
		refreshed := h.do(request{path: "/oauth/v1/refresh-customer-token", token: h.composite,
			body: strings.NewReader(fmt.Sprintf(`{"customer_refresh_token": %q, "device_id": "phone"}`, newRefresh))})
		if refreshed.status != 200 {
			t.Errorf("the rotated-to refresh token after the retry: %d %s", refreshed.status, refreshed.raw)
		}
		for _, row := range testdb.Rows(t, h.store, "events") {
			if strings.Contains(fmt.Sprint(row), "token.reuse_detected") {
				t.Error("the retry was taken for a reuse")
			}
		}
		// Without the key, the same presentation is a reuse.
		reuse := h.do(request{path: path, token: h.composite, body: strings.NewReader(body)})
		if reuse.status != 401 {
			t.Errorf("the rotated token again without the key: %d, want 401", reuse.status)
		}
	})
}
