"""The audit trail: append-only records, hash-chained per workspace, with verification."""
