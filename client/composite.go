package client

import (
	"context"
	"iter"
	"net/http"
)

// CompositeParent is a composite balance parent as GET
// /wallet/v1/composite-balance/parent/{parent_id} answers it. Amounts are in cents.
type CompositeParent struct {
	// ID is 32 lowercase hex characters.
	ID         string `json:"id"`
	BalanceID  int64  `json:"balance_id"`
	CustomerID int64  `json:"customer_id"`
	CreditLine int64  `json:"credit_line"`
	// CreditLimit is CreditLine plus the partner's overlimit.
	CreditLimit int64 `json:"credit_limit"`
	// AvailableCredit is CreditLine less the children's credit lines.
	AvailableCredit int64 `json:"available_credit"`
	// Children is how many children the parent has.
	Children int `json:"children"`
	// Debt and Held are the sums of its children's.
	Debt int64 `json:"debt"`
	Held int64 `json:"held"`
	// MinDuePayment and TotalDuePayment are what remains due of the latest statement after
	// the payments since its cut-off; 0 before the first statement.
	MinDuePayment   int64 `json:"min_due_payment"`
	TotalDuePayment int64 `json:"total_due_payment"`
	// NextBillingDate and NextDueDate are YYYY-MM-DD, in Mexico City. NextDueDate is the
	// latest statement's due date while something of it remains due.
	NextBillingDate string `json:"next_billing_date"`
	NextDueDate     string `json:"next_due_date"`
	// Status is ParentActive or ParentOverdue; StatusString "Active" or "Overdue".
	Status       int    `json:"status"`
	StatusString string `json:"status_string"`
}

// CompositeChild is a child balance, whose credit line is carved out of its parent's.
// Amounts are in cents.
type CompositeChild struct {
	// ID is the child's balance id.
	ID         int64  `json:"id"`
	ParentID   string `json:"parent_id"`
	CustomerID int64  `json:"customer_id"`
	CreditLine int64  `json:"credit_line"`
	// CreditLimit is CreditLine plus the partner's overlimit.
	CreditLimit int64 `json:"credit_limit"`
	// AvailableCredit is what can still be charged: CreditLimit − Debt − Held.
	AvailableCredit int64 `json:"available_credit"`
	// Debt is posted charges − refunds − payments; below 0 when a refund left the customer
	// owed money.
	Debt int64 `json:"debt"`
	// Held is what its open authorizations hold.
	Held   int64 `json:"held"`
	Status int   `json:"status"`
}

// UpdatedChild is a child after a credit line change, with what its parent has left.
type UpdatedChild struct {
	CompositeChild
	Parent ParentCredit `json:"parent"`
}

// ParentCredit is a parent's available credit after one of its children changed.
type ParentCredit struct {
	ID              string `json:"id"`
	AvailableCredit int64  `json:"available_credit"`
}

// CreateChildRequest is the body of POST /wallet/v1/composite-balance/child.
type CreateChildRequest struct {
	ParentID string `json:"parent_id"`
	// CreditLine in cents is taken from the parent's available credit; 0 is a valid credit
	// line, so it is always sent.
	CreditLine int64 `json:"credit_line"`
	// CustomerID is the child's customer, another customer of the same partner (an employee
	// of a business, say); 0 sends none, which makes it the parent's owner.
	CustomerID int64 `json:"customer_id,omitempty"`
}

// updateCreditLineRequest is the body of PUT …/child/{child_id}/update-credit-line.
type updateCreditLineRequest struct {
	CreditLine int64 `json:"credit_line"`
}

// ListChildrenOptions pages through a parent's children.
type ListChildrenOptions struct {
	// Limit is the page size, 1–100; 0 asks for the server's default, 20.
	Limit int
	// Cursor is the NextCursor of the previous page; "" starts at the first child.
	Cursor string
}

// ChildrenPage is one page of a parent's children, oldest first.
type ChildrenPage struct {
	Children []CompositeChild `json:"children"`
	// NextCursor fetches the next page; "" on the last page.
	NextCursor string `json:"next_cursor"`
}

const compositeBase = "/wallet/v1/composite-balance"

// GetCompositeParent returns the partner's composite balance parent parentID. An unknown
// id is a 5000 *Error with HTTP 404 and the hint "incorrect parent_id" (IsNotFound).
func (c *Client) GetCompositeParent(ctx context.Context, parentID string, opts ...CallOption) (*CompositeParent, error) {
	return call[CompositeParent](ctx, c, &request{method: http.MethodGet, path: compositeBase + "/parent/" + pathSegment(parentID), style: styleB}, opts)
}

// CreateCompositeChild creates a child of a parent. A credit line beyond the parent's
// available credit is a 5001 *Error (CodeInsufficientCredit).
func (c *Client) CreateCompositeChild(ctx context.Context, req *CreateChildRequest, opts ...CallOption) (*CompositeChild, error) {
	return callJSON[CompositeChild](ctx, c, &request{method: http.MethodPost, path: compositeBase + "/child", style: styleB}, req, opts)
}

// UpdateChildCreditLine sets child childID's credit line to creditLine cents. Raising it
// takes the difference from the parent's available credit (5001 when short); lowering it
// gives it back (5002, CodeBelowOutstandingDebt, when below the child's debt).
func (c *Client) UpdateChildCreditLine(ctx context.Context, childID, creditLine int64, opts ...CallOption) (*UpdatedChild, error) {
	path := compositeBase + "/child/" + pathID(childID) + "/update-credit-line"
	return callJSON[UpdatedChild](ctx, c, &request{method: http.MethodPut, path: path, style: styleB}, updateCreditLineRequest{CreditLine: creditLine}, opts)
}

// GetCompositeChild returns the partner's child balance childID. An unknown id is a 5000
// *Error with HTTP 404 and the hint "incorrect child_id" (IsNotFound).
func (c *Client) GetCompositeChild(ctx context.Context, childID int64, opts ...CallOption) (*CompositeChild, error) {
	return call[CompositeChild](ctx, c, &request{method: http.MethodGet, path: compositeBase + "/child/" + pathID(childID), style: styleB}, opts)
}

// ListCompositeChildren returns one page of parent parentID's children. A nil page is the
// first page at the default size.
func (c *Client) ListCompositeChildren(ctx context.Context, parentID string, page *ListChildrenOptions, opts ...CallOption) (*ChildrenPage, error) {
	q := query{}
	if page != nil {
		q.number("limit", int64(page.Limit))
		q.text("cursor", page.Cursor)
	}
	path := q.on(compositeBase + "/parent/" + pathSegment(parentID) + "/children")
	return call[ChildrenPage](ctx, c, &request{method: http.MethodGet, path: path, style: styleB}, opts)
}

// CompositeChildren yields every child of parent parentID, fetching pages of pageSize (0:
// the server's default) as the loop goes. The first error ends the sequence, yielded with a
// zero child.
func (c *Client) CompositeChildren(ctx context.Context, parentID string, pageSize int, opts ...CallOption) iter.Seq2[CompositeChild, error] {
	return pages(func(cursor string) ([]CompositeChild, string, error) {
		p, err := c.ListCompositeChildren(ctx, parentID, &ListChildrenOptions{Limit: pageSize, Cursor: cursor}, opts...)
		if err != nil {
			return nil, "", err
		}
		return p.Children, p.NextCursor, nil
	})
}
