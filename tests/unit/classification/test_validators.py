"""Validators accept real check digits and reject corrupted ones."""

from __future__ import annotations

import pytest

from core.classification import validators as v


@pytest.mark.parametrize(
    ("validator", "good", "bad"),
    [
        (v.luhn, "4111 1111 1111 1111", "4111 1111 1111 1112"),
        (v.card_number, "5500-0000-0000-0004", "5500-0000-0000-0005"),
        (v.card_number, "378282246310005", "378282246310006"),
        (v.iban_mod97, "DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 01"),
        (v.iban_mod97, "GB82WEST12345698765432", "GB82WEST12345698765433"),
        (v.us_ssn, "536-22-1234", "666-22-1234"),
        (v.us_ssn, "123-45-6788", "123-00-6788"),
        (v.vin_check_digit, "1HGCM82633A004352", "1HGCM82643A004352"),
        (v.aba_routing, "011000015", "011000016"),
        (v.npi, "1234567893", "1234567894"),
        (v.uk_nino, "AB 12 34 56 C", "QQ 12 34 56 C"),
        (v.uk_nino, "JG103759A", "GB103759A"),
        (v.ipv4, "192.168.1.10", "192.168.1.300"),
        (v.ipv6, "2001:db8::1", "2001:db8:::1"),
        (v.bic, "DEUTDEFF", "DEUTQQFF"),
        (v.bic, "NEDSZAJJXXX", "NEDSZAJJXX"),
        (v.es_dni, "12345678Z", "12345678A"),
        (v.es_dni, "X1234567L", "X1234567A"),
        (v.it_fiscal_code, "RSSMRA85T10A562S", "RSSMRA85T10A562T"),
        (v.fr_nir, "255081416802538", "255081416802539"),
        (v.nl_bsn, "111222333", "111222334"),
        (v.pl_pesel, "44051401359", "44051401358"),
        (v.crypto_wallet, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"),
        (
            v.crypto_wallet,
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx",
        ),
        (v.birth_date, "1985-03-04", "2999-03-04"),
        (v.age, "42", "230"),
        (v.latitude_longitude, "48.8566, 2.3522", "98.8566, 2.3522"),
        (v.phone, "+1 (415) 555-2671", "123-45-6789"),
    ],
)
def test_validator_accepts_good_and_rejects_bad(validator, good, bad):
    assert validator(good)
    assert not validator(bad)


def test_phone_is_not_a_date_an_amount_or_an_ip():
    for value in ("2021-03-04", "04/03/2021", "1,234,567.00", "192.168.100.200", "12345.678"):
        assert not v.phone(value), value


def test_validators_never_raise_on_garbage():
    for validator in v.VALIDATORS.values():
        for value in ("", " ", "\x00", "9" * 400, "a" * 50, "99/99/99999999999999999"):
            assert validator(value) in (True, False)
