"""Train the scikit-learn column model and write it to ``core/classification/model/``.

Reproduce the committed artifact exactly (same seed, same library versions)::

    .venv/bin/python scripts/train_column_model.py

What it does:

1. Generates synthetic labelled columns with Faker (``core/classification/synthetic_columns.py``)
   from the TRAINING locales only (``TRAIN_LOCALES``; the accuracy benchmark uses the disjoint
   ``EVAL_LOCALES``), ``--per-label`` columns per classification plus ``--negatives`` unclassified
   columns (amounts, SKUs, categories, statuses, years, booleans, counts, ratings, free text,
   non-birth dates, ids and prefixed business keys such as ``C-1042``, companies and product names
   under a plain ``name`` header, cities...), with blanks, bad rows and header-style noise.
2. Builds each column's observation through the engine's own cheap signals (pattern pass +
   column-name match), exactly as at classification time, so features cannot drift.
3. Fits TF-IDF vectorisers (name, values, value shapes) and a multinomial LogisticRegression.
4. Writes ``column_model.joblib`` (compressed) and ``model.json`` (seed, locales, scikit-learn
   version, feature version, labels, counts, training accuracy, artifact sha256).

Options: ``--seed`` (default 20261130), ``--per-label`` (default 110), ``--negatives`` (default 1400),
``--output`` (default ``core/classification/model``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import joblib  # noqa: E402
import sklearn  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from core.classification.column_model import (  # noqa: E402
    ARTIFACT_NAME,
    FEATURE_VERSION,
    METADATA_NAME,
    MODEL_DIR,
    ColumnModel,
    shape_text,
    value_text,
)
from core.classification.engine import ClassificationEngine  # noqa: E402
from core.classification.synthetic_columns import TRAIN_LOCALES, generate_columns  # noqa: E402

DEFAULT_SEED = 20261130


def main(argv: list[str] | None = None) -> int:
    """Train and write the artifact; prints one summary line per step to stderr."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--per-label", type=int, default=110)
    parser.add_argument("--negatives", type=int, default=1400)
    parser.add_argument("--output", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    log = logging.getLogger("train_column_model")

    started = time.perf_counter()
    engine = ClassificationEngine(use_presidio=False, use_model=False)
    columns = list(generate_columns("train", args.seed, args.per_label, args.negatives, TRAIN_LOCALES))
    observations = [engine.observe(column.header, column.values).observation for column in columns]
    labels = [column.label for column in columns]
    log.info("generated %d training columns in %.1fs", len(columns), time.perf_counter() - started)

    name_vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), max_features=4000, sublinear_tf=True
    )
    value_vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(1, 3), max_features=6000, sublinear_tf=True
    )
    shape_vectorizer = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 4), max_features=3000, sublinear_tf=True
    )
    name_vectorizer.fit([o.name_text for o in observations])
    value_vectorizer.fit([value_text(o) for o in observations])
    shape_vectorizer.fit([shape_text(o) for o in observations])
    classification_ids = engine.catalog.ids
    matrix = ColumnModel.feature_matrix(
        observations, classification_ids, (name_vectorizer, value_vectorizer, shape_vectorizer)
    )
    classifier = LogisticRegression(C=8.0, max_iter=3000, random_state=args.seed)
    classifier.fit(matrix, labels)
    accuracy = float(classifier.score(matrix, labels))
    log.info("fitted %d features, training accuracy %.4f", matrix.shape[1], accuracy)

    args.output.mkdir(parents=True, exist_ok=True)
    artifact_path = args.output / ARTIFACT_NAME
    artifact = {
        "name_vectorizer": name_vectorizer,
        "value_vectorizer": value_vectorizer,
        "shape_vectorizer": shape_vectorizer,
        "classifier": classifier,
        "classification_ids": classification_ids,
    }
    joblib.dump(artifact, artifact_path, compress=("xz", 6))
    label_counts = {label: labels.count(label) for label in sorted(set(labels))}
    metadata = {
        "feature_version": FEATURE_VERSION,
        "sklearn_version": sklearn.__version__,
        "seed": args.seed,
        "locales": list(TRAIN_LOCALES),
        "per_label": args.per_label,
        "negatives": args.negatives,
        "training_columns": len(columns),
        "labels": sorted(set(labels)),
        "label_counts": label_counts,
        "training_accuracy": round(accuracy, 4),
        "features": int(matrix.shape[1]),
        "artifact": ARTIFACT_NAME,
        "artifact_sha256": hashlib.sha256(artifact_path.read_bytes()).hexdigest(),
        "artifact_bytes": artifact_path.stat().st_size,
        "command": "python scripts/train_column_model.py",
    }
    (args.output / METADATA_NAME).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    log.info(
        "wrote %s (%.2f MB) and %s in %.1fs",
        artifact_path,
        artifact_path.stat().st_size / 1e6,
        METADATA_NAME,
        time.perf_counter() - started,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
