-- A customer holds at most one live credential of each kind: §4 revokes every earlier refresh
-- and oauth token before issuing a connection token, and every oauth token before issuing one
-- by refresh. The service keeps this by locking the customer; the index makes a second live
-- session impossible whatever the isolation level, and serves the revocations, which select
-- exactly these rows.
CREATE UNIQUE INDEX customer_tokens_one_live ON customer_tokens (customer_id, kind) WHERE revoked_at IS NULL;
