-- The audit trail: append-only, hash-chained per workspace ("global" for platform-wide actions).
-- Each record carries the hash of the previous record of its chain; audit_chain_heads holds the
-- latest (seq, hash) of each chain and is locked (SELECT ... FOR UPDATE) to serialise appends.
-- A trigger rejects UPDATE, DELETE and TRUNCATE on the records, whoever asks.
-- depends: 0003.quotas

CREATE TABLE audit_records (
    id             uuid PRIMARY KEY,
    chain          text NOT NULL,          -- workspace id, or 'global'
    seq            bigint NOT NULL CHECK (seq > 0),
    recorded_at    timestamptz NOT NULL,
    actor          text NOT NULL,
    actor_name     text,
    action         text NOT NULL,
    target         text,
    outcome        text NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
    status         integer NOT NULL,
    reason         text,
    correlation_id text NOT NULL,
    client_ip      text,
    change_hash    text,
    prev_hash      text NOT NULL,
    hash           text NOT NULL,
    UNIQUE (chain, seq)
);
CREATE INDEX audit_records_listing_idx ON audit_records (recorded_at DESC, id DESC);
CREATE INDEX audit_records_chain_time_idx ON audit_records (chain, recorded_at DESC, id DESC);

CREATE TABLE audit_chain_heads (
    chain text PRIMARY KEY,
    seq   bigint NOT NULL,
    hash  text NOT NULL
);

CREATE FUNCTION audit_records_are_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_records_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_are_append_only();
CREATE TRIGGER audit_records_no_truncate
    BEFORE TRUNCATE ON audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION audit_records_are_append_only();
