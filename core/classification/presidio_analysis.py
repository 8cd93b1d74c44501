"""Presidio AnalyzerEngine, configured to run offline, as a second-opinion signal.

* NLP engine ``no_op`` (no spaCy model download); PERSON/LOCATION are therefore not available and
  the catalog does not rely on them.
* ``tldextract`` is switched to its bundled Public Suffix List snapshot before the email recogniser
  first runs, otherwise it tries the internet and stalls.
* Country recognisers that are not loaded for English by default (UK NINO, ES NIF/NIE, IT fiscal
  code, PL PESEL, ABA routing, US NPI, UK postcode) are added for ``en``.
* Calls are limited to the entities of the classifications being confirmed, and a column's sampled
  values are analysed as ONE newline-joined text (one ``analyze`` call per column, not per value);
  a result counts for a value only when its span lies inside that value and covers most of it.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_ENGINE: object | None = None
_SEPARATOR = "\n|\n"


def _offline_tldextract() -> None:
    import tldextract
    import tldextract.tldextract as tld_module

    tld_module.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def build_offline_analyzer():  # type: ignore[no-untyped-def]
    """A new ``AnalyzerEngine`` that never touches the network (see module docstring)."""
    _offline_tldextract()
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer import predefined_recognizers as recognizers
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    provider = NlpEngineProvider(
        nlp_configuration={"nlp_engine_name": "no_op", "models": [{"lang_code": "en", "model_name": "none"}]}
    )
    presidio_log = logging.getLogger("presidio-analyzer")
    level = presidio_log.level
    presidio_log.setLevel(logging.ERROR)  # it warns about every non-English recogniser it skips
    try:
        engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    finally:
        presidio_log.setLevel(level)
    registry = engine.registry
    for name in (
        "UkNinoRecognizer",
        "EsNifRecognizer",
        "EsNieRecognizer",
        "ItFiscalCodeRecognizer",
        "PlPeselRecognizer",
        "AbaRoutingRecognizer",
        "UsNpiRecognizer",
        "UkPostcodeRecognizer",
    ):
        recognizer_class = getattr(recognizers, name, None)
        if recognizer_class is None:
            continue
        recognizer = recognizer_class(supported_language="en")
        if recognizer.supported_entities[0] not in registry.get_supported_entities(["en"]):
            registry.add_recognizer(recognizer)
    return engine


def shared_analyzer():  # type: ignore[no-untyped-def]
    """The process-wide offline analyzer (built on first use, ~2 s)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = build_offline_analyzer()
        return _ENGINE


@dataclass(frozen=True)
class EntityHits:
    """Which values Presidio recognised as one entity, and its mean score on them."""

    indexes: tuple[int, ...]
    mean_score: float


class PresidioSignal:
    """Runs the offline analyzer over a column's sampled values for a set of entities."""

    def __init__(self, analyzer=None, *, min_coverage: float = 0.8) -> None:  # type: ignore[no-untyped-def]
        self._analyzer = analyzer
        self.min_coverage = min_coverage

    @property
    def analyzer(self):  # type: ignore[no-untyped-def]
        """The underlying ``AnalyzerEngine`` (the shared one unless one was injected)."""
        if self._analyzer is None:
            self._analyzer = shared_analyzer()
        return self._analyzer

    def supported_entities(self) -> set[str]:
        """Entities the analyzer can detect for English."""
        return set(self.analyzer.get_supported_entities("en"))

    def analyze(
        self, values: Sequence[str], entities: Sequence[str], context: Sequence[str] = ()
    ) -> dict[str, EntityHits]:
        """Per entity, the indexes of ``values`` it covers (span inside the value, >= 80 % of it)."""
        entities = [entity for entity in entities if entity in self.supported_entities()]
        if not values or not entities:
            return {}
        starts: list[int] = []
        position = 0
        for value in values:
            starts.append(position)
            position += len(value) + len(_SEPARATOR)
        text = _SEPARATOR.join(values)
        results = self.analyzer.analyze(
            text=text, language="en", entities=list(entities), context=list(context) or None
        )
        per_entity: dict[str, dict[int, float]] = {}
        for result in results:
            index = bisect.bisect_right(starts, result.start) - 1
            value_start = starts[index]
            length = len(values[index])
            if result.end > value_start + length:
                continue
            if (result.end - result.start) < self.min_coverage * length:
                continue
            scores = per_entity.setdefault(result.entity_type, {})
            scores[index] = max(scores.get(index, 0.0), float(result.score))
        return {
            entity: EntityHits(indexes=tuple(sorted(scores)), mean_score=sum(scores.values()) / len(scores))
            for entity, scores in per_entity.items()
        }
