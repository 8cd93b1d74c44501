"""The catalog: assets with OpenLineage-compatible names, classifications with provenance, glossary,
search, lineage and classification propagation. Services are functions over a unit of work."""
