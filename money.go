package saldo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"
)

// Money movement: top-ups, transfers, SPEI in and out. Each is one write (write[T]) that
// inserts its ledger transaction first, before it locks any balance, so that the unique index
// on the partner's own id makes a concurrent repeat wait there rather than behind a balance
// it holds; then it changes the balances in the global order (lower id first), and writes
// the entries and the event.

// maxAmount bounds any amount, so that no sum of a month's amounts overflows.
const maxAmount = maxCreditLine

// TopUpRequest is a credit of a wallet from the partner's funding account.
type TopUpRequest struct {
	ExternalTransactionID string
	BalanceID             int64 // the wallet's id
	Amount                int64
	CustomerID            int64 // the wallet's owner (sourceCustomerID)
	TransactionType       int64 // 1, or 0 for absent
}

// TransferRequest moves money between two wallets of a partner's customers.
type TransferRequest struct {
	CustomerToken    string // Authorization-customer: the source's oauth token
	SourceCustomerID int64
	TargetCustomerID int64 // targetID
	Amount           int64
	Description      string
}

// CashoutRequest moves money out of the token's customer's wallet into a pending SPEI
// cash-out, which the partner pays and then completes or fails.
type CashoutRequest struct {
	CustomerToken string
	CLABE         string
	Amount        int64
	Description   string
}

// CashoutOutcome is what became of the SPEI payment of cash-out TransactionID.
type CashoutOutcome struct {
	TransactionID int64
	Reason        string // why it failed
}

// SPEIInRequest credits the wallet whose CLABE received a SPEI payment.
type SPEIInRequest struct {
	CLABE       string
	Amount      int64
	TrackingKey string
	SenderName  string
	SenderCLABE string
	Concept     string
}

// checkAmount records why amount cannot be moved.
func checkAmount(h *Hints, amount int64) {
	switch {
	case amount <= 0:
		h.Add("amount", "must_be_positive")
	case amount > maxAmount:
		h.Add("amount", "above_maximum")
	}
}

// checkLength records a text longer than max characters, or not valid UTF-8.
func checkLength(h *Hints, field, s string, max int) {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		h.Add(field, "invalid")
	}
}

// checkCLABE records a CLABE that is missing (when required) or fails its check digit.
func checkCLABE(h *Hints, field, clabe string, required bool) {
	switch {
	case clabe == "" && required:
		h.Add(field, "required")
	case clabe != "" && !ValidCLABE(clabe):
		h.Add(field, "invalid")
	}
}

// insertTransaction stores a movement's transaction, with an id taken ahead where the engine
// can, so that the insert need not be waited for.
func insertTransaction(ctx context.Context, tx Tx, t *LedgerTransaction) error {
	if err := tx.ReserveIDs(ctx, IDCounts{Transactions: 1}); err != nil {
		return err
	}
	return tx.InsertTransaction(ctx, t)
}

// requestHash identifies what a partner's own id was sent with, to tell the same request
// sent again from another reusing the id.
func requestHash(parts ...string) []byte {
	h := sha256.New()
	for _, p := range parts {
		// Quoted, so that no two lists of parts write the same bytes.
		h.Write([]byte(strconv.Quote(p)))
	}
	return h.Sum(nil)
}

// TopUp credits a wallet from partner e's funding account. The partner's
// externalTransactionId makes it safe to repeat: the same id with the same request answers
// with the first transaction and moves nothing.
func (s *Service) TopUp(ctx context.Context, e *Partner, r TopUpRequest, idem *Idempotency[*Movement]) (*Movement, error) {
	var h Hints
	switch {
	case r.ExternalTransactionID == "":
		h.Add("externalTransactionId", "required")
	default:
		checkLength(&h, "externalTransactionId", r.ExternalTransactionID, 64)
	}
	if r.BalanceID <= 0 {
		h.Add("balanceId", "required")
	}
	if r.CustomerID <= 0 {
		h.Add("sourceCustomerID", "required")
	}
	if r.TransactionType != 0 && r.TransactionType != 1 {
		h.Add("transactionType", "invalid")
	}
	checkAmount(&h, r.Amount)
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	in := inflow{
		kind: KindTopUp, typ: TypeTopUp, from: AccountFunding, amount: r.Amount,
		refKind: ReferenceExternal, refID: r.ExternalTransactionID, refField: "externalTransactionId",
		hash: requestHash(string(KindTopUp), formatID(r.BalanceID), formatID(r.CustomerID), formatID(r.Amount)),
		wallet: func(ctx context.Context, tx Tx, day string) (*WalletAccount, error) {
			w, err := tx.WalletAccountByID(ctx, e.ID, r.BalanceID, day)
			if ErrorCode(err) == ENOTFOUND || err == nil && w.CustomerID != r.CustomerID {
				return nil, Errorf(ENOTFOUND, "balanceId:not_found")
			}
			return w, err
		},
	}
	return write(ctx, s, s.movements, e, idem, s.clock.Now(), func(w writeTx) (*Movement, error) { return moveIn(ctx, w, e, in) })
}

// SPEIIn credits the wallet of partner e whose CLABE received a SPEI payment, from the
// partner's SPEI-in account. The tracking key (clave de rastreo) makes it safe to repeat.
func (s *Service) SPEIIn(ctx context.Context, e *Partner, r SPEIInRequest, idem *Idempotency[*Movement]) (*Movement, error) {
	var h Hints
	checkCLABE(&h, "clabe", r.CLABE, true)
	if r.TrackingKey == "" {
		h.Add("trackingKey", "required")
	} else {
		checkLength(&h, "trackingKey", r.TrackingKey, 64)
	}
	checkCLABE(&h, "senderClabe", r.SenderCLABE, false)
	checkLength(&h, "senderName", r.SenderName, 120)
	checkLength(&h, "concept", r.Concept, 255)
	checkAmount(&h, r.Amount)
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	walletID, ok := walletOfCLABE(e.CLABEPrefix, r.CLABE)
	if !ok {
		return nil, Errorf(ENOTFOUND, "clabe:not_found")
	}
	in := inflow{
		kind: KindSPEIIn, typ: TypeSPEIIn, from: AccountSPEIIn, amount: r.Amount,
		refKind: ReferenceTracking, refID: r.TrackingKey, refField: "trackingKey",
		hash:        requestHash(string(KindSPEIIn), r.CLABE, formatID(r.Amount), r.SenderName, r.SenderCLABE, r.Concept),
		description: r.Concept, clabe: r.SenderCLABE, counterparty: r.SenderName,
		wallet: func(ctx context.Context, tx Tx, day string) (*WalletAccount, error) {
			w, err := tx.WalletAccountByID(ctx, e.ID, walletID, day)
			if ErrorCode(err) == ENOTFOUND {
				return nil, Errorf(ENOTFOUND, "clabe:not_found")
			}
			return w, err
		},
	}
	return write(ctx, s, s.movements, e, idem, s.clock.Now(), func(w writeTx) (*Movement, error) { return moveIn(ctx, w, e, in) })
}

// inflow is a credit of a wallet from one of the partner's system accounts, under the
// partner's own id for it.
type inflow struct {
	kind                             TransactionKind
	typ                              TransactionType
	from                             SystemAccount
	amount                           int64
	refKind, refID, refField         string
	hash                             []byte
	description, clabe, counterparty string
	// wallet finds the wallet to credit, with day's UDI value.
	wallet func(ctx context.Context, tx Tx, day string) (*WalletAccount, error)
}

// moveIn carries out an inflow in w.
func moveIn(ctx context.Context, w writeTx, e *Partner, in inflow) (*Movement, error) {
	tx, now := w.Tx, w.now
	if w.refused {
		// A unique index refused an earlier run: perhaps this id's first use.
		if m, err := repeated(ctx, tx, e, in); m != nil || err != nil {
			return m, err
		}
	}
	t := LedgerTransaction{
		PartnerID: e.ID, Kind: in.kind, Status: StatusCompleted, Amount: in.amount,
		ReferenceKind: in.refKind, ReferenceID: in.refID, RequestHash: in.hash,
		Description: in.description, CLABE: in.clabe, Counterparty: in.counterparty, CreatedAt: now, UpdatedAt: now,
	}
	if err := insertTransaction(ctx, tx, &t); err != nil {
		return nil, err
	}
	acct, err := in.wallet(ctx, tx, dayIn(now))
	if err != nil {
		return nil, err
	}
	if err := checkCredit(acct, "customer"); err != nil {
		return nil, err
	}
	after, err := creditWallet(ctx, tx, acct, in.amount)
	if err != nil {
		return nil, inactiveAs(err, Errorf(ENOTACTIVE, "customer:not_active"))
	}
	if err := addDeposit(ctx, tx, acct, in.amount, now); err != nil {
		return nil, err
	}
	entries := []Entry{
		{PartnerID: e.ID, BalanceID: acct.ID, CustomerID: acct.CustomerID, Type: in.typ, Amount: in.amount, BalanceAfter: after.Amount},
		{PartnerID: e.ID, SystemAccount: in.from, Type: in.typ, Amount: -in.amount},
	}
	if err := record(ctx, tx, e, &t, entries, now); err != nil {
		return nil, err
	}
	return &Movement{Transaction: t, Balance: after}, nil
}

// repeated answers an inflow whose partner id was used already: with the first transaction
// when the request is the same, else ECONFLICT. It returns nil, nil when the id is unused.
func repeated(ctx context.Context, tx Tx, e *Partner, in inflow) (*Movement, error) {
	t, err := tx.TransactionByReference(ctx, e.ID, in.refKind, in.refID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(t.RequestHash, in.hash) {
		return nil, Errorf(ECONFLICT, in.refField+":duplicate")
	}
	entries, err := tx.Entries(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	m := &Movement{Transaction: *t}
	for _, en := range entries {
		if en.BalanceID != 0 {
			m.Balance = BalanceAmounts{ID: en.BalanceID, Amount: en.BalanceAfter}
		}
	}
	return m, nil
}

// checkCredit refuses a credit to a wallet whose owner is not active, or whose limits cannot
// be known today. field names the wallet's owner in the request.
func checkCredit(acct *WalletAccount, field string) error {
	if acct.CustomerStatus != accountStatusActive {
		return Errorf(ENOTACTIVE, field+":not_active")
	}
	if acct.Level.Limited() && acct.UDIMicros == 0 {
		return Errorf(ELIMITSUNKNOWN, "udi:not_configured")
	}
	return nil
}

// creditWallet adds amount to a wallet within its balance cap.
func creditWallet(ctx context.Context, tx Tx, acct *WalletAccount, amount int64) (BalanceAmounts, error) {
	return tx.Credit(ctx, acct.ID, amount, limitCents(acct.Level.BalanceCap, acct.UDIMicros))
}

// addDeposit counts a credit against the wallet's monthly deposit limit.
func addDeposit(ctx context.Context, tx Tx, acct *WalletAccount, amount int64, now time.Time) error {
	limit := limitCents(acct.Level.MonthlyDepositLimit, acct.UDIMicros)
	if !limit.Set {
		return nil
	}
	return tx.AddDeposit(ctx, acct.ID, monthIn(now), amount, limit)
}

// record writes a transaction's entries and its event.
func record(ctx context.Context, tx Tx, e *Partner, t *LedgerTransaction, entries []Entry, now time.Time) error {
	for i := range entries {
		entries[i].TransactionID, entries[i].CreatedAt = t.ID, now
	}
	// An authorization moves no money: it has no entries until it is captured.
	if len(entries) > 0 {
		if err := tx.InsertEntries(ctx, entries); err != nil {
			return err
		}
	}
	return tx.InsertEvents(ctx, []Event{newEvent(e, now, transactionCreated(t, entries))})
}

// Transfer moves money from the wallet of the customer whose oauth token r carries to the
// wallet of another customer of partner e. The source must cover it (EFUNDS); the target's KYC
// limits apply.
func (s *Service) Transfer(ctx context.Context, e *Partner, r TransferRequest, idem *Idempotency[*Movement]) (*Movement, error) {
	var h Hints
	if r.SourceCustomerID <= 0 {
		h.Add("sourceCustomerID", "required")
	}
	if r.TargetCustomerID <= 0 {
		h.Add("targetID", "required")
	} else if r.TargetCustomerID == r.SourceCustomerID {
		h.Add("targetID", "same_as_source")
	}
	checkAmount(&h, r.Amount)
	checkLength(&h, "description", r.Description, 255)
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	q := TransferQuery{TokenHash: HashSecret(r.CustomerToken), PartnerID: e.ID, Source: r.SourceCustomerID,
		Target: r.TargetCustomerID, Day: dayIn(now), Amount: r.Amount}
	var reads *TransferQuery // what a batch may read ahead: nothing for a token refused unread
	if IsSecretShape(r.CustomerToken, "") {
		reads = &q
	}
	return writeReading(ctx, s, s.movements, reads, e, idem, now, func(w writeTx) (*Movement, error) {
		return transfer(ctx, w, e, r, q)
	})
}

// transfer waits for one answer, when it can: ReadTransfers reads the token and both wallets
// and moves the money speculatively; the checks below then run in their order on what it
// read, and a refusal rolls the move back.
func transfer(ctx context.Context, w writeTx, e *Partner, r TransferRequest, q TransferQuery) (*Movement, error) {
	tx, now := w.Tx, w.now
	if !IsSecretShape(r.CustomerToken, "") {
		return nil, errCustomerToken
	}
	reads, err := tx.ReadTransfers(ctx, q)
	if err != nil {
		return nil, err
	}
	read := reads[0]
	customerID, err := tokenOwner(read.Token, e, r.CustomerToken, now)
	if err != nil {
		return nil, err
	}
	if customerID != r.SourceCustomerID {
		return nil, Errorf(EUNAUTHORIZED, "sourceCustomerID:not_token_owner")
	}
	t := LedgerTransaction{PartnerID: e.ID, Kind: KindTransfer, Status: StatusCompleted, Amount: r.Amount,
		RequestHash: []byte{}, Description: r.Description, CreatedAt: now, UpdatedAt: now}
	if err := insertTransaction(ctx, tx, &t); err != nil {
		return nil, err
	}
	src, dst, err := transferWallets(read.Wallets, r)
	if err != nil {
		return nil, err
	}
	// The source is the token's customer: its own credential is refused.
	if err := activeAccount(src.CustomerStatus); err != nil {
		return nil, err
	}
	if err := checkCredit(dst, "targetID"); err != nil {
		return nil, err
	}
	srcAfter, dstAfter, err := moved(ctx, tx, read, src, dst, r.Amount)
	if err != nil {
		return nil, err
	}
	if err := addDeposit(ctx, tx, dst, r.Amount, now); err != nil {
		return nil, err
	}
	entries := []Entry{
		{PartnerID: e.ID, BalanceID: src.ID, CustomerID: src.CustomerID, Type: TypeTransferOut, Amount: -r.Amount, BalanceAfter: srcAfter.Amount},
		{PartnerID: e.ID, BalanceID: dst.ID, CustomerID: dst.CustomerID, Type: TypeTransferIn, Amount: r.Amount, BalanceAfter: dstAfter.Amount},
	}
	if err := record(ctx, tx, e, &t, entries, now); err != nil {
		return nil, err
	}
	return &Movement{Transaction: t, Balance: srcAfter}, nil
}

// moved returns the balances after read's speculative move, which must also keep within the
// target's cap as this transfer read it; when read moved nothing, it moves the money now.
func moved(ctx context.Context, tx Tx, read TransferRead, src, dst *WalletAccount, amount int64) (srcAfter, dstAfter BalanceAmounts, err error) {
	if !read.Moved {
		return moveBetween(ctx, tx, src, dst, amount)
	}
	if read.SourceAfter.ID != src.ID || read.TargetAfter.ID != dst.ID {
		return srcAfter, dstAfter, WrapError(EINTERNAL, ErrLedger, "the move of %d went to balances %d and %d, not %d and %d",
			amount, read.SourceAfter.ID, read.TargetAfter.ID, src.ID, dst.ID)
	}
	if limit := limitCents(dst.Level.BalanceCap, dst.UDIMicros); limit.Set && read.TargetAfter.Amount > limit.Cents {
		return srcAfter, dstAfter, Errorf(ELIMIT, "amount:balance_cap")
	}
	return read.SourceAfter, read.TargetAfter, nil
}

// inactiveAs is err, or instead when err says a balance is not active: a status changed
// after the movement read it, and the refusal names what the request calls that balance.
func inactiveAs(err, instead error) error {
	if ErrorCode(err) == ENOTACTIVE {
		return instead
	}
	return err
}

// moveBetween debits src and credits dst by amount, within dst's balance cap. A balance that
// is not active is named as the request names it: the source is the token's own customer.
func moveBetween(ctx context.Context, tx Tx, src, dst *WalletAccount, amount int64) (srcAfter, dstAfter BalanceAmounts, err error) {
	srcAfter, dstAfter, err = tx.Move(ctx, src.ID, dst.ID, amount, limitCents(dst.Level.BalanceCap, dst.UDIMicros))
	var refusal *MoveRefusal
	switch {
	case errors.As(err, &refusal) && refusal.From:
		err = activeAccount(AccountStatusBlocked)
	case errors.As(err, &refusal):
		err = Errorf(ENOTACTIVE, "targetID:not_active")
	}
	return srcAfter, dstAfter, err
}

// transferWallets picks the source's and the target's wallets out of those found.
func transferWallets(found []WalletAccount, r TransferRequest) (src, dst *WalletAccount, err error) {
	for i := range found {
		switch found[i].CustomerID {
		case r.SourceCustomerID:
			src = &found[i]
		case r.TargetCustomerID:
			dst = &found[i]
		}
	}
	switch {
	case src == nil:
		return nil, nil, Errorf(ENOTFOUND, "sourceCustomerID:not_found")
	case dst == nil:
		return nil, nil, Errorf(ENOTFOUND, "targetID:not_found")
	}
	return src, dst, nil
}

// walletOf returns partner e's customer's wallet, naming field when there is none.
func walletOf(ctx context.Context, tx Tx, e *Partner, customerID int64, day, field string) (*WalletAccount, error) {
	w, err := tx.WalletAccount(ctx, e.ID, customerID, day)
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(ENOTFOUND, field+":not_found")
	}
	return w, err
}

// tokenCustomer returns the customer whose active oauth token of partner e token is, or
// EUNAUTHORIZED.
func tokenCustomer(ctx context.Context, tx Tx, e *Partner, token string, now time.Time) (int64, error) {
	if !IsSecretShape(token, "") {
		return 0, errCustomerToken
	}
	t, err := tx.TokenByHash(ctx, HashSecret(token))
	if ErrorCode(err) == ENOTFOUND {
		return 0, errCustomerToken
	}
	if err != nil {
		return 0, err
	}
	return tokenOwner(t, e, token, now)
}

// errCustomerToken refuses a customer's token that is not one of partner's current oauth
// tokens.
var errCustomerToken = Errorf(EUNAUTHORIZED, "Authorization-customer:invalid")

// tokenOwner returns the customer of t, the stored token of token (nil: none), when it is one
// of partner e's oauth tokens, current at now.
func tokenOwner(t *Token, e *Partner, token string, now time.Time) (int64, error) {
	if t == nil || t.PartnerID != e.ID || t.Kind != TokenOAuth || !t.ActiveAt(now) || !secretMatches(token, t.Hash) {
		return 0, errCustomerToken
	}
	return t.CustomerID, nil
}

// Cashout moves money out of the wallet of the customer whose oauth token r carries into a
// pending SPEI cash-out to r.CLABE, which the partner then pays and reports with
// CompleteCashout or FailCashout.
func (s *Service) Cashout(ctx context.Context, e *Partner, r CashoutRequest, idem *Idempotency[*Movement]) (*Movement, error) {
	var h Hints
	checkCLABE(&h, "clabe", r.CLABE, true)
	checkAmount(&h, r.Amount)
	checkLength(&h, "description", r.Description, 255)
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	return write(ctx, s, s.movements, e, idem, s.clock.Now(), func(w writeTx) (*Movement, error) { return cashout(ctx, w, e, r) })
}

func cashout(ctx context.Context, w writeTx, e *Partner, r CashoutRequest) (*Movement, error) {
	tx, now := w.Tx, w.now
	customerID, err := tokenCustomer(ctx, tx, e, r.CustomerToken, now)
	if err != nil {
		return nil, err
	}
	t := LedgerTransaction{PartnerID: e.ID, Kind: KindSPEIOut, Status: StatusPending, Amount: r.Amount,
		RequestHash: []byte{}, Description: r.Description, CLABE: r.CLABE, CreatedAt: now, UpdatedAt: now}
	if err := insertTransaction(ctx, tx, &t); err != nil {
		return nil, err
	}
	src, err := walletOf(ctx, tx, e, customerID, dayIn(now), "customer")
	if err != nil {
		return nil, err
	}
	if err := activeAccount(src.CustomerStatus); err != nil {
		return nil, err
	}
	after, err := tx.Debit(ctx, src.ID, r.Amount)
	if err != nil {
		return nil, inactiveAs(err, activeAccount(AccountStatusBlocked))
	}
	entries := []Entry{
		{PartnerID: e.ID, BalanceID: src.ID, CustomerID: src.CustomerID, Type: TypeSPEIOut, Amount: -r.Amount, BalanceAfter: after.Amount},
		{PartnerID: e.ID, SystemAccount: AccountSPEIOut, Type: TypeSPEIOut, Amount: r.Amount},
	}
	if err := record(ctx, tx, e, &t, entries, now); err != nil {
		return nil, err
	}
	return &Movement{Transaction: t, Balance: after}, nil
}

// CompleteCashout records that partner e paid cash-out o.TransactionID by SPEI: it settles.
func (s *Service) CompleteCashout(ctx context.Context, e *Partner, o CashoutOutcome, idem *Idempotency[*Movement]) (*Movement, error) {
	return s.settleCashout(ctx, e, o, StatusCompleted, idem)
}

// FailCashout records that partner e's SPEI payment of cash-out o.TransactionID failed: the
// money goes back to the wallet, by a reversing transaction.
func (s *Service) FailCashout(ctx context.Context, e *Partner, o CashoutOutcome, idem *Idempotency[*Movement]) (*Movement, error) {
	var h Hints
	checkLength(&h, "reason", o.Reason, 255)
	if err := h.Err(EINVALID); err != nil {
		return nil, err
	}
	return s.settleCashout(ctx, e, o, StatusFailed, idem)
}

func (s *Service) settleCashout(ctx context.Context, e *Partner, o CashoutOutcome, to TransactionStatus, idem *Idempotency[*Movement]) (*Movement, error) {
	if o.TransactionID <= 0 {
		return nil, Errorf(ENOTFOUND, "transactionId:not_found")
	}
	return write(ctx, s, s.movements, e, idem, s.clock.Now(), func(w writeTx) (*Movement, error) {
		tx, now := w.Tx, w.now
		// The transaction is locked before the wallet, as everywhere.
		t, err := tx.LedgerTransaction(ctx, e.ID, o.TransactionID, true)
		if ErrorCode(err) == ENOTFOUND {
			return nil, Errorf(ENOTFOUND, "transactionId:not_found")
		}
		if err != nil {
			return nil, err
		}
		if t.Kind != KindSPEIOut {
			return nil, Errorf(EINVALIDSTATE, "transactionId:not_a_spei_cashout")
		}
		if t.Status != StatusPending {
			return nil, Errorf(EINVALIDSTATE, "transaction:already_"+statusWord[t.Status])
		}
		if err := tx.SetTransactionStatus(ctx, t.ID, StatusPending, to, o.Reason, now); err != nil {
			return nil, err
		}
		previous := t.Status
		t.Status, t.Reason, t.UpdatedAt = to, o.Reason, now
		wallet, err := cashoutWallet(ctx, tx, t.ID)
		if err != nil {
			return nil, err
		}
		events := []Event{newEvent(e, now, TransactionUpdated{TransactionID: t.ID, Kind: t.Kind, PreviousStatus: previous, Status: to})}
		if err := tx.InsertEvents(ctx, events); err != nil {
			return nil, err
		}
		var after BalanceAmounts
		if to == StatusFailed {
			after, err = reverseCashout(ctx, tx, e, t, wallet, now)
		} else {
			after, err = balanceAmounts(ctx, tx, e, wallet.BalanceID)
		}
		if err != nil {
			return nil, err
		}
		return &Movement{Transaction: *t, Balance: after}, nil
	})
}

var statusWord = map[TransactionStatus]string{StatusPending: "pending", StatusCompleted: "completed", StatusFailed: "failed", StatusVoided: "voided"}

// cashoutWallet returns the wallet entry of cash-out id.
func cashoutWallet(ctx context.Context, tx Tx, id int64) (*Entry, error) {
	entries, err := tx.Entries(ctx, id)
	if err != nil {
		return nil, err
	}
	for i := range entries {
		if entries[i].BalanceID != 0 {
			return &entries[i], nil
		}
	}
	return nil, WrapError(EINTERNAL, ErrLedger, "cash-out %d has no wallet entry", id)
}

// reverseCashout returns a failed cash-out's money to its wallet, by a new transaction. It is
// not a deposit: no KYC limit refuses money coming back.
func reverseCashout(ctx context.Context, tx Tx, e *Partner, t *LedgerTransaction, wallet *Entry, now time.Time) (BalanceAmounts, error) {
	r := LedgerTransaction{PartnerID: e.ID, Kind: KindReversal, Status: StatusCompleted, Amount: t.Amount,
		RequestHash: []byte{}, ReversesID: t.ID, Description: t.Reason, CreatedAt: now, UpdatedAt: now}
	if err := insertTransaction(ctx, tx, &r); err != nil {
		return BalanceAmounts{}, err
	}
	after, err := tx.Return(ctx, wallet.BalanceID, t.Amount)
	if err != nil {
		return BalanceAmounts{}, err
	}
	entries := []Entry{
		{PartnerID: e.ID, BalanceID: wallet.BalanceID, CustomerID: wallet.CustomerID, Type: TypeReversal, Amount: t.Amount, BalanceAfter: after.Amount},
		{PartnerID: e.ID, SystemAccount: AccountSPEIOut, Type: TypeReversal, Amount: -t.Amount},
	}
	return after, record(ctx, tx, e, &r, entries, now)
}

func balanceAmounts(ctx context.Context, tx Tx, e *Partner, id int64) (BalanceAmounts, error) {
	b, err := tx.Balance(ctx, e.ID, id)
	if err != nil {
		return BalanceAmounts{}, err
	}
	return BalanceAmounts{ID: b.ID, Amount: b.Amount, Held: b.Held}, nil
}
