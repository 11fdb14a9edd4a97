package console

import (
	"html/template"
	"net/http"
	"strconv"

	"github.com/saldo-mx/saldo"
)

// customerPage is the data of a customer's page.
type customerPage struct {
	ID           int64
	Partner      *saldo.Partner
	Person       person
	Business     bool
	Level        int
	Status       int
	CreatedAt    string
	Sessions     []saldo.Token
	Wallet       saldo.Balance
	Transactions []saldo.TransactionLine
	TotalTxns    int
	Parent       *parentSection
	// Statements are the composite parent's latest statements, newest first.
	Statements []statementRow
	Events     []saldo.Event
	Notice     string
}

// statementRow is a statement as the page lists it.
type statementRow struct {
	Period  string
	Balance int64
	MinDue  int64
	DueDate string
}

// statementsShown bounds the statements the page lists: a year of them.
const statementsShown = 12

// parentSection is a composite parent and a picture of its children's use of its line.
type parentSection struct {
	View     *saldo.ParentView
	Children []saldo.CompositeChild
	More     bool
	Chart    template.HTML
}

// childrenShown bounds the children the chart draws.
const childrenShown = 50

// notices are the messages a redirect after an action may ask a page to show; only these,
// so that a link cannot make the console say anything else.
var notices = map[string]string{
	"blocked":   "The customer is blocked: its tokens are refused and no money moves.",
	"unblocked": "The customer is active again.",
	"revoked":   "The customer's sessions were revoked.",
}

func (c *Console) customer(w http.ResponseWriter, r *request) {
	id, err := pathID(r)
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	e, err := c.svc.CustomerPartner(r.Context(), id)
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	p, err := c.customerData(r, e, id)
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	p.Notice = notices[r.URL.Query().Get("done")]
	c.render(w, r.Request, r, http.StatusOK, "customer", p)
}

// customerData reads everything the page shows, through the API's service reads.
func (c *Console) customerData(r *request, e *saldo.Partner, id int64) (*customerPage, error) {
	ctx := r.Context()
	prof, err := c.svc.Customer(ctx, e, id)
	if err != nil {
		return nil, err
	}
	cu := &prof.Customer
	p := &customerPage{ID: id, Partner: e, Person: personOf(cu, !r.op.IsAdmin()), Business: cu.IsBusiness(),
		Level: cu.AccountLevel, Status: cu.AccountStatus, CreatedAt: instant(cu.CreatedAt), Wallet: prof.Wallet}
	if p.Sessions, err = c.svc.CustomerSessions(ctx, e, id); err != nil {
		return nil, err
	}
	txns, err := c.svc.Transactions(ctx, e, id, saldo.TransactionQuery{Limit: 20})
	if err != nil {
		return nil, err
	}
	p.Transactions, p.TotalTxns = txns.Lines, txns.Total
	if prof.Parent != nil {
		if p.Parent, err = c.parentData(r, e, prof.Parent.ID); err != nil {
			return nil, err
		}
		if p.Statements, err = c.statements(r, e, prof.Parent.ID); err != nil {
			return nil, err
		}
	}
	if p.Events, err = c.svc.CustomerEvents(ctx, e, id, 20); err != nil {
		return nil, err
	}
	return p, nil
}

// parentData reads a parent and draws each child's line and debt against the parent's line.
func (c *Console) parentData(r *request, e *saldo.Partner, parentID string) (*parentSection, error) {
	view, err := c.svc.CompositeParent(r.Context(), e, parentID)
	if err != nil {
		return nil, err
	}
	children, next, err := c.svc.CompositeChildren(r.Context(), e, parentID, 0, childrenShown)
	if err != nil {
		return nil, err
	}
	rows := []barRow{{Label: "parent line", Outline: view.Parent.CreditLine,
		Caption:  money(view.Parent.Allocated) + " of " + money(view.Parent.CreditLine),
		Segments: []segment{{Class: "s2", Value: view.Parent.Allocated, Title: "allocated " + money(view.Parent.Allocated)}}}}
	for _, ch := range children {
		rows = append(rows, barRow{Label: "child " + strconv.FormatInt(ch.ID, 10), Outline: ch.CreditLine,
			Caption:  money(ch.Debt) + " used of " + money(ch.CreditLine),
			Segments: []segment{{Class: "bad", Value: ch.Debt, Title: "used " + money(ch.Debt)}}})
	}
	return &parentSection{View: view, Children: children, More: next > 0,
		Chart: barChart("Each child's use of the parent's credit line", rows)}, nil
}

// statements lists a parent's latest statements through the API's service read.
func (c *Console) statements(r *request, e *saldo.Partner, parentID string) ([]statementRow, error) {
	list, _, err := c.svc.Statements(r.Context(), e, parentID, 0, statementsShown)
	if err != nil {
		return nil, err
	}
	rows := make([]statementRow, len(list))
	for i, st := range list {
		rows[i] = statementRow{Period: st.PeriodStart + " to " + st.CutoffDate, Balance: st.ClosingBalance,
			MinDue: st.MinDue, DueDate: st.PaymentDueDate}
	}
	return rows, nil
}

// setStatus blocks or unblocks a customer through the API's SetCustomerStatus.
func (c *Console) setStatus(w http.ResponseWriter, r *request) {
	id, err := pathID(r)
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	status, done := saldo.AccountStatusBlocked, "blocked"
	switch r.PostFormValue("status") {
	case "blocked":
	case "active":
		status, done = saldo.AccountStatusActive, "unblocked"
	default:
		c.fail(w, r.Request, r, http.StatusBadRequest, "The status must be blocked or active; the console does not close accounts.")
		return
	}
	target := "customer " + strconv.FormatInt(id, 10)
	e, err := c.svc.CustomerPartner(r.Context(), id)
	if err == nil {
		_, err = c.svc.SetCustomerStatus(r.Context(), e, saldo.StatusChange{CustomerID: id, Status: status,
			Reason: "operator console"}, nil)
	}
	c.audit(r, "customer."+done, target, err)
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	http.Redirect(w, r.Request, "/console/customers/"+strconv.FormatInt(id, 10)+"?done="+done, http.StatusSeeOther)
}

// revokeSessions revokes a customer's oauth and refresh tokens.
func (c *Console) revokeSessions(w http.ResponseWriter, r *request) {
	id, err := pathID(r)
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	e, err := c.svc.CustomerPartner(r.Context(), id)
	if err == nil {
		_, err = c.svc.RevokeCustomerSessions(r.Context(), e, id)
	}
	c.audit(r, "customer.sessions_revoked", "customer "+strconv.FormatInt(id, 10), err)
	if err != nil {
		c.serviceError(w, r.Request, r, err)
		return
	}
	http.Redirect(w, r.Request, "/console/customers/"+strconv.FormatInt(id, 10)+"?done=revoked", http.StatusSeeOther)
}
