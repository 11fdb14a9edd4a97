-- At SERIALIZABLE, a foreign-key check is a read: it takes a predicate lock on the page of the
-- referenced primary key that holds the row. Ids are sequential, so every create's checks of
-- customers_pkey and balances_pkey land on the same rightmost page that every concurrent create
-- inserts into, and concurrent creates abort each other as serialization failures (measured:
-- 8 concurrent creates ran out of retries within a second). The rows these constraints link are
-- always written together in one transaction and never deleted, so they guarded nothing that
-- the transaction does not. The references to ecommerces and kyc_levels stay: creates only
-- read those tables.
ALTER TABLE balances           DROP CONSTRAINT balances_customer_id_fkey;
ALTER TABLE composite_parents  DROP CONSTRAINT composite_parents_customer_id_fkey;
ALTER TABLE composite_parents  DROP CONSTRAINT composite_parents_balance_id_fkey;
ALTER TABLE customer_tokens    DROP CONSTRAINT customer_tokens_customer_id_fkey;
ALTER TABLE composite_children DROP CONSTRAINT composite_children_balance_id_fkey;
ALTER TABLE composite_children DROP CONSTRAINT composite_children_parent_id_fkey;
ALTER TABLE composite_children DROP CONSTRAINT composite_children_customer_id_fkey;
