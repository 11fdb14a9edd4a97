package client

import (
	"context"
	"iter"
	"net/http"
	"time"
)

// Parent statuses.
const (
	ParentActive  = 1
	ParentOverdue = 2 // its minimum due was not paid by the due date: its children's charges are refused
)

// CreditMovement is the answer of every write of credit: the transaction, and the credit of
// the child it is about right after it. Amounts are in cents.
type CreditMovement struct {
	TransactionID int64 `json:"transactionId"`
	// Status is TransactionCompleted, TransactionPending (an authorization) or
	// TransactionVoided.
	Status       int    `json:"status"`
	StatusString string `json:"status_string"`
	// ChildID is the child; nil for a parent's payment, whose figures are the sums over the
	// parent's children.
	ChildID  *int64 `json:"child_id"`
	ParentID string `json:"parent_id"`
	Debt     int64  `json:"debt"`
	Held     int64  `json:"held"`
	// AvailableCredit is CreditLimit − Debt − Held.
	AvailableCredit int64 `json:"available_credit"`
	CreditLimit     int64 `json:"credit_limit"`
	// Balance is the owner's wallet after a payment from it (PaymentFromWallet); nil otherwise.
	Balance *MovementBalance `json:"balance"`
}

// Merchant is where a card was charged.
type Merchant struct {
	Name string `json:"name,omitempty"`
	// MCC is the ISO 18245 merchant category code, 4 digits.
	MCC string `json:"mcc,omitempty"`
}

// ChargeRequest is the body of POST /wallet/v1/composite-balance/child/{child_id}/charge.
type ChargeRequest struct {
	// Amount is in cents.
	Amount int64 `json:"amount"`
	// ExternalTransactionID is the partner's own id of the charge: sent again with the same
	// request, the charge answers the first transaction and charges nothing; with another, it
	// is a 4409 *Error with the hint externalTransactionId:duplicate.
	ExternalTransactionID string    `json:"externalTransactionId"`
	Description           string    `json:"description,omitempty"`
	Merchant              *Merchant `json:"merchant,omitempty"`
	// Authorize places an authorization (a hold) instead of a posted charge: it is sent as
	// capture false. Capture, Void or the hold's expiry end it.
	Authorize bool `json:"-"`
}

// chargeBody is ChargeRequest as sent: capture is the contract's name and default.
type chargeBody struct {
	*ChargeRequest
	Capture bool `json:"capture"`
}

// Payment sources.
const (
	PaymentExternal   = "external" // paid to the partner outside saldo (the default)
	PaymentFromWallet = "wallet"   // taken from the wallet of the parent's owner
)

// PaymentRequest is the body of a parent's or a child's payment.
type PaymentRequest struct {
	// Amount is in cents, at most the debt (5007, amount:exceeds_debt).
	Amount int64 `json:"amount"`
	// ExternalTransactionID makes the payment safe to repeat, as a charge's does.
	ExternalTransactionID string `json:"externalTransactionId"`
	// Source is PaymentExternal or PaymentFromWallet; "" sends none (external).
	Source string `json:"source,omitempty"`
}

type amountRequest struct {
	Amount int64 `json:"amount,omitempty"`
}

// Charge charges child childID: a posted charge, or with req.Authorize an authorization.
// More than the child's available credit is a 5001 *Error (CodeInsufficientCredit); an
// overdue parent 5006 (CodeAccountOverdue).
func (c *Client) Charge(ctx context.Context, childID int64, req *ChargeRequest, opts ...CallOption) (*CreditMovement, error) {
	path := compositeBase + "/child/" + pathID(childID) + "/charge"
	if req == nil {
		req = &ChargeRequest{} // the server names every missing field
	}
	return callJSON[CreditMovement](ctx, c, &request{method: http.MethodPost, path: path, style: styleB},
		chargeBody{ChargeRequest: req, Capture: !req.Authorize}, opts)
}

// Capture posts authorization transactionID: amount cents of it, or all of it when amount is
// 0; the rest of the hold is released. An authorization no longer pending, or an amount over
// the hold, is a 5007 *Error (CodeInvalidTransactionState); an unknown id a 4404.
func (c *Client) Capture(ctx context.Context, transactionID, amount int64, opts ...CallOption) (*CreditMovement, error) {
	path := "/wallet/v1/transactions/" + pathID(transactionID) + "/capture"
	return callJSON[CreditMovement](ctx, c, &request{method: http.MethodPost, path: path, style: styleB}, amountRequest{Amount: amount}, opts)
}

// Void releases authorization transactionID's hold.
func (c *Client) Void(ctx context.Context, transactionID int64, opts ...CallOption) (*CreditMovement, error) {
	path := "/wallet/v1/transactions/" + pathID(transactionID) + "/void"
	return callJSON[CreditMovement](ctx, c, &request{method: http.MethodPost, path: path, style: styleB}, struct{}{}, opts)
}

// Refund gives back amount cents of captured charge transactionID; the answer is the refund,
// a transaction of its own. More than was captured less what was refunded is a 5007 *Error.
func (c *Client) Refund(ctx context.Context, transactionID, amount int64, opts ...CallOption) (*CreditMovement, error) {
	path := "/wallet/v1/transactions/" + pathID(transactionID) + "/refund"
	return callJSON[CreditMovement](ctx, c, &request{method: http.MethodPost, path: path, style: styleB}, amountRequest{Amount: amount}, opts)
}

// PayParent pays the debts of parent parentID's children, oldest charge first. A wallet
// short of the amount is a 5003 *Error (CodeInsufficientFunds).
func (c *Client) PayParent(ctx context.Context, parentID string, req *PaymentRequest, opts ...CallOption) (*CreditMovement, error) {
	path := compositeBase + "/parent/" + pathSegment(parentID) + "/payment"
	return callJSON[CreditMovement](ctx, c, &request{method: http.MethodPost, path: path, style: styleB}, req, opts)
}

// PayChild pays child childID's debt.
func (c *Client) PayChild(ctx context.Context, childID int64, req *PaymentRequest, opts ...CallOption) (*CreditMovement, error) {
	path := compositeBase + "/child/" + pathID(childID) + "/payment"
	return callJSON[CreditMovement](ctx, c, &request{method: http.MethodPost, path: path, style: styleB}, req, opts)
}

// Statement is a parent's statement: the period closed at a cut-off, never changed after.
// Amounts are in cents; dates YYYY-MM-DD.
type Statement struct {
	ID       int64  `json:"id"`
	ParentID string `json:"parent_id"`
	// PeriodStart is the period's first day; CutoffDate the billing day (the period ends at
	// 00:00 Mexico City that day).
	PeriodStart     string                 `json:"period_start"`
	CutoffDate      string                 `json:"cutoff_date"`
	PaymentDueDate  string                 `json:"payment_due_date"`
	OpeningBalance  int64                  `json:"opening_balance"`
	Charges         int64                  `json:"charges"`
	Refunds         int64                  `json:"refunds"`
	Payments        int64                  `json:"payments"`
	ClosingBalance  int64                  `json:"closing_balance"`
	TotalDuePayment int64                  `json:"total_due_payment"`
	MinDuePayment   int64                  `json:"min_due_payment"`
	Children        []StatementChild       `json:"children"`
	Transactions    []StatementTransaction `json:"transactions"`
}

// StatementChild is a child's figures on a statement.
type StatementChild struct {
	ChildID            int64 `json:"child_id"`
	CustomerID         int64 `json:"customer_id"`
	OpeningDebt        int64 `json:"opening_debt"`
	CumulativeCharges  int64 `json:"cumulative_charges"`
	CumulativeRefunds  int64 `json:"cumulative_refunds"`
	CumulativePayments int64 `json:"cumulative_payments"`
	ClosingDebt        int64 `json:"closing_debt"`
}

// StatementTransaction is a charge, refund or payment of a statement's period.
type StatementTransaction struct {
	TransactionID int64 `json:"transactionId"`
	ChildID       int64 `json:"child_id"`
	// TransactionType is 6 charge, 7 refund or 8 payment.
	TransactionType int `json:"transactionType"`
	// Amount is signed cents as the cardholder sees it: negative for a charge. (A JSON string
	// on the wire.)
	Amount      int64     `json:"amount,string"`
	Timestamp   time.Time `json:"timestamp"`
	Description string    `json:"description"`
	// Merchant has "" for what the charge did not give (and for refunds and payments).
	Merchant Merchant `json:"merchant"`
}

// StatementsOptions pages through a parent's statements.
type StatementsOptions struct {
	// Limit is the page size, 1–100; 0 asks for the server's default, 20.
	Limit int
	// Cursor is the NextCursor of the previous page; "" starts at the newest statement.
	Cursor string
}

// StatementsPage is one page of a parent's statements, newest first.
type StatementsPage struct {
	Statements []Statement `json:"statements"`
	// NextCursor fetches the next page; "" on the last page.
	NextCursor string `json:"next_cursor"`
}

// ListStatements returns one page of parent parentID's statements. A nil page is the first
// page at the default size.
func (c *Client) ListStatements(ctx context.Context, parentID string, page *StatementsOptions, opts ...CallOption) (*StatementsPage, error) {
	q := query{}
	if page != nil {
		q.number("limit", int64(page.Limit))
		q.text("cursor", page.Cursor)
	}
	path := q.on(compositeBase + "/parent/" + pathSegment(parentID) + "/statements")
	return call[StatementsPage](ctx, c, &request{method: http.MethodGet, path: path, style: styleB}, opts)
}

// Statements yields every statement of parent parentID, newest first, fetching pages of
// pageSize (0: the server's default) as the loop goes. The first error ends the sequence,
// yielded with a zero statement.
func (c *Client) Statements(ctx context.Context, parentID string, pageSize int, opts ...CallOption) iter.Seq2[Statement, error] {
	return pages(func(cursor string) ([]Statement, string, error) {
		p, err := c.ListStatements(ctx, parentID, &StatementsOptions{Limit: pageSize, Cursor: cursor}, opts...)
		if err != nil {
			return nil, "", err
		}
		return p.Statements, p.NextCursor, nil
	})
}

// Statement returns the partner's statement statementID. An unknown id is a 5000 *Error with
// HTTP 404 and the hint "incorrect statement_id" (IsNotFound).
func (c *Client) Statement(ctx context.Context, statementID int64, opts ...CallOption) (*Statement, error) {
	return call[Statement](ctx, c, &request{method: http.MethodGet, path: compositeBase + "/statements/" + pathID(statementID), style: styleB}, opts)
}
