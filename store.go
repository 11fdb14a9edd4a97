package saldo

import (
	"context"
	"errors"
)

// Store is a storage engine. PostgreSQL and SQLite implement it and pass one conformance
// suite (package storetest).
type Store interface {
	// Update runs fn in a read-write transaction and commits when fn returns nil. It runs fn
	// again when the engine reports a serialization failure or deadlock, so fn must have no
	// effects outside the transaction.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Autocommit runs fn's statements outside any transaction, each on its own: for lookups that need
	// no snapshot shared by several statements, it saves the round trips of BEGIN and COMMIT.
	Autocommit(ctx context.Context, fn func(Tx) error) error
	// Ping reports whether the database can be reached.
	Ping(ctx context.Context) error
	Close() error
}

// Tx is what a transaction can do. Methods that find nothing return an *Error with ENOTFOUND;
// lookups of partner data take the partner's id, so one partner's rows are invisible to
// another.
//
// An engine may hold back inserts, whose results nothing waits for, and send them with the
// next statement that reads or with the commit: such an insert's error (a unique index it
// violates, say) is then the error of that read or of Update.
type Tx interface {
	// ReserveIDs takes up front the ids of the customers, balances and ledger transactions the
	// transaction is about to insert, so that an engine that can assign ids itself sets them on
	// those rows as they are inserted and need not wait for each insert. An engine that cannot
	// ignores it.
	ReserveIDs(ctx context.Context, n IDCounts) error

	InsertPartner(ctx context.Context, e *Partner) error
	Partner(ctx context.Context, id int64) (*Partner, error)
	PartnerByTokenHash(ctx context.Context, hash []byte) (*Partner, error)
	Partners(ctx context.Context) ([]*Partner, error)
	SetPartnerTokenHash(ctx context.Context, id int64, hash []byte) error
	// CheckPartnerToken fails with EUNAUTHORIZED unless hash is partner id's token hash. An
	// engine may hold it back like an insert, so that it costs no round trip; its failure then
	// fails the next read or the commit, and the transaction writes nothing.
	CheckPartnerToken(ctx context.Context, id int64, hash []byte) error

	// CustomerDuplicates returns the names of c's unique fields (email, mobile, rfc, curp)
	// that another customer of c's partner already holds.
	CustomerDuplicates(ctx context.Context, c *Customer) ([]string, error)
	// InsertCustomer stores c and sets its ID. A unique index it would violate is reported
	// as an error for which errors.Is(err, ErrDuplicate) holds.
	InsertCustomer(ctx context.Context, c *Customer) error
	Customer(ctx context.Context, partnerID, id int64) (*Customer, error)

	InsertBalance(ctx context.Context, b *Balance) error
	// Wallet returns the customer's wallet balance.
	Wallet(ctx context.Context, partnerID, customerID int64) (*Balance, error)

	InsertTokens(ctx context.Context, tokens []Token) error

	InsertCompositeParent(ctx context.Context, p *CompositeParent) error
	// CompositeParentOf returns the customer's parent, or ENOTFOUND when it has none.
	CompositeParentOf(ctx context.Context, partnerID, customerID int64) (*CompositeParent, error)

	InsertEvents(ctx context.Context, events []Event) error
	// InsertEvent stores one event and sets its ID.
	InsertEvent(ctx context.Context, ev *Event) error
	// EventsAfter returns up to limit events of partner partnerID in the order their
	// transactions committed, after event after (0: from the first), and only events no
	// transaction still running can come before.
	EventsAfter(ctx context.Context, partnerID, after int64, limit int) ([]Event, error)
	// Event returns partner partnerID's event id, or ENOTFOUND.
	Event(ctx context.Context, partnerID, id int64) (*Event, error)

	UpdatePartner(ctx context.Context, e *Partner) error

	// Savepoint marks a point the transaction can go back to (group commit: one write of a
	// batch). An engine may hold it back like an insert.
	Savepoint(ctx context.Context, name string) error
	// RollbackTo undoes what the transaction did since savepoint name, which stays. It fails
	// when the savepoint does not exist: a statement before it failed.
	RollbackTo(ctx context.Context, name string) error
	// HoldInserts runs fn with the rows of the transaction's plain inserts (those whose ids
	// were reserved, and rows that return nothing) held back, and sends them as one
	// multi-row INSERT a table (an engine may send those together as one statement) before
	// the next other statement and when fn is done (group commit: a batch that commits
	// whole). A row refused then fails every held row and the transaction with it, and the
	// error names no write. When fn fails, what it held is dropped: the caller rolls the
	// transaction back.
	HoldInserts(ctx context.Context, fn func() error) error

	TokenTx
	CompositeTx
	CreditTx
	LedgerTx
	LifecycleTx
	WebhookTx
	IdempotencyTx
	RekeyTx
	OperatorTx
}

// IDCounts are how many ids of each kind Tx.ReserveIDs takes.
type IDCounts struct {
	Customers, Balances, Transactions int
}

// ErrPartnerTokenChanged marks the EUNAUTHORIZED of Tx.CheckPartnerToken: the token
// presented is no longer the partner's.
var ErrPartnerTokenChanged = errors.New("partner token changed")

// ErrDuplicate marks a write refused by a unique index: a concurrent transaction committed
// the same identifier after this one checked for it.
var ErrDuplicate = errors.New("unique index violated")
