package sqlstore

import (
	"context"

	"github.com/saldo-mx/saldo"
)

// The rows of rule 1 are found by the predicate of migration 0007's partial index
// customers_email_key_v1, which both engines then read them through.
const (
	selectEmailKeysToRekey = "SELECT id, ecommerce_id, email, email_key FROM customers" +
		" WHERE email_key_version = 1 AND id > $1 ORDER BY id LIMIT $2"
	selectCustomerIDByEmailKey = "SELECT id FROM customers WHERE ecommerce_id = $1 AND email_key = $2"
	updateEmailKey             = "UPDATE customers SET email_key = $2, email_key_version = $3" +
		" WHERE id = $1 AND email_key_version <> $3"
)

func (t *tx) EmailKeysToRekey(ctx context.Context, afterID int64, limit int) ([]saldo.StoredEmailKey, error) {
	return queryAll(ctx, t, func(rows Rows) (saldo.StoredEmailKey, error) {
		var k saldo.StoredEmailKey
		err := rows.Scan(&k.CustomerID, &k.PartnerID, &k.Email, &k.Key)
		return k, err
	}, selectEmailKeysToRekey+t.d.ForUpdate, afterID, limit)
}

func (t *tx) CustomerIDByEmailKey(ctx context.Context, partnerID int64, key string) (int64, error) {
	var id int64
	if err := t.conn.QueryRow(ctx, selectCustomerIDByEmailKey, partnerID, key).Scan(&id); err != nil {
		return 0, t.notFound(err, "customer")
	}
	return id, nil
}

func (t *tx) SetEmailKey(ctx context.Context, customerID int64, key string) error {
	return t.d.Translate(t.conn.Send(ctx, updateEmailKey, customerID, key, saldo.EmailKeyVersion))
}
