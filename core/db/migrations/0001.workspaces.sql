-- Workspaces and their members: the tenancy boundary every other table refers to.
-- depends:

CREATE TABLE workspaces (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    region      text NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX workspaces_name_key ON workspaces (lower(name));
CREATE INDEX workspaces_created_idx ON workspaces (created_at, id);

CREATE TABLE workspace_members (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    principal_id text NOT NULL,
    role         text NOT NULL,
    added_by     text NOT NULL,
    added_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, principal_id, role)
);
CREATE INDEX workspace_members_principal_idx ON workspace_members (principal_id);
