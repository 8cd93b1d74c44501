"""Column-name signal: normalise a header and match it against definitions' phrases and patterns.

Headers arrive as ``E-mail Address``, ``PHONE_NO``, ``custSSN``, ``DateOfBirth``, ``Straße``...
They are folded to ASCII lower case and split into tokens (separators, camelCase, letter/digit
boundaries): ``custSSN`` -> ``cust ssn``. A phrase scores in full when it is the whole name once
common qualifiers are stripped (``customer_email`` -> ``email``), and 75 % of that when it only
appears inside the name (``work_email_addr``). Tokens that turn a sensitive noun into a flag, a
count or metadata (``email_verified``, ``phone_type``, ``ssn_last4``) veto the signal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from core.classification.catalog import ClassificationDefinition

_CAMEL_1 = re.compile(r"([a-z])([A-Z])")
_CAMEL_2 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_SEPARATORS = re.compile(r"[^a-z0-9]+")

#: Qualifiers that do not change what a column holds (stripped before an exact-phrase comparison).
QUALIFIERS = frozenset(
    """cust customer customers client clients user usr users member members patient patients employee emp
    staff contact contacts billing bill shipping ship delivery home work office business personal primary
    secondary alt alternate other main new old current prev previous default preferred registered
    owner holder account acct beneficiary sender recipient receiver payer payee applicant guarantor
    student teacher doctor physician provider subscriber buyer seller person people individual party
    src source dst dest destination the my your his her their raw clear plain encrypted enc orig original
    col field attr value val txt text str string data info detail details
    no num number nr nbr id 1 2 3""".split()
)

#: Tokens that mean the column is ABOUT the entity, not the entity itself (flags, counts, metadata).
VETO_TOKENS = frozenset(
    """is has flag flags verified verification validated valid validity confirmed confirmation consent
    consented opt optin optout opted enabled disabled allowed allow blocked count counts cnt total sum
    status type types kind format fmt length len bounce bounced bounces subscribed unsubscribed
    template templates provider policy strength attempts changed exists present missing null
    domain domains suffix tld sent opened clicks clicked checked required mask masked
    visible visibility public share shared permission permissions label""".split()
)


@dataclass(frozen=True)
class NormalisedName:
    """A column name as tokens (``("date", "of", "birth")``) plus the forms matching uses."""

    original: str
    tokens: tuple[str, ...]

    @property
    def snake(self) -> str:
        """``date_of_birth``."""
        return "_".join(self.tokens)

    @property
    def compact(self) -> str:
        """``dateofbirth``."""
        return "".join(self.tokens)

    @property
    def core_tokens(self) -> tuple[str, ...]:
        """The tokens without leading/trailing qualifiers (never empty if ``tokens`` is not)."""
        tokens = list(self.tokens)
        while len(tokens) > 1 and tokens[0] in QUALIFIERS:
            tokens.pop(0)
        while len(tokens) > 1 and tokens[-1] in QUALIFIERS:
            tokens.pop()
        return tuple(tokens)


def fold_ascii(text: str) -> str:
    """Strip accents and fold to ASCII where possible (``Straße`` -> ``Strasse``, ``é`` -> ``e``)."""
    text = text.replace("ß", "ss").replace("ø", "o").replace("Ø", "O").replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=4096)
def normalise_column_name(name: str) -> NormalisedName:
    """Tokenise a header: ASCII-fold, split camelCase, separators and letter/digit boundaries."""
    text = fold_ascii(str(name).strip())
    text = _CAMEL_2.sub(r"\1_\2", _CAMEL_1.sub(r"\1_\2", text)).lower()
    text = _LETTER_DIGIT.sub("_", text)
    tokens = tuple(token for token in _SEPARATORS.split(text) if token)
    # Acronyms that the letter/digit split would break apart.
    joined = "_".join(tokens)
    for broken, whole in (
        ("ipv_4", "ipv4"),
        ("ipv_6", "ipv6"),
        ("icd_10", "icd10"),
        ("cvv_2", "cvv2"),
        ("cvc_2", "cvc2"),
        ("address_line_1", "address_line_1"),
    ):
        joined = joined.replace(broken, whole)
    return NormalisedName(original=name, tokens=tuple(token for token in joined.split("_") if token))


def _contains(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    if size == 1:
        return phrase[0] in tokens
    return any(tokens[index : index + size] == phrase for index in range(len(tokens) - size + 1))


@dataclass(frozen=True)
class NameMatch:
    """The column-name evidence for one classification."""

    score: float
    matched: str


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    joined: str
    score: float
    text: str


class ColumnNameMatcher:
    """Matches normalised column names against every definition's phrases and patterns (cached)."""

    def __init__(self, definitions: Iterable[ClassificationDefinition]) -> None:
        self._entries = []
        for definition in definitions:
            phrases = tuple(
                _Phrase(phrase.tokens, "".join(phrase.tokens), phrase.score, phrase.phrase)
                for phrase in definition.column_names
            )
            patterns = tuple((re.compile(p.regex), p.score, p.regex) for p in definition.column_patterns)
            excluded = frozenset(token.lower() for token in definition.column_exclude)
            self._entries.append((definition.id, phrases, patterns, excluded))
        self._cache: dict[str, dict[str, NameMatch]] = {}

    def match(self, name: NormalisedName) -> dict[str, NameMatch]:
        """Per classification id, the best name match (absent when none or vetoed)."""
        cached = self._cache.get(name.snake)
        if cached is not None:
            return cached
        found: dict[str, NameMatch] = {}
        tokens = name.tokens
        if tokens:
            token_set = set(tokens)
            if not token_set & VETO_TOKENS:
                snake, compact = name.snake, name.compact
                core = name.core_tokens
                core_joined = "".join(core)
                for classification_id, phrases, patterns, excluded in self._entries:
                    if excluded and (token_set & excluded or snake in excluded):
                        continue
                    best: NameMatch | None = None
                    for phrase in phrases:
                        if core == phrase.words or compact == phrase.joined or core_joined == phrase.joined:
                            score = phrase.score
                        elif _contains(tokens, phrase.words) or (
                            len(phrase.joined) >= 5 and phrase.joined in compact
                        ):
                            score = phrase.score * 0.75
                        else:
                            continue
                        if best is None or score > best.score:
                            best = NameMatch(score=score, matched=phrase.text)
                    for compiled, score, text in patterns:
                        if compiled.search(snake) and (best is None or score > best.score):
                            best = NameMatch(score=score, matched=text)
                    if best is not None:
                        found[classification_id] = best
        if len(self._cache) > 8192:
            self._cache.clear()
        self._cache[name.snake] = found
        return found


def match_column_name(name: NormalisedName, definition: ClassificationDefinition) -> NameMatch | None:
    """The best column-name match of ``definition`` for ``name``, or ``None`` (no match or vetoed)."""
    return ColumnNameMatcher([definition]).match(name).get(definition.id)
