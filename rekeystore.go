package saldo

import "context"

// StoredEmailKey is a customer's email as stored, with the key stored for it.
type StoredEmailKey struct {
	CustomerID, PartnerID int64
	Email, Key            string
}

// RekeyTx is what a transaction can do to bring stored email keys to the rule of
// EmailKeyVersion (RekeyCustomers).
type RekeyTx interface {
	// EmailKeysToRekey returns up to limit customers whose email_key follows rule 1, with ids
	// above afterID, in id order. It holds their rows until the transaction ends, so that
	// concurrent calls take turns; a row another transaction rekeyed meanwhile is left out.
	EmailKeysToRekey(ctx context.Context, afterID int64, limit int) ([]StoredEmailKey, error)
	// CustomerIDByEmailKey returns the id of partner partnerID's customer whose email_key is
	// key, or ENOTFOUND.
	CustomerIDByEmailKey(ctx context.Context, partnerID int64, key string) (int64, error)
	// SetEmailKey stores key as customer customerID's email_key, following the rule of
	// EmailKeyVersion, unless the row follows that rule already. An engine may hold it back
	// like an insert: a unique index it violates (ErrDuplicate) is then the error of the next
	// read or of Update.
	SetEmailKey(ctx context.Context, customerID int64, key string) error
}
