-- Seeds the reference schema for bench/charge.sql: the composite children the pgbench charges
-- go to, in the state saldo-load leaves saldo's after its set-up (`--scenario charges
-- --setup-only`: customers created with a composite parent, then one child each), written
-- directly as plain SQL.
--
--   psql -v ecommerce_id=ID -v children=N -v parent_line=CENTS -v child_line=CENTS -f bench/charge_seed.sql
--
-- For each of N new customers of the partner: the customers row, its wallet, its composite
-- parent (the parent's balance and composite_parents row, with child_line of its
-- parent_line allocated) and its one child (the child's balance and composite_children row,
-- with a credit line of child_line). Debts start at 0, as saldo's do. The children's balances
-- are consecutive ids, so a pgbench script draws one at random between the first and the
-- last; the script prints "first last" (run it with psql -Atq).

\set ON_ERROR_STOP on
BEGIN;

CREATE TEMP TABLE seed ON COMMIT DROP AS
SELECT i, nextval(pg_get_serial_sequence('customers', 'id')) AS customer_id
FROM generate_series(0, :children - 1) AS i;

INSERT INTO customers (id, ecommerce_id, email, email_key, email_key_version, mobile_country_code, mobile, first_name, middle_name,
    last_name, second_last_name, gender, rfc, curp, date_of_birth, password_hash, account_level,
    account_status, risk_level, telephone, address, correspondence_address, street, exterior, interior,
    colony, city, country_of_birth, zipcode, state_id, nationality_id, occupation_id,
    identification_document_front, identification_document_back, identification_document_type,
    address_document_front, address_document_back, address_document_type, selfie, business_name,
    business_purpose, constitution_date, society_type, campaign_id, created_at)
OVERRIDING SYSTEM VALUE
SELECT customer_id, :ecommerce_id, 'chg' || customer_id || '@example.com', 'chg' || customer_id || '@example.com', 2, '52',
    '5' || lpad(customer_id::text, 9, '0'), 'Juan', '', 'Pérez', 'Gómez', 2, 'CHG' || lpad(customer_id::text, 9, '0') || 'A',
    'CH' || lpad(customer_id::text, 9, '0') || 'HDFBBB0', '1990-01-15', '', 1,
    1, 0, '', '', '', '', '', '',
    '', '', '', '', 0, 0, 0,
    '', '', 0,
    '', '', 0, '', '',
    '', '', 0, '', now()
FROM seed;

INSERT INTO balances (ecommerce_id, customer_id, kind, amount, status, created_at)
SELECT :ecommerce_id, customer_id, 'wallet', 0, 1, now() FROM seed ORDER BY i;

CREATE TEMP TABLE seed_parent ON COMMIT DROP AS
WITH p AS (
    INSERT INTO balances (ecommerce_id, customer_id, kind, amount, status, created_at)
    SELECT :ecommerce_id, customer_id, 'composite_parent', 0, 1, now() FROM seed ORDER BY i
    RETURNING id, customer_id
)
SELECT p.id AS balance_id, p.customer_id, md5('chg' || p.customer_id) AS parent_id FROM p;

INSERT INTO composite_parents (id, ecommerce_id, customer_id, balance_id, credit_line, allocated, billing_day, status, created_at,
    period_start)
SELECT parent_id, :ecommerce_id, customer_id, balance_id, :parent_line, :child_line,
    least(extract(day FROM now() AT TIME ZONE 'America/Mexico_City')::int, 28), 1, now(),
    to_char(now() AT TIME ZONE 'America/Mexico_City', 'YYYY-MM-DD')
FROM seed_parent;

-- One INSERT, in order, so that the children's balances take consecutive ids.
CREATE TEMP TABLE seed_child ON COMMIT DROP AS
WITH c AS (
    INSERT INTO balances (ecommerce_id, customer_id, kind, amount, status, created_at)
    SELECT :ecommerce_id, customer_id, 'composite_child', 0, 1, now() FROM seed ORDER BY i
    RETURNING id, customer_id
)
SELECT c.id AS balance_id, c.customer_id, p.parent_id FROM c JOIN seed_parent p ON p.customer_id = c.customer_id;

INSERT INTO composite_children (balance_id, parent_id, ecommerce_id, customer_id, credit_line, status, created_at)
SELECT balance_id, parent_id, :ecommerce_id, customer_id, :child_line, 1, now() FROM seed_child;

DO $$
BEGIN
    IF (SELECT max(balance_id) - min(balance_id) + 1 <> count(*) FROM seed_child) THEN
        RAISE EXCEPTION 'the children''s balances are not consecutive ids';
    END IF;
END
$$;

SELECT min(balance_id) || ' ' || max(balance_id) FROM seed_child;

COMMIT;
