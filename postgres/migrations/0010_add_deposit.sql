-- A credit counts against its wallet's monthly deposit limit in the same pipelined batch as
-- the entries and the COMMIT, without a round trip of its own: only an error can stop the
-- statements queued after it, so the function raises one, with a SQLSTATE of saldo's own
-- that the store maps to 5004, when the month's credits would pass p_ceiling (cents).
CREATE FUNCTION saldo_add_deposit(p_wallet bigint, p_month text, p_amount bigint, p_ceiling bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO wallet_deposits AS d (balance_id, month, amount) VALUES (p_wallet, p_month, p_amount)
    ON CONFLICT (balance_id, month) DO UPDATE SET amount = d.amount + excluded.amount
    WHERE d.amount + excluded.amount <= p_ceiling;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'monthly deposit limit' USING ERRCODE = 'SA504';
    END IF;
END
$$;
