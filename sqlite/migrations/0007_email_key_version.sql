-- Which rule a customer's email_key follows (saldo.EmailKeyVersion): 1 is strings.ToLower, 2
-- folds widths, puts the text in NFC and applies full case folding. Rows stored before are at
-- 1, and their non-ASCII keys may differ from what a create computes now, so that the same
-- address sent again would make a second customer. Creates write 2; the backfill
-- (Service.RekeyCustomers, run by saldo migrate and serve) recomputes the keys of the rows
-- at 1 in Go, in batches, and sets them to 2. The partial index finds the rows left to it
-- and is empty once none is. SQLite adds the column to the schema only: the rows stored
-- before read its default.
ALTER TABLE customers ADD COLUMN email_key_version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX customers_email_key_v1 ON customers (id) WHERE email_key_version = 1;

-- Calling codes have no leading zero: a create stores "052" as "52" before the unique index
-- (partner, code, mobile) compares it. Stored codes with leading zeros are normalised alike,
-- except where that would break the index, so that this never fails on real data: a code
-- of zeros only, a pair another customer of the partner holds already, and a pair that a
-- customer of lower id gets in this same statement ("052" and "0052"). Those keep their code.
UPDATE customers SET mobile_country_code = ltrim(mobile_country_code, '0')
WHERE mobile_country_code LIKE '0%'
  AND ltrim(mobile_country_code, '0') <> ''
  AND NOT EXISTS (
      SELECT 1 FROM customers other
      WHERE other.ecommerce_id = customers.ecommerce_id
        AND other.mobile = customers.mobile
        AND other.id <> customers.id
        AND ltrim(other.mobile_country_code, '0') = ltrim(customers.mobile_country_code, '0')
        AND (other.mobile_country_code NOT LIKE '0%' OR other.id < customers.id));
