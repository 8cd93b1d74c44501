-- Messages a consumer has handled, by message id: redelivered messages (at-least-once) are skipped.
-- depends: 0004.audit

CREATE TABLE consumed_messages (
    consumer    text NOT NULL,
    message_id  text NOT NULL,
    result      jsonb NOT NULL DEFAULT '{}'::jsonb,
    consumed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
