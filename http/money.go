package http

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/saldo-mx/saldo"
)

// Money movement: top-ups, transfers, SPEI in and out, a customer's transactions, a balance
// and a wallet's CLABE. The field names are the UnDosTres wallet API's (camelCase where it
// has them).

// movementJSON is the answer of every write that moves money: the transaction, and the
// balance of the wallet it is about right after it.
type movementJSON struct {
	TransactionID int64               `json:"transactionId"`
	Status        int                 `json:"status"`
	StatusString  string              `json:"status_string"`
	Balance       movementBalanceJSON `json:"balance"`
}

type movementBalanceJSON struct {
	ID        int64 `json:"id"`
	Amount    int64 `json:"amount"`
	Available int64 `json:"available"`
}

var transactionStatusStrings = map[saldo.TransactionStatus]string{
	saldo.StatusPending: "Pending", saldo.StatusCompleted: "Completed", saldo.StatusFailed: "Failed", saldo.StatusVoided: "Voided",
}

func renderMovement(_ *saldo.Partner, m *saldo.Movement) any {
	return movementJSON{
		TransactionID: m.Transaction.ID, Status: int(m.Transaction.Status), StatusString: transactionStatusStrings[m.Transaction.Status],
		Balance: movementBalanceJSON{ID: m.Balance.ID, Amount: m.Balance.Amount, Available: m.Balance.Available()},
	}
}

// movementRoute is a write that moves money, answered with movementJSON.
func movementRoute[In any](decode func(*http.Request) (In, error), call func(context.Context, *saldo.Partner, In, *saldo.Idempotency[*saldo.Movement]) (*saldo.Movement, error)) writeRoute[In, *saldo.Movement] {
	// Movements are the hot path of a partner's traffic, as creates are: the partner comes
	// from the cache, and the movement's own transaction checks its token again.
	return writeRoute[In, *saldo.Movement]{decode: decode, call: call, render: renderMovement, cachedAuth: true}
}

var (
	topUpFields = []bodyField{{"externalTransactionId", fieldStringOrInteger}, {"balanceId", fieldStringOrInteger},
		{"amount", fieldInteger}, {"sourceCustomerID", fieldStringOrInteger}, {"transactionType", fieldStringOrInteger}}
	transferFields = []bodyField{{"amount", fieldInteger}, {"sourceCustomerID", fieldStringOrInteger},
		{"targetID", fieldStringOrInteger}, {"description", fieldString}}
	cashoutFields = []bodyField{{"clabe", fieldString}, {"amount", fieldInteger}, {"description", fieldString}}
	failFields    = []bodyField{{"reason", fieldString}}
	speiInFields  = []bodyField{{"clabe", fieldString}, {"amount", fieldInteger}, {"trackingKey", fieldString},
		{"senderName", fieldString}, {"senderClabe", fieldString}, {"concept", fieldString}}
)

// topUp is POST /wallet/v1/topUp.
func (s *Server) topUp() writeRoute[saldo.TopUpRequest, *saldo.Movement] {
	return movementRoute(decodeTopUp, s.svc.TopUp)
}

func decodeTopUp(r *http.Request) (saldo.TopUpRequest, error) {
	f, err := decodeFields(r, topUpFields)
	if err != nil {
		return saldo.TopUpRequest{}, err
	}
	var h saldo.Hints
	t := saldo.TopUpRequest{ExternalTransactionID: f["externalTransactionId"]}
	t.BalanceID = parseInt(&h, "balanceId", f["balanceId"], false)
	t.Amount = parseInt(&h, "amount", f["amount"], false)
	t.CustomerID = parseInt(&h, "sourceCustomerID", f["sourceCustomerID"], false)
	t.TransactionType = parseInt(&h, "transactionType", f["transactionType"], false)
	// The rules (required, positive) are the service's, which names every failing field.
	return t, h.Err(saldo.EINVALID)
}

// customerToken reads the Authorization-customer header a write needs: the service checks
// the token inside the write's transaction.
func customerToken(r *http.Request) (string, error) {
	token := r.Header.Get(customerHeader)
	if token == "" {
		return "", saldo.Errorf(saldo.EUNAUTHORIZED, customerHeader+":required")
	}
	return token, nil
}

// transfer is POST /wallet/v1/transfer.
func (s *Server) transfer() writeRoute[saldo.TransferRequest, *saldo.Movement] {
	return movementRoute(decodeTransfer, s.svc.Transfer)
}

func decodeTransfer(r *http.Request) (saldo.TransferRequest, error) {
	token, err := customerToken(r)
	if err != nil {
		return saldo.TransferRequest{}, err
	}
	f, err := decodeFields(r, transferFields)
	if err != nil {
		return saldo.TransferRequest{}, err
	}
	var h saldo.Hints
	t := saldo.TransferRequest{CustomerToken: token, Description: f["description"]}
	t.Amount = parseInt(&h, "amount", f["amount"], false)
	t.SourceCustomerID = parseInt(&h, "sourceCustomerID", f["sourceCustomerID"], false)
	t.TargetCustomerID = parseInt(&h, "targetID", f["targetID"], false)
	return t, h.Err(saldo.EINVALID)
}

// cashout is POST /wallet/v1/spei-cashout.
func (s *Server) cashout() writeRoute[saldo.CashoutRequest, *saldo.Movement] {
	return movementRoute(decodeCashout, s.svc.Cashout)
}

func decodeCashout(r *http.Request) (saldo.CashoutRequest, error) {
	token, err := customerToken(r)
	if err != nil {
		return saldo.CashoutRequest{}, err
	}
	f, err := decodeFields(r, cashoutFields)
	if err != nil {
		return saldo.CashoutRequest{}, err
	}
	var h saldo.Hints
	c := saldo.CashoutRequest{CustomerToken: token, CLABE: strings.TrimSpace(f["clabe"]), Description: f["description"]}
	c.Amount = parseInt(&h, "amount", f["amount"], false)
	return c, h.Err(saldo.EINVALID)
}

// completeCashout is POST /wallet/v1/spei-cashout/{transactionId}/complete.
func (s *Server) completeCashout() writeRoute[saldo.CashoutOutcome, *saldo.Movement] {
	return movementRoute(decodeCompleteCashout, s.svc.CompleteCashout)
}

// failCashout is POST /wallet/v1/spei-cashout/{transactionId}/fail.
func (s *Server) failCashout() writeRoute[saldo.CashoutOutcome, *saldo.Movement] {
	return movementRoute(decodeFailCashout, s.svc.FailCashout)
}

// decodeCompleteCashout reads the {transactionId} path value; a body, if any, is not read.
func decodeCompleteCashout(r *http.Request) (saldo.CashoutOutcome, error) {
	id, ok := parseID(r.PathValue("transactionId"))
	if !ok {
		return saldo.CashoutOutcome{}, saldo.Errorf(saldo.ENOTFOUND, "transactionId:not_found")
	}
	return saldo.CashoutOutcome{TransactionID: id}, nil
}

// decodeFailCashout reads the {transactionId} path value and the body's optional reason (why
// the payment failed). An empty body is a failure without a reason.
func decodeFailCashout(r *http.Request) (saldo.CashoutOutcome, error) {
	o, err := decodeCompleteCashout(r)
	if err != nil || !hasBody(r) {
		return o, err
	}
	f, err := decodeFields(r, failFields)
	if err != nil {
		return saldo.CashoutOutcome{}, err
	}
	o.Reason = f["reason"]
	return o, nil
}

// hasBody reports whether r came with a body: a POST without one (curl -X POST) reads as an
// empty request rather than as malformed JSON.
func hasBody(r *http.Request) bool {
	body, err := rawBody(r)
	return err != nil || len(body) > 0
}

// speiIn is POST /wallet/v1/spei-in.
func (s *Server) speiIn() writeRoute[saldo.SPEIInRequest, *saldo.Movement] {
	return movementRoute(decodeSPEIIn, s.svc.SPEIIn)
}

func decodeSPEIIn(r *http.Request) (saldo.SPEIInRequest, error) {
	f, err := decodeFields(r, speiInFields)
	if err != nil {
		return saldo.SPEIInRequest{}, err
	}
	var h saldo.Hints
	in := saldo.SPEIInRequest{CLABE: strings.TrimSpace(f["clabe"]), TrackingKey: f["trackingKey"], SenderName: f["senderName"],
		SenderCLABE: strings.TrimSpace(f["senderClabe"]), Concept: f["concept"]}
	in.Amount = parseInt(&h, "amount", f["amount"], false)
	return in, h.Err(saldo.EINVALID)
}

// transactionJSON is one line of a customer's transactions.
type transactionJSON struct {
	TransactionID int64 `json:"transactionId"`
	// Amount is signed cents as the customer sees it, as a JSON string.
	Amount          string `json:"amount"`
	Timestamp       string `json:"timestamp"`
	TransactionType int    `json:"transactionType"`
	Status          int    `json:"status"`
	Description     string `json:"description"`
	ReferenceID     string `json:"referenceId"`
	IsSettled       bool   `json:"isSettled"`
	Category        int    `json:"category"`
	// MerchantCategoryCode is a charge's merchant category; null for other lines.
	MerchantCategoryCode *merchantCategoryJSON `json:"merchantCategoryCode"`
}

type transactionsJSON struct {
	Transactions []transactionJSON `json:"transactions"`
	TotalCount   int               `json:"totalCount"`
}

// transactionQuery reads the query of GET /wallet/v1/transactions/{customer_id}.
func transactionQuery(r *http.Request) (saldo.TransactionQuery, error) {
	query := r.URL.Query()
	q := saldo.TransactionQuery{Limit: saldo.DefaultTransactionsLimit}
	var h saldo.Hints
	if text := query.Get("limit"); text != "" {
		n, err := strconv.Atoi(text)
		if err != nil || n < 1 || n > saldo.MaxTransactionsLimit {
			h.Add("limit", "invalid")
		}
		q.Limit = n
	}
	if text := query.Get("offset"); text != "" {
		n, err := strconv.Atoi(text)
		if err != nil || n < 0 {
			h.Add("offset", "invalid")
		}
		q.Offset = n
	}
	from, to, dayHints := saldo.DayRange(query.Get("from"), query.Get("to"))
	h = append(h, dayHints...)
	q.From, q.To = from, to
	switch query.Get("desc") {
	case "", "true", "1":
	case "false", "0":
		q.Ascending = true
	default:
		h.Add("desc", "invalid")
	}
	if text := query.Get("transaction_id"); text != "" {
		id, ok := parseID(text)
		if !ok {
			h.Add("transaction_id", "invalid")
		}
		q.TransactionID = id
	}
	return q, h.Err(saldo.EINVALID)
}

// getTransactions is GET /wallet/v1/transactions/{customer_id}, authorised as getAccount is.
func (s *Server) getTransactions(w http.ResponseWriter, r *http.Request) {
	e, id, err := s.customerInPath(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q, err := transactionQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.svc.Transactions(r.Context(), e, id, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := transactionsJSON{Transactions: make([]transactionJSON, 0, len(page.Lines)), TotalCount: page.Total}
	for _, l := range page.Lines {
		line := transactionJSON{
			TransactionID: l.TransactionID, Amount: strconv.FormatInt(l.Amount, 10),
			Timestamp:       l.CreatedAt.In(saldo.MexicoCity).Format(timestampLayout),
			TransactionType: int(l.Type), Status: int(l.Status), Description: l.Description, ReferenceID: l.ReferenceID,
			IsSettled: l.Status.Final(),
		}
		if l.Type == saldo.TypeCharge {
			line.MerchantCategoryCode = merchantCategory(l.MCC)
		}
		out.Transactions = append(out.Transactions, line)
	}
	s.ok(w, r, out)
}

// balanceJSON is a balance as GET /wallet/v1/balance/{balance_id} shows it.
type balanceJSON struct {
	ID         int64  `json:"id"`
	CustomerID int64  `json:"customer_id"`
	Kind       string `json:"kind"`
	Amount     int64  `json:"amount"`
	Available  int64  `json:"available"`
	Held       int64  `json:"held"`
	Status     int    `json:"status"`
	// KYCLevel is the wallet's owner's level; 0 for a composite balance.
	KYCLevel int `json:"kyc_level"`
	// Limits are a wallet's; null for a composite balance.
	Limits *limitsJSON `json:"limits"`
}

// limitsJSON are a wallet's KYC limits in cents at today's UDI value: null where the level
// has none, and all null when they cannot be known (udi_known false).
type limitsJSON struct {
	UDIKnown                bool   `json:"udi_known"`
	MonthlyDepositLimit     *int64 `json:"monthly_deposit_limit"`
	MonthlyDepositRemaining *int64 `json:"monthly_deposit_remaining"`
	BalanceCap              *int64 `json:"balance_cap"`
	BalanceCapRemaining     *int64 `json:"balance_cap_remaining"`
}

// getBalance is GET /wallet/v1/balance/{balance_id}.
func (s *Server) getBalance(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticate(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, ok := parseID(r.PathValue("balance_id"))
	if !ok {
		s.fail(w, r, saldo.Errorf(saldo.ENOTFOUND, "balance_id:not_found"))
		return
	}
	v, err := s.svc.Balance(r.Context(), e, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b := &v.Balance
	out := balanceJSON{ID: b.ID, CustomerID: b.CustomerID, Kind: string(b.Kind), Amount: b.Amount,
		Available: b.Amount - b.Held, Held: b.Held, Status: b.Status}
	if l := v.Limits; l != nil {
		out.KYCLevel = l.Level
		out.Limits = &limitsJSON{UDIKnown: l.Known}
		if l.Known {
			out.Limits.MonthlyDepositLimit, out.Limits.MonthlyDepositRemaining = l.MonthlyDepositLimit, l.MonthlyDepositRemaining
			out.Limits.BalanceCap, out.Limits.BalanceCapRemaining = l.BalanceCap, l.BalanceCapRemaining
		}
	}
	s.ok(w, r, out)
}

type speiCLABEJSON struct {
	SPEICLABE string `json:"spei_clabe"`
}

// getSPEICLABE is GET /user/v1/account/spei-clabe: the CLABE of the customer's wallet, which
// SPEI payments to it are sent to. The customer is the Authorization-customer token's, or
// the customer_id query parameter's with Authorization-ecommerce; with both, they must agree.
func (s *Server) getSPEICLABE(w http.ResponseWriter, r *http.Request) {
	text := r.URL.Query().Get("customer_id")
	id, idOK := parseID(text)
	e, customerID, err := s.customerReader(r, id, text != "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch {
	case text != "" && !idOK:
		err = saldo.Errorf(saldo.EINVALID, "customer_id:invalid")
	case customerID == 0:
		err = saldo.Errorf(saldo.EINVALID, "customer_id:required")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	clabe, err := s.svc.WalletCLABE(r.Context(), e, customerID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.ok(w, r, speiCLABEJSON{SPEICLABE: clabe})
}
