package client

import (
	"context"
	"net/http"
	"time"
)

// Movement is the answer of every call that moves money: the transaction, and the balance of
// the wallet it is about right after it.
type Movement struct {
	TransactionID int64 `json:"transactionId"`
	// Status is TransactionPending, TransactionCompleted, TransactionFailed or
	// TransactionVoided.
	Status       int    `json:"status"`
	StatusString string `json:"status_string"`
	// Balance is the wallet right after the transaction: a transfer's source, a cash-out's
	// payer. A repeated top-up or SPEI-in answers with the balance of its first time.
	Balance MovementBalance `json:"balance"`
}

// MovementBalance is a wallet's balance in cents.
type MovementBalance struct {
	ID        int64 `json:"id"`
	Amount    int64 `json:"amount"`
	Available int64 `json:"available"`
}

// Transaction statuses.
const (
	TransactionPending   = 1
	TransactionCompleted = 2
	TransactionFailed    = 3
	TransactionVoided    = 4
)

// TopUpRequest is the body of POST /wallet/v1/topUp.
type TopUpRequest struct {
	// ExternalTransactionID is the partner's own id of the top-up: sent again with the same
	// request, the top-up answers the first transaction and moves nothing; with another, it is
	// a 4409 *Error with the hint externalTransactionId:duplicate.
	ExternalTransactionID string `json:"externalTransactionId"`
	// BalanceID is the wallet's balance id (an account's EwalletID).
	BalanceID int64 `json:"balanceId"`
	// Amount is in cents.
	Amount int64 `json:"amount"`
	// SourceCustomerID is the wallet's owner.
	SourceCustomerID int64 `json:"sourceCustomerID"`
	// TransactionType is 1, or 0 to send none.
	TransactionType int64 `json:"transactionType,omitempty"`
}

// TransferRequest is the body of POST /wallet/v1/transfer.
type TransferRequest struct {
	Amount           int64  `json:"amount"`
	SourceCustomerID int64  `json:"sourceCustomerID"`
	TargetID         int64  `json:"targetID"`
	Description      string `json:"description,omitempty"`
}

// CashoutRequest is the body of POST /wallet/v1/spei-cashout.
type CashoutRequest struct {
	// CLABE is the destination's 18 digits.
	CLABE       string `json:"clabe"`
	Amount      int64  `json:"amount"`
	Description string `json:"description,omitempty"`
}

// SPEIInRequest is the body of POST /wallet/v1/spei-in.
type SPEIInRequest struct {
	// CLABE is the wallet's, as GetSPEICLABE gives it.
	CLABE  string `json:"clabe"`
	Amount int64  `json:"amount"`
	// TrackingKey is the SPEI clave de rastreo: sent again with the same request, the credit
	// answers the first transaction and moves nothing.
	TrackingKey string `json:"trackingKey"`
	SenderName  string `json:"senderName,omitempty"`
	SenderCLABE string `json:"senderClabe,omitempty"`
	Concept     string `json:"concept,omitempty"`
}

type failCashoutRequest struct {
	Reason string `json:"reason,omitempty"`
}

// TopUp credits a wallet from the partner's funding account. The wallet's KYC limits apply
// (CodeLimitExceeded; CodeLimitsUnavailable when no UDI value is known today).
func (c *Client) TopUp(ctx context.Context, req *TopUpRequest, opts ...CallOption) (*Movement, error) {
	return callJSON[Movement](ctx, c, &request{method: http.MethodPost, path: "/wallet/v1/topUp", style: styleB}, req, opts)
}

// Transfer moves money from req.SourceCustomerID's wallet to req.TargetID's, authorised by
// the source customer's oauth token (sent as Authorization-customer with the partner token).
// Not enough available is a 5003 *Error (CodeInsufficientFunds). Without WithIdempotencyKey,
// a retried transfer is a second transfer.
func (c *Client) Transfer(ctx context.Context, customerToken string, req *TransferRequest, opts ...CallOption) (*Movement, error) {
	return callJSON[Movement](ctx, c, &request{method: http.MethodPost, path: "/wallet/v1/transfer", style: styleB,
		auth: authBoth, customerToken: customerToken}, req, opts)
}

// SPEICashout moves money out of the wallet of the customer whose oauth token customerToken
// is into a pending SPEI cash-out, which the partner pays and then reports with
// CompleteSPEICashout or FailSPEICashout.
func (c *Client) SPEICashout(ctx context.Context, customerToken string, req *CashoutRequest, opts ...CallOption) (*Movement, error) {
	return callJSON[Movement](ctx, c, &request{method: http.MethodPost, path: "/wallet/v1/spei-cashout", style: styleB,
		auth: authBoth, customerToken: customerToken}, req, opts)
}

// CompleteSPEICashout records that pending cash-out transactionID was paid. A cash-out that
// is no longer pending is a 5007 *Error (CodeInvalidTransactionState).
func (c *Client) CompleteSPEICashout(ctx context.Context, transactionID int64, opts ...CallOption) (*Movement, error) {
	path := "/wallet/v1/spei-cashout/" + pathID(transactionID) + "/complete"
	return callJSON[Movement](ctx, c, &request{method: http.MethodPost, path: path, style: styleB}, struct{}{}, opts)
}

// FailSPEICashout records that the payment of pending cash-out transactionID failed, for
// reason (may be ""): the money goes back to the wallet.
func (c *Client) FailSPEICashout(ctx context.Context, transactionID int64, reason string, opts ...CallOption) (*Movement, error) {
	path := "/wallet/v1/spei-cashout/" + pathID(transactionID) + "/fail"
	return callJSON[Movement](ctx, c, &request{method: http.MethodPost, path: path, style: styleB}, failCashoutRequest{Reason: reason}, opts)
}

// SPEIIn credits the wallet whose CLABE received a SPEI payment.
func (c *Client) SPEIIn(ctx context.Context, req *SPEIInRequest, opts ...CallOption) (*Movement, error) {
	return callJSON[Movement](ctx, c, &request{method: http.MethodPost, path: "/wallet/v1/spei-in", style: styleB}, req, opts)
}

// Transaction is one transaction on a customer's wallet, as the customer sees it.
type Transaction struct {
	TransactionID int64 `json:"transactionId"`
	// Amount is signed cents: negative for money out. (A JSON string on the wire.)
	Amount int64 `json:"amount,string"`
	// Timestamp is when it was made, in Mexico City time.
	Timestamp time.Time `json:"timestamp"`
	// TransactionType: 1 top-up, 2 transfer out, 3 transfer in, 4 SPEI out, 5 SPEI in, 6
	// charge, 7 refund, 8 payment, 9 reversal.
	TransactionType int    `json:"transactionType"`
	Status          int    `json:"status"`
	Description     string `json:"description"`
	// ReferenceID is the partner's own id (externalTransactionId, trackingKey), or "".
	ReferenceID string `json:"referenceId"`
	// IsSettled is whether the status is final.
	IsSettled bool `json:"isSettled"`
	Category  int  `json:"category"`
	// MerchantCategoryCode is a charge's merchant category; nil for other transactions and
	// for a charge sent without a code.
	MerchantCategoryCode *MerchantCategory `json:"merchantCategoryCode"`
}

// MerchantCategory is a charge's ISO 18245 merchant category code and its name ("" for a
// code the server has no name for).
type MerchantCategory struct {
	MCC         string `json:"mcc"`
	Description string `json:"description"`
}

// TransactionsPage is one page of a customer's transactions.
type TransactionsPage struct {
	Transactions []Transaction `json:"transactions"`
	// TotalCount is how many transactions match the filters in all.
	TotalCount int `json:"totalCount"`
}

// TransactionsOptions filters and pages a customer's transactions; the zero value is the
// first 20, newest first.
type TransactionsOptions struct {
	// Limit is the page size, 1–100; 0 asks for the server's default, 20.
	Limit  int
	Offset int
	// From and To are days, YYYY-MM-DD in Mexico City, both included; "" is unbounded.
	From, To string
	// Ascending lists oldest first.
	Ascending bool
	// TransactionID, when not 0, lists only that transaction.
	TransactionID int64
}

func (o *TransactionsOptions) query() query {
	q := query{}
	if o == nil {
		return q
	}
	q.number("limit", int64(o.Limit))
	q.number("offset", int64(o.Offset))
	q.text("from", o.From)
	q.text("to", o.To)
	if o.Ascending {
		q.text("desc", "false")
	}
	q.number("transaction_id", o.TransactionID)
	return q
}

// Transactions returns a page of the partner's customer customerID's transactions.
func (c *Client) Transactions(ctx context.Context, customerID int64, page *TransactionsOptions, opts ...CallOption) (*TransactionsPage, error) {
	path := page.query().on("/wallet/v1/transactions/" + pathID(customerID))
	return call[TransactionsPage](ctx, c, &request{method: http.MethodGet, path: path, style: styleB}, opts)
}

// TransactionsAsCustomer is Transactions authorised by the customer's own oauth token alone.
func (c *Client) TransactionsAsCustomer(ctx context.Context, customerID int64, oauthToken string, page *TransactionsOptions, opts ...CallOption) (*TransactionsPage, error) {
	path := page.query().on("/wallet/v1/transactions/" + pathID(customerID))
	return call[TransactionsPage](ctx, c, &request{method: http.MethodGet, path: path, style: styleB, auth: authCustomer, customerToken: oauthToken}, opts)
}

// Balance is a balance of the partner's; a wallet's also has its KYC level and limits.
type Balance struct {
	ID         int64 `json:"id"`
	CustomerID int64 `json:"customer_id"`
	// Kind is "wallet", "composite_parent" or "composite_child".
	Kind      string `json:"kind"`
	Amount    int64  `json:"amount"`
	Available int64  `json:"available"`
	Held      int64  `json:"held"`
	Status    int    `json:"status"`
	// KYCLevel is a wallet's owner's level; 0 for a composite balance.
	KYCLevel int `json:"kyc_level"`
	// Limits are a wallet's; nil for a composite balance.
	Limits *WalletLimits `json:"limits"`
}

// WalletLimits are a wallet's KYC limits in cents at today's UDI value: nil where there is
// no limit, and all nil when UDIKnown is false.
type WalletLimits struct {
	UDIKnown                bool   `json:"udi_known"`
	MonthlyDepositLimit     *int64 `json:"monthly_deposit_limit"`
	MonthlyDepositRemaining *int64 `json:"monthly_deposit_remaining"`
	BalanceCap              *int64 `json:"balance_cap"`
	BalanceCapRemaining     *int64 `json:"balance_cap_remaining"`
}

// GetBalance returns the partner's balance balanceID.
func (c *Client) GetBalance(ctx context.Context, balanceID int64, opts ...CallOption) (*Balance, error) {
	return call[Balance](ctx, c, &request{method: http.MethodGet, path: "/wallet/v1/balance/" + pathID(balanceID), style: styleB}, opts)
}

// SPEICLABE is the CLABE of a customer's wallet.
type SPEICLABE struct {
	// SPEICLABE is 18 digits, or "" when the partner has no CLABE prefix.
	SPEICLABE string `json:"spei_clabe"`
}

// GetSPEICLABE returns the CLABE of the partner's customer customerID's wallet.
func (c *Client) GetSPEICLABE(ctx context.Context, customerID int64, opts ...CallOption) (*SPEICLABE, error) {
	path := "/user/v1/account/spei-clabe?customer_id=" + pathID(customerID)
	return call[SPEICLABE](ctx, c, &request{method: http.MethodGet, path: path, style: styleA}, opts)
}

// GetSPEICLABEAsCustomer returns the CLABE of the wallet of the customer whose oauth token
// oauthToken is, authorised by that token alone.
func (c *Client) GetSPEICLABEAsCustomer(ctx context.Context, oauthToken string, opts ...CallOption) (*SPEICLABE, error) {
	return call[SPEICLABE](ctx, c, &request{method: http.MethodGet, path: "/user/v1/account/spei-clabe", style: styleA,
		auth: authCustomer, customerToken: oauthToken}, opts)
}
