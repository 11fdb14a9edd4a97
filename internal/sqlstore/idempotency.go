package sqlstore

import (
	"context"
	"time"

	"github.com/saldo-mx/saldo"
)

const idempotencyColumns = "ecommerce_id, key, fingerprint, status, response, created_at"

var insertIdempotency = insert("idempotency_keys", idempotencyColumns, 1, dollar)

func (t *tx) IdempotencyRecord(ctx context.Context, ecommerceID int64, key string) (*saldo.IdempotencyRecord, error) {
	var r saldo.IdempotencyRecord
	err := t.conn.QueryRow(ctx, "SELECT "+idempotencyColumns+" FROM idempotency_keys WHERE ecommerce_id = $1 AND key = $2",
		ecommerceID, key).Scan(&r.EcommerceID, &r.Key, &r.Fingerprint, &r.Status, &r.Response, t.d.Times.Dest(&r.CreatedAt))
	if err != nil {
		return nil, t.notFound(err, "idempotency_key")
	}
	return &r, nil
}

func (t *tx) InsertIdempotencyRecord(ctx context.Context, r *saldo.IdempotencyRecord) error {
	return t.d.Translate(t.conn.Send(ctx, insertIdempotency, r.EcommerceID, r.Key, r.Fingerprint, r.Status, r.Response, t.d.Times.Arg(r.CreatedAt)))
}

func (t *tx) DeleteIdempotencyRecords(ctx context.Context, cutoff time.Time) (int64, error) {
	n, err := t.conn.Exec(ctx, "DELETE FROM idempotency_keys WHERE created_at < $1", t.d.Times.Arg(cutoff))
	return n, t.d.Translate(err)
}
