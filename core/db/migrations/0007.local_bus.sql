-- The local-mode event bus (Service Bus stands in its place in Azure): messages and their deliveries.
-- depends: 0004.audit

CREATE TABLE local_bus_messages (
    id                     bigserial PRIMARY KEY,
    entity                 text NOT NULL,          -- queue or topic name
    message_id             text NOT NULL,
    subject                text,
    content_type           text,
    correlation_id         text,
    application_properties jsonb NOT NULL DEFAULT '{}'::jsonb,
    body                   bytea NOT NULL,
    enqueued_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (entity, message_id)
);

-- One row per message and receiver: a queue, or a topic subscription ("topic/subscriptions/name").
CREATE TABLE local_bus_deliveries (
    message_pk     bigint NOT NULL REFERENCES local_bus_messages (id) ON DELETE CASCADE,
    receiver       text NOT NULL,
    state          text NOT NULL DEFAULT 'active',   -- active, completed, deadlettered
    delivery_count integer NOT NULL DEFAULT 0,
    visible_at     timestamptz NOT NULL DEFAULT now(),
    locked_by      text,
    dead_letter_reason text,
    dead_letter_error  text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_pk, receiver)
);
CREATE INDEX local_bus_deliveries_ready_idx ON local_bus_deliveries (receiver, visible_at) WHERE state = 'active';

-- Receivers and the first message each may see (a subscription only gets messages sent after it exists).
CREATE TABLE local_bus_receivers (
    receiver     text PRIMARY KEY,
    entity       text NOT NULL,
    start_after  bigint NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
