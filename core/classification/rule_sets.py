"""Scan rule sets: versioned documents that choose classifications and add custom rules.

A rule set is a pure document (persisted later by the rule-set repository). It selects catalog
classifications through built-in templates and explicit ids, tunes them (minimum match
percentage, enabled flag), and adds custom rules (data patterns, column-name patterns,
dictionaries, validators by name). Editing never mutates: ``new_version`` returns version + 1, and
a scan pins the exact version it used (``ColumnResult.rule_set``).

User-supplied regexes run on RE2 (google-re2), whose matching time is linear in the input: a
catastrophic pattern such as ``(a+)+$`` over 100 kB returns in microseconds instead of hanging a
worker. Patterns RE2 cannot run (back-references, look-arounds) or whose compiled program exceeds
the memory budget are rejected with ``invalid_pattern`` and the field path of the pattern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import re2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.classification.catalog import Catalog, Category, SensitivityLabel, load_catalog
from core.classification.column_names import NormalisedName
from core.classification.errors import PatternRejected, RuleSetError
from core.classification.validators import VALIDATORS, Validator, get_validator

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

#: Hard limits for user patterns (RE2 is linear-time; these bound memory and pathological sizes).
MAX_PATTERN_LENGTH = 2000
RE2_MAX_MEMORY = 8 << 20

RuleId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Percentage = Annotated[float, Field(gt=0, le=100)]
Score = Annotated[float, Field(ge=0.0, le=1.0)]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CustomPattern(_Document):
    """A user data pattern: an RE2 regex that must match the whole value, a score, validators."""

    id: RuleId
    regex: str
    score: Score = 0.8
    ignore_case: bool = False
    validators: tuple[str, ...] = ()


class CustomRule(_Document):
    """A user-defined classification carried by the rule set."""

    id: RuleId
    name: str
    description: str = ""
    category: Category = Category.PII
    sensitivity: SensitivityLabel = SensitivityLabel.CONFIDENTIAL
    enabled: bool = True
    data_patterns: tuple[CustomPattern, ...] = ()
    dictionary: tuple[str, ...] = ()
    dictionary_score: Score = 0.8
    column_patterns: tuple[str, ...] = ()
    column_pattern_score: Score = 0.8
    minimum_match_percentage: Percentage = 60.0


class ClassificationSetting(_Document):
    """Per-classification tuning inside a rule set."""

    enabled: bool = True
    minimum_match_percentage: Percentage | None = None


class RuleSetDocument(_Document):
    """A versioned scan rule set."""

    id: RuleId
    name: str
    description: str = ""
    version: Annotated[int, Field(ge=1)] = 1
    templates: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    settings: dict[str, ClassificationSetting] = Field(default_factory=dict)
    custom_rules: tuple[CustomRule, ...] = ()
    confidence_threshold: Score = 0.5


class Template(_Document):
    """A built-in selection of classifications (GDPR, HIPAA, PCI-DSS, CCPA, credentials)."""

    id: RuleId
    name: str
    description: str = ""
    classifications: tuple[str, ...]


@lru_cache(maxsize=1)
def builtin_templates() -> dict[str, Template]:
    """The built-in templates by id, loaded from ``templates/*.yaml``."""
    templates = {}
    for path in sorted(TEMPLATES_DIR.glob("*.yaml")):
        template = Template.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        templates[template.id] = template
    return templates


def _re2_options(ignore_case: bool = False) -> re2.Options:
    options = re2.Options()
    options.max_mem = RE2_MAX_MEMORY
    options.log_errors = False
    options.case_sensitive = not ignore_case
    return options


def compile_user_pattern(regex: str, *, field_path: str, ignore_case: bool = False) -> Any:
    """Compile a user regex on RE2 or raise ``PatternRejected`` (code ``invalid_pattern``)."""
    if not regex:
        raise PatternRejected("pattern is empty", field=field_path)
    if len(regex) > MAX_PATTERN_LENGTH:
        raise PatternRejected(f"pattern longer than {MAX_PATTERN_LENGTH} characters", field=field_path)
    try:
        return re2.compile(regex, options=_re2_options(ignore_case))
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise PatternRejected(
            f"pattern is not supported by the linear-time engine (RE2 syntax: no back-references or "
            f"look-arounds): {detail}",
            field=field_path,
        ) from exc


def _pydantic_path(location: Sequence[int | str]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def validate_rule_set(
    document: RuleSetDocument | Mapping[str, Any], catalog: Catalog | None = None
) -> RuleSetDocument:
    """Validate a rule-set document against the catalog, templates, validators and RE2.

    Raises ``RuleSetError`` (``invalid_rule_set``, ``unknown_template``, ``unknown_classification``,
    ``unknown_validator``, ``duplicate_rule``) or ``PatternRejected`` (``invalid_pattern``), each with
    ``field`` set to the path of the offending value, e.g. ``custom_rules[0].data_patterns[1].regex``.
    """
    catalog = catalog or load_catalog()
    if isinstance(document, RuleSetDocument):
        parsed = document
    else:
        try:
            parsed = RuleSetDocument.model_validate(document)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise RuleSetError(
                f"{_pydantic_path(first['loc']) or 'document'}: {first['msg']}",
                field=_pydantic_path(first["loc"]) or None,
            ) from exc
    templates = builtin_templates()
    for index, template_id in enumerate(parsed.templates):
        if template_id not in templates:
            raise RuleSetError(
                f"unknown template {template_id!r} (known: {sorted(templates)})",
                code="unknown_template",
                field=f"templates[{index}]",
            )
    for list_name in ("classifications", "exclude"):
        for index, classification_id in enumerate(getattr(parsed, list_name)):
            if classification_id not in catalog:
                raise RuleSetError(
                    f"unknown classification {classification_id!r}",
                    code="unknown_classification",
                    field=f"{list_name}[{index}]",
                )
    for classification_id in parsed.settings:
        if classification_id not in catalog:
            raise RuleSetError(
                f"unknown classification {classification_id!r}",
                code="unknown_classification",
                field=f"settings.{classification_id}",
            )
    seen: set[str] = set()
    for rule_index, rule in enumerate(parsed.custom_rules):
        base = f"custom_rules[{rule_index}]"
        if rule.id in seen or rule.id in catalog:
            raise RuleSetError(
                f"custom rule id {rule.id!r} is already used (by another rule or the catalog)",
                code="duplicate_rule",
                field=f"{base}.id",
            )
        seen.add(rule.id)
        if not (rule.data_patterns or rule.dictionary or rule.column_patterns):
            raise RuleSetError(
                "a custom rule needs data_patterns, a dictionary or column_patterns",
                field=base,
            )
        for pattern_index, pattern in enumerate(rule.data_patterns):
            compile_user_pattern(
                pattern.regex,
                field_path=f"{base}.data_patterns[{pattern_index}].regex",
                ignore_case=pattern.ignore_case,
            )
            for validator_index, name in enumerate(pattern.validators):
                if name not in VALIDATORS:
                    raise RuleSetError(
                        f"unknown validator {name!r} (known: {sorted(VALIDATORS)})",
                        code="unknown_validator",
                        field=f"{base}.data_patterns[{pattern_index}].validators[{validator_index}]",
                    )
        for column_index, regex in enumerate(rule.column_patterns):
            compile_user_pattern(
                regex, field_path=f"{base}.column_patterns[{column_index}]", ignore_case=True
            )
    return parsed


def new_version(
    current: RuleSetDocument, changes: Mapping[str, Any], catalog: Catalog | None = None
) -> RuleSetDocument:
    """The next version of ``current`` with ``changes`` applied (validated); ``current`` is untouched."""
    if "version" in changes or "id" in changes:
        raise RuleSetError(
            "id and version are managed by versioning", field="version" if "version" in changes else "id"
        )
    merged = current.model_dump(mode="json")
    merged.update(changes)
    merged["version"] = current.version + 1
    return validate_rule_set(merged, catalog)


def default_rule_set(catalog: Catalog | None = None) -> RuleSetDocument:
    """The system rule set: every catalog classification with its own defaults."""
    catalog = catalog or load_catalog()
    return RuleSetDocument(
        id="system_default", name="System default", version=1, classifications=tuple(catalog.ids)
    )


def template_rule_set(template_id: str, catalog: Catalog | None = None) -> RuleSetDocument:
    """A version-1 rule set that selects exactly one built-in template."""
    template = builtin_templates().get(template_id)
    if template is None:
        raise RuleSetError(f"unknown template {template_id!r}", code="unknown_template", field="templates[0]")
    return validate_rule_set(
        {
            "id": template_id,
            "name": template.name,
            "description": template.description,
            "templates": [template_id],
        },
        catalog,
    )


# -- compiled form used by the engine -------------------------------------------------------------
@dataclass(frozen=True)
class CompiledCustomPattern:
    """A custom data pattern on RE2, ready to run."""

    key: str
    matcher: Any
    score: float
    validators: tuple[Validator, ...]

    def matches(self, value: str) -> bool:
        """Whole-value RE2 match and every validator passes."""
        return self.matcher.fullmatch(value) is not None and all(check(value) for check in self.validators)


@dataclass(frozen=True)
class CompiledCustomRule:
    """A custom rule with its RE2 programs compiled."""

    rule: CustomRule
    patterns: tuple[CompiledCustomPattern, ...]
    dictionary: frozenset[str]
    column_matchers: tuple[Any, ...]

    def column_score(self, name: NormalisedName) -> float:
        """``column_pattern_score`` if any column pattern is found in the normalised name, else 0."""
        return (
            self.rule.column_pattern_score if any(m.search(name.snake) for m in self.column_matchers) else 0.0
        )


@dataclass(frozen=True)
class CompiledRuleSet:
    """What the engine needs from a rule set: selected ids, thresholds, compiled custom rules."""

    document: RuleSetDocument
    selected: frozenset[str]
    minimum_match: Mapping[str, float]
    custom_rules: tuple[CompiledCustomRule, ...] = field(default=())

    @property
    def threshold(self) -> float:
        """Minimum confidence for a classification to be reported."""
        return self.document.confidence_threshold


def compile_rule_set(document: RuleSetDocument, catalog: Catalog) -> CompiledRuleSet:
    """Resolve templates and settings against ``catalog`` and compile custom rules on RE2."""
    document = validate_rule_set(document, catalog)
    templates = builtin_templates()
    selected: set[str] = set(document.classifications)
    for template_id in document.templates:
        selected.update(templates[template_id].classifications)
    if not document.templates and not document.classifications:
        selected = set(catalog.ids)
    selected -= set(document.exclude)
    minimum = {definition.id: definition.minimum_match_percentage for definition in catalog}
    for classification_id, setting in document.settings.items():
        if not setting.enabled:
            selected.discard(classification_id)
        if setting.minimum_match_percentage is not None:
            minimum[classification_id] = setting.minimum_match_percentage
    custom: list[CompiledCustomRule] = []
    for rule_index, rule in enumerate(document.custom_rules):
        if not rule.enabled:
            continue
        patterns = tuple(
            CompiledCustomPattern(
                key=f"{rule.id}/{pattern.id}",
                matcher=compile_user_pattern(
                    pattern.regex,
                    field_path=f"custom_rules[{rule_index}].data_patterns[{pattern_index}].regex",
                    ignore_case=pattern.ignore_case,
                ),
                score=pattern.score,
                validators=tuple(get_validator(name) for name in pattern.validators),
            )
            for pattern_index, pattern in enumerate(rule.data_patterns)
        )
        column_matchers = tuple(
            compile_user_pattern(
                regex, field_path=f"custom_rules[{rule_index}].column_patterns[{i}]", ignore_case=True
            )
            for i, regex in enumerate(rule.column_patterns)
        )
        custom.append(
            CompiledCustomRule(
                rule=rule,
                patterns=patterns,
                dictionary=frozenset(word.strip().lower() for word in rule.dictionary),
                column_matchers=column_matchers,
            )
        )
        minimum[rule.id] = rule.minimum_match_percentage
    return CompiledRuleSet(
        document=document, selected=frozenset(selected), minimum_match=minimum, custom_rules=tuple(custom)
    )
