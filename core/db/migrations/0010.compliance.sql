-- Compliance: custom policies (versioned), evaluations, violations with their history and comments,
-- risk-score history, and the CloudEvent ids the compliance consumer has handled.
-- Framework packs are data files (core/compliance/frameworks/*.yaml); their policies are referred to
-- as '<framework>/<policy id>' and versioned by the pack's version. Custom policies are referred to by id.
-- depends: 0004.audit

CREATE TABLE compliance_policies (
    id             uuid PRIMARY KEY,
    workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name           text NOT NULL,
    enabled        boolean NOT NULL DEFAULT false,
    latest_version integer NOT NULL DEFAULT 1,
    framework      text,
    control_id     text,
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX compliance_policies_name_key ON compliance_policies (workspace_id, lower(name));

CREATE TABLE compliance_policy_versions (
    policy_id    uuid NOT NULL REFERENCES compliance_policies (id) ON DELETE CASCADE,
    version      integer NOT NULL,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    definition   jsonb NOT NULL,          -- title, description, severity, asset_types, condition
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (policy_id, version)
);

CREATE TABLE compliance_evaluations (
    id               bigserial PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    run_id           uuid NOT NULL,
    trigger          text NOT NULL CHECK (trigger IN ('sweep', 'event', 'manual')),
    policy_ref       text NOT NULL,
    policy_version   integer NOT NULL,
    evaluated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    partial          boolean NOT NULL DEFAULT false,   -- only some assets (event-driven)
    assets_evaluated integer NOT NULL,
    violating        integer NOT NULL,
    opened           integer NOT NULL,
    resolved         integer NOT NULL
);
CREATE INDEX compliance_evaluations_latest_idx ON compliance_evaluations (workspace_id, policy_ref, evaluated_at DESC);

CREATE TABLE compliance_violations (
    id             uuid PRIMARY KEY,
    workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    policy_ref     text NOT NULL,
    policy_version integer NOT NULL,
    title          text NOT NULL,
    framework      text,
    severity       text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    asset_id       uuid NOT NULL REFERENCES catalog_assets (id) ON DELETE CASCADE,
    status         text NOT NULL CHECK (status IN ('detected', 'investigating', 'remediating', 'resolved',
                                                   'accepted_risk', 'false_positive')),
    assignee       text,
    due_at         timestamptz NOT NULL,
    detected_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    escalated_at   timestamptz,
    resolution     text CHECK (resolution IN ('manual', 'automatic')),
    resolved_by    text,
    resolved_at    timestamptz,
    reason         text,
    accepted_until timestamptz,
    approver       text,
    closed_at      timestamptz,           -- set when the violation stops suppressing a new detection
    CHECK (status <> 'accepted_risk' OR (accepted_until IS NOT NULL AND approver IS NOT NULL)),
    CHECK (status <> 'false_positive' OR reason IS NOT NULL)
);
-- One open violation per policy and asset.
CREATE UNIQUE INDEX compliance_violations_open_key ON compliance_violations (policy_ref, asset_id) WHERE closed_at IS NULL;
CREATE INDEX compliance_violations_ws_idx ON compliance_violations (workspace_id, status, detected_at DESC, id);
CREATE INDEX compliance_violations_asset_idx ON compliance_violations (asset_id);
CREATE INDEX compliance_violations_due_idx ON compliance_violations (due_at) WHERE closed_at IS NULL AND escalated_at IS NULL;

CREATE TABLE compliance_violation_events (
    id           bigserial PRIMARY KEY,
    violation_id uuid NOT NULL REFERENCES compliance_violations (id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor        text NOT NULL,
    action       text NOT NULL,           -- detected, status, assigned, escalated, auto_resolved, risk_expired
    from_status  text,
    to_status    text,
    note         text
);
CREATE INDEX compliance_violation_events_idx ON compliance_violation_events (violation_id, id);

CREATE TABLE compliance_violation_comments (
    id           uuid PRIMARY KEY,
    violation_id uuid NOT NULL REFERENCES compliance_violations (id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    author       text NOT NULL,
    body         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX compliance_violation_comments_idx ON compliance_violation_comments (violation_id, created_at, id);

CREATE TABLE compliance_risk_history (
    id           bigserial PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    scope        text NOT NULL CHECK (scope IN ('workspace', 'data_source', 'asset')),
    scope_id     uuid NOT NULL,
    score        integer NOT NULL CHECK (score BETWEEN 0 AND 100),
    details      jsonb NOT NULL DEFAULT '{}'::jsonb,
    computed_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX compliance_risk_history_idx ON compliance_risk_history (workspace_id, scope, scope_id, computed_at DESC);

CREATE TABLE compliance_consumed_events (
    event_id    text PRIMARY KEY,
    type        text NOT NULL,
    consumed_at timestamptz NOT NULL DEFAULT now(),
    result      jsonb NOT NULL DEFAULT '{}'::jsonb
);
