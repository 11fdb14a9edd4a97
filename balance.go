package saldo

import "time"

// BalanceKind tells what a balance is for.
type BalanceKind string

const (
	BalanceWallet          BalanceKind = "wallet"
	BalanceCompositeParent BalanceKind = "composite_parent"
	BalanceCompositeChild  BalanceKind = "composite_child"
)

// BalanceStatusActive is the only status a balance has at creation.
const BalanceStatusActive = 1

// Balance is an amount of money in cents held for a customer.
type Balance struct {
	ID         int64
	PartnerID  int64
	CustomerID int64
	Kind       BalanceKind
	Amount     int64 // cents
	Held       int64 // cents of Amount set aside
	Status     int
	CreatedAt  time.Time
}

// CompositeParent is a credit line of one customer from which child balances are carved.
// Allocated is Σ children's credit lines, kept beside the credit line so that a single
// conditional update can enforce Allocated ≤ CreditLine under any concurrency.
type CompositeParent struct {
	ID         string // 32 lowercase hex
	PartnerID  int64
	CustomerID int64
	BalanceID  int64
	CreditLine int64 // cents
	Allocated  int64 // cents
	BillingDay int   // 1–28
	Status     int   // ParentActive or ParentOverdue
	CreatedAt  time.Time
	// PeriodStart is the first day (YYYY-MM-DD, Mexico City) of the period its next statement
	// closes: the day it was created, then each cut-off date.
	PeriodStart string
	// DueTotal and DueMin are what remains due of its latest statement, by DueDate.
	DueTotal, DueMin int64
	DueDate          string
}

// Parent statuses. The numbers are the wire's.
const (
	ParentActive  = 1
	ParentOverdue = 2
)

// AvailableCredit is what children may still draw.
func (p *CompositeParent) AvailableCredit() int64 { return p.CreditLine - p.Allocated }

// billingDayFor returns the billing day of a parent created at now for partner e: the
// partner's billing day, or else the day of creation in Mexico City capped at 28 so that
// every month has it.
func billingDayFor(e *Partner, now time.Time) int {
	if e.BillingDay != 0 {
		return e.BillingDay
	}
	return min(now.In(MexicoCity).Day(), 28)
}

// nextBillingDate returns the first date strictly after today in Mexico City that falls on
// billingDay, as a date at midnight UTC (a calendar date, not an instant).
func nextBillingDate(billingDay int, now time.Time) time.Time {
	y, m, d := now.In(MexicoCity).Date()
	if d < billingDay {
		return time.Date(y, m, billingDay, 0, 0, 0, 0, time.UTC)
	}
	// time.Date normalises month 13 to January of the next year.
	return time.Date(y, m+1, billingDay, 0, 0, 0, 0, time.UTC)
}

// nextDueDate returns the payment due date for a billing date.
func nextDueDate(billingDate time.Time, paymentDueDays int) time.Time {
	return billingDate.AddDate(0, 0, paymentDueDays)
}
