-- devhost's Durable Functions state (the Durable extension keeps this in Azure Storage in Azure).
-- depends:

CREATE TABLE devhost_durable_instances (
    hub                text NOT NULL,
    instance_id        text NOT NULL,
    name               text NOT NULL,
    status             text NOT NULL,          -- Pending Running Suspended Completed Failed Terminated
    input              text,                   -- JSON text
    output             text,                   -- JSON text
    custom_status      text,                   -- JSON text
    parent_instance_id text,
    parent_task_id     integer,
    execution_id       text NOT NULL,
    engine_state       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (hub, instance_id)
);
CREATE INDEX devhost_durable_instances_status_idx ON devhost_durable_instances (hub, status, created_at);

-- Events already delivered to the orchestrator, in order (the instance's history).
CREATE TABLE devhost_durable_history (
    hub         text NOT NULL,
    instance_id text NOT NULL,
    seq         integer NOT NULL,
    event       jsonb NOT NULL,
    PRIMARY KEY (hub, instance_id, seq)
);

-- Events waiting to be delivered (completions, raised events, timers with their fire time).
CREATE TABLE devhost_durable_inbox (
    id          bigserial PRIMARY KEY,
    hub         text NOT NULL,
    instance_id text NOT NULL,
    event       jsonb NOT NULL,
    visible_at  timestamptz NOT NULL DEFAULT now(),
    dedupe_key  text
);
CREATE INDEX devhost_durable_inbox_visible_idx ON devhost_durable_inbox (hub, visible_at);
CREATE INDEX devhost_durable_inbox_instance_idx ON devhost_durable_inbox (hub, instance_id, id);
-- One completion per scheduled task: a re-run activity cannot record a second result.
CREATE UNIQUE INDEX devhost_durable_inbox_dedupe_idx ON devhost_durable_inbox (hub, instance_id, dedupe_key)
    WHERE dedupe_key IS NOT NULL;

-- Activities to run (at least once: a claim held by a dead process is released at start).
CREATE TABLE devhost_durable_work (
    id          bigserial PRIMARY KEY,
    hub         text NOT NULL,
    instance_id text NOT NULL,
    task_id     integer NOT NULL,
    name        text NOT NULL,
    input       text,
    claimed_by  text,
    claimed_at  timestamptz,
    UNIQUE (hub, instance_id, task_id)
);
CREATE INDEX devhost_durable_work_unclaimed_idx ON devhost_durable_work (hub, id) WHERE claimed_by IS NULL;
