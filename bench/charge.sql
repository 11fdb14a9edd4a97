-- The pgbench reference for one charge on a composite child (posted at once, capture true):
-- as one plain SQL transaction, the statements saldo's charge (creditservice.go, write.go,
-- internal/sqlstore/credit.go and ledger.go) sends to PostgreSQL, in its order, with the same
-- rows, against tables made by `saldo migrate` and seeded by bench/charge_seed.sql:
--
--   the check that the partner's token is still current (saldo_check_ecommerce_token, which
--   saldo's write path runs first in every write's transaction when the partner came from its
--   cache, as a charge's does); the ledger_transactions row of the charge, with the partner's
--   externalTransactionId (unique: its index refuses a repeat, so saldo looks for an earlier
--   use only after a refusal, never on a first attempt); the child's charge, saldo's one
--   statement that locks the composite_children row (where the credit line is, and only while
--   the parent is not overdue) and then updates the child's balance within its credit line
--   plus the partner's overlimit; the 2 ledger_entries rows (the child's, the card network
--   account's; one INSERT) with the child's balance after; the transaction.created events
--   row, undispatched, with the entries in its payload.
--
-- What it leaves out is outside the database: authenticating the partner (saldo's cache),
-- decoding, validation, the request hash (sha256 in Go; here a constant), the JSON answer,
-- the log line, and the webhook deliverer marking the event dispatched afterwards. saldo
-- sends these statements in 2 round trips (a pipeline: BEGIN, the token check, the INSERT and
-- the charge; then the entries, the event and COMMIT), its transaction id from a block
-- reserved ahead; pgbench sends each statement on its own and takes the id from the
-- identity (RETURNING). Column aliases on the charge's RETURNING are for \gset only. So this is
-- the ceiling the database allows for the same work.
--
-- Run it with -M prepared (pgx prepares and caches its statements the same way) and define:
--   -D ecommerce_id=ID      the partner the seed wrote the children for
--   -D token_hash='\xHEX'   its token hash (ecommerces.token_hash), which the check compares
--   -D first=F -D last=L    the seeded children's balance ids (charge_seed.sql prints them)
--   -D hot=0                each charge on a child drawn at random
--   -D hot=1                every charge on the first child (the hot one)
--   -D amount=CENTS         what each charge posts
--   -D base=B -D k=0        a per-run base for the externalTransactionIds and the per-client
--                           counter: n = base + k·100 + client_id is unique (clients < 100)
-- The charge's RETURNING goes through \gset: a charge its condition refuses returns no row and
-- pgbench fails the client, as saldo answers 409/5001: seed credit lines that never run out.

\if :hot
\set child :first
\else
\set child random(:first, :last)
\endif
\set k :k + 1
\set n :base + :k * 100 + :client_id
\set overlimit 0
\set debit -1 * :amount

BEGIN;

SELECT saldo_check_ecommerce_token(:ecommerce_id, :token_hash);

INSERT INTO ledger_transactions (ecommerce_id, kind, status, amount, reference_kind, reference_id, request_hash, reverses_id,
    description, clabe, counterparty, reason, created_at, updated_at, balance_id, captured, refunded, expires_at, merchant_name, mcc)
VALUES (:ecommerce_id, 'charge', 2, :amount, 'external', 'ref.chg' || :n,
    '\x1b32c28cb38c05480eccc1bd60ff97029b57a05c96718b96dad7e9d84894f549'::bytea, NULL,
    'bench', '', '', '', now(), now(), :child, :amount, 0, NULL, 'bench', '5411')
RETURNING id AS tx_id \gset

WITH c AS (SELECT balance_id, credit_line FROM composite_children WHERE balance_id = :child AND ecommerce_id = :ecommerce_id
    AND (SELECT status FROM composite_parents p WHERE p.id = composite_children.parent_id) = 1 FOR NO KEY UPDATE)
UPDATE balances SET amount = amount - :amount, held = held + 0 FROM c
WHERE balances.id = c.balance_id AND balances.status = 1 AND balances.held + 0 - (balances.amount - :amount) <= c.credit_line + :overlimit
RETURNING balances.id AS id, (SELECT parent_id FROM composite_children WHERE balance_id = balances.id) AS parent_id,
    (SELECT customer_id FROM composite_children WHERE balance_id = balances.id) AS customer_id,
    (SELECT credit_line FROM composite_children WHERE balance_id = balances.id) AS credit_line,
    -balances.amount AS debt, balances.held AS held \gset ch_

\set after -1 * :ch_debt

INSERT INTO ledger_entries (transaction_id, ecommerce_id, balance_id, customer_id, system_account, type, amount, balance_after, created_at)
VALUES (:tx_id, :ecommerce_id, :ch_id, :ch_customer_id, NULL, 6, :debit, :after, now()),
    (:tx_id, :ecommerce_id, NULL, NULL, 'card_network', 6, :amount, NULL, now());

INSERT INTO events (ecommerce_id, type, subject_id, payload, dispatched, created_at)
VALUES (:ecommerce_id, 'transaction.created', :tx_id::text,
    jsonb_build_object('transaction_id', :tx_id::bigint, 'kind', 'charge', 'status', 2, 'amount', :amount::bigint,
        'reference_id', 'ref.chg' || :n,
        'entries', jsonb_build_array(
            jsonb_build_object('balance_id', :ch_id::bigint, 'customer_id', :ch_customer_id::bigint, 'type', 6,
                'amount', :debit::bigint, 'balance_after', :after::bigint),
            jsonb_build_object('system_account', 'card_network', 'type', 6, 'amount', :amount::bigint))),
    false, now());

COMMIT;
