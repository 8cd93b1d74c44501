"""The scikit-learn column model: features of a column (name + sampled values) -> label probabilities.

Features (``FEATURE_VERSION`` changes whenever this list changes; the artifact records it):

* the normalised column name as text (character 2-4-grams, TF-IDF);
* up to 20 distinct values (24 chars each), lower-cased, as text (character 1-3-grams, TF-IDF);
* up to 20 value "shapes" (``Xxxx 99-9999``; runs collapsed), as text (character 1-4-grams);
* dense numbers: for every catalog classification the validated pattern-match fraction and the
  column-name score (so the model learns how much to trust each rule), and value statistics
  (length mean/spread, digit/letter/space/punctuation fractions, share of numeric values, words per
  value, uniqueness).

The classifier is a multinomial logistic regression over those features. The artifact is a joblib
dict of plain scikit-learn objects plus the label list; ``model.json`` beside it records the seed,
locales, scikit-learn version, labels and training accuracy. ``load_column_model`` refuses an
artifact built by another scikit-learn minor version or feature version (logged warning; the engine
then runs on its other signals).
"""

from __future__ import annotations

import json
import logging
import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter, mul
from pathlib import Path

import numpy as np

from core.text_shape import LazyTranslation, char_shape

log = logging.getLogger(__name__)

FEATURE_VERSION = 2
MODEL_DIR = Path(__file__).resolve().parent / "model"
ARTIFACT_NAME = "column_model.joblib"
METADATA_NAME = "model.json"
NONE_LABEL = "none"
VALUES_FOR_TEXT = 20
VALUE_TEXT_CHARS = 24

_NUMERIC = re.compile(r"^[-+]?\d+([.,]\d+)?$")
_NUMERIC_LINES = re.compile(r"^[-+]?\d+(?:[.,]\d+)?$", re.MULTILINE)
# translate tables deleting the characters str.isdigit / str.isalpha accept (any script)
_DROP_DIGITS = LazyTranslation(lambda char: None if char.isdigit() else ord(char))
_DROP_LETTERS = LazyTranslation(lambda char: None if char.isalpha() else ord(char))
_DROP_UPPER = LazyTranslation(lambda char: None if char.isupper() else ord(char))
# the ASCII characters str.isdigit / isalpha / isupper accept, for bytes.translate on ASCII text
_ASCII_DIGITS = b"0123456789"
_ASCII_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_LETTERS = _ASCII_UPPER + b"abcdefghijklmnopqrstuvwxyz"
_FIRST_CHAR = itemgetter(slice(None, 1))


# The run collapse of value shapes in two passes: runs of X, x and 9 shrink by plain string
# replacement, then the rare runs of other characters are collapsed by the regular expression (only
# when there is one: a template substitution costs a Python call even when nothing matches).
_OTHER_RUNS = re.compile(r"([^Xx9\n])\1{2,}")


def value_shape(value: str) -> str:
    """``John Smith`` -> ``Xxxx Xxxxx``; ``555-0142`` -> ``999-999``: runs of 3+ collapse to 3."""
    return _collapse_runs(char_shape(value[:48]))


def _collapse_runs(shaped: str) -> str:
    for run, kept in (("XXXX", "XXX"), ("xxxx", "xxx"), ("9999", "999")):
        while run in shaped:
            shaped = shaped.replace(run, kept)
    return _OTHER_RUNS.sub(r"\1\1\1", shaped) if _OTHER_RUNS.search(shaped) else shaped


def value_text(observation: ColumnObservation) -> str:
    """The value-text feature: the first 20 distinct values, each cut to 24 chars, lower case."""
    return " | ".join(value[:VALUE_TEXT_CHARS] for value in observation.values[:VALUES_FOR_TEXT]).lower()


def shape_text(observation: ColumnObservation) -> str:
    """The shape-text feature: shapes of the first 20 distinct values (each cut to 24 chars), joined by
    `` | ``. Shaped and collapsed as one string: a run never spans the separator, whose edges are
    spaces, unless a value ends or starts with 3 or more spaces (then value by value)."""
    joined = " | ".join([value[:VALUE_TEXT_CHARS] for value in observation.values[:VALUES_FOR_TEXT]])
    if "    |" in joined or "|    " in joined:
        return " | ".join(value_shape(value[:VALUE_TEXT_CHARS]) for value in observation.values[:VALUES_FOR_TEXT])
    return _collapse_runs(char_shape(joined))


@dataclass(frozen=True)
class ColumnObservation:
    """What the model sees of a column; built by the engine from the fast pattern pass."""

    name_text: str
    values: tuple[str, ...]
    pattern_fractions: Mapping[str, float]
    name_scores: Mapping[str, float]
    total_values: int


_EMPTY = ColumnObservation(name_text="", values=(), pattern_fractions={}, name_scores={}, total_values=0)


def value_statistics(observation: ColumnObservation) -> list[float]:
    """Dense statistics of the distinct values (all in roughly [0, 1])."""
    values = observation.values
    if not values:
        return [0.0] * 10 + [1.0]
    lengths = list(map(len, values))
    text = "".join(values)
    size = max(len(text), 1)
    # str.isdigit / str.isalpha counts, by what deleting those characters removes (C-level)
    if text.isascii():
        raw = text.encode("ascii")
        digits = (len(raw) - len(raw.translate(None, _ASCII_DIGITS))) / size
        letters = (len(raw) - len(raw.translate(None, _ASCII_LETTERS))) / size
    else:
        digits = (len(text) - len(text.translate(_DROP_DIGITS))) / size
        letters = (len(text) - len(text.translate(_DROP_LETTERS))) / size
    spaces = text.count(" ") / size
    punctuation = 1.0 - digits - letters - spaces
    joined = "\n".join(values)
    if not digits:  # a numeric value has a digit
        numeric = 0.0
    elif joined.count("\n") == len(values) - 1:  # one multi-line search when no value holds a newline
        numeric = len(_NUMERIC_LINES.findall(joined)) / len(values)
    else:
        numeric = len(list(filter(_NUMERIC.match, values))) / len(values)
    # Word and length means: integer sums, so sum / count is fmean's correctly rounded result.
    words = len(joined.split()) / len(values)  # whitespace separates values: no word spans two
    mean_length = len(text) / len(values)
    spread = _pstdev(lengths) / (mean_length + 1)
    uniqueness = len(values) / max(observation.total_values, len(values))
    firsts = "".join(map(_FIRST_CHAR, values))  # a single character is upper case or not
    if firsts.isascii():
        raw = firsts.encode("ascii")
        upper_start = (len(raw) - len(raw.translate(None, _ASCII_UPPER))) / len(values)
    else:
        upper_start = (len(firsts) - len(firsts.translate(_DROP_UPPER))) / len(values)
    return [
        min(mean_length / 40.0, 3.0),
        min(spread, 3.0),
        digits,
        letters,
        spaces,
        max(punctuation, 0.0),
        numeric,
        min(words / 5.0, 3.0),
        uniqueness,
        upper_start,
        0.0,
    ]


def _pstdev(lengths: list[int]) -> float:
    """``statistics.pstdev`` of integers, from exact integer sums (the same correctly rounded value)."""
    count, total = len(lengths), sum(lengths)
    numerator = count * sum(map(mul, lengths, lengths)) - total * total  # variance * count²
    sqrt_of_fraction = getattr(statistics, "_float_sqrt_of_frac", None)
    if sqrt_of_fraction is None:  # not this Python's statistics module: use it as it is
        return statistics.pstdev(lengths)
    return float(sqrt_of_fraction(numerator, count * count))


class ColumnModel:
    """A loaded model: ``predict`` returns, per observation, a probability per label."""

    def __init__(self, artifact: Mapping[str, object], metadata: Mapping[str, object]) -> None:
        from core.classification.char_ngrams import fast_tfidf

        # The fitted vectorizers, counted with numpy (same features, several times faster).
        self.name_vectorizer = fast_tfidf(artifact["name_vectorizer"])
        self.value_vectorizer = fast_tfidf(artifact["value_vectorizer"])
        self.shape_vectorizer = fast_tfidf(artifact["shape_vectorizer"])
        self.classifier = artifact["classifier"]
        self.classification_ids: list[str] = [str(cid) for cid in artifact["classification_ids"]]  # type: ignore[attr-defined]
        self.labels: list[str] = [str(label) for label in self.classifier.classes_]  # type: ignore[attr-defined]
        self.metadata = dict(metadata)

    @staticmethod
    def feature_matrix(
        observations: Sequence[ColumnObservation],
        classification_ids: Sequence[str],
        vectorizers: Sequence[object],
    ):  # type: ignore[no-untyped-def]
        """The sparse feature matrix for ``observations`` with fitted ``vectorizers`` (name, value, shape)."""
        from scipy import sparse

        name_vectorizer, value_vectorizer, shape_vectorizer = vectorizers
        names = [observation.name_text for observation in observations]
        values = [value_text(observation) for observation in observations]
        shapes = [shape_text(observation) for observation in observations]
        # Per observation: pattern-match fraction and name score per classification, then the value
        # statistics; only the classifications an observation has are non-zero.
        width = len(classification_ids)
        column_of = {cid: index for index, cid in enumerate(classification_ids)}
        statistics_rows = [value_statistics(observation) for observation in observations]
        statistics_width = len(statistics_rows[0]) if statistics_rows else len(value_statistics(_EMPTY))
        dense = np.zeros((len(observations), 2 * width + statistics_width), dtype=np.float64)
        for row, observation in enumerate(observations):
            for offset, scores in ((0, observation.pattern_fractions), (width, observation.name_scores)):
                for cid, score in scores.items():
                    column = column_of.get(cid)
                    if column is not None:
                        dense[row, offset + column] = score
            dense[row, 2 * width :] = statistics_rows[row]
        return sparse.hstack(
            [
                name_vectorizer.transform(names),  # type: ignore[attr-defined]
                value_vectorizer.transform(values),  # type: ignore[attr-defined]
                shape_vectorizer.transform(shapes),  # type: ignore[attr-defined]
                sparse.csr_matrix(dense * 2.0),
            ],
            format="csr",
        )

    def predict(self, observations: Sequence[ColumnObservation]) -> list[dict[str, float]]:
        """Per observation, ``{label: probability}`` over the model's labels (``none`` included)."""
        if not observations:
            return []
        matrix = self.feature_matrix(
            observations,
            self.classification_ids,
            (self.name_vectorizer, self.value_vectorizer, self.shape_vectorizer),
        )
        probabilities = self.classifier.predict_proba(matrix)  # type: ignore[attr-defined]
        return [dict(zip(self.labels, map(float, row), strict=True)) for row in probabilities]


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def load_column_model(directory: Path | str | None = None) -> ColumnModel | None:
    """Load the model artifact, or ``None`` with a logged warning if it is missing or incompatible."""
    folder = Path(directory) if directory is not None else MODEL_DIR
    artifact_path, metadata_path = folder / ARTIFACT_NAME, folder / METADATA_NAME
    if not artifact_path.exists() or not metadata_path.exists():
        log.warning("column model not found in %s: classifying without the model signal", folder)
        return None
    try:
        import joblib
        import sklearn

        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        if metadata.get("feature_version") != FEATURE_VERSION:
            log.warning(
                "column model feature version %s != %s: classifying without the model signal",
                metadata.get("feature_version"),
                FEATURE_VERSION,
            )
            return None
        if _minor(str(metadata.get("sklearn_version"))) != _minor(sklearn.__version__):
            log.warning(
                "column model was trained with scikit-learn %s but %s is installed: "
                "classifying without the model signal (retrain with scripts/train_column_model.py)",
                metadata.get("sklearn_version"),
                sklearn.__version__,
            )
            return None
        artifact = joblib.load(artifact_path)
        return ColumnModel(artifact, metadata)
    except Exception as exc:  # noqa: BLE001 - a broken artifact must not take the engine down
        log.warning("column model in %s could not be loaded (%s): classifying without it", folder, exc)
        return None


def clamp_probability(value: float) -> float:
    """Clamp to [0, 1] and replace NaN with 0."""
    return 0.0 if math.isnan(value) else min(max(value, 0.0), 1.0)
