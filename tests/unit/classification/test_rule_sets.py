"""Rule-set documents: templates, custom rules, versioning, validation errors, the RE2 guard."""

from __future__ import annotations

import time

import pytest

from core.classification import (
    PatternRejected,
    RuleSetDocument,
    RuleSetError,
    builtin_templates,
    compile_user_pattern,
    new_version,
    template_rule_set,
    validate_rule_set,
)


def test_builtin_templates_exist_and_reference_known_classifications(catalog):
    templates = builtin_templates()
    assert {"gdpr_personal_data", "hipaa_phi", "pci_dss", "ccpa", "credentials"} <= set(templates)
    for template in templates.values():
        assert set(template.classifications) <= set(catalog.ids)


def test_template_rule_set_limits_what_is_reported(engine):
    pci = template_rule_set("pci_dss")
    values = ["john@example.com", "mary@example.org"]
    assert engine.classify_column("email", values, rule_set=pci).classifications == ()
    card = engine.classify_column("card", ["4111111111111111", "5500000000000004"], rule_set=pci)
    assert card.top.id == "credit_card_number"
    assert card.rule_set.id == "pci_dss" and card.rule_set.version == 1


def test_an_edit_creates_a_new_version_and_leaves_the_old_one(catalog):
    first = validate_rule_set({"id": "mine", "name": "Mine", "templates": ["credentials"]}, catalog)
    second = new_version(first, {"exclude": ["password"]}, catalog)
    assert (first.version, second.version) == (1, 2)
    assert first.exclude == () and second.exclude == ("password",)


def test_version_cannot_be_set_by_an_edit(catalog):
    first = validate_rule_set({"id": "mine", "name": "Mine"}, catalog)
    with pytest.raises(RuleSetError):
        new_version(first, {"version": 9}, catalog)


def test_custom_rule_with_pattern_dictionary_and_column_name(engine):
    rule_set = validate_rule_set(
        {
            "id": "acme",
            "name": "ACME",
            "classifications": ["email_address"],
            "custom_rules": [
                {
                    "id": "acme_employee_id",
                    "name": "ACME employee id",
                    "data_patterns": [{"id": "emp", "regex": "EMP-[0-9]{6}", "score": 0.9}],
                    "column_patterns": ["employee"],
                },
                {
                    "id": "acme_tier",
                    "name": "Tier",
                    "dictionary": ["gold", "silver", "bronze"],
                    "dictionary_score": 0.9,
                },
            ],
        }
    )
    result = engine.classify_column(
        "employee_ref", ["EMP-000123", "EMP-998877", "EMP-123456"], rule_set=rule_set
    )
    assert result.top.id == "acme_employee_id"
    assert result.top.evidence.rules == ("acme_employee_id/emp",)
    assert engine.classify_column("x", ["Gold", "silver", "BRONZE"], rule_set=rule_set).top.id == "acme_tier"


def test_disabled_custom_rule_is_ignored(engine):
    rule_set = validate_rule_set(
        {
            "id": "off",
            "name": "Off",
            "custom_rules": [{"id": "r", "name": "R", "enabled": False, "dictionary": ["gold", "silver"]}],
        }
    )
    assert engine.classify_column("x", ["gold", "silver"], rule_set=rule_set).classifications == ()


def test_minimum_match_percentage_setting_is_applied(engine):
    values = ["a@example.com", "b@example.com", "not an email", "also not"]
    strict = validate_rule_set(
        {"id": "s", "name": "S", "settings": {"email_address": {"minimum_match_percentage": 90}}}
    )
    loose = validate_rule_set(
        {"id": "l", "name": "L", "settings": {"email_address": {"minimum_match_percentage": 40}}}
    )
    assert engine.classify_column("email", values, rule_set=strict).classifications == ()
    assert engine.classify_column("email", values, rule_set=loose).top.id == "email_address"


@pytest.mark.parametrize(
    ("document", "code", "field"),
    [
        ({"id": "x", "name": "X", "templates": ["nope"]}, "unknown_template", "templates[0]"),
        (
            {"id": "x", "name": "X", "classifications": ["email_address", "nope"]},
            "unknown_classification",
            "classifications[1]",
        ),
        ({"id": "x", "name": "X", "version": 0}, "invalid_rule_set", "version"),
        (
            {
                "id": "x",
                "name": "X",
                "custom_rules": [{"id": "r", "name": "R", "data_patterns": [{"id": "p", "regex": "(a)\\1"}]}],
            },
            "invalid_pattern",
            "custom_rules[0].data_patterns[0].regex",
        ),
        (
            {
                "id": "x",
                "name": "X",
                "custom_rules": [{"id": "r", "name": "R", "data_patterns": [{"id": "p", "regex": "(?=a)b"}]}],
            },
            "invalid_pattern",
            "custom_rules[0].data_patterns[0].regex",
        ),
        (
            {
                "id": "x",
                "name": "X",
                "custom_rules": [
                    {
                        "id": "r",
                        "name": "R",
                        "data_patterns": [{"id": "p", "regex": "a", "validators": ["nope"]}],
                    }
                ],
            },
            "unknown_validator",
            "custom_rules[0].data_patterns[0].validators[0]",
        ),
        (
            {
                "id": "x",
                "name": "X",
                "custom_rules": [{"id": "email_address", "name": "E", "dictionary": ["a"]}],
            },
            "duplicate_rule",
            "custom_rules[0].id",
        ),
    ],
)
def test_invalid_documents_raise_a_coded_error_with_a_field_path(catalog, document, code, field):
    with pytest.raises(RuleSetError) as error:
        validate_rule_set(document, catalog)
    assert error.value.code == code
    assert error.value.field == field
    assert error.value.to_dict()["code"] == code


def test_catastrophic_pattern_runs_in_linear_time():
    matcher = compile_user_pattern("(a+)+$", field_path="p")
    text = "a" * 100_000 + "!"
    started = time.perf_counter()
    assert matcher.search(text) is None
    assert time.perf_counter() - started < 0.5


def test_catastrophic_custom_rule_does_not_hang_classification(engine):
    rule_set = validate_rule_set(
        {
            "id": "evil",
            "name": "Evil",
            "custom_rules": [{"id": "r", "name": "R", "data_patterns": [{"id": "p", "regex": "(a+)+$"}]}],
        }
    )
    started = time.perf_counter()
    engine.classify_column("x", ["a" * 100_000 + "!"], rule_set=rule_set)
    assert time.perf_counter() - started < 1.0


def test_oversized_pattern_is_rejected():
    with pytest.raises(PatternRejected) as error:
        compile_user_pattern("a" * 5000, field_path="custom_rules[0].data_patterns[0].regex")
    assert error.value.code == "invalid_pattern"


def test_rule_set_document_is_immutable():
    document = RuleSetDocument(id="x", name="X")
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on frozen models
        document.version = 2  # type: ignore[misc]
