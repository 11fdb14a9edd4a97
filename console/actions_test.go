package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo"
)

// An admin's actions take effect through the service, as the API's would, and each is in the
// audit log.
func TestAdminActions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		w := h.world()
		b := h.browser()
		b.login("ana@example.com", h.operator("ana@example.com", saldo.OperatorAdmin))
		id := strconv.FormatInt(w.owner.Customer.ID, 10)
		customer := "/console/customers/" + id

		p := b.act(customer+"/status", url.Values{"status": {"blocked"}})
		if p.status != http.StatusSeeOther || p.location() != customer+"?done=blocked" {
			t.Fatalf("block: %d to %q: %s", p.status, p.location(), p.body)
		}
		if _, err := h.svc.AuthenticateCustomer(ctx, w.owner.Tokens.OAuthToken); saldo.ErrorCode(err) != saldo.EFORBIDDEN {
			t.Errorf("the blocked customer's token: err = %v, want forbidden", err)
		}
		if page := b.get(p.location()); !strings.Contains(page.body, "The customer is blocked") || !strings.Contains(page.body, `id="unblock"`) {
			t.Errorf("the page after blocking: %s", page.body)
		}
		if p := b.act(customer+"/status", url.Values{"status": {"active"}}); p.status != http.StatusSeeOther {
			t.Fatalf("unblock: %d", p.status)
		}
		if h.status(w) != saldo.AccountStatusActive {
			t.Error("unblocked customer is not active")
		}

		if p := b.act(customer+"/sessions/revoke", nil); p.status != http.StatusSeeOther {
			t.Fatalf("revoke: %d %s", p.status, p.body)
		}
		if live, _ := h.svc.CustomerSessions(ctx, w.partner, w.owner.Customer.ID); len(live) != 0 {
			t.Errorf("live sessions after revoking: %d", len(live))
		}
		if page := b.get(customer); !strings.Contains(page.body, "No live session.") {
			t.Error("the page still lists sessions")
		}

		p = b.act("/console/partners/"+strconv.FormatInt(w.partner.ID, 10)+"/rotate-token", nil)
		token := regexp.MustCompile(`ek_[0-9a-f]{64}`).FindString(p.body)
		if p.status != http.StatusOK || token == "" || p.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("rotate: %d, token %q, Cache-Control %q", p.status, token, p.header.Get("Cache-Control"))
		}
		if _, err := h.svc.AuthenticatePartner(ctx, w.token); saldo.ErrorCode(err) != saldo.EUNAUTHORIZED {
			t.Errorf("the old token after rotating: err = %v", err)
		}
		if _, err := h.svc.AuthenticatePartner(ctx, token); err != nil {
			t.Errorf("the token the page showed: %v", err)
		}
		if strings.Contains(b.get("/console/partners").body, token) {
			t.Error("the new token is shown again")
		}

		events, _ := h.svc.CustomerEvents(ctx, w.partner, w.owner.Customer.ID, 1)
		p = b.act("/console/webhooks/redeliver", url.Values{"partner": {strconv.FormatInt(w.partner.ID, 10)},
			"event": {strconv.FormatInt(events[0].ID, 10)}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("redeliver: %d %s", p.status, p.body)
		}
		if page := b.get(p.location()); !strings.Contains(page.body, "queued for delivery again") {
			t.Error("the webhooks page does not say the event was queued")
		}
		claimed, err := h.svc.ClaimDeliveries(ctx, 60e9, 10)
		if err != nil || len(claimed) != 1 || claimed[0].Event.ID != events[0].ID {
			t.Errorf("deliveries queued by the redelivery: %d, %v", len(claimed), err)
		}

		audit := b.get("/console/audit").body
		for _, action := range []string{"customer.blocked", "customer.unblocked", "customer.sessions_revoked",
			"partner.token_rotated", "webhook.redelivered"} {
			if !strings.Contains(audit, "<td>"+action+"</td>") {
				t.Errorf("the audit log lacks %s", action)
			}
		}
	})
}
