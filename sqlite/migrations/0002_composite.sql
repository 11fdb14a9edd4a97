-- Child balances carved out of a composite parent's credit line. A child's id is the id of
-- its balance. The parent's allocated column holds Σ children's credit_line.
CREATE TABLE composite_children (
    balance_id   INTEGER PRIMARY KEY REFERENCES balances (id),
    parent_id    TEXT    NOT NULL REFERENCES composite_parents (id),
    ecommerce_id INTEGER NOT NULL REFERENCES ecommerces (id),
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    credit_line  INTEGER NOT NULL CHECK (credit_line >= 0),
    debt         INTEGER NOT NULL CHECK (debt >= 0),
    status       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX composite_children_parent ON composite_children (parent_id, balance_id);
