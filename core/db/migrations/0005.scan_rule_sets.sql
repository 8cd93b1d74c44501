-- Scan rule sets: versioned classification rule documents per workspace.
-- scan_rule_sets holds one row per rule set (its head: latest version, retirement); every version's
-- document lives in scan_rule_set_versions and is immutable: scans pin (rule_set_id, version), so a
-- trigger rejects UPDATE and DELETE of versions, whoever asks. Retiring a rule set (DELETE in the API)
-- only stamps retired_at on the head; its versions stay readable forever.
-- depends: 0004.audit

CREATE TABLE scan_rule_sets (
    workspace_id   uuid NOT NULL REFERENCES workspaces (id),
    id             text NOT NULL CHECK (id ~ '^[a-z][a-z0-9_]{0,63}$'),
    name           text NOT NULL,
    latest_version integer NOT NULL CHECK (latest_version >= 1),
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     text NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    retired_by     text,
    retired_at     timestamptz,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE scan_rule_set_versions (
    workspace_id uuid NOT NULL,
    rule_set_id  text NOT NULL,
    version      integer NOT NULL CHECK (version >= 1),
    document     jsonb NOT NULL,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, rule_set_id, version),
    FOREIGN KEY (workspace_id, rule_set_id) REFERENCES scan_rule_sets (workspace_id, id)
);

CREATE FUNCTION scan_rule_set_versions_are_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'scan rule set versions are immutable (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER scan_rule_set_versions_no_update_delete
    BEFORE UPDATE OR DELETE ON scan_rule_set_versions
    FOR EACH ROW EXECUTE FUNCTION scan_rule_set_versions_are_immutable();
CREATE TRIGGER scan_rule_set_versions_no_truncate
    BEFORE TRUNCATE ON scan_rule_set_versions
    FOR EACH STATEMENT EXECUTE FUNCTION scan_rule_set_versions_are_immutable();
