-- Data sources: registered PostgreSQL databases, Blob / ADLS Gen2 containers and local folders.
-- Credentials never live here: secret_ref is a kv://<name> reference into the secret store (Key Vault
-- in Azure, a 0600 file locally). connection holds only non-secret settings (host, container...).
-- state follows the lifecycle discovered -> validated -> registered -> active <-> maintenance -> retired;
-- every move is recorded in data_source_transitions. Retired sources keep their row (scan history).
-- depends: 0004.audit

CREATE TABLE data_sources (
    workspace_id          uuid NOT NULL REFERENCES workspaces (id),
    id                    uuid NOT NULL,
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description           text NOT NULL DEFAULT '',
    kind                  text NOT NULL CHECK (kind IN ('postgresql', 'azure_blob', 'adls_gen2', 'local_folder')),
    connection            jsonb NOT NULL,
    secret_ref            text CHECK (secret_ref ~ '^kv://[0-9A-Za-z-]{1,127}$'),
    state                 text NOT NULL CHECK (
        state IN ('discovered', 'validated', 'registered', 'active', 'maintenance', 'retired')),
    last_test_at          timestamptz,
    last_test_ok          boolean,
    last_test_error       text,
    last_test_latency_ms  double precision,
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_by            text NOT NULL,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    retired_at            timestamptz,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (id),
    CHECK ((state = 'retired') = (retired_at IS NOT NULL))
);

-- One live source per name in a workspace; a retired name may be reused.
CREATE UNIQUE INDEX data_sources_live_name ON data_sources (workspace_id, lower(name)) WHERE state <> 'retired';
CREATE INDEX data_sources_by_state ON data_sources (workspace_id, state);

CREATE TABLE data_source_transitions (
    workspace_id   uuid NOT NULL,
    data_source_id uuid NOT NULL,
    seq            bigint GENERATED ALWAYS AS IDENTITY,
    from_state     text,
    to_state       text NOT NULL,
    reason         text,
    by_principal   text NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, data_source_id, seq),
    FOREIGN KEY (workspace_id, data_source_id) REFERENCES data_sources (workspace_id, id)
);
