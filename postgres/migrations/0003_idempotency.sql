-- Idempotency keys, written in the transaction of the write they protect. The response is
-- sealed with AES-256-GCM under the server secret key: it may carry issued credentials.
CREATE TABLE idempotency_keys (
    ecommerce_id bigint   NOT NULL REFERENCES ecommerces (id),
    key          text     NOT NULL,
    fingerprint  bytea    NOT NULL,
    status       smallint NOT NULL,
    response     bytea    NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (ecommerce_id, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
