"""The fast path runs a pattern's validators once per distinct value, across scans."""

from __future__ import annotations

from core.classification import load_catalog
from core.classification.data_patterns import PatternScanner, compile_definition_patterns


def test_validator_verdicts_are_cached_per_distinct_value():
    scanner = PatternScanner(compile_definition_patterns([load_catalog().get("credit_card_number")]))
    calls: list[str] = []
    for slot, check in enumerate(scanner._checks):
        if check is not None:

            def counted(value, _check=check):
                calls.append(value)
                return _check(value)

            scanner._checks[slot] = counted
    values = ["4111111111111111", "4111111111111112", "4111111111111111", "hello"]
    first = scanner.scan(values)
    after_first = len(calls)
    second = scanner.scan(values * 3)
    assert after_first > 0 and len(calls) == after_first  # nothing re-validated
    valid = sorted({i for hits in first for i in hits})
    assert valid == [0, 2]  # the Luhn-failing value is rejected, the repeat accepted
    assert sorted({i for hits in second for i in hits}) == [0, 2, 4, 6, 8, 10]
