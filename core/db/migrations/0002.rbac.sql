-- RBAC: custom roles, role assignments (users or Entra groups, one workspace or global, with ABAC
-- conditions), Entra app-role mappings and just-in-time elevation requests.
-- Workspace membership becomes "holds a role assignment in the workspace": workspace_members rows
-- move into role_assignments.
-- depends: 0001.workspaces

CREATE TABLE custom_roles (
    name        text PRIMARY KEY,
    description text NOT NULL DEFAULT '',
    permissions text[] NOT NULL DEFAULT '{}',
    inherits    text[] NOT NULL DEFAULT '{}',
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX custom_roles_name_key ON custom_roles (lower(name));

CREATE TABLE role_assignments (
    id             uuid PRIMARY KEY,
    principal_id   text NOT NULL,
    principal_type text NOT NULL CHECK (principal_type IN ('user', 'group')),
    role           text NOT NULL,
    workspace_id   uuid REFERENCES workspaces (id) ON DELETE CASCADE,
    conditions     jsonb NOT NULL DEFAULT '{}',
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
-- One assignment of a role to a principal per scope (NULL workspace = global).
CREATE UNIQUE INDEX role_assignments_unique
    ON role_assignments (principal_id, lower(role), COALESCE(workspace_id, '00000000-0000-0000-0000-000000000000'::uuid));
CREATE INDEX role_assignments_workspace_idx ON role_assignments (workspace_id, created_at, id);
CREATE INDEX role_assignments_created_idx ON role_assignments (created_at, id);

INSERT INTO role_assignments (id, principal_id, principal_type, role, workspace_id, created_by, created_at)
SELECT gen_random_uuid(), principal_id, 'user', role, workspace_id, added_by, added_at FROM workspace_members;
DROP TABLE workspace_members;

CREATE TABLE app_role_mappings (
    app_role   text PRIMARY KEY,
    role       text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE elevation_requests (
    id               uuid PRIMARY KEY,
    principal_id     text NOT NULL,
    role             text NOT NULL,
    workspace_id     uuid REFERENCES workspaces (id) ON DELETE CASCADE,
    duration_minutes integer NOT NULL CHECK (duration_minutes > 0),
    reason           text NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    requested_at     timestamptz NOT NULL,
    decided_by       text,
    decided_at       timestamptz,
    decision_reason  text,
    expires_at       timestamptz,
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK ((status = 'approved') = (expires_at IS NOT NULL))
);
CREATE INDEX elevation_requests_principal_idx ON elevation_requests (principal_id, status, expires_at);
CREATE INDEX elevation_requests_listing_idx ON elevation_requests (requested_at, id);
