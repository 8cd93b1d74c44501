"""Read tabular files into column samples: CSV, TSV, JSON / NDJSON, Parquet and XLSX (every sheet).

One small interface for the CLI today and for scans tomorrow::

    for table in read_tables("customers.xlsx", sample=100):      # one TableSample per sheet
        for column in table.columns:                              # ColumnSample(name, values)
            ...

Every reader takes a *seekable binary stream* (a local file or a downloaded blob) and yields
``TableSample``s. Rows are sampled, not columns: up to ``sample`` whole rows are kept by a seeded
reservoir over the first ``max_rows`` data rows (deterministic for the same file), so every column's
values come from the same rows. Blank cells stay in the sample as ``None`` (the engine counts them).

Messy data is expected: encodings are sniffed (BOMs, UTF-8, UTF-16 without BOM, else cp1252 /
latin-1), CSV delimiters are sniffed (``,`` ``;`` ``|`` tab), leading blank rows and columns are
skipped, blank or duplicate headers get stable names (``column_3``, ``email_2``), a header row
that looks like data is treated as data (columns become ``column_1``...), and rows with too many
fields or undecodable JSON lines are counted in ``bad_rows`` and skipped (short rows are padded).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import random
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

DEFAULT_SAMPLE = 100
DEFAULT_MAX_ROWS = 200_000
SNIFF_BYTES = 64 * 1024
SEED = 20261130

#: File name suffix -> format name.
SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
FORMATS = ("csv", "tsv", "json", "ndjson", "parquet", "xlsx")


class FileReadError(Exception):
    """A file cannot be read as a table (``code``: ``unsupported_format``, ``unreadable``, ``empty``)."""

    def __init__(self, message: str, code: str = "unreadable") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class ColumnSample:
    """One column: its (cleaned) header and the sampled cell values, blanks as ``None``."""

    name: str
    values: list[Any]


@dataclass
class TableSample:
    """One table of a file (a CSV file, or one sheet of a workbook)."""

    source: str
    format: str
    table: str | None = None
    columns: list[ColumnSample] = field(default_factory=list)
    rows_read: int = 0
    rows_sampled: int = 0
    bad_rows: int = 0
    encoding: str | None = None
    header_detected: bool = True

    def as_mapping(self) -> dict[str, list[Any]]:
        """``{column name: values}``, what ``ClassificationEngine.classify_table`` takes."""
        return {column.name: column.values for column in self.columns}


# -- public entry points -----------------------------------------------------------------------------
def detect_format(path: str | Path) -> str:
    """The format of ``path`` from its suffix (``.gz`` not supported); ``FileReadError`` otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise FileReadError(
            f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(sorted(SUFFIXES))}",
            code="unsupported_format",
        )
    return SUFFIXES[suffix]


def read_tables(
    path: str | Path,
    *,
    sample: int = DEFAULT_SAMPLE,
    max_rows: int = DEFAULT_MAX_ROWS,
    file_format: str | None = None,
) -> list[TableSample]:
    """Every table of the file at ``path`` with up to ``sample`` sampled rows each."""
    file_format = file_format or detect_format(path)
    with open(path, "rb") as stream:
        return list(read_stream(stream, file_format, source=str(path), sample=sample, max_rows=max_rows))


def read_stream(
    stream: IO[bytes],
    file_format: str,
    *,
    source: str = "<stream>",
    sample: int = DEFAULT_SAMPLE,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> Iterator[TableSample]:
    """Tables from a seekable binary stream in ``file_format`` (one of ``FORMATS``)."""
    reader = READERS.get(file_format)
    if reader is None:
        raise FileReadError(f"unsupported format {file_format!r}", code="unsupported_format")
    if sample < 1:
        raise ValueError("sample must be at least 1")
    try:
        yield from reader(stream, source, sample, max_rows)
    except FileReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is "this file is unreadable"
        raise FileReadError(f"{source}: cannot read as {file_format}: {type(exc).__name__}: {exc}") from exc


# -- sampling and cleaning ------------------------------------------------------------------------------
class _Reservoir:
    """Seeded reservoir sampling of whole rows, keeping the sampled rows in file order."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.rows: list[tuple[int, Sequence[Any]]] = []
        self.seen = 0
        self._random = random.Random(SEED)

    def offer(self, row: Sequence[Any]) -> None:
        self.seen += 1
        if len(self.rows) < self.size:
            self.rows.append((self.seen, row))
            return
        slot = self._random.randrange(self.seen)
        if slot < self.size:
            self.rows[slot] = (self.seen, row)

    def ordered(self) -> list[Sequence[Any]]:
        return [row for _, row in sorted(self.rows, key=lambda item: item[0])]


def clean_cell(value: Any) -> Any:
    """A cell as the engine should see it: ``None`` for blanks, text for dates and integral floats."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return _datetime_text(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip() or None
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value).strip() or None


_MIDNIGHT = time(0)


def _datetime_text(value: datetime) -> str:
    return value.date().isoformat() if value.time() == _MIDNIGHT else value.isoformat(sep=" ")


#: ``clean_cell`` of a value of exactly one of these types (``None`` for booleans: kept as they are).
_CLEAN_BY_TYPE: dict[type, Callable[[Any], Any] | None] = {
    str: str.strip,
    int: str,
    bool: None,
    Decimal: str,
    datetime: _datetime_text,
    date: date.isoformat,
    time: time.isoformat,
}


def clean_column(values: Sequence[Any]) -> list[Any]:
    """``[clean_cell(value) for value in values]``: a column whose values (``None`` aside) all have one
    common type of ``_CLEAN_BY_TYPE`` (a database column) is converted by one C-level map."""
    kinds = set(map(type, values))
    nulls = type(None) in kinds
    kinds.discard(type(None))
    kind = kinds.pop() if len(kinds) == 1 else None
    if kind not in _CLEAN_BY_TYPE:
        return [clean_cell(value) for value in values]
    convert = _CLEAN_BY_TYPE[kind]
    if convert is None:
        return list(values)
    cleaned = [None if value is None else convert(value) for value in values] if nulls else list(map(convert, values))
    if kind is str and "" in cleaned:
        cleaned = [text or None for text in cleaned]  # a blank text is no value
    return cleaned


def unique_headers(raw: Sequence[Any]) -> list[str]:
    """Header names: stripped, blank ones ``column_<n>`` (1-based), duplicates suffixed ``_2``, ``_3``."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(raw, start=1):
        name = re.sub(r"\s+", " ", str(cell if cell is not None else "").replace("\ufeff", "")).strip()
        name = name or f"column_{index}"
        key = name.lower()
        if key in seen:
            seen[key] += 1
            name = f"{name}_{seen[key]}"
            key = name.lower()
        seen.setdefault(key, 1)
        names.append(name)
    return names


_DATA_LIKE = re.compile(
    r"^(?:[-+]?\d[\d.,]*|\S+@\S+\.\S+|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|(?:\d{1,3}\.){3}\d{1,3}|true|false)$",
    re.IGNORECASE,
)


def looks_like_data(row: Sequence[Any]) -> bool:
    """True when a would-be header row is really data: most non-empty cells are numbers, emails,
    dates, IPs or booleans (headers are words)."""
    cells = [str(cell).strip() for cell in row if cell is not None and str(cell).strip()]
    if not cells:
        return False
    data_like = sum(1 for cell in cells if _DATA_LIKE.match(cell) or not isinstance(cell, str))
    return data_like * 2 > len(cells)


def _build_table(
    sample: TableSample, header: Sequence[Any] | None, rows: Iterable[Sequence[Any]], size: int, max_rows: int
) -> TableSample:
    """Fill ``sample`` from a header (None: the first row decides) and data rows."""
    reservoir = _Reservoir(size)
    width = 0
    iterator = iter(rows)
    if header is None:
        for row in iterator:
            if any(clean_cell(cell) is not None for cell in row):
                header = list(row)
                break
        else:
            return sample
        if looks_like_data(header):
            sample.header_detected = False
            reservoir.offer(header)
            width = len(header)
            names = None
        else:
            names = unique_headers(header)
            width = len(names)
    else:
        names = unique_headers(header)
        width = len(names)
    for row in iterator:
        if reservoir.seen >= max_rows:
            break
        if names is not None and len(row) > width:
            extra = row[width:]
            if any(clean_cell(cell) is not None for cell in extra):
                sample.bad_rows += 1
                continue
            row = row[:width]
        if not any(clean_cell(cell) is not None for cell in row):
            continue  # blank line
        width = max(width, len(row)) if names is None else width
        reservoir.offer(row)
    if names is None:
        names = [f"column_{i}" for i in range(1, width + 1)]
    # Drop columns that are blank in the header AND in every sampled row (trailing separators).
    sampled = reservoir.ordered()
    columns: list[ColumnSample] = []
    for index, name in enumerate(names):
        values = [clean_cell(row[index]) if index < len(row) else None for row in sampled]
        header_blank = (
            header is not None
            and sample.header_detected
            and (index >= len(header) or clean_cell(header[index]) is None)
        )
        if header_blank and all(value is None for value in values):
            continue
        columns.append(ColumnSample(name, values))
    sample.columns = columns
    sample.rows_read = reservoir.seen
    sample.rows_sampled = len(sampled)
    return sample


# -- text decoding ------------------------------------------------------------------------------------
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def sniff_encoding(head: bytes) -> str:
    """The text encoding of a file from its first bytes: BOM, UTF-16 without BOM, UTF-8, else cp1252
    (or latin-1 when cp1252 cannot decode it)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if len(head) >= 4:
        even_nuls = head[0::2].count(0)
        odd_nuls = head[1::2].count(0)
        half = len(head) // 2
        if odd_nuls > half * 0.3 and even_nuls == 0:
            return "utf-16-le"
        if even_nuls > half * 0.3 and odd_nuls == 0:
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _text(stream: IO[bytes]) -> tuple[io.TextIOWrapper, str]:
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    encoding = sniff_encoding(head)
    # errors="replace": one bad byte deep in a UTF-8 file must not lose the file.
    return io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline=""), encoding


# -- readers ----------------------------------------------------------------------------------------------
def _delimited(delimiter: str | None) -> Callable[[IO[bytes], str, int, int], Iterator[TableSample]]:
    def read(stream: IO[bytes], source: str, sample: int, max_rows: int) -> Iterator[TableSample]:
        text, encoding = _text(stream)
        head = text.read(SNIFF_BYTES)
        text.seek(0)
        if not head.strip():
            raise FileReadError(f"{source}: the file is empty", code="empty")
        chosen = delimiter or sniff_delimiter(head)
        csv.field_size_limit(1 << 24)
        rows = csv.reader(text, delimiter=chosen, quotechar='"', skipinitialspace=False, strict=False)
        table = TableSample(source=source, format="tsv" if chosen == "\t" else "csv", encoding=encoding)
        yield _build_table(table, None, rows, sample, max_rows)
        text.detach()

    return read


def sniff_delimiter(head: str, candidates: str = ",;\t|") -> str:
    """The delimiter that splits the first lines into the most consistent number (> 1) of fields
    (``csv.Sniffer`` gives up on a few ragged rows; real exports have them)."""
    lines = [line for line in head.splitlines()[:-1] or head.splitlines() if line.strip()][:100]
    best, best_score = ",", (0.0, 0)
    for candidate in candidates:
        widths = [len(row) for row in csv.reader(lines, delimiter=candidate)]
        if not widths:
            continue
        mode = max(set(widths), key=widths.count)
        if mode < 2:
            continue
        score = (widths.count(mode) / len(widths), mode)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _flatten(record: Any, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    if not isinstance(record, dict):
        return {prefix or "value": record}
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and depth < 3:
            flat.update(_flatten(value, name, depth + 1))
        else:
            flat[name] = value
    return flat


def _records_table(records: Iterable[Any], source: str, file_format: str, sample: int, max_rows: int) -> TableSample:
    """A table from JSON records (objects flattened with dotted names; columns in first-seen order)."""
    table = TableSample(source=source, format=file_format, encoding="utf-8")
    reservoir = _Reservoir(sample)
    names: dict[str, None] = {}
    for record in records:
        if reservoir.seen >= max_rows:
            break
        if record is _BAD:
            table.bad_rows += 1
            continue
        flat = _flatten(record)
        for name in flat:
            names.setdefault(name, None)
        reservoir.offer(flat)  # type: ignore[arg-type]
    sampled = reservoir.ordered()
    table.columns = [
        ColumnSample(name, [clean_cell(row.get(name)) for row in sampled])  # type: ignore[attr-defined]
        for name in names
    ]
    table.rows_read = reservoir.seen
    table.rows_sampled = len(sampled)
    return table


_BAD = object()


def _ndjson_records(text: IO[str]) -> Iterator[Any]:
    for line in text:
        line = line.strip()
        if not line:
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            yield _BAD


def _read_ndjson(stream: IO[bytes], source: str, sample: int, max_rows: int) -> Iterator[TableSample]:
    text, _ = _text(stream)
    yield _records_table(_ndjson_records(text), source, "ndjson", sample, max_rows)
    text.detach()


def _read_json(stream: IO[bytes], source: str, sample: int, max_rows: int) -> Iterator[TableSample]:
    text, _ = _text(stream)
    content = text.read()
    text.detach()
    if not content.strip():
        raise FileReadError(f"{source}: the file is empty", code="empty")
    try:
        document = json.loads(content)
    except json.JSONDecodeError:
        # Many ".json" exports are really NDJSON.
        yield _records_table(_ndjson_records(io.StringIO(content)), source, "ndjson", sample, max_rows)
        return
    if isinstance(document, dict):
        lists = {key: value for key, value in document.items() if isinstance(value, list)}
        if lists:
            # {"data": [...]} / {"customers": [...], "orders": [...]}: one table per list of records.
            for key, records in lists.items():
                table = _records_table(records, source, "json", sample, max_rows)
                table.table = key
                yield table
            return
        document = [document]
    if not isinstance(document, list):
        raise FileReadError(f"{source}: a JSON table is an array of objects", code="unreadable")
    if document and all(isinstance(row, list) for row in document):  # [[header...], [row...]]
        table = TableSample(source=source, format="json", encoding="utf-8")
        yield _build_table(table, None, document, sample, max_rows)
        return
    yield _records_table(document, source, "json", sample, max_rows)


def _read_parquet(stream: IO[bytes], source: str, sample: int, max_rows: int) -> Iterator[TableSample]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(stream)
    names = unique_headers(parquet.schema_arrow.names)
    table = TableSample(source=source, format="parquet")
    reservoir = _Reservoir(sample)
    for batch in parquet.iter_batches(batch_size=8192):
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for row in zip(*columns, strict=True):
            if reservoir.seen >= max_rows:
                break
            reservoir.offer(row)
        if reservoir.seen >= max_rows:
            break
    sampled = reservoir.ordered()
    table.columns = [ColumnSample(name, [clean_cell(row[i]) for row in sampled]) for i, name in enumerate(names)]
    table.rows_read = reservoir.seen
    table.rows_sampled = len(sampled)
    yield table


def _read_xlsx(stream: IO[bytes], source: str, sample: int, max_rows: int) -> Iterator[TableSample]:
    from openpyxl import load_workbook

    workbook = load_workbook(stream, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            rows = [row for row in sheet.iter_rows(values_only=True, max_row=max_rows + 64)]
            # Skip leading columns that are blank in every row (tables often start at B2).
            offset = 0
            width = max((len(row) for row in rows), default=0)
            while offset < width and all(offset >= len(row) or clean_cell(row[offset]) is None for row in rows):
                offset += 1
            trimmed = [row[offset:] for row in rows]
            table = TableSample(source=source, format="xlsx", table=sheet.title)
            yield _build_table(table, None, trimmed, sample, max_rows)
    finally:
        workbook.close()


READERS: dict[str, Callable[[IO[bytes], str, int, int], Iterator[TableSample]]] = {
    "csv": _delimited(None),
    "tsv": _delimited("\t"),
    "json": _read_json,
    "ndjson": _read_ndjson,
    "parquet": _read_parquet,
    "xlsx": _read_xlsx,
}
