"""Accuracy of the classification engine on synthetic columns from locales ABSENT from training.

Run: ``.venv/bin/python benchmarks/classify_accuracy.py`` (no arguments, ~1-2 minutes).

The evaluation set comes from ``synthetic_columns.generate_columns("eval", ...)``: Faker locales in
``EVAL_LOCALES`` (disjoint from the model's ``TRAIN_LOCALES``), header variants from the evaluation
pool (disjoint from the training pool where a label has enough variants), a different seed, and
unclassified negative columns (amounts, SKUs, categories, years, booleans, counts, free text,
non-birth dates, ids, companies...). A column's prediction is its top classification, or ``none``.

Prints ``name=value`` lines: per classification precision/recall/F1, the false-positive rate on
negative columns, and ``macro_f1`` (over the classifications; a negative column classified as X
is a false positive of X) LAST.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.classification import ClassificationEngine  # noqa: E402
from core.classification.synthetic_columns import EVAL_LOCALES, NONE, generate_columns  # noqa: E402

SEED = 777_001
PER_LABEL = 40
NEGATIVES = 600


def main() -> int:
    """Classify the evaluation set and print the figures."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    engine = ClassificationEngine()
    columns = list(generate_columns("eval", SEED, PER_LABEL, NEGATIVES, EVAL_LOCALES))
    started = time.perf_counter()
    truth, predicted = [], []
    for column in columns:
        result = engine.classify_column(column.header, column.values)
        truth.append(column.label)
        predicted.append(result.top.id if result.top else NONE)
    elapsed = time.perf_counter() - started
    labels = sorted({label for label in truth if label != NONE})
    true_positive, false_positive, false_negative = Counter(), Counter(), Counter()
    for actual, guess in zip(truth, predicted, strict=True):
        if actual == guess:
            true_positive[actual] += 1
            continue
        if guess != NONE:
            false_positive[guess] += 1
        if actual != NONE:
            false_negative[actual] += 1
    f1_scores = []
    for label in labels:
        tp, fp, fn = true_positive[label], false_positive[label], false_negative[label]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1_scores.append(f1)
        print(f"{label}.precision={precision:.3f}")
        print(f"{label}.recall={recall:.3f}")
        print(f"{label}.f1={f1:.3f}")
    negatives = [guess for actual, guess in zip(truth, predicted, strict=True) if actual == NONE]
    print(f"negative_columns={len(negatives)}")
    print(f"negative_false_positive_rate={sum(g != NONE for g in negatives) / max(len(negatives), 1):.3f}")
    print(f"evaluation_columns={len(columns)}")
    print(f"evaluation_locales={','.join(EVAL_LOCALES)}")
    print(f"accuracy={sum(a == g for a, g in zip(truth, predicted, strict=True)) / len(columns):.4f}")
    print(f"columns_per_second={len(columns) / elapsed:.1f}")
    print(f"macro_f1={sum(f1_scores) / len(f1_scores):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
