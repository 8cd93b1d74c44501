"""The classification engine: column name + sampled values -> classifications with evidence.

How a column is decided (``docs/classification-engine.md`` has the full rationale):

1. Values are prepared: ``None``/NaN/blank markers dropped, whitespace collapsed, de-duplicated.
   Every percentage is over DISTINCT non-blank sampled values.
2. Fast pattern pass (Hyperscan, validators on hits) gives, per classification, which values match.
3. Gate (Purview's minimum match percentage): a classification is a candidate only if its
   validated match percentage reaches its threshold. A column name never overrides values that
   contradict it (``email_verified`` full of booleans never becomes an email). With no usable
   values at all, a strong column name alone may suggest a classification at reduced confidence.
4. Candidate scores, each in [0, 1]:
   ``e_values`` = sum over matched values of the best pattern score / distinct values;
   ``e_name`` = column-name phrase score (0 when vetoed);
   ``e_presidio`` = 0.5 x Presidio mean score x share of the Presidio sample it recognised
   (Presidio runs on up to 8 distinct values, only for candidates whose confidence without it is
   uncertain, in [0.3, 0.8); ``presidio_policy="always"`` consults it for every candidate).
   ``evidence = 1 - (1 - e_values)(1 - e_name)(1 - e_presidio)``  (noisy-OR).
5. Model: ``confidence = (1 - w) * evidence + w * p_model`` with ``w = 0.35`` (without a model,
   ``confidence = evidence``).
6. Report candidates with ``confidence >= threshold`` (0.5, per rule set) that are within 0.15 of
   the best one, best first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import Any

import numpy as np

from core.classification.catalog import Catalog, Category, ClassificationDefinition, load_catalog
from core.classification.column_model import (
    ColumnModel,
    ColumnObservation,
    clamp_probability,
    load_column_model,
)
from core.classification.column_names import (
    ColumnNameMatcher,
    NameMatch,
    NormalisedName,
    normalise_column_name,
)
from core.classification.data_patterns import PatternScanner, compile_definition_patterns
from core.classification.masking import mask_value
from core.classification.presidio_analysis import PresidioSignal
from core.classification.results import (
    ClassificationResult,
    ColumnResult,
    Evidence,
    RuleSetRef,
    Signal,
    SignalEvidence,
    TableResult,
)
from core.classification.rule_sets import (
    CompiledRuleSet,
    RuleSetDocument,
    compile_rule_set,
    default_rule_set,
)

#: Cell values that mean "no value" (compared lower-case after stripping); they count as blanks.
BLANK_MARKERS = frozenset(
    {
        "",
        "null",
        "none",
        "nan",
        "n/a",
        "na",
        "-",
        "--",
        "#n/a",
        "nil",
        "undefined",
        "?",
        "??",
        "???",
        "unknown",
        "tbd",
        "n.a.",
        "#ref!",
        "#value!",
        "#name?",
        "#div/0!",
        "not available",
        "missing",
        "(blank)",
        "(null)",
        "<null>",
        "empty",
        "not set",
    }
)
_WHITESPACE = re.compile(r"\s+")

MODEL_WEIGHT = 0.35
PRESIDIO_WEIGHT = 0.5
NAME_ONLY_FACTOR = 0.6
REPORT_MARGIN = 0.15
#: Presidio is consulted for a candidate whose confidence without it falls in this band
#: (``presidio_policy="uncertain"``, the default): it is slow (~2 ms/value), so it breaks ties.
PRESIDIO_BAND = (0.3, 0.8)
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class PreparedValues:
    """Distinct, cleaned, non-blank values of a sample plus counts."""

    distinct: list[str]
    sampled: int
    blanks: int


_LONGEST_BLANK = max(len(marker) for marker in BLANK_MARKERS)
_STR_ONLY = frozenset({str})
#: Value types ``prepare_values`` de-duplicates before cleaning: no value of one equals a value of another.
_DEDUPLICABLE = frozenset({str, bool, type(None)})
_DEDUPLICABLE_INTS = frozenset({str, int, type(None)})


def prepare_values(values: Iterable[Any], max_distinct: int = 1000, max_length: int = 4096) -> PreparedValues:
    """Drop blanks (``None``, NaN, ``""``, ``"N/A"``...), collapse whitespace, de-duplicate in order."""
    if values.__class__ is not list:
        values = list(values)
    kinds = set(map(type, values))
    if not (kinds <= _DEDUPLICABLE or kinds <= _DEDUPLICABLE_INTS):
        return _prepare_each(values, max_distinct, max_length)
    # A value's text depends on the value alone and no two equal values of these types differ in
    # type (unlike 1, 1.0 and True), so each distinct value is cleaned once, in first-seen order,
    # with the same steps as ``_prepare_each``.
    raws = dict.fromkeys(values)
    blanks = 0
    if type(None) in kinds:
        blanks = values.count(None)
        del raws[None]
    if kinds <= _STR_ONLY:
        texts = list(map(str.strip, raws))
    else:
        texts = list(map(_text, raws))
    joined = "\x00".join(texts)
    if "\n" in joined or "\t" in joined or "\r" in joined or "  " in joined:
        texts = [
            _WHITESPACE.sub(" ", text) if "\n" in text or "\t" in text or "\r" in text or "  " in text else text
            for text in texts
        ]
    if not BLANK_MARKERS.isdisjoint(map(str.lower, texts)):  # one C pass; the exact test below
        kept = []
        for raw, text in zip(raws, texts, strict=True):
            if len(text) <= _LONGEST_BLANK and text.lower() in BLANK_MARKERS:
                blanks += values.count(raw)
            else:
                kept.append(text)
        texts = kept
    if texts and max(map(len, texts)) > max_length:
        texts = [text[:max_length] for text in texts]
    distinct = list(islice(dict.fromkeys(texts), max_distinct)) if max_distinct > 0 else []
    return PreparedValues(distinct=distinct, sampled=len(values), blanks=blanks)


def _text(raw: str | bool | int) -> str:
    if raw.__class__ is str:
        return raw.strip()  # type: ignore[union-attr]
    if raw.__class__ is bool:
        return "true" if raw else "false"
    return str(raw).strip()


def _prepare_each(values: list[Any], max_distinct: int, max_length: int) -> PreparedValues:
    """``prepare_values`` one value at a time (any types: NaN, bytes, numbers equal across types)."""
    seen: dict[str, None] = {}
    sampled = blanks = 0
    for raw in values:
        sampled += 1
        if raw.__class__ is str:  # the common case, without the type checks below
            text = raw.strip()
        elif raw is None or (isinstance(raw, float) and math.isnan(raw)):
            blanks += 1
            continue
        elif isinstance(raw, bool):
            text = "true" if raw else "false"
        elif isinstance(raw, bytes):
            text = raw.decode("utf-8", "replace").strip()
        else:
            text = str(raw).strip()
        if "\n" in text or "\t" in text or "\r" in text or "  " in text:
            text = _WHITESPACE.sub(" ", text)
        if len(text) <= _LONGEST_BLANK and text.lower() in BLANK_MARKERS:
            blanks += 1
            continue
        if len(seen) < max_distinct:
            seen.setdefault(text[:max_length], None)
    return PreparedValues(distinct=list(seen), sampled=sampled, blanks=blanks)


def _split_hits(indexes: Sequence[int], starts: np.ndarray) -> list[tuple[int, list[int]]]:
    """Hit indexes into the values of several columns laid end to end (``starts[c]`` is where column
    ``c`` begins) as (column, its own indexes in their order), by column."""
    found = np.asarray(indexes, dtype=np.int64)
    owner = np.searchsorted(starts, found, side="right") - 1
    if len(owner) > 1 and not bool(np.all(owner[1:] >= owner[:-1])):
        order = np.argsort(owner, kind="stable")
        found, owner = found[order], owner[order]
    local = (found - starts[owner]).tolist()  # one conversion, then a list slice per column
    edges = [0, *(np.flatnonzero(owner[1:] != owner[:-1]) + 1).tolist(), len(found)]
    columns = owner[edges[:-1]].tolist()
    return [(column, local[begin:end]) for column, begin, end in zip(columns, edges, edges[1:], strict=False)]


@dataclass
class _Matches:
    """Per classification: value index -> (best pattern score, pattern key)."""

    by_value: dict[int, tuple[float, str]] = field(default_factory=dict)

    def add(self, index: int, score: float, key: str) -> None:
        current = self.by_value.get(index)
        if current is None or score > current[0]:
            self.by_value[index] = (score, key)


@dataclass
class _ColumnState:
    name: str
    normalised: NormalisedName
    prepared: PreparedValues
    matches: dict[str, _Matches]
    name_matches: dict[str, NameMatch]
    observation: ColumnObservation


@dataclass
class _Candidate:
    classification_id: str
    definition: ClassificationDefinition | None
    name: str
    category: str
    label: str
    purview: str | None
    matches: _Matches
    e_values: float
    e_name: float
    name_detail: str
    presidio_entities: tuple[str, ...] = ()
    e_presidio: float = 0.0
    presidio_detail: str = ""
    p_model: float | None = None
    custom: bool = False
    credential: bool = False


class ClassificationEngine:
    """Classifies columns from their name and sampled values (see module docstring).

    Build one per process and reuse it: construction compiles the pattern database, loads the model
    and (lazily, on first use) the Presidio analyzer.
    """

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        use_presidio: bool = True,
        use_model: bool = True,
        model: ColumnModel | None = None,
        presidio: PresidioSignal | None = None,
        use_hyperscan: bool = True,
        max_distinct: int = 1000,
        presidio_sample: int = 8,
        presidio_policy: str = "uncertain",
    ) -> None:
        self.catalog = catalog or load_catalog()
        self._patterns = compile_definition_patterns(self.catalog)
        self.scanner = PatternScanner(self._patterns, use_hyperscan=use_hyperscan)
        self._name_matcher = ColumnNameMatcher(self.catalog)
        self.model = model if model is not None else (load_column_model() if use_model else None)
        self.presidio = (presidio or PresidioSignal()) if use_presidio else None
        self.max_distinct = max_distinct
        self.presidio_sample = presidio_sample
        if presidio_policy not in ("uncertain", "always"):
            raise ValueError("presidio_policy must be 'uncertain' or 'always'")
        self.presidio_policy = presidio_policy
        self._default_rules = compile_rule_set(default_rule_set(self.catalog), self.catalog)
        self._compiled: dict[tuple[str, int], CompiledRuleSet] = {}
        #: id(rules) -> (rules, position of each selected id in iteration order, selected ids whose
        #: minimum match percentage is not above 0): which classifications ``_decide`` must consider.
        self._plans: dict[int, tuple[CompiledRuleSet, dict[str, int], frozenset[str]]] = {}

    # -- public entry points -----------------------------------------------------------------------
    def classify_column(
        self, name: str, values: Iterable[Any], rule_set: RuleSetDocument | None = None
    ) -> ColumnResult:
        """Classify one column; ``rule_set`` defaults to the system rule set (every classification)."""
        return self.classify_table({name: values}, rule_set).columns[0]

    def classify_table(
        self, columns: Mapping[str, Iterable[Any]], rule_set: RuleSetDocument | None = None
    ) -> TableResult:
        """Classify every column of a table (the model scores all columns in one batch)."""
        return self.classify_tables([columns], rule_set)[0]

    def classify_tables(
        self, tables: Sequence[Mapping[str, Iterable[Any]]], rule_set: RuleSetDocument | None = None
    ) -> list[TableResult]:
        """Classify every column of several tables: the same results as ``classify_table`` per table,
        with one model call for all their columns (a scan classifies a batch of tables at once)."""
        rules = self._rules(rule_set)
        observed = iter(self.observe_many([item for columns in tables for item in columns.items()]))
        states = [[next(observed) for _ in columns] for columns in tables]
        flat = [state for table in states for state in table]
        predictions: list[dict[str, float] | None]
        if self.model is not None and flat:
            predictions = list(self.model.predict([state.observation for state in flat]))
        else:
            predictions = [None] * len(flat)
        results = []
        start = 0
        for table in states:
            chunk = predictions[start : start + len(table)]
            start += len(table)
            results.append(
                TableResult(
                    columns=tuple(
                        self._decide(state, prediction, rules) for state, prediction in zip(table, chunk, strict=True)
                    )
                )
            )
        return results

    # -- signals ------------------------------------------------------------------------------------
    def observe(self, name: str, values: Iterable[Any]) -> _ColumnState:
        """Run the cheap signals (pattern pass, column name) and build the model observation."""
        return self.observe_many([(name, values)])[0]

    def observe_many(self, columns: Sequence[tuple[str, Iterable[Any]]]) -> list[_ColumnState]:
        """``observe`` for several columns with one pattern pass over all their values (a value's hits
        never depend on the values scanned with it, and one pass costs far less than one per column)."""
        prepared = [prepare_values(values, self.max_distinct) for _, values in columns]
        starts = np.zeros(len(prepared) + 1, dtype=np.int64)
        np.cumsum([len(item.distinct) for item in prepared], out=starts[1:])
        hits = self.scanner.scan([value for item in prepared for value in item.distinct])
        per_column: list[list[tuple[Any, list[int]]]] = [[] for _ in columns]
        for pattern, indexes in zip(self._patterns, hits, strict=True):
            if indexes:
                for column, found in _split_hits(indexes, starts):
                    per_column[column].append((pattern, found))
        return [
            self._observe(str(name), item, found)
            for (name, _), item, found in zip(columns, prepared, per_column, strict=True)
        ]

    def _observe(self, name: str, prepared: PreparedValues, hits: list[tuple[Any, list[int]]]) -> _ColumnState:
        normalised = normalise_column_name(name)
        matches: dict[str, _Matches] = {}
        for pattern, indexes in hits:  # in pattern order
            bucket = matches.get(pattern.classification_id)
            best = (pattern.score, pattern.key)
            if bucket is None:  # the first pattern of its classification: every hit is its best
                matches[pattern.classification_id] = _Matches(dict.fromkeys(indexes, best))
                continue
            for index in indexes:
                bucket.add(index, *best)
        name_matches = self._name_matches(normalised)
        count = len(prepared.distinct)
        observation = ColumnObservation(
            name_text=" ".join(normalised.tokens),
            values=tuple(prepared.distinct[:64]),
            pattern_fractions={cid: len(m.by_value) / count for cid, m in matches.items()} if count else {},
            name_scores={cid: match.score for cid, match in name_matches.items()},
            total_values=prepared.sampled - prepared.blanks,
        )
        return _ColumnState(name, normalised, prepared, matches, name_matches, observation)

    def _name_matches(self, normalised: NormalisedName) -> dict[str, NameMatch]:
        return self._name_matcher.match(normalised)

    def _rules(self, rule_set: RuleSetDocument | None) -> CompiledRuleSet:
        if rule_set is None:
            return self._default_rules
        key = (rule_set.id, rule_set.version)
        compiled = self._compiled.get(key)
        if compiled is None or compiled.document != rule_set:
            compiled = compile_rule_set(rule_set, self.catalog)
            self._compiled[key] = compiled
        return compiled

    # -- decision -------------------------------------------------------------------------------------
    def _decide(
        self, state: _ColumnState, prediction: Mapping[str, float] | None, rules: CompiledRuleSet
    ) -> ColumnResult:
        distinct = state.prepared.distinct
        count = len(distinct)
        candidates: list[_Candidate] = []
        for classification_id in self._considered(rules, state.matches) if count else rules.selected:
            definition = self.catalog.get(classification_id)
            matches = state.matches.get(classification_id)
            if matches is None:
                if count and rules.minimum_match.get(classification_id, definition.minimum_match_percentage) > 0:
                    continue  # what the gate decides for a classification no value matched
                matches = _Matches()
            name_match = state.name_matches.get(classification_id)
            candidate = self._gate(
                classification_id, definition.minimum_match_percentage, rules, matches, name_match, count
            )
            if candidate is None:
                continue
            candidate.definition = definition
            candidate.name = definition.name
            candidate.category = definition.category.value
            candidate.label = definition.sensitivity.value
            candidate.purview = definition.purview
            candidate.presidio_entities = definition.presidio_entities
            candidate.credential = definition.category is Category.CREDENTIAL
            if prediction is not None:
                candidate.p_model = clamp_probability(prediction.get(classification_id, 0.0))
            candidates.append(candidate)
        candidates.extend(self._custom_candidates(state, rules))
        signals = [Signal.PATTERN, Signal.COLUMN_NAME]
        if self.presidio is not None and count:
            consulted = [c for c in candidates if c.presidio_entities and self._needs_presidio(c, count)]
            if consulted:
                self._presidio_pass(state, consulted)
                signals.append(Signal.PRESIDIO)
        if prediction is not None:
            signals.append(Signal.MODEL)
        if rules.custom_rules:
            signals.append(Signal.CUSTOM_RULE)
        scored = sorted(
            ((self._confidence(candidate, count), candidate) for candidate in candidates),
            key=lambda item: (-item[0], item[1].classification_id),
        )
        reported = []
        best = scored[0][0] if scored else 0.0
        for confidence, candidate in scored:
            if confidence >= rules.threshold and confidence >= best - REPORT_MARGIN:
                reported.append(self._result(candidate, confidence, distinct))
        return ColumnResult(
            column=state.name,
            classifications=tuple(reported),
            rule_set=RuleSetRef(id=rules.document.id, version=rules.document.version),
            catalog_version=self.catalog.version,
            sampled_values=state.prepared.sampled,
            distinct_values=count,
            blank_values=state.prepared.blanks,
            signals_used=tuple(signals),
        )

    def _considered(self, rules: CompiledRuleSet, matches: Mapping[str, _Matches]) -> list[str]:
        """The selected classifications, in ``rules.selected`` order, that ``_decide`` does not skip for
        a column with values: those some value matched and those that need no match."""
        plan = self._plans.get(id(rules))
        if plan is None or plan[0] is not rules:
            position = {classification_id: index for index, classification_id in enumerate(rules.selected)}
            no_minimum = frozenset(
                classification_id
                for classification_id in rules.selected
                if not rules.minimum_match.get(
                    classification_id, self.catalog.get(classification_id).minimum_match_percentage
                )
                > 0
            )
            if len(self._plans) >= 64:
                self._plans.clear()
            plan = self._plans[id(rules)] = (rules, position, no_minimum)
        _, position, no_minimum = plan
        considered = [classification_id for classification_id in matches if classification_id in position]
        if no_minimum:
            considered = list(no_minimum.union(considered))
        considered.sort(key=position.__getitem__)
        return considered

    def _needs_presidio(self, candidate: _Candidate, count: int) -> bool:
        if self.presidio_policy == "always":
            return True
        low, high = PRESIDIO_BAND
        return low <= self._confidence(candidate, count) < high

    @staticmethod
    def _gate(
        classification_id: str,
        default_minimum: float,
        rules: CompiledRuleSet,
        matches: _Matches,
        name_match: NameMatch | None,
        count: int,
    ) -> _Candidate | None:
        e_name = name_match.score if name_match else 0.0
        if count:
            minimum = rules.minimum_match.get(classification_id, default_minimum)
            if 100.0 * len(matches.by_value) / count < minimum:
                return None
            e_values = sum(map(itemgetter(0), matches.by_value.values())) / count
        else:
            if not e_name:
                return None
            e_values = 0.0
        return _Candidate(
            classification_id=classification_id,
            definition=None,
            name=classification_id,
            category="",
            label="",
            purview=None,
            matches=matches,
            e_values=e_values,
            e_name=e_name,
            name_detail=name_match.matched if name_match else "",
        )

    def _custom_candidates(self, state: _ColumnState, rules: CompiledRuleSet) -> list[_Candidate]:
        candidates = []
        distinct = state.prepared.distinct
        lowered = (
            [value.lower() for value in distinct] if any(r.dictionary for r in rules.custom_rules) else []
        )
        for compiled in rules.custom_rules:
            rule = compiled.rule
            matches = _Matches()
            for pattern in compiled.patterns:
                for index, value in enumerate(distinct):
                    if pattern.matches(value):
                        matches.add(index, pattern.score, pattern.key)
            if compiled.dictionary:
                for index, value in enumerate(lowered):
                    if value in compiled.dictionary:
                        matches.add(index, rule.dictionary_score, f"{rule.id}/dictionary")
            column_score = compiled.column_score(state.normalised)
            name_match = NameMatch(score=column_score, matched="column_patterns") if column_score else None
            candidate = self._gate(
                rule.id, rule.minimum_match_percentage, rules, matches, name_match, len(distinct)
            )
            if candidate is None:
                continue
            if not (compiled.patterns or compiled.dictionary) and not column_score:
                continue
            if not (compiled.patterns or compiled.dictionary):
                candidate.e_values = 0.0  # a name-only custom rule: the name decides
            candidate.name = rule.name
            candidate.category = rule.category.value
            candidate.label = rule.sensitivity.value
            candidate.custom = True
            candidate.credential = rule.category is Category.CREDENTIAL
            candidates.append(candidate)
        return candidates

    def _presidio_pass(self, state: _ColumnState, candidates: list[_Candidate]) -> None:
        assert self.presidio is not None
        sample = state.prepared.distinct[: self.presidio_sample]
        entities = sorted({entity for candidate in candidates for entity in candidate.presidio_entities})
        context = list(state.normalised.tokens)
        found = self.presidio.analyze(sample, entities, context)
        for candidate in candidates:
            indexes: set[int] = set()
            scores = []
            for entity in candidate.presidio_entities:
                hits = found.get(entity)
                if hits:
                    indexes.update(hits.indexes)
                    scores.append(hits.mean_score)
            if indexes:
                share = len(indexes) / len(sample)
                candidate.e_presidio = PRESIDIO_WEIGHT * max(scores) * share
                candidate.presidio_detail = (
                    f"{'+'.join(candidate.presidio_entities)} on {len(indexes)}/{len(sample)}"
                )

    @staticmethod
    def _confidence(candidate: _Candidate, count: int) -> float:
        if not count:
            return round(NAME_ONLY_FACTOR * candidate.e_name, 4)
        evidence = 1.0 - (1.0 - candidate.e_values) * (1.0 - candidate.e_name) * (1.0 - candidate.e_presidio)
        if candidate.p_model is not None:
            evidence = (1.0 - MODEL_WEIGHT) * evidence + MODEL_WEIGHT * candidate.p_model
        return round(min(max(evidence, 0.0), 1.0), 4)

    @staticmethod
    def _result(candidate: _Candidate, confidence: float, distinct: Sequence[str]) -> ClassificationResult:
        count = len(distinct)
        matched = candidate.matches.by_value
        signals: list[SignalEvidence] = []
        rule_counts: dict[str, int] = {}
        for _, key in matched.values():
            rule_counts[key] = rule_counts.get(key, 0) + 1
        rules = tuple(sorted(rule_counts, key=lambda key: (-rule_counts[key], key)))
        if candidate.e_values:
            signals.append(
                SignalEvidence(
                    signal=Signal.CUSTOM_RULE if candidate.custom else Signal.PATTERN,
                    score=round(min(candidate.e_values, 1.0), 4),
                    detail=", ".join(rules),
                )
            )
        if candidate.e_name:
            signals.append(
                SignalEvidence(
                    signal=Signal.COLUMN_NAME, score=round(candidate.e_name, 4), detail=candidate.name_detail
                )
            )
        if candidate.e_presidio:
            signals.append(
                SignalEvidence(
                    signal=Signal.PRESIDIO,
                    score=round(candidate.e_presidio, 4),
                    detail=candidate.presidio_detail,
                )
            )
        if candidate.p_model is not None:
            signals.append(
                SignalEvidence(
                    signal=Signal.MODEL,
                    score=round(candidate.p_model, 4),
                    detail=f"p({candidate.classification_id})={candidate.p_model:.3f}",
                )
            )
        examples = tuple(
            mask_value(distinct[index], credential=candidate.credential)
            for index in sorted(matched)[:MAX_EXAMPLES]
        )
        return ClassificationResult(
            id=candidate.classification_id,
            name=candidate.name,
            category=candidate.category,
            confidence=confidence,
            label=candidate.label,
            purview=candidate.purview,
            evidence=Evidence(
                signals=tuple(signals),
                match_percentage=round(100.0 * len(matched) / count, 2) if count else 0.0,
                matched_values=len(matched),
                distinct_values=count,
                rules=rules,
                masked_examples=examples,
            ),
        )
