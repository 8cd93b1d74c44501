"""Named validators: checksum and structure rules that confirm a pattern hit.

A data pattern finds a value that *looks like* an entity; a validator decides whether it can *be*
one (Luhn for cards, mod-97 for IBANs, area rules for SSNs...). Definitions and custom rules refer
to validators by name, so the registry ``VALIDATORS`` is part of the rule-set contract: a name,
once published, keeps its meaning.

Every validator takes the stripped cell value (``str``) and returns ``bool``; it never raises.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import ipaddress
import re
from collections.abc import Callable

Validator = Callable[[str], bool]

_NON_DIGITS = re.compile(r"\D+")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_ASCII_NON_DIGITS = bytes(byte for byte in range(128) if not chr(byte).isdigit())
_ASCII_NON_ALNUM = bytes(byte for byte in range(128) if not chr(byte).isalnum())


def _digits(text: str) -> str:
    """``text`` without its non-digits: ``_NON_DIGITS.sub("", text)``, by ``bytes.translate`` when
    ``text`` is ASCII (the regex substitution costs ~8,000 instructions per short value)."""
    if text.isascii():
        return text.encode().translate(None, _ASCII_NON_DIGITS).decode()
    return _NON_DIGITS.sub("", text)  # \d also matches other scripts' decimal digits


def _alnum(text: str) -> str:
    """The ASCII letters and digits of ``text``: ``_NON_ALNUM.sub("", text)`` (non-ASCII characters
    never match ``[0-9A-Za-z]``, so dropping them first changes nothing)."""
    return text.encode("ascii", "ignore").translate(None, _ASCII_NON_ALNUM).decode()


#: ISO 3166-1 alpha-2 codes (plus XK, used by banks for Kosovo).
ISO_COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG
    EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR
    HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR
    LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG
    NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE
    SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA
    UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK""".split()
)

#: IBAN lengths per country (SWIFT IBAN registry).
IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BI": 27,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DJ": 27,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FK": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HN": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "LY": 25,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MN": 20,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NI": 28,
    "NL": 18,
    "NO": 15,
    "OM": 23,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "RU": 33,
    "SA": 24,
    "SC": 31,
    "SD": 18,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "SO": 23,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
    "YE": 30,
}

_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_DOUBLED_DIGIT = str.maketrans("0123456789", "0246813579")


def _luhn_digits(digits: str) -> bool:
    if digits.isascii():
        # C-level: every second digit from the right doubled (digit sum) by ``translate``, the
        # digits summed as bytes (48 = ord("0")). Same result as the loop below.
        reverse = digits[::-1]
        total = sum(reverse[0::2].encode()) + sum(reverse[1::2].translate(_DOUBLED_DIGIT).encode())
        return (total - 48 * len(digits)) % 10 == 0
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        total += _DOUBLED[digit] if position & 1 else digit
    return total % 10 == 0


def luhn(value: str) -> bool:
    """Luhn mod-10 over the digits of ``value`` (separators ignored), 12 to 19 digits."""
    digits = _digits(value)
    return 12 <= len(digits) <= 19 and _luhn_digits(digits)


def card_number(value: str) -> bool:
    """A payment card number: Luhn-valid, 12-19 digits (Maestro has 12), not one repeated digit."""
    digits = _digits(value)
    if not 12 <= len(digits) <= 19 or len(set(digits)) < 2 or digits[0] in "789":
        return False
    return _luhn_digits(digits)


_IBAN_CHAR_VALUES = {char: str(int(char, 36)) for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def iban_mod97(value: str) -> bool:
    """IBAN: known country, registry length, ISO 13616 mod-97 == 1."""
    compact = _alnum(value).upper()
    country = compact[:2]
    expected = IBAN_LENGTHS.get(country)
    if expected is None:
        # Not (yet) in the registry: accept an ISO country with a plausible length and checksum.
        if country not in ISO_COUNTRIES or not 15 <= len(compact) <= 34:
            return False
    elif expected != len(compact):
        return False
    if not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    try:  # letters become 10..35 (``compact`` holds only 0-9 and A-Z)
        number = int("".join(map(_IBAN_CHAR_VALUES.__getitem__, rearranged)))
    except (KeyError, ValueError):
        return False
    return number % 97 == 1


def us_ssn(value: str) -> bool:
    """US SSN: area not 000/666/9xx, group not 00, serial not 0000, not a known advertising number."""
    digits = _digits(value)
    if len(digits) != 9:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return digits not in ("078051120", "219099999", "123456789") and len(set(digits)) > 1


_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit(value: str) -> bool:
    """North-American VIN (ISO 3779): 17 chars without I/O/Q, position 9 is the mod-11 check digit."""
    vin = value.strip().upper()
    if len(vin) != 17:
        return False
    try:
        total = sum(_VIN_VALUES[char] * weight for char, weight in zip(vin, _VIN_WEIGHTS, strict=True))
    except KeyError:
        return False
    remainder = total % 11
    return vin[8] == ("X" if remainder == 10 else str(remainder))


def vin_structure(value: str) -> bool:
    """Any VIN (also European ones without a check digit): 17 allowed chars, letters and digits mixed."""
    vin = value.strip().upper()
    return (
        len(vin) == 17
        and all(char in _VIN_VALUES for char in vin)
        and any(char.isdigit() for char in vin)
        and sum(char.isalpha() for char in vin) >= 2
        and vin[-4:].isdigit()
    )


def aba_routing(value: str) -> bool:
    """ABA routing transit number: 9 digits, valid Federal Reserve prefix, 3-7-1 weighted checksum."""
    digits = _digits(value)
    if len(digits) != 9 or len(set(digits)) == 1:
        return False
    prefix = int(digits[:2])
    if not (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10 == 0


def npi(value: str) -> bool:
    """US National Provider Identifier: 10 digits starting 1 or 2, Luhn over the ``80840`` prefix."""
    digits = _digits(value)
    return len(digits) == 10 and digits[0] in "12" and _luhn_digits("80840" + digits)


_NINO_BAD_FIRST = set("DFIQUV")
_NINO_BAD_SECOND = set("DFIOQUV")
_NINO_BAD_PREFIXES = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}


def uk_nino(value: str) -> bool:
    """UK National Insurance number: two-letter prefix rules, six digits, suffix A-D."""
    compact = _alnum(value).upper()
    if len(compact) != 9 or not compact[2:8].isdigit() or compact[8] not in "ABCD":
        return False
    first, second = compact[0], compact[1]
    return (
        first.isalpha()
        and second.isalpha()
        and first not in _NINO_BAD_FIRST
        and second not in _NINO_BAD_SECOND
        and compact[:2] not in _NINO_BAD_PREFIXES
    )


def ipv4(value: str) -> bool:
    """A dotted-quad IPv4 address (``ipaddress`` rules; leading zeros rejected)."""
    try:
        ipaddress.IPv4Address(value.strip())
    except ValueError:
        return False
    return True


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _ipv4_text(text: str) -> bool:
    """``ipaddress.IPv4Address(text)`` would accept ``text`` (its rules, without the exceptions)."""
    octets = text.split(".")
    if len(octets) != 4 or "/" in text:
        return False
    for octet in octets:
        if not octet or not (octet.isascii() and octet.isdigit()) or len(octet) > 3:
            return False
        if (octet != "0" and octet[0] == "0") or int(octet) > 255:
            return False
    return True


def _ipv6_text(text: str) -> bool:
    """``ipaddress.IPv6Address(text)`` would accept ``text`` (no scope id): the same steps as
    ``IPv6Address._ip_int_from_string``, returning False where it raises (exceptions with formatted
    messages made the validator ~5x slower on the MAC addresses the loose IPv6 pattern also hits)."""
    if not text or "/" in text:
        return False
    parts = text.split(":")
    if len(parts) < 3:
        return False
    if "." in parts[-1]:
        if not _ipv4_text(parts.pop()):
            return False
        parts += ("0", "0")
    if len(parts) > 9:
        return False
    skip_index = None
    for index in range(1, len(parts) - 1):
        if not parts[index]:
            if skip_index is not None:
                return False
            skip_index = index
    if skip_index is not None:
        parts_hi = skip_index
        parts_lo = len(parts) - skip_index - 1
        if not parts[0]:
            parts_hi -= 1
            if parts_hi:
                return False
        if not parts[-1]:
            parts_lo -= 1
            if parts_lo:
                return False
        if 8 - (parts_hi + parts_lo) < 1:
            return False
    else:
        if len(parts) != 8 or not parts[0] or not parts[-1]:
            return False
        parts_hi, parts_lo = 8, 0
    for hextet in parts[:parts_hi] + parts[len(parts) - parts_lo :]:
        if not hextet or len(hextet) > 4 or not _HEX_DIGITS.issuperset(hextet):
            return False
    return True


def ipv6(value: str) -> bool:
    """An IPv6 address, optionally with a zone or a prefix length (``ipaddress`` rules)."""
    text = value.strip().split("%", 1)[0]
    if "/" in text:  # as ipaddress.IPv6Network(text, strict=False)
        parts = text.split("/")
        if len(parts) != 2:
            return False
        address, prefix = parts
        return _ipv6_text(address) and prefix.isascii() and prefix.isdigit() and int(prefix) <= 128
    return _ipv6_text(text)


def bic(value: str) -> bool:
    """SWIFT/BIC (ISO 9362): 4-letter institution, ISO country, 2-char location, optional branch."""
    code = value.strip().upper()
    if len(code) not in (8, 11) or not code[:4].isalpha() or not code[4:6].isalpha():
        return False
    if code[4:6] not in ISO_COUNTRIES or not code[6:].isalnum():
        return False
    # Location "0" in the second char would be a test BIC; "1" passive participant: both still BICs.
    return not (code[:4] == code[4:8])


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_dni(value: str) -> bool:
    """Spanish DNI / NIE: 8 digits (NIE: X/Y/Z + 7) and the mod-23 control letter."""
    compact = _alnum(value).upper()
    if len(compact) != 9:
        return False
    body, letter = compact[:8], compact[8]
    if body[0] in "XYZ":
        body = str("XYZ".index(body[0])) + body[1:]
    return body.isdigit() and _DNI_LETTERS[int(body) % 23] == letter


_CF_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (
            1,
            0,
            5,
            7,
            9,
            13,
            15,
            17,
            19,
            21,
            1,
            0,
            5,
            7,
            9,
            13,
            15,
            17,
            19,
            21,
            2,
            4,
            18,
            20,
            11,
            3,
            6,
            8,
            12,
            14,
            16,
            10,
            22,
            25,
            24,
            23,
        ),
        strict=True,
    )
)


def it_fiscal_code(value: str) -> bool:
    """Italian codice fiscale: 16 chars, check character from the odd/even tables."""
    code = value.strip().upper()
    if len(code) != 16 or not code.isalnum():
        return False
    total = 0
    for index, char in enumerate(code[:15]):
        if index % 2 == 0:
            total += _CF_ODD[char]
        else:
            total += int(char) if char.isdigit() else ord(char) - 65
    return chr(65 + total % 26) == code[15]


def fr_nir(value: str) -> bool:
    """French NIR (INSEE / sécurité sociale): 13 chars (Corsica 2A/2B) + 2-digit key = 97 - n mod 97."""
    compact = _alnum(value).upper()
    if len(compact) != 15 or compact[0] not in "1278":
        return False
    body, key = compact[:13], compact[13:]
    body = body.replace("2A", "19").replace("2B", "18")
    if not body.isdigit() or not key.isdigit():
        return False
    return 97 - int(body) % 97 == int(key)


def nl_bsn(value: str) -> bool:
    """Dutch BSN (burgerservicenummer): 9 digits passing the eleven-test."""
    digits = _digits(value)
    if len(digits) != 9 or len(set(digits)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - int(digits[8])
    return total % 11 == 0


def pl_pesel(value: str) -> bool:
    """Polish PESEL: 11 digits, valid encoded birth month, weighted checksum."""
    digits = _digits(value)
    if len(digits) != 11:
        return False
    month = int(digits[2:4]) % 20
    if not 1 <= month <= 12 or not 1 <= int(digits[4:6]) <= 31:
        return False
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    check = (10 - sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 10) % 10
    return check == int(digits[10])


_DATE_PARTS = re.compile(r"\d+")
_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january", "janvier", "januar", "enero", "gennaio", "janeiro"),
            ("feb", "february", "fevrier", "février", "februar", "febrero", "febbraio", "fevereiro"),
            ("mar", "march", "mars", "märz", "marz", "marzo", "março"),
            ("apr", "april", "avril", "abril", "aprile"),
            ("may", "mai", "mayo", "maggio", "maio"),
            ("jun", "june", "juin", "juni", "junio", "giugno", "junho"),
            ("jul", "july", "juillet", "juli", "julio", "luglio", "julho"),
            ("aug", "august", "aout", "août", "agosto"),
            ("sep", "sept", "september", "septembre", "septiembre", "settembre", "setembro"),
            ("oct", "october", "octobre", "oktober", "octubre", "ottobre", "outubro"),
            ("nov", "november", "novembre", "noviembre", "novembro"),
            ("dec", "december", "decembre", "décembre", "dezember", "diciembre", "dicembre", "dezembro"),
        ),
        start=1,
    )
    for name in names
}


def parse_date(value: str) -> _dt.date | None:
    """Best-effort parse of a calendar date in ISO, D/M/Y, M/D/Y, Y/M/D or month-name forms."""
    text = value.strip()[:40]
    numbers = [int(part) for part in _DATE_PARTS.findall(text)]
    month_word = None
    for word in re.findall(r"[^\W\d_]+", text.lower()):
        if word in _MONTHS:
            month_word = _MONTHS[word]
            break
    candidates: list[tuple[int, int, int]] = []
    if month_word is not None and len(numbers) >= 2:
        day, year = (numbers[0], numbers[1]) if numbers[1] > 31 else (numbers[1], numbers[0])
        candidates.append((year, month_word, day))
    elif len(numbers) >= 3:
        a, b, c = numbers[:3]
        if a > 31:
            candidates.append((a, b, c))
        elif c > 31:
            candidates += [(c, b, a), (c, a, b)]
    elif len(numbers) == 1 and len(text) == 8 and text.isdigit():
        candidates.append((int(text[:4]), int(text[4:6]), int(text[6:])))
    for year, month, day in candidates:
        try:
            return _dt.date(year, month, day)
        except (ValueError, OverflowError):
            continue
    return None


def birth_date(value: str) -> bool:
    """A calendar date between 1900 and today: a plausible date of birth (time part allowed)."""
    parsed = parse_date(value)
    return parsed is not None and 1900 <= parsed.year and parsed <= _dt.date.today()


def age(value: str) -> bool:
    """A whole number of years between 0 and 120."""
    text = value.strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text.isdigit() and 0 <= int(text) <= 120


def latitude_longitude(value: str) -> bool:
    """A "lat, long" pair (also ``POINT(long lat)``) within the geographic ranges."""
    numbers = re.findall(r"-?\d+(?:\.\d+)?", value)
    if len(numbers) != 2:
        return False
    first, second = float(numbers[0]), float(numbers[1])
    if value.strip().upper().startswith("POINT"):
        first, second = second, first
    return -90 <= first <= 90 and -180 <= second <= 180


def coordinate(value: str) -> bool:
    """A single latitude or longitude in decimal degrees (range -180..180)."""
    try:
        return -180.0 <= float(value.strip()) <= 180.0
    except ValueError:
        return False


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_VALUES = {char: index for index, char in enumerate(_B58)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CHARS = frozenset(_BECH32)


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for index in range(5):
            checksum ^= generator[index] if (top >> index) & 1 else 0
    return checksum


def crypto_wallet(value: str) -> bool:
    """Bitcoin (Base58Check or Bech32/Bech32m checksum) or Ethereum (0x + 40 hex) address."""
    text = value.strip()
    if text.startswith(("0x", "0X")):
        body = text[2:]
        return len(body) == 40 and _HEX_DIGITS.issuperset(body)
    lowered = text.lower()
    if lowered.startswith(("bc1", "tb1")):
        hrp, _, data = lowered.rpartition("1")
        if not data or not _BECH32_CHARS.issuperset(data) or len(data) < 7:
            return False
        values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + [_BECH32.index(c) for c in data]
        return _bech32_polymod(values) in (1, 0x2BC830A3)
    if text[:1] in "13mn2" and 25 <= len(text) <= 35 and _B58_VALUES.keys() >= set(text):
        number = 0
        for char in text:
            number = number * 58 + _B58_VALUES[char]
        raw = number.to_bytes(25, "big") if number.bit_length() <= 200 else b""
        if len(raw) != 25:
            return False
        return hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]
    return False


def has_digit_and_letter(value: str) -> bool:
    """At least one digit and one letter (street addresses, alphanumeric identifiers)."""
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def not_a_word(value: str) -> bool:
    """Contains a digit or a character class mix that plain dictionary words do not have."""
    return any(c.isdigit() for c in value)


def icd10(value: str) -> bool:
    """ICD-10 code shape: letter (not U), two digits or digit+A/B, optional dot + 1-4 alphanumerics."""
    code = value.strip().upper().replace(".", "")
    return 3 <= len(code) <= 7 and code[0].isalpha() and code[0] != "U" and code[1].isdigit()


_PHONE_EXTENSION = re.compile(r"(?i)\s*(x|ext\.?|extension|#)\s*\d{1,6}$")
_NOT_PHONE = re.compile(
    r"^(?:\d{3}-\d{2}-\d{4}"  # US SSN
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"  # Y-M-D date
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"  # D-M-Y / M-D-Y date
    r"|\d{1,3}(?:\.\d{1,3}){3}"  # IPv4
    r"|-?\d+[.,]\d+"  # decimal number
    r"|\d{1,3}(?:[,.]\d{3})+(?:[.,]\d+)?)$"  # thousands-grouped amount
)


def phone(value: str) -> bool:
    """A phone number: 7-15 digits (extension aside), not a date, SSN, IPv4 or amount shape."""
    text = value.strip()
    if "x" in text or "X" in text or "#" in text or "e" in text or "E" in text:
        text = _PHONE_EXTENSION.sub("", text)
    digits = _digits(text)
    if not 7 <= len(digits) <= 15 or len(set(digits)) < 3:
        return False
    if _NOT_PHONE.match(text):
        return False
    return text.count("(") == text.count(")")


_NUMERIC_LIKE = re.compile(r"^[\W\d_]*[A-Za-z]{0,3}[\W\d_]*$")


def address_shape(value: str) -> bool:
    """A street-address-like text: a number plus at least two words of letters, not a date/amount."""
    if "@" in value or "://" in value:
        return False
    words = re.findall(r"[^\W\d_]{3,}", value)
    if not words or not any(c.isdigit() for c in value):
        return False
    return parse_date(value) is None and 5 <= len(value) <= 200 and not _NUMERIC_LIKE.match(value)


def person_name_shape(value: str) -> bool:
    """One to six words of letters, 2-70 characters: the shape of a personal name."""
    return 2 <= len(value) <= 70 and len(value.split()) <= 6


def age_in_text(value: str) -> bool:
    """An age written with a unit ("34 years", "5 ans"): the number is 0-120."""
    match = re.match(r"\s*(\d{1,3})", value)
    return match is not None and int(match.group(1)) <= 120


VALIDATORS: dict[str, Validator] = {
    "luhn": luhn,
    "card_number": card_number,
    "iban_mod97": iban_mod97,
    "us_ssn": us_ssn,
    "vin_check_digit": vin_check_digit,
    "vin_structure": vin_structure,
    "aba_routing": aba_routing,
    "npi": npi,
    "uk_nino": uk_nino,
    "ipv4": ipv4,
    "ipv6": ipv6,
    "bic": bic,
    "es_dni": es_dni,
    "it_fiscal_code": it_fiscal_code,
    "fr_nir": fr_nir,
    "nl_bsn": nl_bsn,
    "pl_pesel": pl_pesel,
    "birth_date": birth_date,
    "age": age,
    "latitude_longitude": latitude_longitude,
    "coordinate": coordinate,
    "crypto_wallet": crypto_wallet,
    "has_digit_and_letter": has_digit_and_letter,
    "not_a_word": not_a_word,
    "icd10": icd10,
    "phone": phone,
    "address_shape": address_shape,
    "age_in_text": age_in_text,
    "person_name_shape": person_name_shape,
}


def get_validator(name: str) -> Validator:
    """Return the validator registered under ``name``; ``KeyError`` if there is none."""
    return VALIDATORS[name]
