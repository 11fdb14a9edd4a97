package http

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/saldo-mx/saldo"
)

// The customer's lifecycle: updates, block, unblock and close, search.

// customerUpdate is PATCH /user/v1/account/{customer_id} as the service takes it: the path's
// customer and the create's fields, absent or empty where unchanged.
type customerUpdate struct {
	customerID int64
	fields     saldo.CreateCustomerRequest
}

// customerID reads the {customer_id} path value; what is not a positive integer is an unknown
// customer.
func customerID(r *http.Request) (int64, error) {
	id, ok := parseID(r.PathValue("customer_id"))
	if !ok {
		return 0, saldo.Errorf(saldo.ENOTFOUND, "customer_id:not_found")
	}
	return id, nil
}

// updateAccount is PATCH /user/v1/account/{customer_id}.
func (s *Server) updateAccount() writeRoute[customerUpdate, *saldo.CustomerProfile] {
	return writeRoute[customerUpdate, *saldo.CustomerProfile]{
		decode: decodeCustomerUpdate,
		call: func(ctx context.Context, e *saldo.Partner, u customerUpdate, idem *saldo.Idempotency[*saldo.CustomerProfile]) (*saldo.CustomerProfile, error) {
			return s.svc.UpdateCustomer(ctx, e, u.customerID, u.fields, idem)
		},
		render: renderProfileOf,
	}
}

func renderProfileOf(e *saldo.Partner, p *saldo.CustomerProfile) any { return renderProfile(e, p) }

// decodeCustomerUpdate reads the path's customer and the create's fields, in any content
// type the create takes. The composite balance parent is the create's only: a credit line
// sent here is refused rather than dropped without a word, except 0, which partner code sends
// by default with every form and which asks for nothing.
func decodeCustomerUpdate(r *http.Request) (customerUpdate, error) {
	id, err := customerID(r)
	if err != nil {
		return customerUpdate{}, err
	}
	fields, err := decodeCreateCustomer(r)
	if err != nil {
		return customerUpdate{}, err
	}
	if line := strings.TrimSpace(fields.CompositeCreditLine); line != "" && line != "0" {
		return customerUpdate{}, saldo.Errorf(saldo.EINVALID, "composite_balance:not_allowed")
	}
	return customerUpdate{customerID: id, fields: fields}, nil
}

// statusFields are the body of POST /user/v1/account/{customer_id}/status.
var statusFields = []bodyField{{"status", fieldStringOrInteger}, {"reason", fieldString}}

// setAccountStatus is POST /user/v1/account/{customer_id}/status.
func (s *Server) setAccountStatus() writeRoute[saldo.StatusChange, *saldo.CustomerProfile] {
	return writeRoute[saldo.StatusChange, *saldo.CustomerProfile]{
		decode: decodeStatusChange,
		call:   s.svc.SetCustomerStatus,
		render: renderProfileOf,
	}
}

// decodeStatusChange reads the path's customer, status and reason. A status that is no
// integer is refused here; its range and the reason's length are the service's rules.
func decodeStatusChange(r *http.Request) (saldo.StatusChange, error) {
	id, err := customerID(r)
	if err != nil {
		return saldo.StatusChange{}, err
	}
	f, err := decodeFields(r, statusFields)
	if err != nil {
		return saldo.StatusChange{}, err
	}
	var h saldo.Hints
	status := parseInt(&h, "status", f["status"], true)
	if status < 0 || status > 1<<31-1 {
		// Out of any status's range, and of int's on every platform: invalid as it stands.
		status = 0
	}
	c := saldo.StatusChange{CustomerID: id, Status: int(status), Reason: strings.TrimSpace(f["reason"])}
	return c, h.Err(saldo.EINVALID)
}

// customersJSON is GET /user/v1/accounts's answer.
type customersJSON struct {
	Customers  []profileJSON `json:"customers"`
	NextCursor *string       `json:"next_cursor"`
}

// customerQuery reads GET /user/v1/accounts's query, naming every parameter that fails at
// once (5000). Empty parameters are absent.
func customerQuery(q url.Values) (saldo.CustomerQuery, error) {
	var h saldo.Hints
	query := saldo.CustomerQuery{Limit: saldo.DefaultChildrenLimit}
	integer := func(name string, lo, hi int) int {
		text := q.Get(name)
		if text == "" {
			return 0
		}
		n, err := strconv.Atoi(text)
		if err != nil || n < lo || n > hi {
			h.Add(name, "invalid")
			return 0
		}
		return n
	}
	query.AfterID, query.Limit = pageParams(q, customerCursor, &h)
	query.Email = strings.TrimSpace(q.Get("email"))
	query.Mobile = strings.TrimSpace(q.Get("mobile"))
	if m := query.Mobile; m != "" && (len(m) != 10 || strings.ContainsFunc(m, func(c rune) bool { return c < '0' || c > '9' })) {
		h.Add("mobile", "invalid")
	}
	query.RFC, query.CURP = strings.TrimSpace(q.Get("rfc")), strings.TrimSpace(q.Get("curp"))
	query.Status = integer("status", saldo.AccountStatusActive, saldo.AccountStatusClosed)
	query.Level = integer("account_level", 1, 4)
	from, to, dayHints := saldo.DayRange(q.Get("created_from"), q.Get("created_to"))
	for _, hint := range dayHints {
		h = append(h, "created_"+hint) // DayRange names them from and to
	}
	query.From, query.To = from, to
	if len(dayHints) == 0 && !from.IsZero() && !to.IsZero() && !to.After(from) {
		h.Add("created_to", "before_created_from")
	}
	return query, h.Err(saldo.EINVALID)
}

// searchAccounts is GET /user/v1/accounts: a page of the partner's customers, by id, that
// match every filter given.
func (s *Server) searchAccounts(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticate(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	query, err := customerQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	profiles, next, err := s.svc.SearchCustomers(r.Context(), e, query)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := customersJSON{Customers: make([]profileJSON, 0, len(profiles))}
	for i := range profiles {
		out.Customers = append(out.Customers, renderProfile(e, &profiles[i]))
	}
	if next != 0 {
		cursor := encodeCursor(customerCursor, next)
		out.NextCursor = &cursor
	}
	s.ok(w, r, out)
}
