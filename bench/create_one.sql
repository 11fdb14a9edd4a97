-- The one-round-trip pgbench reference for one account create: the same rows as
-- bench/create.sql (the customers row, the wallet balance, 3 customer_tokens rows, the
-- composite parent's balance and composite_parents row, 2 events rows), with the same values,
-- written by ONE SQL statement of data-modifying CTEs, each insert taking the ids it needs from
-- the RETURNING of the one before. pgbench runs it in autocommit (no BEGIN/COMMIT): one
-- statement, one round trip, one commit. So it is the ceiling for a create that costs the
-- database a single round trip, where bench/create.sql sends its statements one at a time.
--
-- It writes the same rows as bench/create.sql: bench/run.sh checks it before the timed runs,
-- running each script for the same number of transactions and comparing the rows each added to
-- customers, balances (by kind), customer_tokens (by kind), composite_parents and events (by
-- type); the report states the result ("Checks").
--
-- Run it like bench/create.sql: -M prepared, -D ecommerce_id=ID -D base=B -D k=0.

\set k :k + 1
\set n :base + :k * 100 + :client_id
\set credit_line 10000000

WITH c AS (
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
    RETURNING id
), w AS (
    INSERT INTO balances (ecommerce_id, customer_id, kind, amount, status, created_at)
    SELECT :ecommerce_id::bigint, c.id, 'wallet', 0, 1, now() FROM c
    RETURNING id, customer_id
), t AS (
    INSERT INTO customer_tokens (ecommerce_id, customer_id, kind, hash, device_id, issued_at, expires_at)
    SELECT :ecommerce_id::bigint, c.id, v.kind, v.hash, v.device_id, now(), v.expires_at
    FROM c, (VALUES
        ('oauth', sha256(convert_to('oauth' || :n, 'UTF8')), 'default', now() + interval '1 hour'),
        ('refresh', sha256(convert_to('refresh' || :n, 'UTF8')), 'default', now() + interval '90 days'),
        ('private_key', sha256(convert_to('sk_' || :n, 'UTF8')), '', NULL::timestamptz)) AS v (kind, hash, device_id, expires_at)
    RETURNING id
), pb AS (
    INSERT INTO balances (ecommerce_id, customer_id, kind, amount, status, created_at)
    SELECT :ecommerce_id::bigint, c.id, 'composite_parent', 0, 1, now() FROM c
    RETURNING id, customer_id
), p AS (
    INSERT INTO composite_parents (id, ecommerce_id, customer_id, balance_id, credit_line, allocated, billing_day, status, created_at)
    SELECT md5('parent' || :n), :ecommerce_id::bigint, pb.customer_id, pb.id, :credit_line::bigint, 0,
        least(extract(day FROM now() AT TIME ZONE 'America/Mexico_City')::int, 28), 1, now()
    FROM pb
    RETURNING id
), e AS (
    INSERT INTO events (ecommerce_id, type, subject_id, payload, created_at)
    SELECT :ecommerce_id::bigint, 'customer.created', w.customer_id::text,
        jsonb_build_object('customer_id', w.customer_id, 'account_level', 1, 'wallet_id', w.id), now()
    FROM w
    UNION ALL
    SELECT :ecommerce_id::bigint, 'composite_parent.created', md5('parent' || :n),
        jsonb_build_object('parent_id', md5('parent' || :n), 'customer_id', pb.customer_id,
            'balance_id', pb.id, 'credit_line', :credit_line::bigint), now()
    FROM pb
    RETURNING id
)
SELECT (SELECT id FROM c), (SELECT count(*) FROM t), (SELECT id FROM p), (SELECT count(*) FROM e);
