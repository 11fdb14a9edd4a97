-- A write authenticated from a process's cache of partners checks, inside its own pipelined
-- transaction, that the token is still the partner's. Only an error stops the statements
-- queued after the check, so the check raises one, with a SQLSTATE of saldo's own that the
-- store maps to 401.
CREATE FUNCTION saldo_check_ecommerce_token(ecommerce bigint, hash bytea) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ecommerces WHERE id = ecommerce AND token_hash = hash) THEN
        RAISE EXCEPTION 'ecommerce token changed' USING ERRCODE = 'SA401';
    END IF;
END
$$;
