-- Compliance sweeps at scale (50,000 tables / 1,000,000 columns).
-- depends: 0010.compliance 0013.compliance_indexes

-- The highest sensitivity label among an asset's columns (asset.sensitivity, readers, risk): a small
-- partial index that both the per-asset probe and the whole-workspace aggregate read without
-- visiting the table (one entry per labelled column).
CREATE INDEX IF NOT EXISTS catalog_assets_child_rank_idx
    ON catalog_assets (workspace_id, parent_id) INCLUDE (sensitivity_rank)
    WHERE sensitivity_rank IS NOT NULL AND removed_at IS NULL AND parent_id IS NOT NULL;

-- audit.records and schema_changes.audited look up successful audit records by target.
CREATE INDEX IF NOT EXISTS audit_records_target_idx ON audit_records (chain, target) WHERE outcome = 'success';

-- When a run saw its policy, in the run's transaction time (the detected_at/closed_at clock). An open
-- violation's last_seen_at is read as the latest full evaluation of its policy instead of being
-- rewritten on every open violation row at every sweep.
ALTER TABLE compliance_evaluations ADD COLUMN seen_at timestamptz;
UPDATE compliance_evaluations SET seen_at = evaluated_at;
ALTER TABLE compliance_evaluations ALTER COLUMN seen_at SET DEFAULT now(), ALTER COLUMN seen_at SET NOT NULL;
CREATE INDEX compliance_evaluations_seen_idx
    ON compliance_evaluations (workspace_id, policy_ref, seen_at DESC) WHERE NOT partial;
