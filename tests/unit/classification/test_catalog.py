"""The catalog: every definition loads, covers the issue's list, and bad files fail clearly."""

from __future__ import annotations

import pytest

from core.classification import CatalogError, Category, SensitivityLabel, load_catalog
from core.classification.catalog import DEFINITIONS_DIR

REQUIRED = {
    "person_name",
    "email_address",
    "phone_number",
    "street_address",
    "postal_code",
    "date_of_birth",
    "age",
    "gender",
    "us_ssn",
    "uk_nino",
    "es_dni",
    "it_fiscal_code",
    "fr_nir",
    "nl_bsn",
    "pl_pesel",
    "passport_number",
    "us_drivers_license",
    "credit_card_number",
    "iban",
    "swift_bic",
    "bank_account_number",
    "aba_routing_number",
    "ipv4_address",
    "ipv6_address",
    "mac_address",
    "vin",
    "npi",
    "icd10_code",
    "medical_record_number",
    "geolocation",
    "url",
    "username",
    "password",
    "api_key",
    "connection_string",
    "private_key",
    "crypto_wallet",
}


@pytest.mark.parametrize("path", sorted(DEFINITIONS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_each_definition_loads(path):
    from core.classification.catalog import load_definition_file

    definition = load_definition_file(path)
    assert definition.id == path.stem
    assert isinstance(definition.category, Category)
    assert isinstance(definition.sensitivity, SensitivityLabel)


def test_catalog_covers_every_required_classification(catalog):
    assert REQUIRED <= set(catalog.ids)


def test_malformed_definition_names_the_file_and_field(tmp_path):
    (tmp_path / "broken.yaml").write_text("id: broken\nname: B\ncategory: PII\nsensitivity: Secret\n")
    with pytest.raises(CatalogError) as error:
        load_catalog(tmp_path)
    assert "broken.yaml" in str(error.value)
    assert error.value.field == "sensitivity"


def test_definition_with_lookaround_is_rejected(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "id: bad\nname: B\ncategory: PII\nsensitivity: Internal\n"
        "data_patterns:\n  - {id: p, regex: '(?=a)a', score: 0.5}\n"
    )
    with pytest.raises(CatalogError, match="look-arounds"):
        load_catalog(tmp_path)


def test_definition_with_unknown_validator_is_rejected(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "id: bad\nname: B\ncategory: PII\nsensitivity: Internal\n"
        "data_patterns:\n  - {id: p, regex: 'a+', score: 0.5, validators: [nope]}\n"
    )
    with pytest.raises(CatalogError, match="unknown validator"):
        load_catalog(tmp_path)
