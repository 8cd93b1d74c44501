"""The sped-up validators give exactly the verdicts of their straightforward versions.

``_digits``/``_alnum`` strip characters with ``bytes.translate`` instead of a regex substitution,
``ipv6`` re-implements ``ipaddress``' parsing without exceptions, ``iban_mod97`` maps characters
with a C-level ``map``, Luhn sums digits as bytes, ``crypto_wallet`` tests character sets with set
operations: each is compared here with the reference (the code it replaced) on many generated
inputs, valid, corrupted and random.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import string

import pytest

from core.classification import validators as v

SEED = 20251201


def _reference_ipv6(value: str) -> bool:
    text = value.strip().split("%", 1)[0]
    try:
        if "/" in text:
            ipaddress.IPv6Network(text, strict=False)
        else:
            ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _reference_luhn_digits(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        total += (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)[digit] if position & 1 else digit
    return total % 10 == 0


def _reference_card_number(value: str) -> bool:
    digits = v._NON_DIGITS.sub("", value)
    if not 12 <= len(digits) <= 19 or len(set(digits)) < 2 or digits[0] in "789":
        return False
    return _reference_luhn_digits(digits)


def _reference_iban(value: str) -> bool:
    compact = v._NON_ALNUM.sub("", value).upper()
    country = compact[:2]
    expected = v.IBAN_LENGTHS.get(country)
    if expected is None:
        if country not in v.ISO_COUNTRIES or not 15 <= len(compact) <= 34:
            return False
    elif expected != len(compact):
        return False
    if not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(char, 36)) for char in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def _reference_crypto(value: str) -> bool:
    text = value.strip()
    if text.startswith(("0x", "0X")):
        body = text[2:]
        return len(body) == 40 and all(c in "0123456789abcdefABCDEF" for c in body)
    lowered = text.lower()
    if lowered.startswith(("bc1", "tb1")):
        hrp, _, data = lowered.rpartition("1")
        if not data or any(c not in v._BECH32 for c in data) or len(data) < 7:
            return False
        values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + [v._BECH32.index(c) for c in data]
        return v._bech32_polymod(values) in (1, 0x2BC830A3)
    if text[:1] in "13mn2" and 25 <= len(text) <= 35 and all(c in v._B58 for c in text):
        number = 0
        for char in text:
            number = number * 58 + v._B58.index(char)
        raw = number.to_bytes(25, "big") if number.bit_length() <= 200 else b""
        if len(raw) != 25:
            return False
        return hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]
    return False


def _reference_phone(value: str) -> bool:
    text = value.strip()
    if not frozenset("xX#eE").isdisjoint(text):
        text = v._PHONE_EXTENSION.sub("", text)
    digits = v._NON_DIGITS.sub("", text)
    if not 7 <= len(digits) <= 15 or len(set(digits)) < 3:
        return False
    if v._NOT_PHONE.match(text):
        return False
    return text.count("(") == text.count(")")


def _reference_us_ssn(value: str) -> bool:
    digits = v._NON_DIGITS.sub("", value)
    if len(digits) != 9:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return digits not in ("078051120", "219099999", "123456789") and len(set(digits)) > 1


def _reference_luhn(value: str) -> bool:
    digits = v._NON_DIGITS.sub("", value)
    return 12 <= len(digits) <= 19 and _reference_luhn_digits(digits)


def _safe(check, value: str):
    """The verdict, or the exception type: the scanner turns a raising validator into False."""
    try:
        return check(value)
    except Exception as exc:  # noqa: BLE001
        return type(exc)


def _mutations(rng: random.Random, value: str, alphabet: str, count: int) -> list[str]:
    out = []
    for _ in range(count):
        chars = list(value)
        for _ in range(rng.randint(1, 3)):
            action = rng.random()
            position = rng.randrange(len(chars) + 1)
            if action < 0.4 and chars:
                chars[min(position, len(chars) - 1)] = rng.choice(alphabet)
            elif action < 0.7:
                chars.insert(position, rng.choice(alphabet))
            elif chars:
                del chars[min(position, len(chars) - 1)]
        out.append("".join(chars))
    return out


def _ipv6_inputs() -> list[str]:
    rng = random.Random(SEED)
    hexdigits = "0123456789abcdefABCDEF"
    out = ["", ":", "::", ":::", "::1", "1::", "1::2::3", "::ffff:1.2.3.4", "::1.02.3.4", "::256.1.1.1"]
    for _ in range(4_000):
        groups = [
            "".join(rng.choice(hexdigits) for _ in range(rng.choice((0, 1, 2, 3, 4, 4, 4, 5))))
            for _ in range(rng.randint(1, 10))
        ]
        if rng.random() < 0.5:
            groups.insert(rng.randint(0, len(groups)), "")
        text = ":".join(groups)
        if rng.random() < 0.3:
            text = rng.choice(("", "::", "1:", ":")) + text
        if rng.random() < 0.2:
            octets = [str(rng.choice((0, 1, 9, 10, 99, 100, 255, 256, 300))) for _ in range(rng.randint(3, 5))]
            if rng.random() < 0.2:
                octets[0] = "0" + octets[0]
            text += ":" + ".".join(octets)
        if rng.random() < 0.15:
            text += "/" + rng.choice(("0", "64", "128", "129", "", "x", "064", "1/2", "+5", "٣"))
        if rng.random() < 0.1:
            text += "%" + rng.choice(("eth0", "", "1%2"))
        if rng.random() < 0.05:
            text = " " + text + " "
        out.append(text)
        out += _mutations(rng, text, hexdigits + ":./%g ٣", 1)
    # MAC addresses, the loose IPv6 pattern's most common false hit
    for _ in range(300):
        sep = rng.choice(":-")
        out.append(sep.join(f"{rng.randrange(256):02x}" for _ in range(6)))
    return out


def test_ipv6_matches_ipaddress():
    inputs = _ipv6_inputs()
    verdicts = [(text, _safe(v.ipv6, text), _safe(_reference_ipv6, text)) for text in inputs]
    assert [row for row in verdicts if row[1] != row[2]] == []
    accepted = sum(1 for _, got, _ in verdicts if got is True)
    assert 300 < accepted < len(inputs) - 300  # both verdicts are well represented


def _card_inputs() -> list[str]:
    rng = random.Random(SEED + 1)
    out = ["", "0000 0000 0000", "4111 1111 1111 1111", "٤١١١١١١١١١١١١١١١"]
    for _ in range(4_000):
        length = rng.randint(10, 21)
        digits = "".join(rng.choice(string.digits) for _ in range(length))
        if rng.random() < 0.5:  # make it Luhn-valid
            for last in string.digits:
                if _reference_luhn_digits(digits[:-1] + last):
                    digits = digits[:-1] + last
                    break
        if rng.random() < 0.3:
            digits = " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
        if rng.random() < 0.05:  # other Unicode decimal digits (\\d matches them)
            digits = digits.replace("1", "١")
        out.append(digits)
        out += _mutations(rng, digits, string.digits + " -", 1)
    return out


@pytest.mark.parametrize(
    ("fast", "reference"),
    [(v.card_number, _reference_card_number), (v.luhn, _reference_luhn)],
)
def test_luhn_validators_match_reference(fast, reference):
    inputs = _card_inputs()
    mismatches = [(text, _safe(fast, text), _safe(reference, text)) for text in inputs]
    assert [row for row in mismatches if row[1] != row[2]] == []
    assert sum(1 for text in inputs if _safe(fast, text) is True) > 500


def test_iban_matches_reference():
    from faker import Faker

    rng = random.Random(SEED + 2)
    faker = Faker(["en_GB", "de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT", "pl_PL", "pt_PT"])
    faker.seed_instance(SEED)
    alphabet = string.ascii_letters + string.digits + " -ß"
    inputs = ["", "DE", "XX00", "DE89 3704 0044 0532 0130 00"]
    for _ in range(1_500):
        iban = faker.iban()
        if rng.random() < 0.3:
            iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        inputs.append(iban if rng.random() < 0.5 else iban.lower())
        inputs += _mutations(rng, iban, alphabet, 2)
    inputs += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 36))) for _ in range(1_000)]
    mismatches = [(text, _safe(v.iban_mod97, text), _safe(_reference_iban, text)) for text in inputs]
    assert [row for row in mismatches if row[1] != row[2]] == []
    assert sum(1 for text in inputs if _safe(v.iban_mod97, text) is True) > 500


def test_crypto_wallet_matches_reference():
    rng = random.Random(SEED + 3)
    inputs = [
        "",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    ]
    hexdigits = "0123456789abcdefABCDEF"
    for _ in range(1_500):
        inputs.append("0x" + "".join(rng.choice(hexdigits) for _ in range(rng.choice((39, 40, 40, 41)))))
        inputs.append(rng.choice(("bc1", "tb1", "BC1")) + "".join(rng.choice(v._BECH32) for _ in range(38)))
        inputs.append(rng.choice("13mn2") + "".join(rng.choice(v._B58) for _ in range(rng.randint(24, 34))))
    for known in list(inputs[:5]):
        inputs += _mutations(rng, known, hexdigits + v._B58 + "0OIl1 ", 200)
    mismatches = [(text, _safe(v.crypto_wallet, text), _safe(_reference_crypto, text)) for text in inputs]
    assert [row for row in mismatches if row[1] != row[2]] == []
    assert sum(1 for text in inputs if _safe(v.crypto_wallet, text) is True) > 500


def _mixed_strings() -> list[str]:
    rng = random.Random(SEED + 4)
    pieces = string.ascii_letters + string.digits + string.punctuation + " \t" + "٣१߀ßéΩ€\u00a0" + "\ud800"
    out = ["", " ", "٣٣٣-٣٣-٣٣٣٣", "+1 (415) 555-2671 ext. 12", "536-22-1234", "5３6-22-1234"]
    for _ in range(5_000):
        out.append("".join(rng.choice(pieces) for _ in range(rng.randint(0, 24))))
    for _ in range(5_000):  # phone / SSN shapes
        digits = "".join(rng.choice(string.digits) for _ in range(rng.randint(5, 16)))
        text = rng.choice(("{}", "+{}", "({})", "{} x12", "{}#3", "{} ext 9", "{}e")).format(
            rng.choice(("-", " ", ".", "/", "")).join(digits[i : i + 3] for i in range(0, len(digits), 3))
        )
        out.append(text)
    return out


def test_digit_and_alnum_stripping_match_the_regexes():
    for text in _mixed_strings():
        assert v._digits(text) == v._NON_DIGITS.sub("", text), text
        assert v._alnum(text) == v._NON_ALNUM.sub("", text), text


@pytest.mark.parametrize(("fast", "reference"), [(v.phone, _reference_phone), (v.us_ssn, _reference_us_ssn)])
def test_phone_and_ssn_match_reference(fast, reference):
    inputs = _mixed_strings()
    mismatches = [(text, _safe(fast, text), _safe(reference, text)) for text in inputs]
    assert [row for row in mismatches if row[1] != row[2]] == []
    assert sum(1 for text in inputs if _safe(fast, text) is True) > 300
