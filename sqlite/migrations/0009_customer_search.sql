-- Partners page through their customers in id order, filtered by status, level or creation
-- date (GET /user/v1/accounts); the identifier filters use the unique indexes.
CREATE INDEX customers_ecommerce ON customers (ecommerce_id, id);
