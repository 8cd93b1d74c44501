"""Throughput of classification: fast pattern path vs Presidio, and full column classification.

Run: ``.venv/bin/python benchmarks/classify_throughput.py`` (no arguments, ~1-2 minutes, one core).

1. Fast path vs Presidio on the SAME entities and the SAME values: 200,000 values (en_US Faker,
   seeded) mixing emails, phones, cards, IBANs, SSNs, IPv4/IPv6, URLs, MACs, crypto wallets and
   non-sensitive noise (amounts, words, codes). The fast path is the engine's ``PatternScanner``
   restricted to the classifications that map to those Presidio entities (Hyperscan over one
   newline-joined buffer per 20,000-value batch, validators on hits). Presidio is the offline
   ``AnalyzerEngine`` (``no_op`` NLP engine) called once per value with ``entities`` limited to the
   same ten, timed on the first 3,000 values (it is ~1,000x slower; its rate is per value).
2. Full column classification: 400 synthetic columns of 100 sampled values each (20 tables of 20
   columns) through ``ClassificationEngine.classify_table`` with every signal enabled (pattern pass,
   column names, Presidio on uncertain candidates, the scikit-learn model); also with Presidio
   consulted for every candidate, and column-by-column (``classify_column``).

Prints ``name=value`` lines; the headline (fast-path values per second) is last.
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


def main() -> int:
    """Run the three measurements and print the figures."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    rng = random.Random(SEED)
    values = [v.replace("\n", " ") for v in _values(rng)]
    catalog = load_catalog()
    subset = [catalog.get(cid) for cid in ENTITY_MAP]
    scanner = PatternScanner(compile_definition_patterns(subset))
    scanner.scan(values[:1000])  # warm-up
    started = time.perf_counter()
    matched = 0
    for offset in range(0, len(values), BATCH):
        hits = scanner.scan(values[offset : offset + BATCH])
        matched += len({i for indexes in hits for i in indexes})
    fast_elapsed = time.perf_counter() - started
    fast_rate = len(values) / fast_elapsed

    analyzer = shared_analyzer()
    entities = sorted(set(ENTITY_MAP.values()))
    analyzer.analyze("warm up a@b.com", language="en", entities=entities)
    sample = values[:PRESIDIO_VALUES]
    started = time.perf_counter()
    presidio_matched = 0
    for value in sample:
        presidio_matched += bool(analyzer.analyze(value, language="en", entities=entities))
    presidio_rate = len(sample) / (time.perf_counter() - started)
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
    engine = ClassificationEngine()
    engine.classify_table(tables[0])  # warm-up (Presidio and model load lazily)
    figures = {}
    for label, run in (
        ("columns_per_second", lambda t: engine.classify_table(t)),
        (
            "columns_per_second_column_by_column",
            lambda t: [engine.classify_column(n, v) for n, v in t.items()],
        ),
    ):
        started = time.perf_counter()
        for table in tables:
            run(table)
        figures[label] = len(columns) / (time.perf_counter() - started)
    always = ClassificationEngine(presidio_policy="always")
    always.classify_table(tables[0])
    started = time.perf_counter()
    for table in tables[:5]:
        always.classify_table(table)
    figures["columns_per_second_presidio_always"] = 100 / (time.perf_counter() - started)
    distinct = sum(len(prepare_values(cells).distinct) for table in tables for cells in table.values())

    print(f"fast_path_engine={scanner.engine}")
    print(f"fast_path_values={len(values)}")
    print(f"fast_path_matched_values={matched}")
    print(f"presidio_values={len(sample)}")
    print(f"presidio_matched_values={presidio_matched}")
    print(f"fast_path_matched_values_on_presidio_sample={fast_sample_matched}")
    print(f"presidio_values_per_second={presidio_rate:.0f}")
    print(f"full_columns={len(columns)}")
    print(f"full_columns_mean_distinct_values={distinct / len(columns):.1f}")
    print(f"columns_per_second_presidio_always={figures['columns_per_second_presidio_always']:.1f}")
    print(f"columns_per_second_column_by_column={figures['columns_per_second_column_by_column']:.1f}")
    print(f"columns_per_second={figures['columns_per_second']:.1f}")
    print(f"fast_path_vs_presidio_ratio={fast_rate / presidio_rate:.0f}")
    print(f"fast_path_values_per_second={fast_rate:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
