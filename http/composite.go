package http

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/saldo-mx/saldo"
)

type parentJSON struct {
	ID              string `json:"id"`
	BalanceID       int64  `json:"balance_id"`
	CustomerID      int64  `json:"customer_id"`
	CreditLine      int64  `json:"credit_line"`
	CreditLimit     int64  `json:"credit_limit"`
	AvailableCredit int64  `json:"available_credit"`
	Children        int    `json:"children"`
	Debt            int64  `json:"debt"`
	Held            int64  `json:"held"`
	MinDuePayment   int64  `json:"min_due_payment"`
	TotalDuePayment int64  `json:"total_due_payment"`
	NextBillingDate string `json:"next_billing_date"`
	NextDueDate     string `json:"next_due_date"`
	Status          int    `json:"status"`
	StatusString    string `json:"status_string"`
}

type childJSON struct {
	ID              int64  `json:"id"`
	ParentID        string `json:"parent_id"`
	CustomerID      int64  `json:"customer_id"`
	CreditLine      int64  `json:"credit_line"`
	CreditLimit     int64  `json:"credit_limit"`
	AvailableCredit int64  `json:"available_credit"`
	Debt            int64  `json:"debt"`
	Held            int64  `json:"held"`
	Status          int    `json:"status"`
}

type parentCreditJSON struct {
	ID              string `json:"id"`
	AvailableCredit int64  `json:"available_credit"`
}

// updatedChildJSON is the child after a credit line change, with what its parent has left.
type updatedChildJSON struct {
	childJSON
	Parent parentCreditJSON `json:"parent"`
}

var (
	createChildFields = []bodyField{{"parent_id", fieldString}, {"credit_line", fieldInteger}, {"customer_id", fieldInteger}}
	creditLineFields  = []bodyField{{"credit_line", fieldInteger}}
)

// parentStatusStrings are a parent's status_string values.
var parentStatusStrings = map[int]string{saldo.ParentActive: "Active", saldo.ParentOverdue: "Overdue"}

// newChildJSON shows child c whose credit limit (line + the partner's overlimit) is
// creditLimit: what it can still be charged is that limit less its debt and holds.
func newChildJSON(c *saldo.CompositeChild, creditLimit int64) childJSON {
	v := saldo.ChildView{Child: *c, CreditLimit: creditLimit}
	return childJSON{ID: c.ID, ParentID: c.ParentID, CustomerID: c.CustomerID, CreditLine: c.CreditLine,
		CreditLimit: creditLimit, AvailableCredit: v.AvailableCredit(), Debt: c.Debt, Held: c.Held, Status: c.Status}
}

// getParent is GET /wallet/v1/composite-balance/parent/{parent_id}.
func (s *Server) getParent(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticate(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.svc.CompositeParent(r.Context(), e, r.PathValue("parent_id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &v.Parent
	s.ok(w, r, parentJSON{
		ID: p.ID, BalanceID: p.BalanceID, CustomerID: p.CustomerID, CreditLine: p.CreditLine, CreditLimit: v.CreditLimit,
		AvailableCredit: p.AvailableCredit(), Children: v.Children, Debt: v.Debt, Held: v.Held,
		MinDuePayment: p.DueMin, TotalDuePayment: p.DueTotal,
		NextBillingDate: v.NextBillingDate.Format("2006-01-02"), NextDueDate: v.NextDueDate.Format("2006-01-02"),
		Status: p.Status, StatusString: parentStatusStrings[p.Status],
	})
}

// createChild is POST /wallet/v1/composite-balance/child.
func (s *Server) createChild() writeRoute[saldo.NewChild, *saldo.ChildView] {
	return writeRoute[saldo.NewChild, *saldo.ChildView]{
		decode: decodeNewChild,
		call:   s.svc.CreateChild,
		render: func(_ *saldo.Partner, v *saldo.ChildView) any { return newChildJSON(&v.Child, v.CreditLimit) },
	}
}

func decodeNewChild(r *http.Request) (saldo.NewChild, error) {
	f, err := decodeFields(r, createChildFields)
	if err != nil {
		return saldo.NewChild{}, err
	}
	var h saldo.Hints
	n := saldo.NewChild{ParentID: strings.TrimSpace(f["parent_id"])}
	if n.ParentID == "" {
		h.Add("parent_id", "required")
	}
	n.CreditLine = parseInt(&h, "credit_line", f["credit_line"], true)
	n.CustomerID = parseInt(&h, "customer_id", f["customer_id"], false)
	return n, h.Err(saldo.EINVALID)
}

// parseInt reads a decimal integer field, recording why it is unusable.
func parseInt(h *saldo.Hints, field, text string, required bool) int64 {
	// Trimmed, as every text field is: " 500 " in a form is 500.
	text = strings.TrimSpace(text)
	if text == "" {
		if required {
			h.Add(field, "required")
		}
		return 0
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		h.Add(field, "invalid")
	}
	return n
}

// childID reads the {child_id} path value; what is not a positive integer is an unknown child.
func childID(r *http.Request) (int64, error) {
	id, ok := parseID(r.PathValue("child_id"))
	if !ok {
		return 0, saldo.Errorf(saldo.ENOTFOUND, "child_id:not_found")
	}
	return id, nil
}

// updateChildCreditLine is PUT /wallet/v1/composite-balance/child/{child_id}/update-credit-line.
func (s *Server) updateChildCreditLine() writeRoute[saldo.CreditLineUpdate, *saldo.ChildView] {
	return writeRoute[saldo.CreditLineUpdate, *saldo.ChildView]{
		decode: decodeCreditLineUpdate,
		call:   s.svc.UpdateChildCreditLine,
		render: func(_ *saldo.Partner, v *saldo.ChildView) any {
			return updatedChildJSON{
				childJSON: newChildJSON(&v.Child, v.CreditLimit),
				Parent:    parentCreditJSON{ID: v.Parent.ID, AvailableCredit: v.Parent.AvailableCredit()},
			}
		},
	}
}

func decodeCreditLineUpdate(r *http.Request) (saldo.CreditLineUpdate, error) {
	id, err := childID(r)
	if err != nil {
		return saldo.CreditLineUpdate{}, err
	}
	f, err := decodeFields(r, creditLineFields)
	if err != nil {
		return saldo.CreditLineUpdate{}, err
	}
	var h saldo.Hints
	creditLine := parseInt(&h, "credit_line", f["credit_line"], true)
	return saldo.CreditLineUpdate{ChildID: id, CreditLine: creditLine}, h.Err(saldo.EINVALID)
}

// getChild is GET /wallet/v1/composite-balance/child/{child_id}.
func (s *Server) getChild(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticate(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := childID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.svc.CompositeChild(r.Context(), e, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.ok(w, r, newChildJSON(&v.Child, v.CreditLimit))
}

type childrenJSON struct {
	Children   []childJSON `json:"children"`
	NextCursor *string     `json:"next_cursor"`
}

// cursorKind names what a cursor pages through, so that one list's cursor is no other's.
type cursorKind string

const (
	childCursor    cursorKind = "child"
	customerCursor cursorKind = "customer"
)

// Cursors are opaque to partners: the id of the last item of a page and the kind of list,
// encoded so that nobody builds on their form.
func encodeCursor(kind cursorKind, afterID int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(string(kind) + ":" + strconv.FormatInt(afterID, 10)))
}

// pageParams reads a cursor-paged list's limit (1 to 100, default 20) and its cursor of kind
// (cursor=, or next_cursor=), recording in h why either is unusable.
func pageParams(q url.Values, kind cursorKind, h *saldo.Hints) (id int64, limit int) {
	limit = saldo.DefaultChildrenLimit
	if text := q.Get("limit"); text != "" {
		n, err := strconv.Atoi(text)
		if err != nil || n < 1 || n > saldo.MaxChildrenLimit {
			h.Add("limit", "invalid")
		}
		limit = n
	}
	if cursor, ok := listCursor(q); !ok {
		h.Add("cursor", "mismatch")
	} else if cursor != "" {
		if id, ok = decodeCursor(kind, cursor); !ok {
			h.Add("cursor", "invalid")
		}
	}
	return id, limit
}

func decodeCursor(kind cursorKind, cursor string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, false
	}
	digits, ok := strings.CutPrefix(string(b), string(kind)+":")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	return id, err == nil && id > 0
}

// listCursor is the cursor a list continues after: the cursor query parameter, or
// next_cursor, the name the cursor has in the answer, which partners naturally send back. Both
// are one parameter: sent with different values, they are refused (ok false) rather than
// one of them chosen.
func listCursor(q url.Values) (cursor string, ok bool) {
	cursor, alias := q.Get("cursor"), q.Get("next_cursor")
	switch {
	case cursor == "":
		return alias, true
	case alias != "" && alias != cursor:
		return "", false
	}
	return cursor, true
}

// listChildren is GET /wallet/v1/composite-balance/parent/{parent_id}/children?limit=&cursor=
// (or next_cursor=).
func (s *Server) listChildren(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticate(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var h saldo.Hints
	afterID, limit := pageParams(r.URL.Query(), childCursor, &h)
	if err := h.Err(saldo.EINVALID); err != nil {
		s.fail(w, r, err)
		return
	}
	children, next, err := s.svc.CompositeChildren(r.Context(), e, r.PathValue("parent_id"), afterID, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := childrenJSON{Children: make([]childJSON, 0, len(children))}
	for i := range children {
		out.Children = append(out.Children, newChildJSON(&children[i], children[i].CreditLine+e.Overlimit))
	}
	if next != 0 {
		cursor := encodeCursor(childCursor, next)
		out.NextCursor = &cursor
	}
	s.ok(w, r, out)
}
