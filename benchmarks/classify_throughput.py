"""Throughput of classification: fast pattern path vs Presidio, and full column classification.

Run: ``.venv/bin/python benchmarks/classify_throughput.py`` (no arguments, ~1-2 minutes, one core).

1. Fast path vs Presidio on the SAME entities and the SAME values: 200,000 values (en_US Faker,
   seeded) mixing emails, phones, cards, IBANs, SSNs, IPv4/IPv6, URLs, MACs, crypto wallets and
   non-sensitive noise (amounts, words, codes). The fast path is the engine's ``PatternScanner``
   restricted to the classifications that map to those Presidio entities (Hyperscan over 20,000-value
   batches: with the native helper each value of the batch is scanned by C code and the matches
   collected in C; without it, one multi-line scan of the joined batch with the wheel's Python match
   callback; validators on hits, once per distinct value). Every value is scanned and every hit
   validated in each pass: each of the 3 passes uses a NEW scanner, so no validator verdict is
   carried over from an earlier pass. Presidio is the offline ``AnalyzerEngine`` (``no_op`` NLP
   engine) called once per value with ``entities`` limited to the same ten, timed on the first 3,000
   values (it is ~1,000x slower; its rate is per value).
2. Full column classification: 400 synthetic columns of 100 sampled values each (20 tables of 20
   columns) through ``ClassificationEngine.classify_table`` with every signal enabled (pattern pass,
   column names, Presidio on uncertain candidates, the scikit-learn model), 3 passes each with a new
   engine; also with Presidio consulted for every candidate, and column-by-column
   (``classify_column``).

Method: rates are per CPU-second of this process (``time.process_time``, which counts all its
threads, so a rate can only be understated), i.e. "on one core". The development box has 2 cores
shared with other work, where wall-clock rates mostly measure the load (a load of 4 halves them);
the wall-clock rate of the same pass is printed too (``*_wall``). Each figure is the median of 3
passes (Presidio: one pass over its 3,000 values). The matched-value counts are computed after the
timed region (they are reporting, not classification).

Prints ``name=value`` lines; the headline (fast-path values per CPU-second) is last.
"""

from __future__ import annotations

import logging
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faker import Faker  # noqa: E402

from core.classification import ClassificationEngine, load_catalog  # noqa: E402
from core.classification.data_patterns import PatternScanner, compile_definition_patterns  # noqa: E402
from core.classification.engine import prepare_values  # noqa: E402
from core.classification.presidio_analysis import shared_analyzer  # noqa: E402
from core.classification.synthetic_columns import TRAIN_LOCALES, generate_columns  # noqa: E402

SEED = 4242
VALUES = 200_000
BATCH = 20_000
PRESIDIO_VALUES = 3_000
ENTITY_MAP = {
    "email_address": "EMAIL_ADDRESS",
    "phone_number": "PHONE_NUMBER",
    "credit_card_number": "CREDIT_CARD",
    "iban": "IBAN_CODE",
    "us_ssn": "US_SSN",
    "ipv4_address": "IP_ADDRESS",
    "ipv6_address": "IP_ADDRESS",
    "url": "URL",
    "mac_address": "MAC_ADDRESS",
    "crypto_wallet": "CRYPTO",
}


def _values(rng: random.Random) -> list[str]:
    faker = Faker("en_US")
    faker.seed_instance(SEED)
    makers = (
        faker.email,
        faker.phone_number,
        faker.credit_card_number,
        faker.iban,
        faker.ssn,
        faker.ipv4,
        faker.ipv6,
        faker.url,
        faker.mac_address,
        lambda: "0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40)),
        lambda: f"{rng.uniform(0, 9999):.2f}",
        faker.word,
        lambda: f"SKU-{rng.randint(1000, 99999)}",
    )
    # Faker is slow: build a pool and sample it (values repeat across the 200k, like real columns).
    pool = [rng.choice(makers)() for _ in range(40_000)]
    return [rng.choice(pool) for _ in range(VALUES)]


def _median_pass(run, passes: int = 3) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of the median-CPU pass of ``run``."""
    timings = []
    for _ in range(passes):
        cpu, wall = time.process_time(), time.perf_counter()
        run()
        timings.append((time.process_time() - cpu, time.perf_counter() - wall))
    return sorted(timings)[passes // 2]


def main() -> int:
    """Run the three measurements and print the figures."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    rng = random.Random(SEED)
    values = [v.replace("\n", " ") for v in _values(rng)]
    catalog = load_catalog()
    subset = compile_definition_patterns([catalog.get(cid) for cid in ENTITY_MAP])
    batches = [values[offset : offset + BATCH] for offset in range(0, len(values), BATCH)]
    PatternScanner(subset).scan(values[:1000])  # compiles (or loads) the cached database
    results: list[list[list[int]]] = []

    def fast_pass() -> None:
        scanner = PatternScanner(subset)  # fresh: no validator verdict from an earlier pass
        results[:] = [scanner.scan(batch) for batch in batches]

    fast_cpu, fast_wall = _median_pass(fast_pass)
    matched = sum(len({i for indexes in hits for i in indexes}) for hits in results)
    scanner = PatternScanner(subset)
    fast_rate = len(values) / fast_cpu

    analyzer = shared_analyzer()
    entities = sorted(set(ENTITY_MAP.values()))
    analyzer.analyze("warm up a@b.com", language="en", entities=entities)
    sample = values[:PRESIDIO_VALUES]
    presidio_hits: list[int] = []

    def presidio_pass() -> None:
        presidio_hits[:] = [bool(analyzer.analyze(value, language="en", entities=entities)) for value in sample]

    presidio_cpu, presidio_wall = _median_pass(presidio_pass, passes=1)
    presidio_rate = len(sample) / presidio_cpu
    presidio_matched = sum(presidio_hits)
    fast_sample_matched = len({i for indexes in scanner.scan(sample) for i in indexes})

    columns = list(generate_columns("train", SEED, 8, 96, TRAIN_LOCALES))
    rng.shuffle(columns)
    columns = columns[:400]
    tables = []
    for start in range(0, len(columns), 20):
        table = {}
        for index, column in enumerate(columns[start : start + 20]):
            cells = [rng.choice(column.values) for _ in range(100)]
            table[f"{column.header}_{index}"] = cells
        tables.append(table)
    ClassificationEngine().classify_table(tables[0])  # warm-up (Presidio and model load lazily)

    def columns_rate(policy: str, by_column: bool, count: int) -> tuple[float, float]:
        engines = [ClassificationEngine(presidio_policy=policy) for _ in range(3)]  # built untimed

        def columns_pass() -> None:
            engine = engines.pop()  # a new engine per pass
            for table in tables[:count]:
                if by_column:
                    for name, cells in table.items():
                        engine.classify_column(name, cells)
                else:
                    engine.classify_table(table)

        cpu, wall = _median_pass(columns_pass)
        return count * 20 / cpu, count * 20 / wall

    figures = {
        "columns_per_second": columns_rate("uncertain", False, len(tables)),
        "columns_per_second_column_by_column": columns_rate("uncertain", True, len(tables)),
        "columns_per_second_presidio_always": columns_rate("always", False, 5),
    }
    distinct = sum(len(prepare_values(cells).distinct) for table in tables for cells in table.values())

    print(f"fast_path_engine={scanner.engine}")
    print(f"fast_path_values={len(values)}")
    print(f"fast_path_matched_values={matched}")
    print(f"presidio_values={len(sample)}")
    print(f"presidio_matched_values={presidio_matched}")
    print(f"fast_path_matched_values_on_presidio_sample={fast_sample_matched}")
    print(f"presidio_values_per_second={presidio_rate:.0f}")
    print(f"presidio_values_per_second_wall={len(sample) / presidio_wall:.0f}")
    print(f"full_columns={len(columns)}")
    print(f"full_columns_mean_distinct_values={distinct / len(columns):.1f}")
    for label in ("columns_per_second_presidio_always", "columns_per_second_column_by_column", "columns_per_second"):
        print(f"{label}_wall={figures[label][1]:.1f}")
        print(f"{label}={figures[label][0]:.1f}")
    print(f"fast_path_values_per_second_wall={len(values) / fast_wall:.0f}")
    print(f"fast_path_vs_presidio_ratio={fast_rate / presidio_rate:.0f}")
    print(f"fast_path_values_per_second={fast_rate:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
