-- Scans of data sources and what each found per asset.
-- depends: 0004.audit

CREATE TABLE scans (
    id                uuid PRIMARY KEY,
    workspace_id      uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    data_source_id    uuid NOT NULL,
    rule_set_id       text,
    rule_set_version  integer,
    rule_set_template text,
    incremental       boolean NOT NULL DEFAULT true,
    trigger           text NOT NULL DEFAULT 'api',     -- api, queue, blob
    status            text NOT NULL,                   -- queued running paused completed failed cancelled
    phase             text NOT NULL,                   -- queued discovering scanning finishing done
    assets_total      integer NOT NULL DEFAULT 0,
    assets_done       integer NOT NULL DEFAULT 0,
    assets_failed     integer NOT NULL DEFAULT 0,
    assets_skipped    integer NOT NULL DEFAULT 0,
    error             text,
    summary           jsonb NOT NULL DEFAULT '{}'::jsonb,
    previous_scan_id  uuid,
    pause_seq         integer NOT NULL DEFAULT 0,   -- bumped by each pause; resume events carry it
    requested_by      text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz
);
CREATE INDEX scans_source_idx ON scans (workspace_id, data_source_id, created_at DESC);
-- At most one scan of a source runs at a time.
CREATE UNIQUE INDEX scans_one_active_per_source ON scans (data_source_id)
    WHERE status IN ('queued', 'running', 'paused');

CREATE TABLE scan_assets (
    scan_id          uuid NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    workspace_id     uuid NOT NULL,
    qualified_name   text NOT NULL,
    asset_type       text NOT NULL,
    fingerprint      text,
    status           text NOT NULL,                    -- pending done failed skipped
    error            text,
    columns          integer,
    classifications  jsonb NOT NULL DEFAULT '{}'::jsonb, -- column -> [classification ids]
    catalog_asset_id uuid,
    descriptor       jsonb NOT NULL DEFAULT '{}'::jsonb,   -- what discovery found (to sample it again)
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scan_id, qualified_name)
);
