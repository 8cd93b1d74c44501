"""The committed scikit-learn model loads, predicts, and incompatible artifacts degrade gracefully."""

from __future__ import annotations

import json
import logging
import shutil

from core.classification.column_model import (
    MODEL_DIR,
    ColumnObservation,
    load_column_model,
    shape_text,
    value_shape,
    value_statistics,
)


def test_committed_model_loads_with_metadata():
    model = load_column_model()
    assert model is not None
    metadata = json.loads((MODEL_DIR / "model.json").read_text())
    assert metadata["seed"] and len(metadata["locales"]) >= 10
    assert set(metadata["labels"]) == set(model.labels)
    assert (MODEL_DIR / "column_model.joblib").stat().st_size < 5_000_000


def test_model_predicts_probabilities_for_an_observation(engine):
    observation = engine.observe("email", ["a@example.com", "b@test.org"]).observation
    (probabilities,) = engine.model.predict([observation])
    assert abs(sum(probabilities.values()) - 1.0) < 1e-6
    assert max(probabilities, key=probabilities.get) == "email_address"


def test_missing_model_logs_a_warning_and_returns_none(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        assert load_column_model(tmp_path) is None
    assert "without the model" in caplog.text


def test_model_from_another_sklearn_version_is_refused(tmp_path, caplog):
    shutil.copy(MODEL_DIR / "column_model.joblib", tmp_path / "column_model.joblib")
    metadata = json.loads((MODEL_DIR / "model.json").read_text())
    metadata["sklearn_version"] = "0.1.0"
    (tmp_path / "model.json").write_text(json.dumps(metadata))
    with caplog.at_level(logging.WARNING):
        assert load_column_model(tmp_path) is None
    assert "scikit-learn" in caplog.text


def test_shape_text_shapes_the_joined_values_as_each_value_on_its_own():
    """shape_text shapes and collapses the 20 values as one string: the same text as shaping each value
    and joining, also for values whose edges touch the separator (spaces, bars, long runs)."""
    tricky = [
        ("John Smith", "555-0142", "ab   ", "   cd", "x|||", "|| y", "éé---", "٣٣٣٣ Ⅻ", "AAAAAA", "a  "),
        ("end    ", "    start", "ok"),
        tuple(f"V{i:05d}    " for i in range(25)),
        ("…", "a\tb", "----", "zzzz zzzz"),
    ]
    for values in tricky:
        observation = ColumnObservation(
            name_text="", values=values, pattern_fractions={}, name_scores={}, total_values=9
        )
        assert shape_text(observation) == " | ".join(value_shape(v[:24]) for v in values[:20])


def test_value_statistics_upper_start_counts_values_starting_upper_case():
    values = ("Anna", "bob", "Émile", "1st", "Zoë", "ß")
    observation = ColumnObservation(name_text="", values=values, pattern_fractions={}, name_scores={}, total_values=6)
    assert value_statistics(observation)[9] == 3 / 6


def _statistics_value_by_value(values: tuple[str, ...], total: int) -> list[float]:
    """The value statistics' definition, one value and one character at a time."""
    import re
    import statistics

    text = "".join(values)
    size = max(len(text), 1)
    digits = sum(map(str.isdigit, text)) / size
    letters = sum(map(str.isalpha, text)) / size
    spaces = text.count(" ") / size
    lengths = [len(v) for v in values]
    mean_length = statistics.fmean(lengths)
    return [
        min(mean_length / 40.0, 3.0),
        min(statistics.pstdev(lengths) / (mean_length + 1), 3.0),
        digits,
        letters,
        spaces,
        max(1.0 - digits - letters - spaces, 0.0),
        sum(1 for v in values if re.match(r"^[-+]?\d+([.,]\d+)?$", v)) / len(values),
        min(statistics.fmean(len(v.split()) for v in values) / 5.0, 3.0),
        len(values) / max(total, len(values)),
        sum(1 for v in values if v[:1].isupper()) / len(values),
        0.0,
    ]


def test_value_statistics_follow_their_definition_for_any_text():
    cases = [
        ("12", "-3.5", "+4,25", "x1", "1.", "٣٤", "²"),  # numeric forms, Arabic-Indic and superscript digits
        ("Anna", "bob", "Émile", "Zoë"),  # no digit at all, non-ASCII letters
        ("a\nb", "12\n", "7", " 8 ", ""),  # a newline inside a value, blank and padded values
        ("one two  three", "four", "ǅemal Ⅻ"),
    ]
    for values in cases:
        observation = ColumnObservation(
            name_text="", values=values, pattern_fractions={}, name_scores={}, total_values=9
        )
        assert value_statistics(observation) == _statistics_value_by_value(values, 9)
