package saldo

import (
	"context"
	"time"
)

// TokenTx is what a transaction can do with customer credentials beyond issuing them at
// account creation (Tx.InsertTokens issues them).
type TokenTx interface {
	// TokenByHash returns the credential whose hash this is, revoked or not (a revoked one is
	// a tombstone), or ENOTFOUND. Hashes are unique and indexed.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	// LockCustomer holds partner partnerID's customer customerID until the transaction
	// ends, so that transactions changing one customer's credentials take turns. It returns
	// the customer's account status, or ENOTFOUND when the partner has no such customer.
	LockCustomer(ctx context.Context, partnerID, customerID int64) (status int, err error)
	// RevokeToken revokes credential id at at for reason, unless it is revoked already; it
	// reports whether it revoked it.
	RevokeToken(ctx context.Context, id int64, at time.Time, reason string) (bool, error)
	// RevokeCustomerTokens revokes, at at for reason, every credential of the given kinds of
	// partner partnerID's customer customerID that is not revoked yet, and returns their ids
	// in ascending order.
	RevokeCustomerTokens(ctx context.Context, partnerID, customerID int64, kinds []TokenKind, at time.Time, reason string) ([]int64, error)
}
