package saldo

import (
	"context"
	"strings"
)

// Credit events.
const (
	EventStatementCreated       = "statement.created"
	EventCompositeParentOverdue = "composite_parent.overdue"
)

// StatementCreated is the payload of statement.created: the statement in the shape of
// UnDosTres's account statement notification (id_type 3), so that a partner's handler of that
// notification reads it unchanged.
type StatementCreated struct {
	IDType       int                   `json:"id_type"`
	StatementID  int64                 `json:"statement_id"`
	ParentID     string                `json:"parent_id"`
	Notification StatementNotification `json:"notification"`
}

// StatementNotification is the body of an account statement notification.
type StatementNotification struct {
	CardsSummary       []CardSummary       `json:"cards_summary"`
	CustomerInfo       StatementHolder     `json:"customer_info"`
	PeriodTransactions []PeriodTransaction `json:"period_transactions"`
	MovementSummary    MovementSummary     `json:"movement_summary"`
}

// CardSummary is one child (a card) of a statement.
type CardSummary struct {
	CardID             int64  `json:"card_id"`
	CardholderName     string `json:"cardholder_name"`
	CardType           string `json:"card_type"`
	CumulativePayments int64  `json:"cumulative_payments"`
	CumulativeCharges  int64  `json:"cumulative_charges"`
	CumulativeRefunds  int64  `json:"cumulative_refunds"`
	ClosingDebt        int64  `json:"closing_debt"`
}

// StatementHolder is who a statement is for, and its dates and credit.
type StatementHolder struct {
	Issuer          string          `json:"issuer"`
	StatementPeriod StatementPeriod `json:"statement_period"`
	CutoffDate      string          `json:"cutoff_date"`
	PaymentDueDate  string          `json:"payment_due_date"`
	AccountHolder   string          `json:"account_holder"`
	CreditDetails   CreditDetails   `json:"credit_details"`
}

// StatementPeriod is a statement's period: from its first day to its cut-off date, which
// is not part of it.
type StatementPeriod struct {
	StartDate  string `json:"start_date"`
	CutoffDate string `json:"cutoff_date"`
}

// CreditDetails are a parent's credit and what its statement makes due.
type CreditDetails struct {
	CreditLine      int64 `json:"credit_line"`
	CreditLimit     int64 `json:"credit_limit"`
	TotalDuePayment int64 `json:"total_due_payment"`
	MinDuePayment   int64 `json:"min_due_payment"`
}

// PeriodTransaction is one movement of a statement's period.
type PeriodTransaction struct {
	TransactionID   int64           `json:"transaction_id"`
	CardID          int64           `json:"card_id"`
	Date            string          `json:"date"` // RFC 3339, Mexico City
	Type            TransactionType `json:"type"`
	Amount          int64           `json:"amount"` // signed as the cardholder sees it
	Description     string          `json:"description"`
	MerchantName    string          `json:"merchant_name"`
	MerchantCatCode string          `json:"mcc"`
}

// MovementSummary are a statement's totals.
type MovementSummary struct {
	OpeningBalance int64 `json:"opening_balance"`
	Charges        int64 `json:"charges"`
	Refunds        int64 `json:"refunds"`
	Payments       int64 `json:"payments"`
	ClosingBalance int64 `json:"closing_balance"`
}

// CompositeParentOverdue is the payload of composite_parent.overdue.
type CompositeParentOverdue struct {
	ParentID        string `json:"parent_id"`
	CustomerID      int64  `json:"customer_id"`
	MinDuePayment   int64  `json:"min_due_payment"`
	TotalDuePayment int64  `json:"total_due_payment"`
	DueDate         string `json:"due_date"`
}

func (StatementCreated) EventType() string       { return EventStatementCreated }
func (CompositeParentOverdue) EventType() string { return EventCompositeParentOverdue }
func (p StatementCreated) Subject() string       { return formatID(p.StatementID) }
func (p CompositeParentOverdue) Subject() string { return p.ParentID }

// accountStatementNotification is UnDosTres's id_type of an account statement.
const accountStatementNotification = 3

// statementCreated is st's statement.created. The names of the parent's owner and of each
// child's cardholder are the only personal data: the statement is addressed to them.
func statementCreated(ctx context.Context, tx Tx, e *Partner, p *CompositeParent, st *Statement) (StatementCreated, error) {
	names := map[int64]string{}
	name := func(id int64) (string, error) {
		if n, ok := names[id]; ok {
			return n, nil
		}
		c, err := tx.Customer(ctx, e.ID, id)
		if err != nil {
			return "", err
		}
		names[id] = fullName(c)
		return names[id], nil
	}
	holder, err := name(p.CustomerID)
	if err != nil {
		return StatementCreated{}, err
	}
	n := StatementNotification{
		CustomerInfo: StatementHolder{Issuer: e.Name, StatementPeriod: StatementPeriod{StartDate: st.PeriodStart, CutoffDate: st.CutoffDate},
			CutoffDate: st.CutoffDate, PaymentDueDate: st.PaymentDueDate, AccountHolder: holder,
			CreditDetails: CreditDetails{CreditLine: p.CreditLine, CreditLimit: p.CreditLine + e.Overlimit,
				TotalDuePayment: st.TotalDue, MinDuePayment: st.MinDue}},
		MovementSummary: MovementSummary{OpeningBalance: st.OpeningBalance, Charges: st.Charges, Refunds: st.Refunds,
			Payments: st.Payments, ClosingBalance: st.ClosingBalance},
		CardsSummary:       make([]CardSummary, len(st.Children)),
		PeriodTransactions: make([]PeriodTransaction, len(st.Lines)),
	}
	for i, c := range st.Children {
		cardholder, err := name(c.CustomerID)
		if err != nil {
			return StatementCreated{}, err
		}
		n.CardsSummary[i] = CardSummary{CardID: c.ChildID, CardholderName: cardholder, CardType: "digital",
			CumulativePayments: c.CumulativePayments, CumulativeCharges: c.CumulativeCharges,
			CumulativeRefunds: c.CumulativeRefunds, ClosingDebt: c.ClosingDebt}
	}
	for i, l := range st.Lines {
		n.PeriodTransactions[i] = PeriodTransaction{TransactionID: l.TransactionID, CardID: l.ChildID,
			Date: l.CreatedAt.In(MexicoCity).Format("2006-01-02T15:04:05-07:00"), Type: l.Type, Amount: l.Amount,
			Description: l.Description, MerchantName: l.MerchantName, MerchantCatCode: l.MCC}
	}
	return StatementCreated{IDType: accountStatementNotification, StatementID: st.ID, ParentID: p.ID, Notification: n}, nil
}

// fullName is a customer's name as a statement shows it.
func fullName(c *Customer) string {
	return strings.Join(strings.Fields(strings.Join([]string{c.FirstName, c.MiddleName, c.LastName, c.SecondLastName}, " ")), " ")
}
