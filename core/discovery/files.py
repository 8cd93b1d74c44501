"""File sources (a local folder or a blob container): datasets, schemas, row estimates, samples.

Files are read with the shared readers of ``core.files.tabular`` (CSV, TSV, JSON/NDJSON, Parquet,
XLSX) over lazily-read seekable streams, so nothing is loaded whole:

* a folder of Hive-style partitions is ONE dataset: ``sales/year=2024/month=01/part-0.parquet`` →
  dataset ``sales`` with partition columns ``year`` and ``month`` (values from the folder names);
  any other file is a dataset of its own; a workbook's sheets (or a JSON document's top-level lists)
  are one dataset each, named ``<file>/<sheet>``;
* schemas come from Parquet metadata (exact Arrow types) or are inferred from the first rows;
* row estimates: Parquet metadata; for text formats the newline density of the first MiB times the
  file size; XLSX/JSON the rows read when the whole table fitted the schema read;
* fingerprints: schema hash + (path, size, etag or last-modified) of every file;
* samples: a seeded reservoir over at most ``MAX_SCAN_ROWS`` streamed rows of up to
  ``MAX_SAMPLE_FILES`` files spread over the dataset.
"""

from __future__ import annotations

import io
import math
import re
from collections import Counter, defaultdict
from typing import IO, Any

from core.discovery import types
from core.discovery.filesystem import FileEntry, FileSystem
from core.discovery.model import (
    AssetSample,
    ColumnValues,
    DiscoveredAsset,
    DiscoveredColumn,
    DiscoveryResult,
    FileLocation,
    Fingerprint,
    stable_hash,
)
from core.files.tabular import FileReadError, TableSample, detect_format, read_stream

PARTITION = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
SCHEMA_ROWS = 1_000  # rows read to infer a text file's schema
MAX_SCAN_ROWS = 100_000  # rows streamed per file to draw a sample
MAX_SAMPLE_FILES = 5
DENSITY_BYTES = 1024 * 1024
JSON_HEAD_BYTES = 16 * 1024 * 1024  # a JSON document (not NDJSON) is parsed whole: only its head
PARQUET_METADATA_FILES = 20


def _ignored(name: str) -> bool:
    # Hidden files and the markers/checksums Spark, Hadoop and Databricks leave behind.
    return name.startswith((".", "_")) or name.endswith(".crc")


def _group(entries: list[FileEntry]) -> tuple[dict[str, list[tuple[FileEntry, dict[str, str]]]], list[dict[str, str]]]:
    groups: dict[str, list[tuple[FileEntry, dict[str, str]]]] = defaultdict(list)
    skipped: list[dict[str, str]] = []
    for entry in entries:
        parts = entry.path.split("/")
        if _ignored(parts[-1]) or any(p.startswith(".") for p in parts[:-1]):
            continue
        try:
            detect_format(parts[-1])
        except FileReadError:
            skipped.append({"path": entry.path, "reason": "unsupported_format"})
            continue
        folders = parts[:-1]
        first = next((i for i, seg in enumerate(folders) if PARTITION.match(seg)), None)
        if first is None:
            groups[entry.path].append((entry, {}))
            continue
        partition = {}
        for seg in folders[first:]:
            match = PARTITION.match(seg)
            if match:
                partition[match.group(1)] = match.group(2)
        groups["/".join(folders[:first])].append((entry, partition))
    return groups, skipped


def _open(fs: FileSystem, entry: FileEntry, file_format: str) -> IO[bytes]:
    stream = fs.open(entry)
    if file_format == "json" and entry.size > JSON_HEAD_BYTES:
        # json.loads needs the whole text: keep the head only (the reader falls back to NDJSON).
        with stream:
            return io.BytesIO(stream.read(JSON_HEAD_BYTES))
    return stream


def _text_row_estimate(fs: FileSystem, entry: FileEntry, header: bool) -> int | None:
    with fs.open(entry) as stream:
        head = stream.read(DENSITY_BYTES)
    if not head:
        return 0
    lines = head.count(b"\n") + (0 if head.endswith(b"\n") else 1)
    if len(head) < entry.size:
        lines = round(entry.size * lines / len(head))
    return max(0, lines - (1 if header else 0))


def _parquet_schema(fs: FileSystem, files: list[FileEntry]) -> tuple[list[DiscoveredColumn], int | None]:
    import pyarrow.parquet as pq

    rows = 0
    counted_bytes = 0
    columns: list[DiscoveredColumn] = []
    for index, entry in enumerate(files[:PARQUET_METADATA_FILES]):
        with fs.open(entry) as stream:
            parquet = pq.ParquetFile(stream)
            if index == 0:
                columns = [
                    DiscoveredColumn(
                        name=field.name,
                        ordinal=i + 1,
                        data_type=str(field.type),
                        logical_type=types.from_arrow(str(field.type)),
                        nullable=field.nullable,
                    )
                    for i, field in enumerate(parquet.schema_arrow)
                ]
            rows += parquet.metadata.num_rows
            counted_bytes += entry.size
    total_bytes = sum(f.size for f in files)
    if counted_bytes and total_bytes > counted_bytes:
        rows = round(rows * total_bytes / counted_bytes)
    return columns, rows


def _tables(fs: FileSystem, entry: FileEntry, file_format: str, sample: int, max_rows: int) -> list[TableSample]:
    with _open(fs, entry, file_format) as stream:
        return list(read_stream(stream, file_format, source=entry.path, sample=sample, max_rows=max_rows))


def _columns_of(table: TableSample) -> list[DiscoveredColumn]:
    return [
        DiscoveredColumn(name=column.name, ordinal=i + 1, data_type="inferred", logical_type=types.infer(column.values))
        for i, column in enumerate(table.columns)
    ]


def discover(fs: FileSystem) -> DiscoveryResult:
    """Every dataset under the file system's root. Unreadable or unsupported files are reported in
    ``skipped``; they never fail the discovery."""
    groups, skipped = _group(list(fs.list()))
    assets: list[DiscoveredAsset] = []
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda m: m[0].path)
        formats = Counter(detect_format(entry.path.rsplit("/", 1)[-1]) for entry, _ in members)
        file_format = formats.most_common(1)[0][0]
        for entry, _ in members:
            if detect_format(entry.path.rsplit("/", 1)[-1]) != file_format:
                skipped.append({"path": entry.path, "reason": f"format differs from the dataset's ({file_format})"})
        members = [m for m in members if detect_format(m[0].path.rsplit("/", 1)[-1]) == file_format]
        files = [entry for entry, _ in members]
        partition_keys = list(dict.fromkeys(k for _, partition in members for k in partition))
        try:
            assets.extend(_dataset_assets(fs, key, file_format, members, files, partition_keys))
        except (FileReadError, OSError, ValueError) as exc:
            code = getattr(exc, "code", "unreadable")
            skipped.append({"path": key, "reason": code})
        except Exception as exc:  # noqa: BLE001 - one bad file must not fail the whole discovery
            skipped.append({"path": key, "reason": f"unreadable ({type(exc).__name__})"})
    return DiscoveryResult(assets=assets, skipped=skipped)


def _dataset_assets(
    fs: FileSystem,
    key: str,
    file_format: str,
    members: list[tuple[FileEntry, dict[str, str]]],
    files: list[FileEntry],
    partition_keys: list[str],
) -> list[DiscoveredAsset]:
    first = files[0]
    if file_format == "parquet":
        columns, rows = _parquet_schema(fs, files)
        tables: list[tuple[str | None, list[DiscoveredColumn], int | None]] = [(None, columns, rows)]
    else:
        read = _tables(fs, first, file_format, SCHEMA_ROWS, SCHEMA_ROWS)
        tables = []
        for table in read:
            if file_format in ("csv", "tsv", "ndjson"):
                estimate = sum(
                    _text_row_estimate(fs, f, file_format != "ndjson") or 0 for f in files[:PARQUET_METADATA_FILES]
                )
                counted = sum(f.size for f in files[:PARQUET_METADATA_FILES])
                total = sum(f.size for f in files)
                rows = round(estimate * total / counted) if counted else estimate
            else:
                rows = table.rows_read if table.rows_read < SCHEMA_ROWS else None
            tables.append((table.table if len(read) > 1 or table.table else None, _columns_of(table), rows))
    locations = [
        FileLocation(path=e.path, size_bytes=e.size, last_modified=e.last_modified, etag=e.etag, partition=p)
        for e, p in members
    ]
    content = stable_hash(
        [[e.path, e.size, e.etag or (e.last_modified.isoformat() if e.last_modified else None)] for e in files]
    )
    assets = []
    for sheet, columns, rows in tables:
        part_columns = [
            DiscoveredColumn(
                name=name,
                ordinal=len(columns) + i + 1,
                data_type="partition",
                logical_type=types.infer(p.get(name) for _, p in members),
                is_partition_key=True,
            )
            for i, name in enumerate(partition_keys)
            if name not in {c.name for c in columns}
        ]
        all_columns = columns + part_columns
        name = fs.name_of(key) + (f"/{sheet}" if sheet else "")
        ddl = {
            "format": file_format,
            "sheet": sheet,
            "columns": [[c.name, c.data_type, c.logical_type] for c in all_columns],
            "partitions": partition_keys,
        }
        namespace = fs.namespace
        assets.append(
            DiscoveredAsset(
                namespace=namespace,
                name=name,
                qualified_name=f"file://{name}" if namespace == "file" else f"{namespace}{name}",
                asset_type="file_set",
                columns=all_columns,
                row_estimate=rows,
                fingerprint=Fingerprint.of(stable_hash(ddl), rows, content),
                format=file_format,
                sheet=sheet,
                files=locations,
                file_count=len(files),
                size_bytes=sum(e.size for e in files),
                partition_columns=partition_keys,
            )
        )
    return assets


def _spread(items: list[Any], k: int) -> list[Any]:
    if len(items) <= k:
        return items
    step = len(items) / k
    return [items[int(i * step)] for i in range(k)]


def sample(fs: FileSystem, asset: DiscoveredAsset, rows: int = 100) -> AssetSample:
    """Up to ``rows`` rows: a seeded reservoir over the first ``MAX_SCAN_ROWS`` streamed rows of up
    to ``MAX_SAMPLE_FILES`` files spread over the dataset (partition values from the folder names)."""
    chosen = _spread(asset.files, MAX_SAMPLE_FILES)
    per_file = max(1, math.ceil(rows / max(1, len(chosen))))
    names = [c.name for c in asset.columns]
    values: dict[str, list[Any]] = {name: [] for name in names}
    scanned = 0
    taken = 0
    for location in chosen:
        entry = FileEntry(location.path, location.size_bytes, location.last_modified, location.etag)
        tables = _tables(fs, entry, asset.format or "csv", per_file, MAX_SCAN_ROWS)
        table = next((t for t in tables if t.table == asset.sheet), tables[0] if tables else None)
        if table is None:
            continue
        scanned += table.rows_read
        count = min(table.rows_sampled, rows - taken)
        by_name = {c.name: c.values for c in table.columns}
        for name in names:
            if name in by_name:
                values[name].extend(by_name[name][:count])
            else:
                values[name].extend([location.partition.get(name)] * count)
        taken += count
        if taken >= rows:
            break
    logical = {c.name: c.logical_type for c in asset.columns}
    return AssetSample(
        qualified_name=asset.qualified_name,
        method="reservoir",
        rows_sampled=taken,
        rows_scanned=scanned,
        columns=[ColumnValues(name=n, logical_type=logical[n], values=values[n]) for n in names],
    )
