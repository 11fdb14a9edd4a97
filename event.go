package saldo

import "time"

// Event types appended to the events table in the same transaction as the change they record.
const (
	EventCustomerCreated        = "customer.created"
	EventCompositeParentCreated = "composite_parent.created"
	EventCompositeChildCreated  = "composite_child.created"
	EventChildCreditLineUpdated = "composite_child.credit_line_updated"
	EventTokenReuseDetected     = "token.reuse_detected"
)

// Event records a change for partners' audit and for later delivery. Its payload holds ids
// and amounts only, never personal data or secrets.
type Event struct {
	ID          int64
	EcommerceID int64
	Type        string
	SubjectID   string // the id of what changed: a customer id, a parent id
	Payload     []byte // JSON
	CreatedAt   time.Time
}
