package saldo

import (
	"encoding/json"
	"strconv"
	"time"
)

// Event records a change, in the same transaction as the change, for partners' audit and for
// delivery (the outbox). Its payload is the JSON of the event type's payload struct below:
// ids, amounts and states, never secrets or personal data.
type Event struct {
	ID        int64
	PartnerID int64
	Type      string
	SubjectID string // the id of what changed: a customer id, a parent id
	Payload   []byte // JSON of the type's EventPayload
	CreatedAt time.Time

	// dispatched marks an event delivered by the write that records it (a test send). It is
	// stored as it was when events were fanned out; the endpoints' cursors now pass over
	// such events by their type, webhook.test.
	dispatched bool
}

// Dispatched reports whether the event was delivered by the write that recorded it.
func (e *Event) Dispatched() bool { return e.dispatched }

// Event types.
const (
	EventCustomerCreated        = "customer.created"
	EventCompositeParentCreated = "composite_parent.created"
	EventCompositeChildCreated  = "composite_child.created"
	EventChildCreditLineUpdated = "composite_child.credit_line_updated"
	EventTokenReuseDetected     = "token.reuse_detected"
	EventCustomerUpdated        = "customer.updated"
	EventCustomerLevelChanged   = "customer.level_changed"
	EventCustomerStatusChanged  = "customer.status_changed"
)

// EventPayload is the data of one event type. Its JSON is the event's stored payload, and
// what a partner reads in the event feed and in webhooks: the payload types below are
// exported as that public schema, for the adapters that serve them and for partners' Go code.
type EventPayload interface {
	// EventType is the type of the events that carry this payload.
	EventType() string
	// Subject is the id of what changed.
	Subject() string
}

// newEvent is an event of partner e at now carrying p.
func newEvent(e *Partner, now time.Time, p EventPayload) Event {
	payload, err := json.Marshal(p)
	if err != nil {
		panic(err) // payloads are structs of ids, numbers and strings
	}
	return Event{PartnerID: e.ID, Type: p.EventType(), SubjectID: p.Subject(), Payload: payload, CreatedAt: now}
}

// CustomerCreated is the payload of customer.created.
type CustomerCreated struct {
	CustomerID   int64 `json:"customer_id"`
	AccountLevel int   `json:"account_level"`
	WalletID     int64 `json:"wallet_id"`
}

// CompositeParentCreated is the payload of composite_parent.created.
type CompositeParentCreated struct {
	ParentID   string `json:"parent_id"`
	CustomerID int64  `json:"customer_id"`
	BalanceID  int64  `json:"balance_id"`
	CreditLine int64  `json:"credit_line"`
}

// CompositeChildCreated is the payload of composite_child.created.
type CompositeChildCreated struct {
	ChildID    int64  `json:"child_id"`
	ParentID   string `json:"parent_id"`
	CustomerID int64  `json:"customer_id"`
	CreditLine int64  `json:"credit_line"`
}

// ChildCreditLineUpdated is the payload of composite_child.credit_line_updated.
type ChildCreditLineUpdated struct {
	ChildID            int64  `json:"child_id"`
	ParentID           string `json:"parent_id"`
	PreviousCreditLine int64  `json:"previous_credit_line"`
	CreditLine         int64  `json:"credit_line"`
}

// TokenReuseDetected is the payload of token.reuse_detected: a rotated refresh token was
// presented again, and every refresh and oauth token of the customer was revoked.
type TokenReuseDetected struct {
	CustomerID      int64   `json:"customer_id"`
	TokenID         int64   `json:"token_id"`
	RevokedTokenIDs []int64 `json:"revoked_token_ids"`
}

func (CustomerCreated) EventType() string        { return EventCustomerCreated }
func (CompositeParentCreated) EventType() string { return EventCompositeParentCreated }
func (CompositeChildCreated) EventType() string  { return EventCompositeChildCreated }
func (ChildCreditLineUpdated) EventType() string { return EventChildCreditLineUpdated }
func (TokenReuseDetected) EventType() string     { return EventTokenReuseDetected }

func (p CustomerCreated) Subject() string        { return formatID(p.CustomerID) }
func (p CompositeParentCreated) Subject() string { return p.ParentID }
func (p CompositeChildCreated) Subject() string  { return formatID(p.ChildID) }
func (p ChildCreditLineUpdated) Subject() string { return formatID(p.ChildID) }
func (p TokenReuseDetected) Subject() string     { return formatID(p.CustomerID) }

func formatID(id int64) string { return strconv.FormatInt(id, 10) }

// Money movement events.
const (
	EventTransactionCreated = "transaction.created"
	EventTransactionUpdated = "transaction.updated"
)

// TransactionCreated is the payload of transaction.created: a movement of money and its
// entries.
type TransactionCreated struct {
	TransactionID int64             `json:"transaction_id"`
	Kind          TransactionKind   `json:"kind"`
	Status        TransactionStatus `json:"status"`
	Amount        int64             `json:"amount"`
	ReferenceID   string            `json:"reference_id,omitempty"`
	ReversesID    int64             `json:"reverses_id,omitempty"`
	Entries       []EntryPayload    `json:"entries"`
}

// EntryPayload is one side of a transaction in an event: a customer's balance or one of the
// partner's system accounts.
type EntryPayload struct {
	BalanceID     int64           `json:"balance_id,omitempty"`
	CustomerID    int64           `json:"customer_id,omitempty"`
	SystemAccount SystemAccount   `json:"system_account,omitempty"`
	Type          TransactionType `json:"type"`
	Amount        int64           `json:"amount"`
	BalanceAfter  *int64          `json:"balance_after,omitempty"`
}

// TransactionUpdated is the payload of transaction.updated: a transaction changed status.
type TransactionUpdated struct {
	TransactionID  int64             `json:"transaction_id"`
	Kind           TransactionKind   `json:"kind"`
	PreviousStatus TransactionStatus `json:"previous_status"`
	Status         TransactionStatus `json:"status"`
	Captured       int64             `json:"captured,omitempty"` // what an authorization's capture posted
	Reason         string            `json:"reason,omitempty"`   // "expired" for an authorization that ran out
}

func (TransactionCreated) EventType() string { return EventTransactionCreated }
func (TransactionUpdated) EventType() string { return EventTransactionUpdated }
func (p TransactionCreated) Subject() string { return formatID(p.TransactionID) }
func (p TransactionUpdated) Subject() string { return formatID(p.TransactionID) }

// transactionCreated is the payload of t's transaction.created.
func transactionCreated(t *LedgerTransaction, entries []Entry) TransactionCreated {
	p := TransactionCreated{TransactionID: t.ID, Kind: t.Kind, Status: t.Status, Amount: t.Amount,
		ReferenceID: t.ReferenceID, ReversesID: t.ReversesID, Entries: make([]EntryPayload, len(entries))}
	for i, en := range entries {
		p.Entries[i] = EntryPayload{BalanceID: en.BalanceID, CustomerID: en.CustomerID, SystemAccount: en.SystemAccount, Type: en.Type, Amount: en.Amount}
		if en.BalanceID != 0 {
			after := en.BalanceAfter
			p.Entries[i].BalanceAfter = &after
		}
	}
	return p
}

// CustomerUpdated is the payload of customer.updated: the names of the fields that changed,
// never their values.
type CustomerUpdated struct {
	CustomerID int64    `json:"customer_id"`
	Fields     []string `json:"fields"`
}

// CustomerLevelChanged is the payload of customer.level_changed.
type CustomerLevelChanged struct {
	CustomerID int64 `json:"customer_id"`
	From       int   `json:"from"`
	To         int   `json:"to"`
}

// CustomerStatusChanged is the payload of customer.status_changed (1 active, 2 blocked, 3
// closed). The reason given stays out: it is free text, which may hold personal data.
type CustomerStatusChanged struct {
	CustomerID int64 `json:"customer_id"`
	From       int   `json:"from"`
	To         int   `json:"to"`
}

func (CustomerUpdated) EventType() string       { return EventCustomerUpdated }
func (CustomerLevelChanged) EventType() string  { return EventCustomerLevelChanged }
func (CustomerStatusChanged) EventType() string { return EventCustomerStatusChanged }
func (p CustomerUpdated) Subject() string       { return formatID(p.CustomerID) }
func (p CustomerLevelChanged) Subject() string  { return formatID(p.CustomerID) }
func (p CustomerStatusChanged) Subject() string { return formatID(p.CustomerID) }
