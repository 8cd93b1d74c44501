"""Column profiles over a sample: null %, distinct estimate, min/max, lengths and value shapes.

The distinct estimate scales the sample's distinct count to the whole table with the Haas-Stokes
Duj1 estimator (what PostgreSQL's ANALYZE uses): ``n·d / (n − f1 + f1·n/N)`` where ``f1`` counts
values seen exactly once. ``min``/``max`` are kept only for numeric, date and time columns: a text
column's extremes are raw values (maybe an email or a name) and its classification is not known yet.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from core.discovery.model import AssetProfile, AssetSample, ColumnProfile, ColumnValues, ShapeCount
from core.text_shape import char_shape

ORDERED_TYPES = frozenset({"integer", "decimal", "date", "timestamp", "time"})
MAX_SHAPE = 32
TOP_SHAPES = 5
_TEXT_OR_NONE = frozenset({str, type(None)})


def shape(value: str) -> str:
    """'John 42' → 'Aaaa 99': letters become A/a, digits 9, everything else stays (truncated)."""
    return char_shape(value[:MAX_SHAPE], "A", "a") + ("…" if len(value) > MAX_SHAPE else "")


def duj1(sample_size: int, distinct: int, singletons: int, population: int | None) -> int:
    if population is None or population <= sample_size or sample_size == 0:
        return distinct
    if singletons >= sample_size:  # every value unique: assume the column is unique
        return population
    estimate = sample_size * distinct / (sample_size - singletons + singletons * sample_size / population)
    return max(distinct, min(population, round(estimate)))


def _ordered_values(counts: Counter[str], logical: str) -> list[Any]:
    """The distinct values as ``_ordered`` orders them, unorderable ones left out."""
    if logical not in ("integer", "decimal"):
        return list(counts)  # ISO dates, timestamps and times order as text
    try:
        return list(map(Decimal, counts))  # one C call per value when they all parse
    except InvalidOperation:
        return [o for o in (_ordered(v, logical) for v in counts) if o is not None]


def _shapes(present: list[str], counts: Counter[str], lengths: list[int]) -> Counter[str]:
    """How many values have each shape, shapes in first-seen order (``most_common`` breaks ties by it)."""
    if not present:
        return Counter()
    long = max(lengths) > MAX_SHAPE
    joined = "\x00".join([v[:MAX_SHAPE] for v in present] if long else present)
    if joined.count("\x00") == len(present) - 1:
        # Every shape from one translate of the joined values, counted in C.
        shapes = char_shape(joined, "A", "a").split("\x00")
        if long:
            shapes = [s + "…" if n > MAX_SHAPE else s for s, n in zip(shapes, lengths, strict=True)]
        return Counter(shapes)
    by_shape: Counter[str] = Counter()
    for value, count in counts.items():  # a value holding NUL: one shape per distinct value, in order
        by_shape[shape(value)] += count
    return by_shape


def _ordered(value: str, logical: str) -> Any:
    if logical in ("integer", "decimal"):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return value  # ISO dates, timestamps and times order as text


def profile_column(column: ColumnValues, row_estimate: int | None = None) -> ColumnProfile:
    values = column.values
    if set(map(type, values)) <= _TEXT_OR_NONE:  # the usual case: "" and None are the only falsy values
        present = list(filter(None, values))
    else:
        texts = (v if v.__class__ is str else str(v) for v in values if v is not None)
        present = [v for v in texts if v != ""]
    counts = Counter(present)
    lengths = list(map(len, present))
    minimum = maximum = None
    if column.logical_type in ORDERED_TYPES and present:
        ordered = _ordered_values(counts, column.logical_type)
        if ordered:
            minimum, maximum = min(ordered), max(ordered)
            if isinstance(minimum, Decimal):
                minimum, maximum = _number(minimum), _number(maximum)
    non_null_population = None
    if row_estimate is not None and values:
        non_null_population = round(row_estimate * len(present) / len(values))
    singletons = list(counts.values()).count(1)
    by_shape = _shapes(present, counts, lengths)
    shapes = by_shape.most_common(TOP_SHAPES)
    return ColumnProfile(
        name=column.name,
        logical_type=column.logical_type,
        count=len(values),
        null_count=len(values) - len(present),
        null_pct=round(100.0 * (len(values) - len(present)) / len(values), 2) if values else 0.0,
        distinct_in_sample=len(counts),
        distinct_estimate=duj1(len(present), len(counts), singletons, non_null_population) if present else 0,
        min=minimum,
        max=maximum,
        min_length=min(lengths) if lengths else None,
        avg_length=round(sum(lengths) / len(lengths), 2) if lengths else None,
        max_length=max(lengths) if lengths else None,
        shapes=[ShapeCount(shape=s, count=c) for s, c in shapes],
    )


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def profile_sample(sample: AssetSample, row_estimate: int | None = None) -> AssetProfile:
    """The profile of every sampled column of one asset."""
    return AssetProfile(
        qualified_name=sample.qualified_name,
        rows_sampled=sample.rows_sampled,
        row_estimate=row_estimate,
        columns=[profile_column(column, row_estimate) for column in sample.columns],
    )
