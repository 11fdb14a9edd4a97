package saldo

import (
	"bytes"
	"context"
	"time"
)

// The ledger: every amount saldo holds is the balance of a ledger account, and every movement
// is a transaction of two or more entries that sum to zero, written in one database
// transaction with the balances it changes, its event and its idempotency record. A
// customer's balance keeps its amount (and what it holds) beside it, in the row a movement
// updates with one conditional UPDATE: the rule a balance obeys is the UPDATE's condition, so no
// interleaving of movements can break it. A partner's system accounts (funding, SPEI in and
// out, …) have no floor and no stored balance: their balances are the sums of their entries,
// so that no row of theirs serialises every movement of the partner.

// TransactionKind is what a ledger transaction does.
type TransactionKind string

const (
	KindTopUp    TransactionKind = "top_up"
	KindTransfer TransactionKind = "transfer"
	KindSPEIOut  TransactionKind = "spei_out"
	KindSPEIIn   TransactionKind = "spei_in"
	KindReversal TransactionKind = "reversal"
)

// TransactionType is a transaction as one customer sees it: a transfer is "transfer out" to
// its source and "transfer in" to its target. The numbers are the wire's.
type TransactionType int

const (
	TypeTopUp       TransactionType = 1
	TypeTransferOut TransactionType = 2
	TypeTransferIn  TransactionType = 3
	TypeSPEIOut     TransactionType = 4
	TypeSPEIIn      TransactionType = 5
	TypeCharge      TransactionType = 6
	TypeRefund      TransactionType = 7
	TypePayment     TransactionType = 8
	TypeReversal    TransactionType = 9
)

// TransactionStatus is where a transaction stands. The numbers are the wire's.
type TransactionStatus int

const (
	StatusPending   TransactionStatus = 1
	StatusCompleted TransactionStatus = 2
	StatusFailed    TransactionStatus = 3
	StatusVoided    TransactionStatus = 4
)

// Final reports whether nothing more can happen to a transaction in status s.
func (s TransactionStatus) Final() bool { return s != StatusPending }

// SystemAccount is one of the accounts each partner's money comes from and goes to.
type SystemAccount string

const (
	AccountFunding     SystemAccount = "funding"      // the partner's money that top-ups credit wallets from
	AccountSPEIIn      SystemAccount = "spei_in"      // SPEI payments received for wallets
	AccountSPEIOut     SystemAccount = "spei_out"     // cash-outs the partner is paying out by SPEI
	AccountCardNetwork SystemAccount = "card_network" // charges and refunds of cards
	AccountRepayments  SystemAccount = "repayments"   // payments of credit from outside saldo
)

// Reference kinds: the partner's own ids, unique per partner and kind.
const (
	ReferenceExternal = "external" // externalTransactionId
	ReferenceTracking = "tracking" // trackingKey, the SPEI clave de rastreo
)

// LedgerTransaction is one movement of money. Only its status, reason and UpdatedAt change.
type LedgerTransaction struct {
	ID            int64
	PartnerID     int64
	Kind          TransactionKind
	Status        TransactionStatus
	Amount        int64 // cents, > 0
	ReferenceKind string
	ReferenceID   string // the partner's own id, "" when none
	// RequestHash identifies what the partner's id was first sent with.
	RequestHash  []byte
	ReversesID   int64  // a reversal's original transaction
	Description  string // the partner's description, or a SPEI concept
	CLABE        string // the other side's CLABE (SPEI)
	Counterparty string // the SPEI sender's name
	Reason       string // why a cash-out failed, or an authorization was released
	// Credit (§9): BalanceID is the child a charge, refund or child payment is about, or the
	// parent's balance for a parent payment; of a charge, Amount is what was authorized,
	// Captured what was posted and Refunded what came back; ExpiresAt is when a pending
	// authorization is released.
	BalanceID          int64
	Captured, Refunded int64
	ExpiresAt          time.Time
	Merchant           Merchant
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Entry is one side of a transaction: a customer balance (BalanceID and CustomerID set) or a
// system account. A positive amount credits the account.
type Entry struct {
	ID            int64
	TransactionID int64
	PartnerID     int64
	BalanceID     int64 // 0 for a system account
	CustomerID    int64 // 0 for a system account
	SystemAccount SystemAccount
	Type          TransactionType
	Amount        int64
	BalanceAfter  int64 // the balance's amount once this entry applied
	CreatedAt     time.Time
}

// BalanceAmounts is a balance's money: amount, and what of it is held.
type BalanceAmounts struct {
	ID     int64
	Amount int64
	Held   int64
}

// Available is what can be spent.
func (b BalanceAmounts) Available() int64 { return b.Amount - b.Held }

// Movement is the answer to a write that moves money: the transaction, and the balance of
// the wallet it is about after it.
type Movement struct {
	Transaction LedgerTransaction
	Balance     BalanceAmounts
}

// Limit is an upper bound in cents, or none.
type Limit struct {
	Cents int64
	Set   bool
}

// WalletAccount is a wallet with what a movement into or out of it needs to know: its owner's
// status and KYC level, the level's limits, and the UDI value of the movement's day.
type WalletAccount struct {
	BalanceAmounts
	PartnerID      int64
	CustomerID     int64
	CustomerStatus int
	Level          KYCLevel
	// UDIMicros is the value of the UDI on the day asked for (the newest on or before it), in
	// millionths of a peso; 0 when none is known.
	UDIMicros int64
}

// TransactionLine is a transaction as a customer's list shows it: one of its entries on the
// customer's balances.
type TransactionLine struct {
	TransactionID int64
	Amount        int64 // signed, as the customer sees it
	Type          TransactionType
	Status        TransactionStatus
	Description   string
	ReferenceID   string
	MCC           string // a charge's merchant category code
	CreatedAt     time.Time
}

// TransactionQuery filters and pages a customer's transactions.
type TransactionQuery struct {
	Limit, Offset int
	From, To      time.Time // instants; zero means unbounded
	Ascending     bool
	TransactionID int64 // 0: any
}

// TransferQuery is what Tx.ReadTransfers reads and moves: the token of hash TokenHash, the
// wallets of partner PartnerID's customers Source and Target with Day's UDI value, and Amount
// from Source's wallet to Target's.
type TransferQuery struct {
	TokenHash                 []byte
	PartnerID, Source, Target int64
	Day                       string
	Amount                    int64
}

func (q TransferQuery) same(o *TransferQuery) bool {
	return bytes.Equal(q.TokenHash, o.TokenHash) && q.PartnerID == o.PartnerID && q.Source == o.Source &&
		q.Target == o.Target && q.Day == o.Day && q.Amount == o.Amount
}

// TransferRead is what Tx.ReadTransfers found, and whether it moved the money. It moves it,
// before anything has checked the token, when both customers and both wallets are active, the
// source's wallet covers the amount, and the target's stays within its level's balance cap at
// the day's UDI value (a capped level without a UDI value moves nothing); Moved then holds,
// with both balances after. A transfer stays a sequence of checks made in order: the caller
// makes them on what was read, and a refusal rolls the move back with the rest of the write.
// When nothing moved, Move moves it, or says why not.
type TransferRead struct {
	Token *Token // nil: no token has the hash
	// As found before the moves (of every transfer read together), in no particular order:
	// their amounts are not the ones the move saw.
	Wallets []WalletAccount
	Moved   bool
	// The balances after the move, when Moved.
	SourceAfter, TargetAfter BalanceAmounts
}

// LockedBalance is a balance as Tx.LockTransfers locked it.
type LockedBalance struct {
	BalanceAmounts
	Active bool // its status is active: it may be debited and credited
}

// BalanceChange is what Tx.ApplyMoves adds to a balance.
type BalanceChange struct {
	ID, Amount int64
}

// LedgerTx is what a transaction can do with the ledger. Balances are locked in one global
// order: a movement that changes two balances changes the one of lower id first, and a
// transaction whose status changes is locked before any balance.
type LedgerTx interface {
	// WalletAccount returns the wallet of partner partnerID's customer, with day's UDI value
	// (day is YYYY-MM-DD), or ENOTFOUND.
	WalletAccount(ctx context.Context, partnerID, customerID int64, day string) (*WalletAccount, error)
	// WalletAccountByID is WalletAccount for the wallet with balance id balanceID.
	WalletAccountByID(ctx context.Context, partnerID, balanceID int64, day string) (*WalletAccount, error)
	// Balance returns partner partnerID's balance id, or ENOTFOUND.
	Balance(ctx context.Context, partnerID, id int64) (*Balance, error)

	// InsertTransaction stores t and sets its ID. A reference the partner used already is
	// reported as an error for which errors.Is(err, ErrDuplicate) holds, possibly by the
	// next read or the commit.
	InsertTransaction(ctx context.Context, t *LedgerTransaction) error
	// TransactionByReference returns the partner's transaction with its own id, or ENOTFOUND.
	TransactionByReference(ctx context.Context, partnerID int64, kind, id string) (*LedgerTransaction, error)
	// LedgerTransaction returns the partner's transaction id, or ENOTFOUND; with lock, locked
	// until the transaction ends.
	LedgerTransaction(ctx context.Context, partnerID, id int64, lock bool) (*LedgerTransaction, error)
	// SetTransactionStatus moves transaction id from status from to status to, or fails with
	// EINVALIDSTATE when it is no longer in from.
	SetTransactionStatus(ctx context.Context, id int64, from, to TransactionStatus, reason string, now time.Time) error

	// Debit takes amount from balance id when it is active and its available amount covers
	// it, else fails with ENOTACTIVE or EFUNDS, and returns the balance after.
	Debit(ctx context.Context, id, amount int64) (BalanceAmounts, error)
	// Credit adds amount to balance id when it is active and the result stays within limit,
	// else fails with ENOTACTIVE or ELIMIT (amount:balance_cap), and returns the balance after.
	Credit(ctx context.Context, id, amount int64, limit Limit) (BalanceAmounts, error)
	// Move takes amount from balance from and adds it to balance to, in one statement that
	// locks both in id order, when from is active and covers it and to is active and stays
	// within limit; else it fails with ENOTACTIVE (its hint "account:not_active" prefixed by
	// "from:" or "to:" through MoveRefusal), EFUNDS or ELIMIT.
	Move(ctx context.Context, from, to, amount int64, limit Limit) (fromAfter, toAfter BalanceAmounts, err error)
	// ReadTransfers reads what each transfer of qs needs and moves its money speculatively
	// (see TransferRead), in qs's order, in one round trip where the engine can.
	ReadTransfers(ctx context.Context, qs ...TransferQuery) ([]TransferRead, error)
	// LockTransfers reads what ReadTransfers reads, moving nothing, and locks the wallets of
	// qs's customers until the transaction ends, in id order, returning them as locked: the
	// moves may then be made in memory and written with ApplyMoves. One round trip where the
	// engine can.
	LockTransfers(ctx context.Context, qs ...TransferQuery) ([]TransferRead, []LockedBalance, error)
	// ApplyMoves adds each change to its balance, unconditionally: the caller locked the
	// balances and checked the moves' rules. The engine may send it with what follows.
	ApplyMoves(ctx context.Context, changes []BalanceChange) error
	// Return adds amount to balance id whatever its status: money coming back, such as a failed
	// cash-out's, is never refused.
	Return(ctx context.Context, id, amount int64) (BalanceAmounts, error)
	// AddDeposit adds amount to what wallet balanceID was credited in month (YYYY-MM) when the
	// sum stays within limit, else fails with ELIMIT (amount:monthly_deposit_limit).
	AddDeposit(ctx context.Context, balanceID int64, month string, amount int64, limit Limit) error
	// Deposits returns what wallet balanceID was credited in month.
	Deposits(ctx context.Context, balanceID int64, month string) (int64, error)

	InsertEntries(ctx context.Context, entries []Entry) error
	// Entries returns a transaction's entries in id order.
	Entries(ctx context.Context, transactionID int64) ([]Entry, error)
	// CustomerTransactions returns a page of the customer's lines and how many match q.
	CustomerTransactions(ctx context.Context, partnerID, customerID int64, q TransactionQuery) ([]TransactionLine, int, error)

	// Ledger checks, for saldo ledger verify.
	LedgerTotals(ctx context.Context) (LedgerTotals, error)
	UnbalancedTransactions(ctx context.Context, limit int) ([]UnbalancedTransaction, error)
	MismatchedBalances(ctx context.Context, limit int) ([]MismatchedBalance, error)

	KYCTx
}

// MoveRefusal tells which side of a Move was not active.
type MoveRefusal struct {
	From bool // the debited balance, else the credited one
}

func (m *MoveRefusal) Error() string {
	if m.From {
		return "debited balance not active"
	}
	return "credited balance not active"
}
