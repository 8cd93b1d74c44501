"""The engine on typical columns, messy columns and non-sensitive columns."""

from __future__ import annotations

import pytest

from core.classification import ClassificationEngine, Signal, prepare_values

POSITIVE = [
    (
        "E-mail Address",
        ["john.doe@example.com", "MARIA@Test.ORG", "", None, "x.y+tag@mail.co.uk", "N/A"],
        "email_address",
    ),
    (
        "PHONE_NO",
        ["+1 (415) 555-2671", "+44 20 7946 0958", "030 1234567", "+49 30 901820", ""],
        "phone_number",
    ),
    ("cust_ssn", ["536-22-1234", "219-09-9998", "123-45-6788", "078-05-1121"], "us_ssn"),
    (
        "card",
        ["4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005", "6011111111111117"],
        "credit_card_number",
    ),
    (
        "beneficiary",
        ["DE89370400440532013000", "GB82 WEST 1234 5698 7654 32", "FR1420041010050500013M02606"],
        "iban",
    ),
    ("client_ip", ["192.168.1.10", "10.0.0.1", "8.8.8.8", "172.16.254.3"], "ipv4_address"),
    (
        "addr6",
        ["2001:db8::1", "fe80::1ff:fe23:4567:890a", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"],
        "ipv6_address",
    ),
    ("device", ["00:1A:2B:3C:4D:5E", "a4-5e-60-e1-2b-7f", "00:50:56:C0:00:08"], "mac_address"),
    ("vin", ["1HGCM82633A004352", "JH4KA7561PC008269", "1M8GDM9AXKP042788"], "vin"),
    ("SWIFT", ["DEUTDEFF", "NEDSZAJJXXX", "BNPAFRPPXXX", "CHASUS33"], "swift_bic"),
    ("Full Name", ["John Smith", "Maria García", "Ólafur Arnalds", "Chen Wei"], "person_name"),
    ("sex", ["M", "F", "F", "M", "unknown"], "gender"),
    ("DateOfBirth", ["1985-03-04", "12/31/1990", "1971-07-19", ""], "date_of_birth"),
    ("AGE", ["34", "56", "21", "78", "45"], "age"),
    ("routing_number", ["011000015", "021000021", "121000358"], "aba_routing_number"),
    ("NINO", ["AB 12 34 56 C", "JG103759A", "CE 45 67 89 D"], "uk_nino"),
    (
        "password_hash",
        ["$2b$12$KIXQJ2w0b0R6o6Y1Gq3Gm.7wJf5mY0m0mX8y1oQ1k2zQ8p9r0s1tU", "hunter2!", "Pa55word"],
        "password",
    ),
    (
        "notes",
        ["-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"],
        "private_key",
    ),
    ("config", ["Server=db1;Database=crm;User Id=sa;Password=Secret1;"], "connection_string"),
    ("key", ["AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE"], "api_key"),
    ("npi", ["1234567893", "1245319599", "1679576722"], "npi"),
    ("website", ["https://example.com/a?b=1", "http://www.test.org", "https://datawave.io"], "url"),
]

NEGATIVE = [
    ("email_verified", ["true", "false", "true", "false"]),
    ("amount", ["12.50", "1,234.00", "99.99", "0.5", "$1,000.00"]),
    ("year", ["2019", "2020", "2021", "1999", "2024"]),
    ("model_year", ["2019", "2020", "2021"]),
    ("product_code", ["SKU-1234", "SKU-9981", "AB-77", "P10293"]),
    ("category", ["Electronics", "Home & Garden", "Toys", "Books"]),
    ("quantity", ["3", "5", "1", "12", "40"]),
    ("status", ["active", "pending", "shipped"]),
    ("order_date", ["2024-03-04", "2023-12-31", "2025-01-19"]),
    ("description", ["Great product, arrived on time.", "Would buy again", "Too small for my needs"]),
    ("phone_type", ["mobile", "home", "work"]),
    ("card_type", ["Visa", "Mastercard", "Amex"]),
]


@pytest.mark.parametrize(("name", "values", "expected"), POSITIVE, ids=[p[2] for p in POSITIVE])
def test_typical_column_is_classified(engine, name, values, expected):
    result = engine.classify_column(name, values)
    assert result.top is not None, f"{name} unclassified"
    assert result.top.id == expected
    assert 0.5 <= result.top.confidence <= 1.0


@pytest.mark.parametrize(("name", "values"), NEGATIVE, ids=[n[0] for n in NEGATIVE])
def test_non_sensitive_column_is_unclassified(engine, name, values):
    assert engine.classify_column(name, values).classifications == ()


def test_year_codes_never_become_card_security_codes(engine):
    assert engine.classify_column("exp_year", ["2026", "2027", "2028", "2029"]).classifications == ()
    assert engine.classify_column("cvv", ["123", "4567", "981"]).top.id == "card_security_code"


def test_email_verified_flag_with_yes_no_values_is_not_an_email(engine):
    assert engine.classify_column("EmailVerified", ["Y", "N", "Y", "N"]).classifications == ()


def test_values_contradicting_the_name_win(engine):
    assert engine.classify_column("email", ["12", "15", "18"]).classifications == ()


def test_strong_name_without_values_suggests_at_reduced_confidence(engine):
    result = engine.classify_column("social_security_number", [None, "", "  "])
    assert result.top.id == "us_ssn"
    assert result.top.confidence < 0.7
    assert result.top.evidence.signals[0].signal is Signal.COLUMN_NAME


def test_messy_column_with_blanks_and_bad_rows_still_classifies(engine):
    values = ["john@example.com", "", None, "N/A", "  mary@test.org ", "jane@x.io", "bad row", float("nan")]
    result = engine.classify_column("EMAIL", values)
    assert result.top.id == "email_address"
    assert result.blank_values == 4
    assert result.top.evidence.distinct_values == 4
    assert result.top.evidence.match_percentage == 75.0


def test_evidence_never_contains_a_raw_value(engine):
    columns = {name: values for name, values, _ in POSITIVE}
    table = engine.classify_table(columns)
    for column in table.columns:
        raw = {str(v).strip() for v in columns[column.column] if v and len(str(v).strip()) > 3}
        serialised = column.model_dump_json()
        for value in raw:
            assert value not in serialised, (column.column, value)


def test_masked_examples_follow_the_documented_format(engine):
    email = engine.classify_column("email", ["john.doe@example.com"]).top
    assert email.evidence.masked_examples == ("j***@e***.com",)
    card = engine.classify_column("card", ["4111-1111-1111-1111"]).top
    assert card.evidence.masked_examples == ("****-****-****-1111",)


def test_result_carries_rule_set_version_label_purview_and_signals(engine):
    result = engine.classify_column("email", ["a@example.com", "b@example.org"])
    assert result.rule_set.id == "system_default" and result.rule_set.version == 1
    top = result.top
    assert top.label == "Confidential"
    assert top.purview == "MICROSOFT.PERSONAL.EMAIL"
    assert top.status.value == "Suggested"
    signals = {s.signal for s in top.evidence.signals}
    assert {Signal.PATTERN, Signal.PRESIDIO, Signal.MODEL} <= signals
    assert top.evidence.rules == ("email_address/email",)


def test_column_name_variants_are_normalised(engine):
    for header in ("E-mail Address", "EMAIL_ADDR", "emailAddress", "Customer E-Mail"):
        result = engine.classify_column(header, ["a@example.com", "b@example.org"])
        name_signal = [s for s in result.top.evidence.signals if s.signal is Signal.COLUMN_NAME]
        assert name_signal, header


def test_classify_table_keeps_column_order(engine):
    table = engine.classify_table({"b": ["x@y.com"], "a": ["1"]})
    assert [c.column for c in table.columns] == ["b", "a"]
    assert table.column("b").top.id == "email_address"


def test_engine_without_model_and_presidio_still_classifies(catalog):
    bare = ClassificationEngine(catalog, use_model=False, use_presidio=False)
    result = bare.classify_column("iban", ["DE89370400440532013000"])
    assert result.top.id == "iban"
    assert result.signals_used == (Signal.PATTERN, Signal.COLUMN_NAME)


def test_python_re_fallback_matches_hyperscan(catalog):
    fallback = ClassificationEngine(catalog, use_model=False, use_presidio=False, use_hyperscan=False)
    assert fallback.scanner.engine == "re"
    for name, values, expected in POSITIVE[:10]:
        assert fallback.classify_column(name, values).top.id == expected


def test_short_identifiers_are_masked_to_their_shape(engine):
    result = engine.classify_column("ssn", ["536-22-1234", "219-09-9998"])
    assert result.top.evidence.masked_examples == ("999-99-9999", "999-99-9999")


def test_classify_tables_equals_classify_table_per_table(engine):
    tables = [
        {"email": ["a@example.com", "b@test.org"], "id": [1, 2]},
        {},
        {"phone": ["+44 20 7946 0958", "+49 30 1234567"], "city": ["London", "Berlin"], "notes": [None, ""]},
    ]
    batched = engine.classify_tables(tables)
    assert batched == [engine.classify_table(table) for table in tables]
    assert [len(result.columns) for result in batched] == [2, 0, 3]


def _prepared(values, **limits):
    prepared = prepare_values(values, **limits)
    return prepared.distinct, prepared.sampled, prepared.blanks


def test_prepare_values_text_columns():
    values = [" b ", "a", "b", "N/A", "n/a", "  ", "", "a\t b", "a  b", "x\ny", "NOT  AVAILABLE", "\u00a0c\u00a0"]
    # distinct in first-seen order after strip/whitespace collapse; blank markers in any case, also
    # once whitespace is collapsed ("not available"), count once per occurrence
    assert _prepared(values) == (["b", "a", "a b", "x y", "c"], 12, 5)
    assert _prepared(iter(["x", " x", "x "])) == (["x"], 3, 0)
    assert _prepared(("Null", "NULL", "null")) == ([], 3, 3)
    assert _prepared([]) == ([], 0, 0)


def test_prepare_values_with_none_bools_and_ints():
    assert _prepared([None, "a", None, " a", "NONE"]) == (["a"], 5, 3)
    assert _prepared([True, False, None, True, "yes", "N/A"]) == (["true", "false", "yes"], 6, 2)
    assert _prepared([1, "1", 2, None, 1, 10**20]) == (["1", "2", "100000000000000000000"], 6, 1)


def test_prepare_values_mixed_types_are_prepared_one_by_one():
    nan = float("nan")
    values = [1, 1.0, True, nan, float("nan"), b" x ", b"N/A", "x", 0.5, None]
    # 1, 1.0 and True are equal but not the same text; NaN and the b"N/A" marker are blanks
    assert _prepared(values) == (["1", "1.0", "true", "x", "0.5"], 10, 4)


def test_prepare_values_limits_count_distinct_truncated_texts():
    values = ["abcd", "abce", "N/A", "abd", "zz", "abcd", "q"]
    assert _prepared(values, max_length=3) == (["abc", "abd", "zz", "q"], 7, 1)
    assert _prepared(values, max_distinct=2) == (["abcd", "abce"], 7, 1)
    assert _prepared(values, max_distinct=2, max_length=3) == (["abc", "abd"], 7, 1)
    assert _prepared(values, max_distinct=0) == ([], 7, 1)


def test_classification_needing_no_match_is_decided_for_columns_no_value_matches(engine):
    import dataclasses

    from core.classification.rule_sets import compile_rule_set, validate_rule_set

    selection = {"classifications": ["email_address", "phone_number"]}
    plain = validate_rule_set({"id": "plain_minimum", "name": "Plain", **selection})
    zero = validate_rule_set({"id": "zero_minimum", "name": "Zero", **selection})
    compiled = compile_rule_set(zero, engine.catalog)
    # a minimum match of 0 (not settable in a document, as a catalog default could be): no gate
    engine._compiled[(zero.id, zero.version)] = dataclasses.replace(
        compiled, minimum_match={**compiled.minimum_match, "email_address": 0.0}
    )
    values = ["foo", "bar", "baz"]
    assert engine.classify_column("email", values, rule_set=plain).classifications == ()
    [result] = engine.classify_column("email", values, rule_set=zero).classifications
    assert result.id == "email_address" and result.evidence.match_percentage == 0.0
    assert [s.signal for s in result.evidence.signals][:1] == [Signal.COLUMN_NAME]  # the name alone
