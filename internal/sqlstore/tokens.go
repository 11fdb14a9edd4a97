package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/saldo-mx/saldo"
)

// tokenSelect reads a customer_tokens row in the order of scanToken. The nullable instants
// are read as a flag and a COALESCE with issued_at, which keeps their column type on both
// engines (timestamptz, INTEGER microseconds), so Times.Dest can scan them.
const tokenSelect = "SELECT id, ecommerce_id, customer_id, kind, hash, device_id, issued_at, " +
	"expires_at IS NULL, COALESCE(expires_at, issued_at), revoked_at IS NULL, COALESCE(revoked_at, issued_at), " +
	"revoke_reason FROM customer_tokens"

func (t *tx) TokenByHash(ctx context.Context, hash []byte) (*saldo.Token, error) {
	var (
		tok                  saldo.Token
		noExpiry, notRevoked bool
		expires, revoked     time.Time
	)
	err := t.conn.QueryRow(ctx, tokenSelect+" WHERE hash = $1", hash).Scan(
		&tok.ID, &tok.EcommerceID, &tok.CustomerID, (*string)(&tok.Kind), &tok.Hash, &tok.DeviceID,
		t.d.Times.Dest(&tok.IssuedAt), &noExpiry, t.d.Times.Dest(&expires), &notRevoked, t.d.Times.Dest(&revoked),
		&tok.RevokeReason)
	if err != nil {
		return nil, t.notFound(err, "token")
	}
	if !noExpiry {
		tok.ExpiresAt = expires
	}
	if !notRevoked {
		tok.RevokedAt = revoked
	}
	return &tok, nil
}

func (t *tx) LockCustomer(ctx context.Context, ecommerceID, customerID int64) error {
	var id int64
	err := t.conn.QueryRow(ctx, "SELECT id FROM customers WHERE id = $1 AND ecommerce_id = $2"+t.d.ForUpdate,
		customerID, ecommerceID).Scan(&id)
	if err != nil {
		return t.notFound(err, "customer")
	}
	return nil
}

func (t *tx) RevokeToken(ctx context.Context, id int64, at time.Time, reason string) (bool, error) {
	// The condition makes revocation happen once even without the customer's lock: of two
	// transactions revoking one token, the second finds nothing to change.
	n, err := t.conn.Exec(ctx, "UPDATE customer_tokens SET revoked_at = $2, revoke_reason = $3 WHERE id = $1 AND revoked_at IS NULL",
		id, t.d.Times.Arg(at), reason)
	if err != nil {
		return false, t.d.Translate(err)
	}
	return n == 1, nil
}

func (t *tx) RevokeCustomerTokens(ctx context.Context, ecommerceID, customerID int64, kinds []saldo.TokenKind, at time.Time, reason string) ([]int64, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	args := []any{ecommerceID, customerID, t.d.Times.Arg(at), reason}
	in := make([]string, len(kinds))
	for i, k := range kinds {
		args = append(args, string(k))
		in[i] = dollar(len(args))
	}
	rows, err := t.conn.Query(ctx, "UPDATE customer_tokens SET revoked_at = $3, revoke_reason = $4"+
		" WHERE ecommerce_id = $1 AND customer_id = $2 AND revoked_at IS NULL AND kind IN ("+strings.Join(in, ", ")+")"+
		" RETURNING id", args...)
	if err != nil {
		return nil, t.d.Translate(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, t.d.Translate(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, t.d.Translate(err)
	}
	slices.Sort(ids)
	return ids, nil
}
