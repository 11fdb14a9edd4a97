package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/saldo-mx/saldo"
)

// tokenColumns are the customer_tokens columns written at issue; the id is the engine's.
// Tokens are inserted a few at a time.
var tokenColumns = newColumns("customer_tokens", []column[saldo.Token]{
	field("ecommerce_id", func(t *saldo.Token) *int64 { return &t.PartnerID }),
	field("customer_id", func(t *saldo.Token) *int64 { return &t.CustomerID }),
	field("kind", func(t *saldo.Token) *string { return (*string)(&t.Kind) }),
	field("hash", func(t *saldo.Token) *[]byte { return &t.Hash }),
	field("device_id", func(t *saldo.Token) *string { return &t.DeviceID }),
	instant("issued_at", func(t *saldo.Token) *time.Time { return &t.IssuedAt }),
	{name: "expires_at", arg: tokenExpires},
})

// tokenExpires is the argument for expires_at: a token that does not expire stores NULL.
func tokenExpires(t *saldo.Token, tm Times) any {
	if t.ExpiresAt.IsZero() {
		return nil
	}
	return tm.Arg(t.ExpiresAt)
}

// tokenRow is a customer_tokens row as tokenRead reads it.
type tokenRow struct {
	saldo.Token
	noExpiry, notRevoked bool
	expires, revoked     time.Time
}

// tokenRead reads a customer_tokens row. The nullable instants are read as a flag and a
// COALESCE with issued_at, which keeps their column type on both engines (timestamptz,
// INTEGER microseconds), so Times.Dest can scan them.
var tokenRead = newColumns("customer_tokens", []column[tokenRow]{
	field("id", func(r *tokenRow) *int64 { return &r.ID }),
	field("ecommerce_id", func(r *tokenRow) *int64 { return &r.PartnerID }),
	field("customer_id", func(r *tokenRow) *int64 { return &r.CustomerID }),
	field("kind", func(r *tokenRow) *string { return (*string)(&r.Kind) }),
	field("hash", func(r *tokenRow) *[]byte { return &r.Hash }),
	field("device_id", func(r *tokenRow) *string { return &r.DeviceID }),
	instant("issued_at", func(r *tokenRow) *time.Time { return &r.IssuedAt }),
	field("expires_at IS NULL", func(r *tokenRow) *bool { return &r.noExpiry }),
	instant("COALESCE(expires_at, issued_at)", func(r *tokenRow) *time.Time { return &r.expires }),
	field("revoked_at IS NULL", func(r *tokenRow) *bool { return &r.notRevoked }),
	instant("COALESCE(revoked_at, issued_at)", func(r *tokenRow) *time.Time { return &r.revoked }),
	field("revoke_reason", func(r *tokenRow) *string { return &r.RevokeReason }),
})

// token returns the token a read filled.
func (r *tokenRow) token() *saldo.Token {
	if !r.noExpiry {
		r.ExpiresAt = r.expires
	}
	if !r.notRevoked {
		r.RevokedAt = r.revoked
	}
	return &r.Token
}

var selectTokenByHash = tokenRead.selectWhere("hash = $1")

func (t *tx) TokenByHash(ctx context.Context, hash []byte) (*saldo.Token, error) {
	var r tokenRow
	err := t.conn.QueryRow(ctx, selectTokenByHash, hash).Scan(tokenRead.dests(&r, t.d.Times)...)
	if err != nil {
		return nil, t.notFound(err, "token")
	}
	return r.token(), nil
}

func (t *tx) LockCustomer(ctx context.Context, partnerID, customerID int64) (int, error) {
	var status int
	err := t.conn.QueryRow(ctx, "SELECT account_status FROM customers WHERE id = $1 AND ecommerce_id = $2"+t.d.ForUpdate,
		customerID, partnerID).Scan(&status)
	if err != nil {
		return 0, t.notFound(err, "customer")
	}
	return status, nil
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

func (t *tx) RevokeCustomerTokens(ctx context.Context, partnerID, customerID int64, kinds []saldo.TokenKind, at time.Time, reason string) ([]int64, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	args := []any{partnerID, customerID, t.d.Times.Arg(at), reason}
	in := make([]string, len(kinds))
	for i, k := range kinds {
		args = append(args, string(k))
		in[i] = dollar(len(args))
	}
	ids, err := queryAll(ctx, t, scanValue[int64], "UPDATE customer_tokens SET revoked_at = $3, revoke_reason = $4"+
		" WHERE ecommerce_id = $1 AND customer_id = $2 AND revoked_at IS NULL AND kind IN ("+strings.Join(in, ", ")+")"+
		" RETURNING id", args...)
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}
