"""Character n-gram counting in C for ``core.classification.char_ngrams``: ``ngrams.c`` loaded with ctypes.

``ngrams.c`` needs only a C compiler (``scripts/bootstrap.sh`` builds it). When it is not built,
``available()`` is False and ``FastCharTfidf`` counts with numpy: both give the same matrix.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

from core.classification.native.loader import NativeLibrary

LIBRARY_PATH = Path(__file__).with_name("_ngrams.so")


class NgramCountError(RuntimeError):
    """The native counter returned an error code."""


def _declare(library: ctypes.CDLL) -> None:
    pointer, int64, int32 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int32
    library.dw_count_ngrams.restype = ctypes.c_longlong
    library.dw_count_ngrams.argtypes = [
        pointer, int64, pointer, int64,  # digits, length, starts, rows
        int32, int32, int64,  # min_n, max_n, base
        pointer, int64, pointer, pointer, int64,  # table, table_size, keys, columns, key_count
        int32, pointer, pointer, pointer, int64,  # features, indptr, indices, data, capacity
    ]  # fmt: skip


_HELPER = NativeLibrary(LIBRARY_PATH, _declare)


def available() -> bool:
    """True when the compiled counter loads on this machine."""
    return _HELPER.load() is not None


def unavailable_reason() -> str | None:
    """Why ``available()`` is False (None when it is True)."""
    return _HELPER.error


def count(
    digits: np.ndarray,
    starts: np.ndarray,
    *,
    min_n: int,
    max_n: int,
    base: int,
    features: int,
    table: np.ndarray | None,
    keys: np.ndarray,
    columns: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(data, indices, indptr)`` of the count matrix: ``digits`` are the documents' digits, each
    document followed by a 0, ``starts`` where each begins plus the total length (``len(digits)``).
    ``table`` maps a key to its feature (-1: none); without it ``keys`` (ascending) and ``columns``."""
    library = _HELPER.load()
    if library is None:
        raise NgramCountError(_HELPER.error or "native n-gram counter unavailable")
    digits = np.ascontiguousarray(digits, dtype=np.int32)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    rows = len(starts) - 1
    if rows < 0 or int(starts[-1]) != len(digits):
        raise NgramCountError("starts must end at the length of digits")
    # A document has at most one cell per window, and one per feature.
    capacity = min(len(digits) * (max_n - min_n + 1), rows * features)
    indptr = np.empty(rows + 1, dtype=np.int64)
    indices = np.empty(max(capacity, 1), dtype=np.int32)
    data = np.empty(max(capacity, 1), dtype=np.float64)
    if table is not None:
        table = np.ascontiguousarray(table, dtype=np.int16)
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    columns = np.ascontiguousarray(columns, dtype=np.int64)
    cells = library.dw_count_ngrams(
        digits.ctypes.data,
        len(digits),
        starts.ctypes.data,
        rows,
        min_n,
        max_n,
        base,
        table.ctypes.data if table is not None else None,
        len(table) if table is not None else 0,
        keys.ctypes.data,
        columns.ctypes.data,
        len(keys),
        features,
        indptr.ctypes.data,
        indices.ctypes.data,
        data.ctypes.data,
        capacity,
    )
    if cells < 0:
        raise NgramCountError(f"dw_count_ngrams failed ({cells})")
    return data[:cells], indices[:cells], indptr
