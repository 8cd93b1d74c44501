"""What discovery, sampling and profiling hand to the scan saga: plain pydantic models.

Every asset has a stable OpenLineage-style identity (``namespace`` + ``name``; ``qualified_name`` is
their one-string form) and a change ``fingerprint`` the saga compares between scans to skip
unchanged assets.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

LogicalType = Literal["integer", "decimal", "boolean", "date", "timestamp", "time", "string", "binary", "json", "other"]
AssetType = Literal["table", "view", "file_set"]


def stable_hash(value: Any) -> str:
    """SHA-256 of the canonical JSON of ``value``."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class ForeignKey(BaseModel):
    name: str
    columns: list[str]
    references: str = Field(description="Qualified name of the referenced table.")
    referenced_columns: list[str]


class DiscoveredColumn(BaseModel):
    name: str
    ordinal: int
    data_type: str = Field(description="The source's own type (PostgreSQL format_type, Arrow type, or inferred).")
    logical_type: LogicalType
    nullable: bool = True
    is_primary_key: bool = False
    is_partition_key: bool = False


class Fingerprint(BaseModel):
    """Change detection for incremental scans: tables use the DDL hash + row estimate, files the
    etag (or last-modified) + size of every file. ``value`` changes whenever any part does."""

    ddl_hash: str
    row_estimate: int | None = None
    content_hash: str | None = Field(None, description="Hash of (path, size, etag/last-modified) of every file.")
    value: str

    @classmethod
    def of(cls, ddl_hash: str, row_estimate: int | None, content_hash: str | None = None) -> Fingerprint:
        return cls(
            ddl_hash=ddl_hash,
            row_estimate=row_estimate,
            content_hash=content_hash,
            value=stable_hash([ddl_hash, row_estimate, content_hash]),
        )


class FileLocation(BaseModel):
    """One file of a file-set asset (enough to read it again for sampling)."""

    path: str = Field(description="Path relative to the source root (blob name for storage sources).")
    size_bytes: int
    last_modified: datetime | None = None
    etag: str | None = None
    partition: dict[str, str] = Field(default_factory=dict, description="key=value folders above the file.")


class DiscoveredAsset(BaseModel):
    namespace: str = Field(description="OpenLineage namespace, e.g. postgres://host:5432 or file.")
    name: str = Field(description="OpenLineage name, e.g. db.schema.table or /path/to/dataset.")
    qualified_name: str
    asset_type: AssetType
    columns: list[DiscoveredColumn]
    row_estimate: int | None = None
    fingerprint: Fingerprint
    # PostgreSQL
    schema_name: str | None = None
    table_name: str | None = None
    relkind: str | None = Field(
        None, description="PostgreSQL relkind: r table, p partitioned, v view, m matview, f foreign."
    )
    primary_key: list[str] = Field(default_factory=list)
    foreign_keys: list[ForeignKey] = Field(default_factory=list)
    # files
    format: str | None = None
    sheet: str | None = Field(None, description="Sheet (XLSX) or top-level key (JSON) of a multi-table file.")
    files: list[FileLocation] = Field(default_factory=list)
    file_count: int = 0
    size_bytes: int | None = None
    partition_columns: list[str] = Field(default_factory=list)


class DiscoveryResult(BaseModel):
    assets: list[DiscoveredAsset]
    skipped: list[dict[str, str]] = Field(
        default_factory=list, description="Objects not turned into assets: {path, reason} (unsupported, unreadable)."
    )


class ColumnValues(BaseModel):
    name: str
    logical_type: LogicalType
    values: list[Any]


class AssetSample(BaseModel):
    """Sampled rows of one asset, column-wise: what the classifier receives. Held in memory only."""

    qualified_name: str
    method: Literal["tablesample", "limit", "reservoir", "first_rows"]
    rows_sampled: int
    rows_scanned: int | None = Field(None, description="Rows read to draw the sample (files).")
    columns: list[ColumnValues]

    def as_mapping(self) -> dict[str, list[Any]]:
        """``{column: values}`` as ``ClassificationEngine.classify_table`` takes it."""
        return {c.name: c.values for c in self.columns}


class ShapeCount(BaseModel):
    shape: str
    count: int


class ColumnProfile(BaseModel):
    """Statistics of one column over the sample. ``min``/``max`` only for numeric, date and time
    columns (a text column's extremes would be raw, possibly sensitive, values)."""

    name: str
    logical_type: LogicalType
    count: int
    null_count: int
    null_pct: float
    distinct_in_sample: int
    distinct_estimate: int | None
    min: Any = None
    max: Any = None
    min_length: int | None = None
    avg_length: float | None = None
    max_length: int | None = None
    shapes: list[ShapeCount] = Field(default_factory=list, description="Most frequent value shapes ('Aaaa 99').")


class AssetProfile(BaseModel):
    qualified_name: str
    rows_sampled: int
    row_estimate: int | None = None
    columns: list[ColumnProfile]
