-- Idempotency keys, written in the transaction of the write they protect. The response is
-- sealed with AES-256-GCM under the server secret key: it may carry issued credentials.
CREATE TABLE idempotency_keys (
    ecommerce_id INTEGER NOT NULL REFERENCES ecommerces (id),
    key          TEXT    NOT NULL,
    fingerprint  BLOB    NOT NULL,
    status       INTEGER NOT NULL,
    response     BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (ecommerce_id, key)
) STRICT;
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
