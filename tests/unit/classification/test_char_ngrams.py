"""The n-gram counting (in C, and the numpy fallback) gives the column model exactly scikit-learn's features."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from core.classification import char_ngrams
from core.classification.char_ngrams import FastCharTfidf, fast_tfidf
from core.classification.column_model import ColumnObservation, shape_text, value_text
from core.classification.native import ngram_counts

# Both counting paths: the C counter (built by scripts/bootstrap.sh, as for every test run) and numpy.
PATHS = ["native", "numpy"]


def use_path(fast: FastCharTfidf, path: str) -> None:
    if path == "native":
        assert ngram_counts.available(), ngram_counts.unavailable_reason()
    fast.native = path == "native"


# Upper case, accents, characters whose lower case is longer (İ), non-breaking and wide spaces, tabs,
# runs of blanks, characters outside the basic plane, a lone surrogate.
ALPHABET = "abcXYZ 019-_.@|\t\n  İßéü\u00a0\u2003日本\U0001f600"
EDGE_CASES = ["", " ", "a", "ab", "  x  ", "\ud800x", "\U0010ffff a b", "x\U0001f600y z", "a\tb\n\nc"]


def documents(seed: int, count: int = 400) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 60))) for _ in range(count)] + EDGE_CASES


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("lookup", ["table", "search"])
@pytest.mark.parametrize("analyzer,ngram_range", [("char_wb", (2, 4)), ("char_wb", (1, 3)), ("char", (1, 4))])
def test_counts_and_tfidf_equal_scikit_learn(analyzer, ngram_range, lookup, path, monkeypatch):
    if lookup == "search":  # vocabularies whose keys do not fit a table are looked up by binary search
        monkeypatch.setattr(char_ngrams, "DENSE_KEYS", 0)
    vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, max_features=500, sublinear_tf=True)
    vectorizer.fit(documents(1))
    fast = fast_tfidf(vectorizer)
    assert isinstance(fast, FastCharTfidf)
    assert (fast._table is None) == (lookup == "search")
    use_path(fast, path)
    for docs in (documents(2), EDGE_CASES, ["", ""]):
        expected = vectorizer.transform(docs)
        got = fast.transform(docs)
        assert got.shape == expected.shape
        assert (got != expected).nnz == 0
        counts = super(TfidfVectorizer, vectorizer).transform(docs)
        assert (fast.counts(docs) != counts).nnz == 0


def test_unsupported_vectorizers_are_used_as_they_are():
    words = TfidfVectorizer(analyzer="word").fit(["ab bc cd", "bc cd de"])
    assert fast_tfidf(words) is words
    binary = TfidfVectorizer(analyzer="char", binary=True).fit(["abc"])
    assert fast_tfidf(binary) is binary


@pytest.mark.parametrize("path", PATHS)
def test_the_committed_model_features_equal_scikit_learn(engine, path, monkeypatch):
    model = engine.model
    observations = [
        engine.observe(name, values).observation
        for name, values in {
            "E-Mail Address": ["a@example.com", "Bob.Smith@test.org", None, "N/A"],
            "Telefon": ["+49 30 1234567", "030/765432", "+44 20 7946 0958"],
            "notes": ["Ünïcödé text\twith  tabs", "日本語のテキスト", ""],
        }.items()
    ] + [ColumnObservation(name_text="", values=(), pattern_fractions={}, name_scores={}, total_values=0)]
    for fast, text in (
        (model.name_vectorizer, [o.name_text for o in observations]),
        (model.value_vectorizer, [value_text(o) for o in observations]),
        (model.shape_vectorizer, [shape_text(o) for o in observations]),
    ):
        assert isinstance(fast, FastCharTfidf)
        monkeypatch.setattr(fast, "native", path == "native")
        assert (fast.transform(text) != fast.vectorizer.transform(text)).nnz == 0


def test_the_native_counter_refuses_inconsistent_input():
    with pytest.raises(ngram_counts.NgramCountError):
        ngram_counts.count(
            np.array([1, 2, 0], dtype=np.int32),
            np.array([0, 2], dtype=np.int64),  # ends before the digits do
            min_n=1,
            max_n=2,
            base=3,
            features=4,
            table=None,
            keys=np.array([1, 2], dtype=np.int64),
            columns=np.array([0, 1], dtype=np.int64),
        )
