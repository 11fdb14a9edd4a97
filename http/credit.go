package http

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/saldo-mx/saldo"
)

// Credit on composite balances: charges, authorizations and what follows them (capture, void,
// refund), payments, and statements.

// creditMovementJSON is the answer of every write of credit: the transaction as the money
// writes show it, and the credit of the child it is about after it (for a parent's payment,
// the sums over its children, and child_id null).
type creditMovementJSON struct {
	TransactionID   int64  `json:"transactionId"`
	Status          int    `json:"status"`
	StatusString    string `json:"status_string"`
	ChildID         *int64 `json:"child_id"`
	ParentID        string `json:"parent_id"`
	Debt            int64  `json:"debt"`
	Held            int64  `json:"held"`
	AvailableCredit int64  `json:"available_credit"`
	CreditLimit     int64  `json:"credit_limit"`
	// Balance is the wallet a payment with source "wallet" was taken from, after it; null
	// otherwise.
	Balance *movementBalanceJSON `json:"balance"`
}

func renderCreditMovement(_ *saldo.Partner, m *saldo.CreditMovement) any {
	out := creditMovementJSON{
		TransactionID: m.Transaction.ID, Status: int(m.Transaction.Status), StatusString: transactionStatusStrings[m.Transaction.Status],
		ParentID: m.ParentID, Debt: m.Debt, Held: m.Held, AvailableCredit: m.AvailableCredit(), CreditLimit: m.CreditLimit,
	}
	if m.ChildID != 0 {
		id := m.ChildID
		out.ChildID = &id
	}
	if b := m.Wallet; b != nil {
		out.Balance = &movementBalanceJSON{ID: b.ID, Amount: b.Amount, Available: b.Available()}
	}
	return out
}

// creditRoute is a write of credit, answered with creditMovementJSON. Charges are a hot path
// as the money writes are: the partner comes from the cache, and the write's own transaction
// checks its token again.
func creditRoute[In any](decode func(*http.Request) (In, error), call func(context.Context, *saldo.Partner, In, *saldo.Idempotency[*saldo.CreditMovement]) (*saldo.CreditMovement, error)) writeRoute[In, *saldo.CreditMovement] {
	return writeRoute[In, *saldo.CreditMovement]{decode: decode, call: call, render: renderCreditMovement, cachedAuth: true}
}

var (
	chargeFields = []bodyField{{"amount", fieldInteger}, {"externalTransactionId", fieldStringOrInteger},
		{"description", fieldString}}
	amountFields  = []bodyField{{"amount", fieldInteger}}
	paymentFields = []bodyField{{"amount", fieldInteger}, {"externalTransactionId", fieldStringOrInteger},
		{"source", fieldString}}
)

// charge is POST /wallet/v1/composite-balance/child/{child_id}/charge.
func (s *Server) charge() writeRoute[saldo.ChargeRequest, *saldo.CreditMovement] {
	return creditRoute(decodeCharge, s.svc.Charge)
}

// decodeCharge reads a charge: the flat fields as every write reads them, merchant as a JSON
// object (or merchant[name] / merchant.name form fields), and capture as a boolean or its
// text.
func decodeCharge(r *http.Request) (saldo.ChargeRequest, error) {
	id, err := childID(r)
	if err != nil {
		return saldo.ChargeRequest{}, err
	}
	f, err := decodeFields(r, chargeFields)
	if err != nil {
		return saldo.ChargeRequest{}, err
	}
	b, err := readBody(r)
	if err != nil {
		return saldo.ChargeRequest{}, err
	}
	var merchant saldo.Merchant
	var capture string
	if b.form == nil {
		merchant, capture, err = jsonChargeExtras(b)
	} else {
		merchant, capture, err = formChargeExtras(b)
	}
	if err != nil {
		return saldo.ChargeRequest{}, err
	}
	var h saldo.Hints
	c := saldo.ChargeRequest{ChildID: id, ExternalTransactionID: f["externalTransactionId"], Description: f["description"],
		Merchant: merchant}
	c.Amount = parseInt(&h, "amount", f["amount"], false)
	c.Capture = parseCapture(&h, capture)
	return c, h.Err(saldo.EINVALID)
}

// jsonChargeExtras reads a JSON charge's merchant object and its capture, a boolean or a
// string of one ("true", "false", "1", "0").
func jsonChargeExtras(b *requestBody) (saldo.Merchant, string, error) {
	obj, err := b.jsonObject()
	if err != nil {
		return saldo.Merchant{}, "", err
	}
	var h saldo.Hints
	merchant := jsonMerchant(obj["merchant"], &h)
	capture := jsonBoolean(obj["capture"], "capture", &h)
	return merchant, capture, h.Err(saldo.EBADREQUEST)
}

// jsonMerchant reads {"name", "mcc"}: name a string, mcc a string or an integer (5411).
func jsonMerchant(raw json.RawMessage, h *saldo.Hints) saldo.Merchant {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return saldo.Merchant{}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		h.Add("merchant", "must_be_object")
		return saldo.Merchant{}
	}
	var m saldo.Merchant
	var fields saldo.Hints
	if name, ok := jsonField(obj, "name", fieldString, &fields); ok {
		m.Name = name
	}
	if mcc, ok := jsonField(obj, "mcc", fieldStringOrInteger, &fields); ok {
		m.MCC = strings.TrimSpace(mcc)
	}
	for _, hint := range fields {
		*h = append(*h, "merchant."+hint)
	}
	return m
}

// jsonBoolean returns the text of a JSON boolean, or of a string holding one; another JSON
// type is recorded in h.
func jsonBoolean(raw json.RawMessage, field string, h *saldo.Hints) string {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return ""
	case string(raw) == "true" || string(raw) == "false":
		return string(raw)
	case raw[0] == '"':
		text, reason := jsonScalar(raw, fieldString)
		if reason != "" {
			h.Add(field, reason)
		}
		return text
	}
	h.Add(field, "must_be_boolean")
	return ""
}

// merchantFormNames are the form fields of a merchant's name and code: partner code built on
// PHP or Rails sends merchant[name], code that flattens JSON sends merchant.name.
var merchantFormNames = map[string][2]string{
	"name": {"merchant[name]", "merchant.name"},
	"mcc":  {"merchant[mcc]", "merchant.mcc"},
}

// formChargeExtras reads a form charge's merchant fields and its capture. The two spellings
// of a merchant field are one field: sent with different values they are refused
// (merchant.<field>:ambiguous) rather than one of them chosen.
func formChargeExtras(b *requestBody) (saldo.Merchant, string, error) {
	err := b.filesUnder(func(yield func(string) bool) {
		for _, name := range []string{"merchant[name]", "merchant.name", "merchant[mcc]", "merchant.mcc", "capture"} {
			if !yield(name) {
				return
			}
		}
	})
	if err != nil {
		return saldo.Merchant{}, "", err
	}
	var h saldo.Hints
	m := saldo.Merchant{
		Name: formMerchantField(b.form, "name", &h),
		MCC:  strings.TrimSpace(formMerchantField(b.form, "mcc", &h)),
	}
	return m, b.form.Get("capture"), h.Err(saldo.EBADREQUEST)
}

func formMerchantField(form url.Values, field string, h *saldo.Hints) string {
	names := merchantFormNames[field]
	bracket, dotted := form.Get(names[0]), form.Get(names[1])
	if bracket != "" && dotted != "" && bracket != dotted {
		h.Add("merchant."+field, "ambiguous")
	}
	if bracket != "" {
		return bracket
	}
	return dotted
}

// parseCapture reads capture: absent is true (a posted charge); "true"/"1" and "false"/"0"
// in any case, as partner code sends booleans in forms.
func parseCapture(h *saldo.Hints, text string) bool {
	switch text = strings.TrimSpace(text); {
	case text == "" || text == "1" || strings.EqualFold(text, "true"):
		return true
	case text == "0" || strings.EqualFold(text, "false"):
		return false
	}
	h.Add("capture", "invalid")
	return true
}

// transactionID reads the {transaction_id} path value; what is not a positive integer is an
// unknown transaction (404 4404, as spei-cashout's complete and fail answer).
func transactionID(r *http.Request) (int64, error) {
	id, ok := parseID(r.PathValue("transaction_id"))
	if !ok {
		return 0, saldo.Errorf(saldo.ENOTFOUND, "transaction_id:not_found")
	}
	return id, nil
}

// captureCharge is POST /wallet/v1/transactions/{transaction_id}/capture.
func (s *Server) captureCharge() writeRoute[saldo.CaptureRequest, *saldo.CreditMovement] {
	return creditRoute(decodeCapture, s.svc.Capture)
}

// decodeCapture reads the path's transaction and the optional amount; a capture without a
// body, or without an amount, captures all of the hold.
func decodeCapture(r *http.Request) (saldo.CaptureRequest, error) {
	id, err := transactionID(r)
	if err != nil || !hasBody(r) {
		return saldo.CaptureRequest{TransactionID: id}, err
	}
	amount, sent, err := decodeAmount(r)
	if err == nil && sent && amount == 0 {
		// An amount of 0 sent is not "all of it" but an amount that cannot be captured.
		err = saldo.Errorf(saldo.EINVALID, "amount:must_be_positive")
	}
	return saldo.CaptureRequest{TransactionID: id, Amount: amount}, err
}

// decodeAmount reads a body whose only field is amount, and whether it was sent.
func decodeAmount(r *http.Request) (amount int64, sent bool, err error) {
	f, err := decodeFields(r, amountFields)
	if err != nil {
		return 0, false, err
	}
	var h saldo.Hints
	amount = parseInt(&h, "amount", f["amount"], false)
	return amount, f["amount"] != "", h.Err(saldo.EINVALID)
}

// voidCharge is POST /wallet/v1/transactions/{transaction_id}/void; a body, if any, is not read.
func (s *Server) voidCharge() writeRoute[int64, *saldo.CreditMovement] {
	return creditRoute(transactionID, s.svc.Void)
}

// refundCharge is POST /wallet/v1/transactions/{transaction_id}/refund.
func (s *Server) refundCharge() writeRoute[saldo.RefundRequest, *saldo.CreditMovement] {
	return creditRoute(decodeRefund, s.svc.Refund)
}

func decodeRefund(r *http.Request) (saldo.RefundRequest, error) {
	id, err := transactionID(r)
	if err != nil {
		return saldo.RefundRequest{}, err
	}
	if !hasBody(r) {
		// The service names the missing amount.
		return saldo.RefundRequest{TransactionID: id}, nil
	}
	amount, _, err := decodeAmount(r)
	return saldo.RefundRequest{TransactionID: id, Amount: amount}, err
}

// payParent is POST /wallet/v1/composite-balance/parent/{parent_id}/payment.
func (s *Server) payParent() writeRoute[saldo.PaymentRequest, *saldo.CreditMovement] {
	return creditRoute(func(r *http.Request) (saldo.PaymentRequest, error) {
		return decodePayment(r, saldo.PaymentRequest{ParentID: r.PathValue("parent_id")})
	}, s.svc.Pay)
}

// payChild is POST /wallet/v1/composite-balance/child/{child_id}/payment.
func (s *Server) payChild() writeRoute[saldo.PaymentRequest, *saldo.CreditMovement] {
	return creditRoute(func(r *http.Request) (saldo.PaymentRequest, error) {
		id, err := childID(r)
		if err != nil {
			return saldo.PaymentRequest{}, err
		}
		return decodePayment(r, saldo.PaymentRequest{ChildID: id})
	}, s.svc.Pay)
}

// decodePayment reads a payment's body into p, which names what it pays.
func decodePayment(r *http.Request, p saldo.PaymentRequest) (saldo.PaymentRequest, error) {
	f, err := decodeFields(r, paymentFields)
	if err != nil {
		return saldo.PaymentRequest{}, err
	}
	var h saldo.Hints
	p.ExternalTransactionID = f["externalTransactionId"]
	p.Source = saldo.PaymentSource(strings.TrimSpace(f["source"]))
	p.Amount = parseInt(&h, "amount", f["amount"], false)
	return p, h.Err(saldo.EINVALID)
}

// statementJSON is a statement as the contract names its fields.
type statementJSON struct {
	ID              int64                `json:"id"`
	ParentID        string               `json:"parent_id"`
	PeriodStart     string               `json:"period_start"`
	CutoffDate      string               `json:"cutoff_date"`
	PaymentDueDate  string               `json:"payment_due_date"`
	OpeningBalance  int64                `json:"opening_balance"`
	Charges         int64                `json:"charges"`
	Refunds         int64                `json:"refunds"`
	Payments        int64                `json:"payments"`
	ClosingBalance  int64                `json:"closing_balance"`
	TotalDuePayment int64                `json:"total_due_payment"`
	MinDuePayment   int64                `json:"min_due_payment"`
	Children        []statementChildJSON `json:"children"`
	Transactions    []statementLineJSON  `json:"transactions"`
}

type statementChildJSON struct {
	ChildID            int64 `json:"child_id"`
	CustomerID         int64 `json:"customer_id"`
	OpeningDebt        int64 `json:"opening_debt"`
	CumulativeCharges  int64 `json:"cumulative_charges"`
	CumulativeRefunds  int64 `json:"cumulative_refunds"`
	CumulativePayments int64 `json:"cumulative_payments"`
	ClosingDebt        int64 `json:"closing_debt"`
}

// statementLineJSON is a transaction of a statement, its amount and timestamp as the
// transaction list (§8.2) shows them.
type statementLineJSON struct {
	TransactionID   int64        `json:"transactionId"`
	ChildID         int64        `json:"child_id"`
	TransactionType int          `json:"transactionType"`
	Amount          string       `json:"amount"`
	Timestamp       string       `json:"timestamp"`
	Description     string       `json:"description"`
	Merchant        merchantJSON `json:"merchant"`
}

type merchantJSON struct {
	Name string `json:"name"`
	MCC  string `json:"mcc"`
}

func newStatementJSON(st *saldo.Statement) statementJSON {
	out := statementJSON{ID: st.ID, ParentID: st.ParentID, PeriodStart: st.PeriodStart, CutoffDate: st.CutoffDate,
		PaymentDueDate: st.PaymentDueDate, OpeningBalance: st.OpeningBalance, Charges: st.Charges, Refunds: st.Refunds,
		Payments: st.Payments, ClosingBalance: st.ClosingBalance, TotalDuePayment: st.TotalDue, MinDuePayment: st.MinDue,
		Children: make([]statementChildJSON, 0, len(st.Children)), Transactions: make([]statementLineJSON, 0, len(st.Lines))}
	for _, c := range st.Children {
		out.Children = append(out.Children, statementChildJSON(c))
	}
	for _, l := range st.Lines {
		out.Transactions = append(out.Transactions, statementLineJSON{
			TransactionID: l.TransactionID, ChildID: l.ChildID, TransactionType: int(l.Type),
			Amount: strconv.FormatInt(l.Amount, 10), Timestamp: l.CreatedAt.In(saldo.MexicoCity).Format(timestampLayout),
			Description: l.Description, Merchant: merchantJSON{Name: l.MerchantName, MCC: l.MCC},
		})
	}
	return out
}

type statementsJSON struct {
	Statements []statementJSON `json:"statements"`
	NextCursor *string         `json:"next_cursor"`
}

const statementCursor cursorKind = "statement"

// listStatements is GET /wallet/v1/composite-balance/parent/{parent_id}/statements?limit=&cursor=
// (or next_cursor=), newest first.
func (s *Server) listStatements(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticate(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var h saldo.Hints
	beforeID, limit := pageParams(r.URL.Query(), statementCursor, &h)
	if err := h.Err(saldo.EINVALID); err != nil {
		s.fail(w, r, err)
		return
	}
	list, next, err := s.svc.Statements(r.Context(), e, r.PathValue("parent_id"), beforeID, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := statementsJSON{Statements: make([]statementJSON, 0, len(list))}
	for i := range list {
		out.Statements = append(out.Statements, newStatementJSON(&list[i]))
	}
	if next != 0 {
		cursor := encodeCursor(statementCursor, next)
		out.NextCursor = &cursor
	}
	s.ok(w, r, out)
}

// getStatement is GET /wallet/v1/composite-balance/statements/{statement_id}.
func (s *Server) getStatement(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticate(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, ok := parseID(r.PathValue("statement_id"))
	if !ok {
		s.fail(w, r, saldo.Errorf(saldo.ENOTFOUND, "statement_id:not_found"))
		return
	}
	st, err := s.svc.Statement(r.Context(), e, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.ok(w, r, newStatementJSON(st))
}
