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
