-- The catalog: assets (data source > database > schema > table/view/file set > column) named like
-- OpenLineage datasets (namespace + name), their owners, classifications with provenance, schema
-- change history, glossary terms, lineage edges, and the transactional outbox of domain events.
-- Every table carries workspace_id; repositories filter by it.
-- Search columns (tags, classification ids, owners, terms, sensitivity, search_vector) on
-- catalog_assets are denormalised by the repository after every change so search is one index scan.
-- depends: 0004.audit

CREATE TABLE catalog_assets (
    id               uuid PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type             text NOT NULL CHECK (type IN ('data_source', 'database', 'schema', 'table', 'view', 'file_set', 'column')),
    namespace        text NOT NULL,
    name             text NOT NULL,           -- '' for a data source; 'db.schema.table#column' for a column
    display_name     text NOT NULL,
    parent_id        uuid REFERENCES catalog_assets (id) ON DELETE CASCADE,
    data_source_id   uuid,                    -- the root asset (NULL on the data source itself)
    description      text NOT NULL DEFAULT '',
    properties       jsonb NOT NULL DEFAULT '{}'::jsonb,
    data_type        text,                    -- columns
    ordinal          integer,                 -- columns
    tags             text[] NOT NULL DEFAULT '{}',
    removed_at       timestamptz,             -- a column that disappeared from its table at a scan
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- denormalised for search (maintained by CatalogRepository.refresh_search)
    classification_ids text[] NOT NULL DEFAULT '{}',
    owner_ids        text[] NOT NULL DEFAULT '{}',
    term_ids         uuid[] NOT NULL DEFAULT '{}',
    sensitivity      text,
    sensitivity_rank smallint,
    search_vector    tsvector NOT NULL DEFAULT ''::tsvector,
    UNIQUE (workspace_id, namespace, name)
);
CREATE INDEX catalog_assets_parent_idx ON catalog_assets (parent_id);
CREATE INDEX catalog_assets_ws_type_idx ON catalog_assets (workspace_id, type, id);
CREATE INDEX catalog_assets_search_idx ON catalog_assets USING gin (search_vector);
CREATE INDEX catalog_assets_tags_idx ON catalog_assets USING gin (tags);
CREATE INDEX catalog_assets_cls_idx ON catalog_assets USING gin (classification_ids);
CREATE INDEX catalog_assets_owner_idx ON catalog_assets USING gin (owner_ids);
CREATE INDEX catalog_assets_terms_idx ON catalog_assets USING gin (term_ids);

CREATE TABLE catalog_owners (
    asset_id       uuid NOT NULL REFERENCES catalog_assets (id) ON DELETE CASCADE,
    workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    principal_id   text NOT NULL,
    principal_type text NOT NULL CHECK (principal_type IN ('user', 'group')),
    role           text NOT NULL CHECK (role IN ('owner', 'steward', 'expert')),
    PRIMARY KEY (asset_id, principal_id, role)
);

CREATE TABLE catalog_classifications (
    id                uuid PRIMARY KEY,
    workspace_id      uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    asset_id          uuid NOT NULL REFERENCES catalog_assets (id) ON DELETE CASCADE,
    classification_id text NOT NULL,
    source            text NOT NULL CHECK (source IN ('scan', 'manual', 'propagated')),
    status            text NOT NULL CHECK (status IN ('suggested', 'accepted', 'rejected')),
    confidence        real NOT NULL DEFAULT 1.0 CHECK (confidence BETWEEN 0 AND 1),
    sensitivity       text NOT NULL,
    evidence          jsonb NOT NULL DEFAULT '{}'::jsonb,
    rule_set_id       text,
    rule_set_version  integer,
    origin_id         uuid REFERENCES catalog_classifications (id) ON DELETE CASCADE,
    origin_asset_id   uuid,
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    decided_by        text,
    decided_at        timestamptz,
    reason            text,
    CHECK ((source = 'propagated') = (origin_id IS NOT NULL))
);
CREATE UNIQUE INDEX catalog_classifications_direct_key
    ON catalog_classifications (asset_id, classification_id) WHERE origin_id IS NULL;
CREATE UNIQUE INDEX catalog_classifications_propagated_key
    ON catalog_classifications (asset_id, origin_id) WHERE origin_id IS NOT NULL;
CREATE INDEX catalog_classifications_origin_idx ON catalog_classifications (origin_id);
CREATE INDEX catalog_classifications_ws_idx ON catalog_classifications (workspace_id, status);

CREATE TABLE catalog_schema_changes (
    id           bigserial PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    asset_id     uuid NOT NULL REFERENCES catalog_assets (id) ON DELETE CASCADE,
    column_name  text NOT NULL,
    change       text NOT NULL CHECK (change IN ('column_added', 'column_removed', 'type_changed')),
    old_type     text,
    new_type     text,
    scan_id      text,
    changed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX catalog_schema_changes_asset_idx ON catalog_schema_changes (asset_id, id);

CREATE TABLE glossary_terms (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         text NOT NULL,
    definition   text NOT NULL DEFAULT '',
    parent_id    uuid REFERENCES glossary_terms (id) ON DELETE SET NULL,
    synonyms     text[] NOT NULL DEFAULT '{}',
    owners       jsonb NOT NULL DEFAULT '[]'::jsonb,
    status       text NOT NULL CHECK (status IN ('draft', 'approved', 'deprecated')),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX glossary_terms_name_key ON glossary_terms (workspace_id, lower(name));

CREATE TABLE catalog_asset_terms (
    asset_id     uuid NOT NULL REFERENCES catalog_assets (id) ON DELETE CASCADE,
    term_id      uuid NOT NULL REFERENCES glossary_terms (id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    linked_by    text NOT NULL,
    linked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (asset_id, term_id)
);
CREATE INDEX catalog_asset_terms_term_idx ON catalog_asset_terms (term_id);

CREATE TABLE lineage_edges (
    id                 uuid PRIMARY KEY,
    workspace_id       uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    source_id          uuid NOT NULL REFERENCES catalog_assets (id) ON DELETE CASCADE,
    target_id          uuid NOT NULL REFERENCES catalog_assets (id) ON DELETE CASCADE,
    level              text NOT NULL CHECK (level IN ('table', 'column')),
    blocks_propagation boolean NOT NULL DEFAULT false,
    origin             text NOT NULL CHECK (origin IN ('openlineage', 'manual')),
    job_namespace      text,
    job_name           text,
    run_id             text,
    transformation     text,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (source_id <> target_id),
    UNIQUE (workspace_id, source_id, target_id)
);
CREATE INDEX lineage_edges_down_idx ON lineage_edges (source_id, level) INCLUDE (target_id, blocks_propagation);
CREATE INDEX lineage_edges_up_idx ON lineage_edges (target_id, level) INCLUDE (source_id, blocks_propagation);

-- CloudEvents 1.0 outbox: written in the same transaction as the change, relayed (issue 7) in
-- created_at order; published_at is set by the relay once Service Bus accepted the message.
CREATE TABLE outbox_events (
    id           uuid PRIMARY KEY,
    type         text NOT NULL,
    source       text NOT NULL,
    subject      text,
    workspace_id uuid,
    data         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at timestamptz
);
CREATE INDEX outbox_events_pending_idx ON outbox_events (created_at, id) WHERE published_at IS NULL;
