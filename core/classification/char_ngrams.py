"""Character n-gram TF-IDF for a fitted scikit-learn ``TfidfVectorizer``, counted in C or with numpy.

scikit-learn counts n-grams one Python string at a time (``CountVectorizer._count_vocab``), which made
the column model's three text features most of the cost of classifying a column. ``FastCharTfidf``
produces the same count matrix for the same documents in a few array operations over all documents
at once, then hands it to the vectorizer's own ``TfidfTransformer`` (sublinear tf, idf, l2 norm), so
the features are the vectorizer's to the last bit. When ``native/ngrams.c`` is built (by
``scripts/bootstrap.sh``) the windows are counted there instead, in one pass per document: the same
matrix, several times faster.

How the counting works: every character of the vocabulary gets a digit 1..K (any other character is
0); an n-gram is the base-(K+1) number of its digits, so n-grams of different lengths never collide
and an n-gram containing a character outside the vocabulary (digit 0) is never looked up. Documents
(``char``) or space-padded words (``char_wb``) are laid end to end with a 0 between them, so a window
that crosses a boundary contains a 0 and is dropped: what remains are exactly the windows
scikit-learn's analyzers produce (for ``char_wb`` a padded word is at least 3 characters long, so
its short-word rule never applies when the smallest n is at most 3).

Only the configuration the column model uses is accelerated (``analyzer`` ``char``/``char_wb``,
lower-casing, no accent stripping, preprocessor or tokenizer, not binary); ``fast_tfidf`` returns
any other vectorizer unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from core.classification.native import ngram_counts

DENSE_KEYS = 1 << 22
# scikit-learn's _VectorizerMixin._white_spaces
_WHITE_SPACES = re.compile(r"\s\s+")


class FastCharTfidf:
    """``transform(documents)`` equal to the wrapped ``TfidfVectorizer.transform(documents)``."""

    def __init__(self, vectorizer: Any) -> None:
        self.vectorizer = vectorizer
        self.analyzer: str = vectorizer.analyzer
        self.min_n, self.max_n = vectorizer.ngram_range
        vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.features = len(vectorizer.get_feature_names_out())
        alphabet = sorted({char for gram in vocabulary for char in gram})
        self._codes = np.array([ord(char) for char in alphabet], dtype=np.int64)
        self._low = np.zeros(0x10000, dtype=np.int64)  # digit of each BMP character (0: not in the vocabulary)
        for digit, code in enumerate(self._codes, start=1):
            if code <= 0xFFFF:
                self._low[code] = digit
        self._base = len(alphabet) + 1
        if self._base**self.max_n >= 2**62:
            raise ValueError("alphabet too large for 64-bit n-gram keys")
        # A separator outside the vocabulary (digit 0) and outside the BMP table.
        self._separator = next(chr(c) for c in range(0x10FFFF, 0xFFFF, -1) if chr(c) not in set(alphabet))
        index = {char: i + 1 for i, char in enumerate(alphabet)}
        keys = np.array([self._key(gram, index) for gram in vocabulary], dtype=np.int64)
        columns = np.array(list(vocabulary.values()), dtype=np.int64)
        order = np.argsort(keys)
        self._keys, self._columns = keys[order], columns[order]
        # With a small alphabet every possible key indexes a table directly (a few MB at most).
        self._table: np.ndarray | None = None
        if self._base**self.max_n <= DENSE_KEYS and self.features < 2**15:
            self._table = np.full(self._base**self.max_n, -1, dtype=np.int16)
            self._table[keys] = columns
        #: Count in C (``native/ngrams.c``) when it is built; the numpy path below gives the same matrix.
        self.native = ngram_counts.available()

    def _key(self, gram: str, index: dict[str, int]) -> int:
        key = 0
        for char in gram:
            key = key * self._base + index[char]
        return key

    @staticmethod
    def supports(vectorizer: Any) -> bool:
        try:
            params = vectorizer.get_params()
            min_n, max_n = params["ngram_range"]
            return (
                params["analyzer"] in ("char", "char_wb")
                and params["lowercase"]
                and params["preprocessor"] is None
                and params["strip_accents"] is None
                and params["tokenizer"] is None
                and not params["binary"]
                and params["input"] == "content"
                and 1 <= min_n <= max_n
                and (params["analyzer"] == "char" or min_n <= 3)
                and hasattr(vectorizer, "vocabulary_")
                and hasattr(vectorizer, "_tfidf")
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            return False

    def _texts(self, documents: Sequence[str]) -> list[str]:
        """Per document, the text its n-grams are taken from: for ``char_wb`` its words, each padded
        with a space, separated from each other by the separator."""
        texts = [_WHITE_SPACES.sub(" ", document.lower()) for document in documents]
        if self.analyzer == "char":
            return texts
        glue = f" {self._separator} "
        return [f" {glue.join(words)} " if words else "" for words in (text.split() for text in texts)]

    def _digits(self, points: np.ndarray) -> np.ndarray:
        digits = self._low[np.minimum(points, 0xFFFF)]
        high = np.flatnonzero(points > 0xFFFF)
        if len(high):
            found = np.minimum(np.searchsorted(self._codes, points[high]), len(self._codes) - 1)
            digits[high] = np.where(self._codes[found] == points[high], found + 1, 0)
        return digits

    def counts(self, documents: Sequence[str]) -> Any:
        """The term-count matrix ``CountVectorizer.transform`` would build (float64, sorted indices)."""
        rows = len(documents)
        texts = self._texts(documents)
        joined = self._separator.join(texts)
        if not joined:
            return self._matrix(np.zeros(0), np.zeros(0, dtype=np.int32), np.zeros(rows + 1, dtype=np.int64), rows)
        if self.native:  # every document followed by the separator (digit 0), counted in C
            joined += self._separator
        points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        digits = self._digits(points)
        if self.native:
            starts = np.zeros(rows + 1, dtype=np.int64)
            np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=rows) + 1, out=starts[1:])
            data, indices, indptr = ngram_counts.count(
                digits,
                starts,
                min_n=self.min_n,
                max_n=self.max_n,
                base=self._base,
                features=self.features,
                table=self._table,
                keys=self._keys,
                columns=self._columns,
            )
            return self._matrix(data, indices, indptr, rows)
        # The document each character belongs to (a separator is digit 0: its owner never matters).
        owner = np.repeat(np.arange(rows, dtype=np.int64), [len(text) + 1 for text in texts])[: len(points)]
        document_ids: list[np.ndarray] = []
        feature_ids: list[np.ndarray] = []
        keys = np.zeros(len(digits), dtype=np.int64)
        valid = np.ones(len(digits), dtype=bool)
        for n in range(1, self.max_n + 1):
            if n > len(digits):
                break
            # windows of length n start at 0 .. len - n
            keys = keys[: len(digits) - n + 1] * self._base + digits[n - 1 :]
            valid = valid[: len(digits) - n + 1] & (digits[n - 1 :] > 0)
            if n < self.min_n:
                continue
            starts = np.flatnonzero(valid)
            window_keys = keys[starts]
            if self._table is not None:
                column = self._table[window_keys]
                hit = column >= 0
                feature_ids.append(column[hit])
            else:
                position = np.minimum(np.searchsorted(self._keys, window_keys), len(self._keys) - 1)
                hit = self._keys[position] == window_keys
                feature_ids.append(self._columns[position[hit]])
            document_ids.append(owner[starts[hit]])
        documents_of = np.concatenate(document_ids) if document_ids else np.zeros(0, dtype=np.int64)
        features_of = np.concatenate(feature_ids) if feature_ids else np.zeros(0, dtype=np.int64)
        if rows < 1 << 16 and self.features <= 1 << 16:  # 32-bit cell keys sort several times faster
            cells = (documents_of.astype(np.uint32) << 16) | features_of.astype(np.uint32)
            cells.sort()
            first = np.empty(len(cells), dtype=bool)
            first[:1] = True
            np.not_equal(cells[1:], cells[:-1], out=first[1:])
            starts = np.flatnonzero(first)
            counts = np.diff(np.append(starts, len(cells)))
            cells = cells[starts]
            row_of, column_of = (cells >> 16).astype(np.int64), (cells & 0xFFFF).astype(np.int32)
        else:
            wide, counts = np.unique(documents_of * self.features + features_of, return_counts=True)
            row_of, column_of = wide // self.features, (wide % self.features).astype(np.int32)
        indptr = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(row_of, minlength=rows), out=indptr[1:])
        return self._matrix(counts.astype(np.float64), column_of, indptr, rows)

    def _matrix(self, data: Any, indices: Any, indptr: Any, rows: int) -> Any:
        matrix = sparse.csr_matrix(
            (data, indices, indptr.astype(np.int32)), shape=(rows, self.features), dtype=self.vectorizer.dtype
        )
        matrix.has_sorted_indices = True
        return matrix

    def transform(self, documents: Sequence[str]) -> Any:
        return self.vectorizer._tfidf.transform(self.counts(documents), copy=False)


def fast_tfidf(vectorizer: Any) -> Any:
    """A ``FastCharTfidf`` for a supported fitted vectorizer, else the vectorizer itself."""
    if not FastCharTfidf.supports(vectorizer):
        return vectorizer
    try:
        return FastCharTfidf(vectorizer)
    except (ValueError, StopIteration):
        return vectorizer
