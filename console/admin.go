package console

import (
	"net/http"
	"strconv"

	"github.com/saldo-mx/saldo"
)

// partnersPage is the data of the partners page; NewToken is shown once, in the answer to
// the rotation, and nowhere else.
type partnersPage struct {
	Partners  []*saldo.Partner
	NewToken  string
	RotatedID int64
}

func (c *Console) partners(w http.ResponseWriter, r *request) {
	c.showPartners(w, r, partnersPage{})
}

func (c *Console) showPartners(w http.ResponseWriter, r *request, p partnersPage) {
	list, err := c.svc.Partners(r.Context())
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	p.Partners = list
	c.render(w, r.Request, r, http.StatusOK, "partners", p)
}

// rotateToken replaces a partner's token through the CLI's RotatePartnerToken and shows the
// new one this once: the answer is the page itself (no redirect), never cached.
func (c *Console) rotateToken(w http.ResponseWriter, r *request) {
	id, err := pathID(r)
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	token, err := c.svc.RotatePartnerToken(r.Context(), id)
	c.audit(r, "partner.token_rotated", "partner "+strconv.FormatInt(id, 10), err)
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	c.showPartners(w, r, partnersPage{NewToken: token, RotatedID: id})
}

// endpointSection is a partner's webhook endpoint with its latest attempts.
type endpointSection struct {
	Partner  string
	Endpoint saldo.WebhookEndpoint
	Attempts []saldo.WebhookAttempt
}

// webhooksPage is the data of the webhooks page.
type webhooksPage struct {
	Partner   int64
	Partners  []*saldo.Partner
	Endpoints []endpointSection
	Notice    string
}

// attemptsShown is how many of an endpoint's latest attempts the page lists.
const attemptsShown = 10

func (c *Console) webhooks(w http.ResponseWriter, r *request) {
	p := webhooksPage{}
	p.Partner, _ = strconv.ParseInt(r.URL.Query().Get("partner"), 10, 64)
	if r.URL.Query().Get("done") == "redelivered" {
		p.Notice = "The event is queued for delivery again to every endpoint that wants it."
	}
	c.showWebhooks(w, r, http.StatusOK, p)
}

func (c *Console) showWebhooks(w http.ResponseWriter, r *request, status int, p webhooksPage) {
	ctx := r.Context()
	partners, err := c.svc.Partners(ctx)
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	p.Partners = partners
	names := partnerNames(partners)
	for _, e := range partners {
		if p.Partner != 0 && e.ID != p.Partner {
			continue
		}
		endpoints, err := c.svc.WebhookEndpoints(ctx, e)
		if err != nil {
			c.serviceError(w, r.Request, r, err)
			return
		}
		for _, ep := range endpoints {
			attempts, _, err := c.svc.WebhookAttempts(ctx, e, ep.ID, 0, attemptsShown)
			if err != nil {
				c.serviceError(w, r.Request, r, err)
				return
			}
			p.Endpoints = append(p.Endpoints, endpointSection{Partner: names[e.ID], Endpoint: ep, Attempts: attempts})
		}
	}
	c.render(w, r.Request, r, status, "webhooks", p)
}

// redeliver queues an event again through the API's RedeliverEvent.
func (c *Console) redeliver(w http.ResponseWriter, r *request) {
	partnerID, _ := strconv.ParseInt(r.PostFormValue("partner"), 10, 64)
	eventID, _ := strconv.ParseInt(r.PostFormValue("event"), 10, 64)
	target := "partner " + strconv.FormatInt(partnerID, 10) + " event " + strconv.FormatInt(eventID, 10)
	var e *saldo.Partner
	partners, err := c.svc.Partners(r.Context())
	for _, p := range partners {
		if p.ID == partnerID {
			e = p
		}
	}
	if err == nil && e == nil {
		err = saldo.Errorf(saldo.ENOTFOUND, "partner:not_found")
	}
	if err == nil {
		_, err = c.svc.RedeliverEvent(r.Context(), e, eventID, nil)
	}
	c.audit(r, "webhook.redelivered", target, err)
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	http.Redirect(w, r.Request, "/console/webhooks?partner="+strconv.FormatInt(partnerID, 10)+"&done=redelivered", http.StatusSeeOther)
}

// auditPage is the data of the audit log.
type auditPage struct {
	Entries []saldo.AuditEntry
	Next    int64 // the id to continue before, 0 on the last page
}

// auditShown is how many entries a page of the audit log lists.
const auditShown = 50

func (c *Console) auditLog(w http.ResponseWriter, r *request) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	entries, err := c.svc.AuditLog(r.Context(), before, auditShown+1)
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	p := auditPage{Entries: entries}
	if len(entries) > auditShown {
		p.Entries = entries[:auditShown]
		p.Next = p.Entries[auditShown-1].ID
	}
	c.render(w, r.Request, r, http.StatusOK, "audit", p)
}
