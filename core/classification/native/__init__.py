"""Native match collection for the fast pattern pass: ``hs_lines.c`` loaded with ctypes.

The ``hyperscan`` wheel calls a Python function for every match, which costs more than Hyperscan's
own scan when most values match something. ``hs_lines.c`` (built by ``scripts/bootstrap.sh`` against
the system Hyperscan/Vectorscan library, ``libvectorscan-dev`` or ``libhyperscan-dev`` on Debian)
scans each value of a newline-joined batch on its own (a database compiled without multi-line mode),
collects the matches in C and hands back, per pattern, the ascending indexes of the matching values
as one int32 array. When the helper is not built (or the library is missing) ``available()`` is
False and the pattern pass uses the wheel; both give the same hits.
"""

from __future__ import annotations

import ctypes
import threading
import weakref
from pathlib import Path

import numpy as np

from core.classification.native.loader import NativeLibrary

LIBRARY_PATH = Path(__file__).with_name("_hs_lines.so")

# Hyperscan compile flags (hs_compile.h): fixed by the library's ABI.
HS_FLAG_CASELESS = 1
HS_FLAG_MULTILINE = 4
HS_FLAG_UTF8 = 32


class NativeScanError(RuntimeError):
    """The native helper returned an error code."""


def _declare(library: ctypes.CDLL) -> None:
    pointer = ctypes.c_void_p
    library.dw_version.restype = ctypes.c_char_p
    library.dw_version.argtypes = []
    library.dw_compile.restype = ctypes.c_int
    library.dw_compile.argtypes = [
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.POINTER(ctypes.c_uint),
        ctypes.POINTER(ctypes.c_uint),
        ctypes.c_uint,
        ctypes.POINTER(pointer),
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.POINTER(ctypes.c_int),
    ]
    library.dw_serialize.restype = ctypes.c_int
    library.dw_serialize.argtypes = [pointer, ctypes.POINTER(pointer), ctypes.POINTER(ctypes.c_size_t)]
    library.dw_deserialize.restype = ctypes.c_int
    library.dw_deserialize.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(pointer)]
    library.dw_alloc_scratch.restype = ctypes.c_int
    library.dw_alloc_scratch.argtypes = [pointer, ctypes.POINTER(pointer)]
    library.dw_free_scratch.restype = ctypes.c_int
    library.dw_free_scratch.argtypes = [pointer]
    library.dw_free_database.restype = ctypes.c_int
    library.dw_free_database.argtypes = [pointer]
    library.dw_free.restype = None
    library.dw_free.argtypes = [pointer]
    library.dw_scan_lines.restype = ctypes.c_longlong
    library.dw_scan_lines.argtypes = [
        pointer,
        pointer,
        ctypes.c_char_p,
        ctypes.c_uint,
        ctypes.c_uint,
        pointer,
        ctypes.c_longlong,
        pointer,
    ]


_HELPER = NativeLibrary(LIBRARY_PATH, _declare)


def _load() -> ctypes.CDLL | None:
    return _HELPER.load()


def available() -> bool:
    """True when the helper and the Hyperscan library it links load on this machine."""
    return _load() is not None


def unavailable_reason() -> str | None:
    """Why ``available()`` is False (None when it is True)."""
    return _HELPER.error


def version() -> str:
    """The version string of the Hyperscan/Vectorscan library the helper uses."""
    library = _load()
    if library is None:
        raise NativeScanError(_HELPER.error or "native helper unavailable")
    return library.dw_version().decode()


def _free(library: ctypes.CDLL, database: int, scratches: list[int]) -> None:
    for scratch in scratches:
        library.dw_free_scratch(scratch)
    library.dw_free_database(database)


class NativeDatabase:
    """A block-mode Hyperscan database scanned by ``hs_lines.c`` (one scratch space per thread)."""

    def __init__(self, database: int, expression_count: int) -> None:
        library = _load()
        assert library is not None
        self._library = library
        self._database = database
        self.expression_count = expression_count
        self._local = threading.local()
        self._scratches: list[int] = []
        self._scratch_lock = threading.Lock()
        weakref.finalize(self, _free, library, database, self._scratches)

    @classmethod
    def compile(cls, expressions: list[bytes], flags: list[int]) -> NativeDatabase:
        """Compile ``expressions`` (ids = their positions) into one block-mode database."""
        library = _load()
        if library is None:
            raise NativeScanError(_HELPER.error or "native helper unavailable")
        count = len(expressions)
        database = ctypes.c_void_p()
        error = ctypes.create_string_buffer(512)
        error_expression = ctypes.c_int(-1)
        rc = library.dw_compile(
            (ctypes.c_char_p * count)(*expressions),
            (ctypes.c_uint * count)(*flags),
            (ctypes.c_uint * count)(*range(count)),
            count,
            ctypes.byref(database),
            error,
            len(error),
            ctypes.byref(error_expression),
        )
        if rc != 0:
            raise NativeScanError(
                f"hs_compile_multi failed ({rc}) on expression {error_expression.value}: {error.value.decode()}"
            )
        return cls(database.value, count)

    @classmethod
    def deserialize(cls, data: bytes, expression_count: int) -> NativeDatabase:
        """Load a database written by ``serialize`` (same library version and platform)."""
        library = _load()
        if library is None:
            raise NativeScanError(_HELPER.error or "native helper unavailable")
        database = ctypes.c_void_p()
        rc = library.dw_deserialize(data, len(data), ctypes.byref(database))
        if rc != 0:
            raise NativeScanError(f"hs_deserialize_database failed ({rc})")
        return cls(database.value, expression_count)

    def serialize(self) -> bytes:
        """The database as bytes (for the on-disk cache)."""
        data = ctypes.c_void_p()
        length = ctypes.c_size_t()
        rc = self._library.dw_serialize(self._database, ctypes.byref(data), ctypes.byref(length))
        if rc != 0:
            raise NativeScanError(f"hs_serialize_database failed ({rc})")
        try:
            return ctypes.string_at(data.value, length.value)
        finally:
            self._library.dw_free(data.value)

    def _scratch(self) -> int:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:  # Hyperscan scratch space is per thread
            pointer = ctypes.c_void_p()
            rc = self._library.dw_alloc_scratch(self._database, ctypes.byref(pointer))
            if rc != 0:
                raise NativeScanError(f"hs_alloc_scratch failed ({rc})")
            scratch = self._local.scratch = pointer.value
            with self._scratch_lock:
                self._scratches.append(scratch)
        return scratch

    def scan_lines(
        self, buffer: bytes, line_count: int, *, capacity: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scan each line of ``buffer`` (``line_count`` values joined by newlines) on its own.

        Returns ``(counts, lines)``: ``counts[i]`` matches of expression ``i``, whose line indexes
        are ``lines[sum(counts[:i]) : sum(counts[:i + 1])]``, ascending. ``capacity`` (the size of
        the first output array tried; it grows and the buffer is rescanned when too small) is for
        tests.
        """
        if len(buffer) >= 1 << 32:
            raise NativeScanError("a block scan is limited to 4 GiB")
        counts = np.zeros(self.expression_count, dtype=np.int64)
        # np.empty does not touch the pages, so a generous capacity costs nothing until written.
        if capacity is None:
            capacity = max(getattr(self._local, "capacity", 0), 4096, 2 * line_count)
        scratch = self._scratch()
        while True:
            lines = np.empty(capacity, dtype=np.int32)
            found = self._library.dw_scan_lines(
                self._database,
                scratch,
                buffer,
                len(buffer),
                self.expression_count,
                lines.ctypes.data,
                capacity,
                counts.ctypes.data,
            )
            if found < 0:
                raise NativeScanError(f"hs_scan failed ({found})")
            if found <= capacity:
                return counts, lines[:found]
            capacity = self._local.capacity = int(found)
