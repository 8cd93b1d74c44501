-- Per-workspace quotas. A workspace without a row uses the defaults from settings.
-- depends: 0002.rbac

CREATE TABLE workspace_quotas (
    workspace_id         uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    max_data_sources     integer NOT NULL CHECK (max_data_sources >= 0),
    max_concurrent_scans integer NOT NULL CHECK (max_concurrent_scans >= 0),
    updated_by           text NOT NULL,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
