package saldo

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// Each payload names its type and subject, and its JSON has the field names partners read.
func TestEventPayloadsNameTheirTypeSubjectAndFields(t *testing.T) {
	e := &Partner{ID: 7}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		payload      EventPayload
		typ, subject string
		fields       []string
	}{
		{CustomerCreated{CustomerID: 3, AccountLevel: 1, WalletID: 9}, "customer.created", "3",
			[]string{"account_level", "customer_id", "wallet_id"}},
		{CompositeParentCreated{ParentID: "p1", CustomerID: 3, BalanceID: 10, CreditLine: 500}, "composite_parent.created", "p1",
			[]string{"balance_id", "credit_line", "customer_id", "parent_id"}},
		{CompositeChildCreated{ChildID: 11, ParentID: "p1", CustomerID: 3, CreditLine: 100}, "composite_child.created", "11",
			[]string{"child_id", "credit_line", "customer_id", "parent_id"}},
		{ChildCreditLineUpdated{ChildID: 11, ParentID: "p1", PreviousCreditLine: 100, CreditLine: 200}, "composite_child.credit_line_updated", "11",
			[]string{"child_id", "credit_line", "parent_id", "previous_credit_line"}},
		{TokenReuseDetected{CustomerID: 3, TokenID: 4, RevokedTokenIDs: []int64{5, 6}}, "token.reuse_detected", "3",
			[]string{"customer_id", "revoked_token_ids", "token_id"}},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			ev := newEvent(e, now, tt.payload)
			if ev.Type != tt.typ || ev.SubjectID != tt.subject || ev.PartnerID != 7 || !ev.CreatedAt.Equal(now) {
				t.Errorf("event = %+v, want type %s, subject %s", ev, tt.typ, tt.subject)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(ev.Payload, &fields); err != nil {
				t.Fatal(err)
			}
			var names []string
			for name := range fields {
				names = append(names, name)
			}
			if slices.Sort(names); !slices.Equal(names, tt.fields) {
				t.Errorf("payload fields %v, want %v", names, tt.fields)
			}
		})
	}
}
