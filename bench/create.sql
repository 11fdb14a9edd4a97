-- The pgbench reference for one account create: as one plain SQL transaction, the statements
-- and rows saldo's createCustomer writes for a customer of a partner with composite balances
-- (service.go, internal/sqlstore), against tables made by `saldo migrate`:
--
--   the customers row, the wallet balance, 3 customer_tokens rows (oauth, refresh, private
--   key; one multi-row INSERT), the composite parent's balance and composite_parents row, and
--   2 events rows (one INSERT). Like saldo's create, it runs no duplicate check first: the
--   unique indexes refuse a duplicate, and only then does saldo look, to name the fields.
--
-- It leaves out what saldo does around that transaction: the partner lookup by token hash
-- (one statement of its own), request decoding, validation, token minting and the JSON
-- answer. So it is the ceiling the database allows for the same writes.
--
-- Run it with -M prepared (pgx prepares and caches statements the same way) and define:
--   -D ecommerce_id=ID   the bench partner's id
--   -D base=B            a per-run base for unique values (bench/run.sh passes run# × 10^7)
--   -D k=0               the per-client counter; pgbench keeps variables per client across
--                        transactions, so n = base + k·100 + client_id is unique (clients < 100)
-- Every value is unique per transaction (email, mobile, RFC, CURP, token hashes, parent id),
-- so no unique index ever refuses one.

\set k :k + 1
\set n :base + :k * 100 + :client_id
\set credit_line 10000000

BEGIN;

INSERT INTO customers (ecommerce_id, email, email_key, email_key_version, mobile_country_code, mobile, first_name, middle_name,
    last_name, second_last_name, gender, rfc, curp, date_of_birth, password_hash, account_level,
    account_status, risk_level, telephone, address, correspondence_address, street, exterior, interior,
    colony, city, country_of_birth, zipcode, state_id, nationality_id, occupation_id,
    identification_document_front, identification_document_back, identification_document_type,
    address_document_front, address_document_back, address_document_type, selfie, business_name,
    business_purpose, constitution_date, society_type, campaign_id, created_at)
VALUES (:ecommerce_id, 'ref' || :n || '@example.com', 'ref' || :n || '@example.com', 2, '52', '5' || lpad(:n::text, 9, '0'), 'Juan', '',
    'Pérez', 'Gómez', 2, 'REF' || lpad(:n::text, 9, '0') || 'A', 'RC' || lpad(:n::text, 9, '0') || 'HDFBBB0', '1990-01-15', '', 1,
    1, 0, '', '', '', '', '', '',
    '', '', '', '', 0, 0, 0,
    '', '', 0,
    '', '', 0, '', '',
    '', '', 0, '', now())
RETURNING id AS customer_id \gset

INSERT INTO balances (ecommerce_id, customer_id, kind, amount, status, created_at)
VALUES (:ecommerce_id, :customer_id, 'wallet', 0, 1, now())
RETURNING id AS wallet_id \gset

INSERT INTO customer_tokens (ecommerce_id, customer_id, kind, hash, device_id, issued_at, expires_at) VALUES
    (:ecommerce_id, :customer_id, 'oauth', sha256(convert_to('oauth' || :n, 'UTF8')), 'default', now(), now() + interval '1 hour'),
    (:ecommerce_id, :customer_id, 'refresh', sha256(convert_to('refresh' || :n, 'UTF8')), 'default', now(), now() + interval '90 days'),
    (:ecommerce_id, :customer_id, 'private_key', sha256(convert_to('sk_' || :n, 'UTF8')), '', now(), NULL);

INSERT INTO balances (ecommerce_id, customer_id, kind, amount, status, created_at)
VALUES (:ecommerce_id, :customer_id, 'composite_parent', 0, 1, now())
RETURNING id AS parent_balance_id \gset

INSERT INTO composite_parents (id, ecommerce_id, customer_id, balance_id, credit_line, allocated, billing_day, status, created_at)
VALUES (md5('parent' || :n), :ecommerce_id, :customer_id, :parent_balance_id, :credit_line, 0,
    least(extract(day FROM now() AT TIME ZONE 'America/Mexico_City')::int, 28), 1, now());

INSERT INTO events (ecommerce_id, type, subject_id, payload, created_at) VALUES
    (:ecommerce_id, 'customer.created', :customer_id::text,
        jsonb_build_object('customer_id', :customer_id::bigint, 'account_level', 1, 'wallet_id', :wallet_id::bigint), now()),
    (:ecommerce_id, 'composite_parent.created', md5('parent' || :n),
        jsonb_build_object('parent_id', md5('parent' || :n), 'customer_id', :customer_id::bigint,
            'balance_id', :parent_balance_id::bigint, 'credit_line', :credit_line::bigint), now());

COMMIT;
