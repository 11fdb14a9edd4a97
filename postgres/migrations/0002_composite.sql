-- Child balances carved out of a composite parent's credit line. A child's id is the id of
-- its balance. The parent's allocated column holds Σ children's credit_line.
CREATE TABLE composite_children (
    balance_id   bigint   PRIMARY KEY REFERENCES balances (id),
    parent_id    text     NOT NULL REFERENCES composite_parents (id),
    ecommerce_id bigint   NOT NULL REFERENCES ecommerces (id),
    customer_id  bigint   NOT NULL REFERENCES customers (id),
    credit_line  bigint   NOT NULL CHECK (credit_line >= 0),
    debt         bigint   NOT NULL CHECK (debt >= 0),
    status       smallint NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX composite_children_parent ON composite_children (parent_id, balance_id);
