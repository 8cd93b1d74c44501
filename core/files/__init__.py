"""Reading data files (CSV, TSV, JSON/NDJSON, Parquet, XLSX) into sampled columns: ``core.files.tabular``."""

from core.files.tabular import (
    FORMATS,
    ColumnSample,
    FileReadError,
    TableSample,
    detect_format,
    read_stream,
    read_tables,
)

__all__ = ["FORMATS", "ColumnSample", "FileReadError", "TableSample", "detect_format", "read_stream", "read_tables"]
