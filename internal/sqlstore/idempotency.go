package sqlstore

import (
	"context"
	"time"

	"github.com/saldo-mx/saldo"
)

// idempotencyColumns are the idempotency_keys columns.
var idempotencyColumns = newColumns("idempotency_keys", []column[saldo.IdempotencyRecord]{
	field("ecommerce_id", func(r *saldo.IdempotencyRecord) *int64 { return &r.PartnerID }),
	field("key", func(r *saldo.IdempotencyRecord) *string { return &r.Key }),
	field("fingerprint", func(r *saldo.IdempotencyRecord) *[]byte { return &r.Fingerprint }),
	field("status", func(r *saldo.IdempotencyRecord) *int { return &r.Status }),
	field("response", func(r *saldo.IdempotencyRecord) *[]byte { return &r.Response }),
	instant("created_at", func(r *saldo.IdempotencyRecord) *time.Time { return &r.CreatedAt }),
})

var (
	insertIdempotency = newRowsInsert(idempotencyColumns, false)
	selectIdempotency = idempotencyColumns.selectWhere("ecommerce_id = $1 AND key = $2")
)

func (t *tx) IdempotencyRecord(ctx context.Context, partnerID int64, key string) (*saldo.IdempotencyRecord, error) {
	var r saldo.IdempotencyRecord
	err := t.conn.QueryRow(ctx, selectIdempotency, partnerID, key).Scan(idempotencyColumns.dests(&r, t.d.Times)...)
	if err != nil {
		return nil, t.notFound(err, "idempotency_key")
	}
	return &r, nil
}

func (t *tx) InsertIdempotencyRecord(ctx context.Context, r *saldo.IdempotencyRecord) error {
	return t.insertRows(ctx, insertIdempotency, 1, idempotencyColumns.args(r, t.d.Times))
}

func (t *tx) DeleteIdempotencyRecords(ctx context.Context, cutoff time.Time) (int64, error) {
	n, err := t.conn.Exec(ctx, "DELETE FROM idempotency_keys WHERE created_at < $1", t.d.Times.Arg(cutoff))
	return n, t.d.Translate(err)
}
