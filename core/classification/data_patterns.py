"""The fast pattern pass: every data pattern of the catalog over a batch of values at once.

With Hyperscan (the default where available) all regexes are compiled into ONE multi-pattern
database; the batch is joined with newlines into one UTF-8 buffer and scanned once, each pattern
anchored to a whole line (``^(?:...)$`` in multi-line mode). Where the native helper is built
(``core/classification/native``: ``hs_lines.c`` against the system Hyperscan/Vectorscan library,
built by ``scripts/bootstrap.sh``), the matches are collected in C and come back as one int32 array of
line indexes grouped by pattern (engine ``hyperscan-native``). Otherwise the ``hyperscan`` wheel
calls a Python handler per match that appends the end offset to a per-pattern machine-int array,
mapped back to values through a cumulative newline table (engine ``hyperscan``). Both give the same
hits. Validators (Luhn, mod-97...) run only on hits, once per distinct value (verdicts cached per
validator list). Without Hyperscan the same patterns run through Python ``re`` ``fullmatch`` (same
results, ~10x slower). Dictionary patterns are set look-ups on the lower-cased value in all modes.

Compiling the catalog's ~90 patterns into one Hyperscan database takes a few seconds, so the
serialised database is cached on disk (keyed by a hash of the patterns and the library version) in
``cache_dir`` (default ``<tmp>/datawave-hyperscan``; ``None`` disables the cache).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter
from pathlib import Path

import numpy as np

from core.classification import native
from core.classification.catalog import ClassificationDefinition
from core.classification.validators import Validator, get_validator

try:  # pragma: no cover - exercised implicitly where the wheel exists
    import hyperscan
except ImportError:  # pragma: no cover
    hyperscan = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "datawave-hyperscan"


@dataclass(frozen=True)
class CompiledPattern:
    """One data pattern of one classification, ready to scan."""

    classification_id: str
    pattern_id: str
    score: float
    regex: str | None = None
    ignore_case: bool = False
    dictionary: frozenset[str] = frozenset()
    validator_names: tuple[str, ...] = ()
    validators: tuple[Validator, ...] = field(default=(), compare=False, repr=False)

    @property
    def key(self) -> str:
        """``<classification_id>/<pattern_id>``: the rule id shown in evidence."""
        return f"{self.classification_id}/{self.pattern_id}"

    def check(self) -> Validator:  # noqa: D401
        """One callable running every validator (short-circuit); it may raise (see ``_validate``)."""
        validators = self.validators
        if len(validators) == 1:
            return validators[0]

        def run(value: str) -> bool:
            return all(validator(value) for validator in validators)

        return run

    def validate(self, value: str) -> bool:
        """True when every validator accepts ``value`` (a validator that raises counts as a reject)."""
        try:
            return all(check(value) for check in self.validators)
        except Exception:  # noqa: BLE001 - one odd value must not fail a whole scan
            return False


def compile_definition_patterns(definitions: Iterable[ClassificationDefinition]) -> list[CompiledPattern]:
    """Flatten the data patterns of ``definitions`` into scan-ready patterns."""
    compiled: list[CompiledPattern] = []
    for definition in definitions:
        for pattern in definition.data_patterns:
            compiled.append(
                CompiledPattern(
                    classification_id=definition.id,
                    pattern_id=pattern.id,
                    score=pattern.score,
                    regex=pattern.regex,
                    ignore_case=pattern.ignore_case,
                    dictionary=frozenset(word.lower() for word in pattern.dictionary),
                    validator_names=pattern.validators,
                    validators=tuple(get_validator(name) for name in pattern.validators),
                )
            )
    return compiled


#: Bound on cached validator verdicts (value -> passed) per validator list; dropped when full.
VERDICT_CACHE_SIZE = 100_000


class PatternScanner:
    """Scans batches of values against a fixed set of patterns; ``scan`` returns per-pattern hits."""

    def __init__(
        self,
        patterns: Sequence[CompiledPattern],
        *,
        use_hyperscan: bool = True,
        use_native: bool = True,
        cache_dir: Path | None = DEFAULT_CACHE_DIR,
    ) -> None:
        self.patterns = list(patterns)
        self._cache_dir = cache_dir
        self._regex_indexes = [i for i, p in enumerate(self.patterns) if p.regex is not None]
        self._dictionary_indexes = [i for i, p in enumerate(self.patterns) if p.dictionary]
        self._checks = [pattern.check() if pattern.validators else None for pattern in self.patterns]
        shared: dict[tuple[str, ...], dict[str, bool]] = {}
        self._verdicts: list[dict[str, bool]] = [
            shared.setdefault(pattern.validator_names, {}) for pattern in self.patterns
        ]
        self._database = None
        self._native: native.NativeDatabase | None = None
        self.engine = "re"
        if use_hyperscan and use_native and self._regex_indexes and native.available():
            try:
                self._native = self._native_database()
                self.engine = "hyperscan-native"
            except Exception as exc:  # noqa: BLE001 - fall back to the wheel, then to ``re``
                log.warning("native hyperscan helper unusable for the pattern pass (%s)", exc)
                self._native = None
        if self._native is None and use_hyperscan and hyperscan is not None and self._regex_indexes:
            try:
                self._database = self._hyperscan_database()
                self._scratch = hyperscan.Scratch(self._database)
                self._local = threading.local()
                self.engine = "hyperscan"
            except Exception as exc:  # noqa: BLE001 - any Hyperscan failure degrades to ``re``
                log.warning("hyperscan unavailable for the pattern pass (%s); using Python re", exc)
                self._database = None
        self._python = [
            (
                i,
                re.compile(self.patterns[i].regex or "", re.IGNORECASE if self.patterns[i].ignore_case else 0),
            )
            for i in self._regex_indexes
        ]

    # -- Hyperscan -------------------------------------------------------------------------------
    def _expressions(self, *, multiline: bool = True) -> tuple[list[bytes], list[int]]:
        """Each regex anchored to a whole value: ``^(?:...)$``, in multi-line mode for the wheel's
        scan of the joined buffer, without it for the native helper's scan of each value."""
        expressions, flags = [], []
        for index in self._regex_indexes:
            pattern = self.patterns[index]
            expressions.append(f"^(?:{pattern.regex})$".encode())
            flag = native.HS_FLAG_UTF8 | (native.HS_FLAG_MULTILINE if multiline else 0)
            if pattern.ignore_case:
                flag |= native.HS_FLAG_CASELESS
            flags.append(flag)
        return expressions, flags

    def _cached_database(self, kind: str, version: str, compile_database, load, dump):  # type: ignore[no-untyped-def]
        """A compiled database from the on-disk cache (keyed by patterns, flags and library), or compiled."""
        expressions, flags = self._expressions(multiline=kind != "native")
        if self._cache_dir is None:
            return compile_database(expressions, flags)
        digest = hashlib.sha256(repr((kind, expressions, flags, version)).encode())
        cache_file = self._cache_dir / f"patterns-{digest.hexdigest()[:24]}.hsdb"
        if cache_file.exists():
            try:
                return load(cache_file.read_bytes())
            except Exception:  # noqa: BLE001 - stale or foreign cache: recompile
                log.info("ignoring unreadable hyperscan cache %s", cache_file)
        database = compile_database(expressions, flags)
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            temporary = cache_file.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(dump(database))
            temporary.replace(cache_file)
        except OSError as exc:
            log.info("cannot cache hyperscan database: %s", exc)
        return database

    def _native_database(self) -> native.NativeDatabase:
        count = len(self._regex_indexes)
        return self._cached_database(
            "native",
            native.version(),
            native.NativeDatabase.compile,
            lambda data: native.NativeDatabase.deserialize(data, count),
            lambda database: database.serialize(),
        )

    def _hyperscan_database(self):  # type: ignore[no-untyped-def]
        assert hyperscan is not None
        return self._cached_database(
            "wheel",
            getattr(hyperscan, "__version__", ""),
            self._compile_hyperscan,
            lambda data: hyperscan.loadb(data, hyperscan.HS_MODE_BLOCK),
            hyperscan.dumpb,
        )

    @staticmethod
    def _compile_hyperscan(expressions: list[bytes], flags: list[int]):  # type: ignore[no-untyped-def]
        assert hyperscan is not None
        database = hyperscan.Database()
        database.compile(expressions=expressions, ids=list(range(len(expressions))), flags=flags)
        return database

    # -- scanning --------------------------------------------------------------------------------
    def scan(self, values: Sequence[str]) -> list[list[int]]:
        """For each pattern (same order as ``patterns``), the indexes of values that match and validate.

        ``values`` must be stripped, non-empty and free of newlines (the engine prepares them so).
        """
        hits: list[list[int]] = [[] for _ in self.patterns]
        if not values:
            return hits
        if self._native is not None:
            raw = self._scan_native(values)
        elif self._database is not None:
            raw = self._scan_hyperscan(values)
        else:
            raw = self._scan_python(values)
        for slot, indexes in raw.items():
            check = self._checks[slot]
            if check is None:
                hits[slot] = indexes
                continue
            # Validators run only on candidate hits, and once per distinct value: their verdict is
            # cached (bounded) per validator list, shared by the patterns that use the same list,
            # since the same values recur across batches and columns. Fetching the hit values
            # (``itemgetter``), the look-ups and the filtering are C-level calls over all the hits.
            cache = self._verdicts[slot]
            if len(cache) > VERDICT_CACHE_SIZE:
                cache.clear()
            candidates = itemgetter(*indexes)(values) if len(indexes) > 1 else (values[indexes[0]],)
            try:
                hits[slot] = list(compress(indexes, map(cache.__getitem__, candidates)))
            except KeyError:  # values never validated yet: validate each distinct one once
                missing = list(set(candidates).difference(cache))
                cache.update(zip(missing, _validate(check, missing), strict=True))
                hits[slot] = list(compress(indexes, map(cache.__getitem__, candidates)))
        if self._dictionary_indexes:
            lowered = list(map(str.lower, values))
            for slot in self._dictionary_indexes:
                pattern = self.patterns[slot]
                words = pattern.dictionary
                if words.isdisjoint(lowered):  # the usual case, decided in C
                    continue
                found = list(compress(range(len(lowered)), map(words.__contains__, lowered)))
                hits[slot] = [i for i in found if pattern.validate(values[i])] if pattern.validators else found
        return hits

    def _scan_native(self, values: Sequence[str]) -> dict[int, list[int]]:
        assert self._native is not None
        buffer = "\n".join(values).encode("utf-8", "replace")
        counts, lines = self._native.scan_lines(buffer, len(values))
        result: dict[int, list[int]] = {}
        if not len(lines):
            return result
        # One C-level conversion, then one list slice (ascending line indexes) per matching expression.
        found = lines.tolist()
        start = 0
        for expression_id, end in enumerate(np.cumsum(counts).tolist()):
            if end > start:
                result[self._regex_indexes[expression_id]] = found[start:end]
            start = end
        return result

    def _scan_hyperscan(self, values: Sequence[str]) -> dict[int, list[int]]:
        buffer = "\n".join(values).encode("utf-8", "replace")
        # One machine-int array of end offsets per expression; the match handler gets their
        # ``append`` methods as its context, so a match costs one indexed C call and nothing is
        # sorted later (Hyperscan reports matches in ascending end offset). The arrays convert to
        # numpy without copying.
        ends = [array("q") for _ in self._regex_indexes]
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:  # Hyperscan scratch space is per thread
            scratch = self._local.scratch = self._scratch.clone()
        assert self._database is not None
        self._database.scan(
            buffer,
            match_event_handler=_record_match,
            context=[found.append for found in ends],
            scratch=scratch,
        )
        line_of = None
        result: dict[int, list[int]] = {}
        for expression_id, found in enumerate(ends):
            if not found:
                continue
            if line_of is None:
                # line_of[offset] = number of newlines before ``offset``: the index of the value a
                # match ending at ``offset`` (on its newline, or at the end of the buffer) belongs to.
                line_of = np.zeros(len(buffer) + 1, dtype=np.int32)
                np.cumsum(np.frombuffer(buffer, dtype=np.uint8) == 10, out=line_of[1:])
            result[self._regex_indexes[expression_id]] = line_of[np.frombuffer(found, dtype=np.int64)].tolist()
        return result

    def _scan_python(self, values: Sequence[str]) -> dict[int, list[int]]:
        result: dict[int, list[int]] = {}
        for slot, compiled in self._python:
            fullmatch = compiled.fullmatch
            found = [i for i, value in enumerate(values) if fullmatch(value)]
            if found:
                result[slot] = found
        return result


def _validate(check: Validator, values: list[str]) -> list[bool]:
    """``check`` over ``values`` in one C-level ``map``; a value whose validator raises is a reject."""
    try:
        return list(map(bool, map(check, values)))
    except Exception:  # noqa: BLE001 - one odd value must not fail a whole scan: redo value by value
        verdicts = []
        for value in values:
            try:
                verdicts.append(bool(check(value)))
            except Exception:  # noqa: BLE001
                verdicts.append(False)
        return verdicts


def _record_match(expression_id: int, _start: int, end: int, _flags: int, appenders: list) -> None:
    """Hyperscan match handler: append the match's end offset to its expression's array."""
    appenders[expression_id](end)
