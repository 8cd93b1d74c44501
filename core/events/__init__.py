"""Domain events: CloudEvents 1.0 envelopes recorded in the transactional outbox."""
