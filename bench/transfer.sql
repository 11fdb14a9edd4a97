-- The pgbench reference for one wallet-to-wallet transfer: as one plain SQL transaction, the
-- statements saldo's transfer (money.go, internal/sqlstore/ledger.go) sent to PostgreSQL, in
-- their order, before it sent its reads and move together (Tx.ReadTransfers), with the same
-- rows, against tables made by `saldo migrate` and seeded by bench/transfer_seed.sql:
--
--   the lookup of the source customer's oauth token by its hash (Authorization-customer);
--   the ledger_transactions row; both wallets read with saldo's wallet-account query (the
--   wallet, its owner's status and KYC level limits, the UDI value of the day); the debit
--   (`amount - x >= held`) and the credit (within the target's balance cap) as conditional
--   UPDATEs, the wallet of lower id first; the target's monthly deposit upsert
--   (wallet_deposits, within the level's limit); the 2 ledger_entries rows (one INSERT) with
--   the balances after; the transaction.created events row with the entries in its payload.
--
-- Like bench/create.sql it leaves out what saldo does around that: authenticating the partner
-- and the check, in the same transaction, that its token is still current; decoding,
-- validation, the JSON answer. The token hash is computed by PostgreSQL here (sha256 of
-- 'oauth' || customer id, as the seed stored it), by saldo in Go. Limits are computed from the
-- wallet query's answer, as saldo does, here in pgbench's own arithmetic. So this is the ceiling
-- the database allows for the same work.
--
-- Run it with -M prepared (pgx prepares and caches its statements the same way) and define:
--   -D ecommerce_id=ID  the partner the seed wrote the wallets for
--   -D first=F -D last=L  the seeded customers (transfer_seed.sql prints them)
--   -D hot=0            source and target drawn at random among the wallets, distinct
--   -D hot=1            every transfer out of the first customer's wallet (the hot one) to a
--                       random other
--   -D amount=CENTS     what each transfer moves
--   -D day=YYYY-MM-DD -D month=YYYY-MM  today in Mexico City, as saldo passes them
-- The debit's and the credit's RETURNING go through \gset: an UPDATE its condition refuses
-- returns no row and pgbench fails the client, as saldo answers 409/5003 or a limit: seed
-- enough that it never happens.

\if :hot
\set src :first
\set dst random(:first + 1, :last)
\else
\set src random(:first, :last)
\set dst random(:first, :last - 1)
\if :dst >= :src
\set dst :dst + 1
\endif
\endif
\set debit -1 * :amount

BEGIN;

SELECT id, ecommerce_id, customer_id, kind, hash, device_id, issued_at, expires_at IS NULL, COALESCE(expires_at, issued_at),
    revoked_at IS NULL, COALESCE(revoked_at, issued_at), revoke_reason
FROM customer_tokens WHERE hash = sha256(convert_to('oauth' || :src, 'UTF8'));

INSERT INTO ledger_transactions (ecommerce_id, kind, status, amount, reference_kind, reference_id, request_hash, reverses_id,
    description, clabe, counterparty, reason, created_at, updated_at)
VALUES (:ecommerce_id, 'transfer', 2, :amount, '', '', '\x'::bytea, NULL, 'saldo bench transfer', '', '', '', now(), now())
RETURNING id AS tx_id \gset

SELECT b.id, b.amount, b.held, b.ecommerce_id, b.customer_id, c.account_status, k.level, k.monthly_deposit_limit_udis, k.balance_cap_udis,
    COALESCE((SELECT value_micros FROM udi_values WHERE day <= :day ORDER BY day DESC LIMIT 1), 0) AS udi
FROM balances b JOIN customers c ON c.id = b.customer_id JOIN kyc_levels k ON k.level = c.account_level
WHERE b.kind = 'wallet' AND b.ecommerce_id = :ecommerce_id AND b.customer_id = :src \gset src_

SELECT b.id, b.amount, b.held, b.ecommerce_id, b.customer_id, c.account_status, k.level, k.monthly_deposit_limit_udis, k.balance_cap_udis,
    COALESCE((SELECT value_micros FROM udi_values WHERE day <= :day ORDER BY day DESC LIMIT 1), 0) AS udi
FROM balances b JOIN customers c ON c.id = b.customer_id JOIN kyc_levels k ON k.level = c.account_level
WHERE b.kind = 'wallet' AND b.ecommerce_id = :ecommerce_id AND b.customer_id = :dst \gset dst_

-- The target's limits in cents (saldo's udisToCents); the seed's customers are level 1, whose
-- limits are set.
\set cap_cents :dst_balance_cap_udis * :dst_udi / 10000
\set deposit_cents :dst_monthly_deposit_limit_udis * :dst_udi / 10000

\if :src_id < :dst_id
UPDATE balances SET amount = amount - :amount WHERE id = :src_id AND amount - :amount >= held RETURNING id, amount, held \gset debit_
UPDATE balances SET amount = amount + :amount WHERE id = :dst_id AND amount + :amount <= :cap_cents RETURNING id, amount, held \gset credit_
\else
UPDATE balances SET amount = amount + :amount WHERE id = :dst_id AND amount + :amount <= :cap_cents RETURNING id, amount, held \gset credit_
UPDATE balances SET amount = amount - :amount WHERE id = :src_id AND amount - :amount >= held RETURNING id, amount, held \gset debit_
\endif

INSERT INTO wallet_deposits (balance_id, month, amount) VALUES (:dst_id, :month, :amount)
ON CONFLICT (balance_id, month) DO UPDATE SET amount = wallet_deposits.amount + excluded.amount
WHERE wallet_deposits.amount + excluded.amount <= :deposit_cents RETURNING amount \gset deposit_

INSERT INTO ledger_entries (transaction_id, ecommerce_id, balance_id, customer_id, system_account, type, amount, balance_after, created_at)
VALUES (:tx_id, :ecommerce_id, :src_id, :src_customer_id, NULL, 2, :debit, :debit_amount, now()),
    (:tx_id, :ecommerce_id, :dst_id, :dst_customer_id, NULL, 3, :amount, :credit_amount, now());

INSERT INTO events (ecommerce_id, type, subject_id, payload, created_at)
VALUES (:ecommerce_id, 'transaction.created', :tx_id::text,
    jsonb_build_object('transaction_id', :tx_id::bigint, 'kind', 'transfer', 'status', 2, 'amount', :amount::bigint,
        'entries', jsonb_build_array(
            jsonb_build_object('balance_id', :src_id::bigint, 'customer_id', :src_customer_id::bigint, 'type', 2,
                'amount', :debit::bigint, 'balance_after', :debit_amount::bigint),
            jsonb_build_object('balance_id', :dst_id::bigint, 'customer_id', :dst_customer_id::bigint, 'type', 3,
                'amount', :amount::bigint, 'balance_after', :credit_amount::bigint))),
    now());

COMMIT;
