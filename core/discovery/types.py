"""Logical column types: from PostgreSQL and Arrow type names, or inferred from sampled text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from core.discovery.model import LogicalType

_PG = (
    (re.compile(r"^(smallint|integer|bigint|int[248]?|serial|bigserial|smallserial)\b"), "integer"),
    (re.compile(r"^(numeric|decimal|real|double precision|float[48]?|money)\b"), "decimal"),
    (re.compile(r"^boolean\b"), "boolean"),
    (re.compile(r"^date\b"), "date"),
    (re.compile(r"^timestamp\b"), "timestamp"),
    (re.compile(r"^time\b"), "time"),
    (re.compile(r"^(json|jsonb)\b"), "json"),
    (re.compile(r"^bytea\b"), "binary"),
    (re.compile(r"^(text|character|varchar|char|citext|uuid|name|inet|cidr|macaddr|xml)\b"), "string"),
)


@lru_cache(maxsize=4096)  # a database has few distinct type strings and thousands of columns
def from_postgres(type_name: str) -> LogicalType:
    """The logical type of a PostgreSQL ``format_type`` string (arrays and other types: ``other``)."""
    if type_name.endswith("[]"):
        return "other"
    for pattern, logical in _PG:
        if pattern.match(type_name):
            return logical  # type: ignore[return-value]
    return "other"


def from_arrow(type_name: str) -> LogicalType:
    """The logical type of an Arrow type string (``int64``, ``timestamp[us]``, ``decimal128(10, 2)``...)."""
    name = type_name.lower()
    if re.match(r"^u?int\d+$", name):
        return "integer"
    if name.startswith(("double", "float", "halffloat", "decimal")):
        return "decimal"
    if name == "bool":
        return "boolean"
    if name.startswith("date"):
        return "date"
    if name.startswith("timestamp"):
        return "timestamp"
    if name.startswith("time"):
        return "time"
    if name in ("string", "large_string", "utf8", "large_utf8"):
        return "string"
    if name.startswith(("binary", "large_binary", "fixed_size_binary")):
        return "binary"
    if name.startswith(("struct", "list", "map", "large_list")):
        return "json"
    return "other"


_INT = re.compile(r"^[-+]?\d{1,18}$")
_DEC = re.compile(r"^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")
_BOOL = {"true", "false", "t", "f", "yes", "no"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def infer(values: Iterable[Any]) -> LogicalType:
    """The narrowest logical type every non-blank sampled text value fits (``string`` when mixed)."""
    seen: set[str] = set()
    for value in values:
        if value is None:
            continue
        text = str(value).strip()
        if not text:
            continue
        if _INT.match(text) and not (len(text) > 1 and text[0] == "0"):
            seen.add("integer")  # leading zeros (zip codes, ids) stay text
        elif _DEC.match(text) and not re.match(r"^0\d", text):
            seen.add("decimal")
        elif text.lower() in _BOOL:
            seen.add("boolean")
        elif _DATE.match(text):
            seen.add("date")
        elif _TS.match(text):
            seen.add("timestamp")
        else:
            return "string"
    if not seen:
        return "string"
    if seen <= {"integer"}:
        return "integer"
    if seen <= {"integer", "decimal"}:
        return "decimal"
    if len(seen) == 1:
        return seen.pop()  # type: ignore[return-value]
    if seen <= {"date", "timestamp"}:
        return "timestamp"
    return "string"
