-- One idempotency table for every message consumer: the compliance event consumer's claims move from
-- compliance_consumed_events into consumed_messages (consumer 'compliance'), keeping their results.
-- depends: 0011.consumed_messages 0013.compliance_indexes

INSERT INTO consumed_messages (consumer, message_id, result, consumed_at)
SELECT 'compliance', event_id, result || jsonb_build_object('type', type), consumed_at
  FROM compliance_consumed_events
ON CONFLICT (consumer, message_id) DO NOTHING;

DROP TABLE compliance_consumed_events;
