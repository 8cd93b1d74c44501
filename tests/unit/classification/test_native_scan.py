"""The native match collector (core/classification/native/hs_lines.c) finds exactly what the
``hyperscan`` wheel and Python ``re`` find, for every pattern of the catalog."""

from __future__ import annotations

import random

import numpy as np
import pytest

from core.classification import native
from core.classification.data_patterns import CompiledPattern, PatternScanner, compile_definition_patterns


@pytest.fixture(scope="module")
def patterns(catalog):
    return compile_definition_patterns(list(catalog))


@pytest.fixture(scope="module")
def native_scanner(patterns):
    # bootstrap builds the helper (and installs Debian's libvectorscan-dev); without it the pattern
    # pass silently falls back to the wheel, which is what this test exists to catch.
    assert native.available(), f"native helper unavailable: {native.unavailable_reason()}"
    scanner = PatternScanner(patterns)
    assert scanner.engine == "hyperscan-native"
    return scanner


def _values() -> list[str]:
    rng = random.Random(7)
    samples = [
        "john.doe@example.com",
        "+1 (415) 555-2671",
        "4111 1111 1111 1111",
        "4111111111111112",
        "378282246310005",
        "DE89370400440532013000",
        "GB82 WEST 1234 5698 7654 32",
        "536-22-1234",
        "123456789",
        "192.168.1.10",
        "2001:db8::1",
        "00:1A:2B:3C:4D:5E",
        "1HGCM82633A004352",
        "DEUTDEFF",
        "https://example.com/a?b=1",
        "www.test.org",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "AB 12 34 56 C",
        "1985-03-04",
        "Maria García",
        "Ólafur Arnalds",
        "男",
        "F",
        "1234.56",
        "SKU-12345",
        "x" * 5000,
        "€" * 300,
        "\ud800 lone surrogate",
    ]
    values = [rng.choice(samples) for _ in range(6_000)]
    # Digit strings of every length hit the overlapping card/phone/SSN/account patterns at once.
    values += ["".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20))) for _ in range(3_000)]
    return values


def test_native_hits_equal_wheel_and_re(patterns, native_scanner):
    values = _values()
    wheel = PatternScanner(patterns, use_native=False)
    python = PatternScanner(patterns, use_hyperscan=False)
    assert wheel.engine == "hyperscan" and python.engine == "re"
    got = native_scanner.scan(values)
    assert got == wheel.scan(values)
    assert sum(map(len, got)) > len(values) // 2  # the comparison is over many real hits
    # Hyperscan sees a lone surrogate as "?" (the buffer is UTF-8 with errors="replace"), ``re``
    # as itself: the two engines agree on everything else.
    encodable = [value for value in values if "\ud800" not in value]
    assert native_scanner.scan(encodable) == python.scan(encodable)
    for indexes in got:
        assert indexes == sorted(set(indexes))


def test_native_small_batches_and_no_matches(native_scanner):
    assert native_scanner.scan([]) == [[] for _ in native_scanner.patterns]
    assert all(not hits for hits in native_scanner.scan(["~~~", "!!"]))
    single = native_scanner.scan(["john.doe@example.com"])
    keys = {native_scanner.patterns[slot].key for slot, hits in enumerate(single) if hits == [0]}
    assert "email_address/email" in keys


def test_scan_lines_regrows_a_too_small_output(patterns, native_scanner):
    database = native_scanner._native
    values = _values()[:2_000]
    buffer = "\n".join(values).encode("utf-8", "replace")
    counts, lines = database.scan_lines(buffer, len(values))
    small_counts, small_lines = database.scan_lines(buffer, len(values), capacity=8)
    assert len(lines) > 8
    assert np.array_equal(counts, small_counts) and np.array_equal(lines, small_lines)
    assert int(counts.sum()) == len(lines)


def test_native_anchors_each_value_like_fullmatch():
    # One scan per value: a pattern whose class admits newlines cannot match across two values.
    pattern = CompiledPattern(classification_id="t", pattern_id="p", score=0.5, regex="a[^z]*b")
    scanner = PatternScanner([pattern], cache_dir=None)
    assert scanner.engine == "hyperscan-native"
    values = ["a1", "2b", "a3b", "ab"]
    assert scanner.scan(values) == [[2, 3]]
    assert PatternScanner([pattern], use_hyperscan=False).scan(values) == [[2, 3]]
