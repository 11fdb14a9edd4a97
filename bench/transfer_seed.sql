-- Seeds the reference schema for bench/transfer.sql: the wallets the pgbench transfers move
-- money between, in the state saldo-load leaves saldo's after its set-up (customers created,
-- then funded by one top-up each), written directly as plain SQL.
--
--   psql -v ecommerce_id=ID -v wallets=N -v fund=CENTS -v hot_fund=CENTS -v month=YYYY-MM -f bench/transfer_seed.sql
--
-- For each of N new level-1 customers of the partner: the customers row, its wallet, its live
-- oauth token (hash sha256('oauth' || customer id), which transfer.sql looks up as saldo looks
-- up the Authorization-customer token), and the top-up that funded it: its ledger transaction,
-- its two entries (the wallet's, the partner's funding account's), and the month's
-- wallet_deposits row, so the deposit upserts of the transfers find the row saldo's find. The
-- first customer's wallet, the hot one, gets hot_fund; every other, fund. The customers are
-- consecutive ids, so a pgbench script draws one at random between the first and the last; the
-- script prints "first last" (run it with psql -Atq).

\set ON_ERROR_STOP on
BEGIN;

CREATE TEMP TABLE seed ON COMMIT DROP AS
SELECT i, nextval(pg_get_serial_sequence('customers', 'id')) AS customer_id
FROM generate_series(0, :wallets - 1) AS i;

INSERT INTO customers (id, ecommerce_id, email, email_key, email_key_version, mobile_country_code, mobile, first_name, middle_name,
    last_name, second_last_name, gender, rfc, curp, date_of_birth, password_hash, account_level,
    account_status, risk_level, telephone, address, correspondence_address, street, exterior, interior,
    colony, city, country_of_birth, zipcode, state_id, nationality_id, occupation_id,
    identification_document_front, identification_document_back, identification_document_type,
    address_document_front, address_document_back, address_document_type, selfie, business_name,
    business_purpose, constitution_date, society_type, campaign_id, created_at)
OVERRIDING SYSTEM VALUE
SELECT customer_id, :ecommerce_id, 'xfer' || customer_id || '@example.com', 'xfer' || customer_id || '@example.com', 2, '52',
    '4' || lpad(customer_id::text, 9, '0'), 'Juan', '', 'Pérez', 'Gómez', 2, 'XFR' || lpad(customer_id::text, 9, '0') || 'A',
    'XF' || lpad(customer_id::text, 9, '0') || 'HDFBBB0', '1990-01-15', '', 1,
    1, 0, '', '', '', '', '', '',
    '', '', '', '', 0, 0, 0,
    '', '', 0,
    '', '', 0, '', '',
    '', '', 0, '', now()
FROM seed;

ALTER TABLE seed ADD COLUMN fund bigint;
UPDATE seed SET fund = CASE WHEN i = 0 THEN :hot_fund ELSE :fund END;

CREATE TEMP TABLE seed_wallet ON COMMIT DROP AS
WITH w AS (
    INSERT INTO balances (ecommerce_id, customer_id, kind, amount, status, created_at)
    SELECT :ecommerce_id, customer_id, 'wallet', fund, 1, now() FROM seed ORDER BY i
    RETURNING id, customer_id, amount
)
SELECT * FROM w;

INSERT INTO customer_tokens (ecommerce_id, customer_id, kind, hash, device_id, issued_at, expires_at)
SELECT :ecommerce_id, customer_id, 'oauth', sha256(convert_to('oauth' || customer_id, 'UTF8')), 'default', now(), now() + interval '1 day'
FROM seed;

CREATE TEMP TABLE seed_tx ON COMMIT DROP AS
WITH t AS (
    INSERT INTO ledger_transactions (ecommerce_id, kind, status, amount, reference_kind, reference_id, request_hash,
        description, clabe, counterparty, reason, created_at, updated_at)
    SELECT :ecommerce_id, 'top_up', 2, amount, 'external', 'seed' || customer_id, sha256(convert_to('seed' || customer_id, 'UTF8')),
        '', '', '', '', now(), now()
    FROM seed_wallet
    RETURNING id, reference_id
)
SELECT t.id AS transaction_id, w.id AS balance_id, w.customer_id, w.amount
FROM t JOIN seed_wallet w ON t.reference_id = 'seed' || w.customer_id;

INSERT INTO ledger_entries (transaction_id, ecommerce_id, balance_id, customer_id, system_account, type, amount, balance_after, created_at)
SELECT transaction_id, :ecommerce_id, balance_id, customer_id, NULL, 1, amount, amount, now() FROM seed_tx
UNION ALL
SELECT transaction_id, :ecommerce_id, NULL, NULL, 'funding', 1, -amount, NULL, now() FROM seed_tx;

INSERT INTO wallet_deposits (balance_id, month, amount)
SELECT balance_id, :'month', amount FROM seed_tx;

SELECT min(customer_id) || ' ' || max(customer_id) FROM seed_wallet;

COMMIT;
