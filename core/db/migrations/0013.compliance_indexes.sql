-- Compliance facts probe an asset's classifications by asset id: the unique indexes on
-- catalog_classifications are partial (origin_id IS NULL / NOT NULL), which a plain asset_id
-- probe cannot use, so every probe scanned the table (quadratic sweeps).
-- depends: 0010.compliance

CREATE INDEX IF NOT EXISTS catalog_classifications_asset_idx
    ON catalog_classifications (asset_id) INCLUDE (classification_id, status, sensitivity);
