"""Synthetic labelled columns (Faker) for training the column model and measuring accuracy.

Used only by ``scripts/train_column_model.py``, ``benchmarks/classify_accuracy.py`` and tests; it
imports Faker, which is a development dependency, never a runtime one.

A column = (header, values, label). Locale-dependent values (names, addresses, phones, postcodes,
IBAN countries, date formats) come from the column's Faker locale. Country-specific identifiers
(US SSN, UK NINO, ES DNI...) come from their own country's generator in both sets, so for those the
held-out part is the header variant and the seed, not the locale. Header variants are split per
label into a training and an evaluation pool (``split``) so the evaluation also measures headers
the model never saw. Each column gets realistic mess: blanks, a few bad rows, case/whitespace noise.
"""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from faker import Faker

TRAIN_LOCALES = (
    "en_US",
    "en_GB",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "nl_NL",
    "pt_BR",
    "pl_PL",
    "sv_SE",
    "da_DK",
    "fi_FI",
    "cs_CZ",
    "hu_HU",
    "ru_RU",
    "ja_JP",
    "zh_CN",
    "ko_KR",
    "tr_TR",
    "en_IN",
    "es_MX",
    "id_ID",
)
EVAL_LOCALES = (
    "en_CA",
    "en_AU",
    "en_IE",
    "en_NZ",
    "de_AT",
    "de_CH",
    "fr_CA",
    "fr_CH",
    "es_AR",
    "es_CO",
    "pt_PT",
    "nl_BE",
    "no_NO",
    "ro_RO",
    "el_GR",
    "uk_UA",
    "hr_HR",
    "sk_SK",
    "sl_SI",
    "zh_TW",
    "th_TH",
    "he_IL",
)
NONE = "none"


@dataclass(frozen=True)
class SyntheticColumn:
    """One labelled column."""

    header: str
    values: list[str]
    label: str
    locale: str


Gen = Callable[[Faker, random.Random], str]


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def _luhn_complete(body: str) -> str:
    for check in string.digits:
        candidate = body + check
        total = 0
        for position, char in enumerate(reversed(candidate)):
            digit = int(char)
            if position % 2:
                digit = digit * 2 - 9 if digit > 4 else digit * 2
            total += digit
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def _nino(_: Faker, rng: random.Random) -> str:
    first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    if first + second in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}:
        first, second = "A", "B"
    body = _digits(rng, 6)
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{first}{second} {body[:2]} {body[2:4]} {body[4:]} {suffix}"
    return f"{first}{second}{body}{suffix}"


def _npi(_: Faker, rng: random.Random) -> str:
    body = rng.choice("12") + _digits(rng, 8)
    full = _luhn_complete("80840" + body)
    return full[5:]


def _drivers_license(_: Faker, rng: random.Random) -> str:
    letter = rng.choice(string.ascii_uppercase)
    return rng.choice(
        (
            lambda: letter + _digits(rng, 7),  # CA
            lambda: letter + _digits(rng, 12),  # FL/IL compact
            lambda: "-".join((letter + _digits(rng, 3), _digits(rng, 3), _digits(rng, 2), _digits(rng, 4))),
            lambda: _digits(rng, 9),  # many states
            lambda: _digits(rng, 8),  # TX
            lambda: f"{_digits(rng, 3)}-{_digits(rng, 3)}-{_digits(rng, 3)}",
            lambda: letter + _digits(rng, 8),
            lambda: f"{letter}{_digits(rng, 2)}-{_digits(rng, 2)}-{_digits(rng, 4)}",
        )
    )()


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _bitcoin(_: Faker, rng: random.Random) -> str:
    payload = bytes([rng.choice((0, 5))]) + bytes(rng.getrandbits(8) for _ in range(20))
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number = int.from_bytes(raw, "big")
    out = ""
    while number:
        number, remainder = divmod(number, 58)
        out = _B58[remainder] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def _wallet(fk: Faker, rng: random.Random) -> str:
    return (
        _bitcoin(fk, rng) if rng.random() < 0.6 else "0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40))
    )


def _icd10(_: Faker, rng: random.Random) -> str:
    code = rng.choice("ABCDEFGHIJKLMNOPQRSTVWXYZ") + _digits(rng, 2)
    return code + ("." + _digits(rng, rng.randint(1, 2)) if rng.random() < 0.7 else "")


def _mrn(_: Faker, rng: random.Random) -> str:
    return rng.choice(
        (
            lambda: "MRN" + _digits(rng, 7),
            lambda: _digits(rng, 8),
            lambda: f"MR-{_digits(rng, 6)}",
            lambda: _digits(rng, 10),
        )
    )()


def _api_key(_: Faker, rng: random.Random) -> str:
    alnum = string.ascii_letters + string.digits
    upper = string.ascii_uppercase + string.digits
    return rng.choice(
        (
            lambda: "AKIA" + "".join(rng.choice(upper) for _ in range(16)),
            lambda: "ghp_" + "".join(rng.choice(alnum) for _ in range(36)),
            lambda: "sk_live_" + "".join(rng.choice(alnum) for _ in range(24)),
            lambda: "xoxb-" + _digits(rng, 11) + "-" + "".join(rng.choice(alnum) for _ in range(24)),
            lambda: "AIza" + "".join(rng.choice(alnum + "_-") for _ in range(35)),
            lambda: "".join(rng.choice("0123456789abcdef") for _ in range(32)),
            lambda: (
                "eyJhbGciOiJIUzI1NiJ9.eyJ"
                + "".join(rng.choice(alnum) for _ in range(30))
                + "."
                + "".join(rng.choice(alnum) for _ in range(43))
            ),
        )
    )()


def _connection_string(fk: Faker, rng: random.Random) -> str:
    user, password, host = fk.user_name(), fk.password(length=12, special_chars=False), fk.hostname()
    return rng.choice(
        (
            lambda: f"postgresql://{user}:{password}@{host}:5432/{fk.word()}",
            lambda: f"Server={host};Database={fk.word()};User Id={user};Password={password};",
            lambda: f"mongodb+srv://{user}:{password}@{host}/{fk.word()}",
            lambda: (
                "DefaultEndpointsProtocol=https;AccountName="
                + fk.word()
                + ";AccountKey="
                + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(86))
                + "==;EndpointSuffix=core.windows.net"
            ),
            lambda: f"mysql://{user}:{password}@{host}/{fk.word()}",
        )
    )()


def _private_key(_: Faker, rng: random.Random) -> str:
    kind = rng.choice(("RSA ", "EC ", "", "OPENSSH "))
    body = "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(120))
    return f"-----BEGIN {kind}PRIVATE KEY-----\n{body}\n-----END {kind}PRIVATE KEY-----"


def _password(fk: Faker, rng: random.Random) -> str:
    salt = "".join(rng.choice(string.ascii_letters + string.digits + "./") for _ in range(53))
    return rng.choice(
        (
            lambda: fk.password(length=rng.randint(8, 16)),
            lambda: "$2b$12$" + salt,
            lambda: fk.password(length=10, special_chars=False),
        )
    )()


def _dob(fk: Faker, rng: random.Random) -> str:
    date = fk.date_of_birth(minimum_age=1, maximum_age=95)
    return date.strftime(
        rng.choice(("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %B %Y", "%B %d, %Y"))
    )


def _other_date(fk: Faker, rng: random.Random) -> str:
    date = fk.date_between(start_date="-6y", end_date="+1y")
    return date.strftime(rng.choice(("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S")))


def _card(fk: Faker, rng: random.Random) -> str:
    number = fk.credit_card_number()
    style = rng.random()
    if style < 0.3 and len(number) == 16:
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))
    if style < 0.45 and len(number) == 16:
        return "-".join(number[i : i + 4] for i in range(0, 16, 4))
    return number


def _iban(fk: Faker, rng: random.Random) -> str:
    iban = fk.iban()
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if rng.random() < 0.35 else iban


def _ssn(fk: Faker, rng: random.Random) -> str:
    ssn = fk.ssn()
    return ssn if rng.random() < 0.75 else ssn.replace("-", "")


def _mac(fk: Faker, rng: random.Random) -> str:
    mac = fk.mac_address()
    style = rng.random()
    return mac.upper() if style < 0.3 else (mac.replace(":", "-") if style < 0.5 else mac)


def _geo(fk: Faker, rng: random.Random) -> str:
    return (
        f"{fk.latitude():.6f}, {fk.longitude():.6f}"
        if rng.random() < 0.5
        else f"{fk.latitude():.5f},{fk.longitude():.5f}"
    )


def _amount(_: Faker, rng: random.Random) -> str:
    value = rng.uniform(0, 5000) if rng.random() < 0.8 else rng.uniform(0, 2_000_000)
    return rng.choice((f"{value:.2f}", f"{value:,.2f}", f"${value:,.2f}", f"{value:.2f} EUR", f"{round(value)}"))


def _sku(_: Faker, rng: random.Random) -> str:
    letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(2, 4)))
    return rng.choice(
        (
            lambda: f"{letters}-{_digits(rng, rng.randint(3, 6))}",
            lambda: f"SKU{_digits(rng, 6)}",
            lambda: f"{letters}{_digits(rng, 4)}-{rng.choice('XLMS')}",
            lambda: _digits(rng, 13),
            lambda: f"P{_digits(rng, 5)}",
        )
    )()


CATEGORY_WORDS = (
    "Electronics",
    "Home & Garden",
    "Toys",
    "Books",
    "Clothing",
    "Sports",
    "Beauty",
    "Grocery",
    "Automotive",
    "Office Supplies",
    "Pet Supplies",
    "Music",
    "Health",
    "Furniture",
    "Jewelry",
    "Outdoor",
    "Baby",
    "Tools",
)
STATUS_WORDS = (
    "active",
    "inactive",
    "pending",
    "shipped",
    "cancelled",
    "delivered",
    "open",
    "closed",
    "on hold",
)


PRODUCT_ADJECTIVES = (
    "Classic",
    "Compact",
    "Deluxe",
    "Ergonomic",
    "Portable",
    "Premium",
    "Rustic",
    "Smart",
    "Ultra",
    "Wireless",
    "Heavy-Duty",
    "Organic",
    "Vintage",
    "Modern",
    "Foldable",
    "Waterproof",
    "Mini",
    "Pro",
)
PRODUCT_MATERIALS = (
    "Steel",
    "Cotton",
    "Leather",
    "Bamboo",
    "Ceramic",
    "Glass",
    "Oak",
    "Aluminium",
    "Wool",
    "Plastic",
    "Silicone",
    "Linen",
    "Carbon",
    "Granite",
    "Copper",
    "Rubber",
)
PRODUCT_NOUNS = (
    "Chair",
    "Desk Lamp",
    "Backpack",
    "Water Bottle",
    "Headphones",
    "Keyboard",
    "Sneakers",
    "Blender",
    "Coffee Maker",
    "Jacket",
    "Notebook",
    "Phone Case",
    "Tent",
    "Watch",
    "Mug",
    "Pillow",
    "Drill",
    "Speaker",
    "Monitor",
    "Bike Helmet",
    "Scarf",
    "Frying Pan",
    "Yoga Mat",
    "Charger",
)


def _product_name(_: Faker, rng: random.Random) -> str:
    """Catalogue-style product names: the non-person values most often headed plain ``name``."""
    words = [rng.choice(PRODUCT_NOUNS)]
    if rng.random() < 0.7:
        words.insert(0, rng.choice(PRODUCT_MATERIALS))
    if rng.random() < 0.6:
        words.insert(0, rng.choice(PRODUCT_ADJECTIVES))
    name = " ".join(words)
    suffix = rng.random()
    if suffix < 0.2:
        name += f" {rng.randint(2, 9)}{rng.choice(('00', '000', 'X', 'S'))}"
    elif suffix < 0.35:
        name += f" ({rng.choice(('Black', 'White', 'Blue', 'Red', 'Grey'))})"
    elif suffix < 0.45:
        name += f" - {rng.choice((2, 4, 6, 12))} Pack"
    return name


def _prefixed_id(_: Faker, rng: random.Random) -> str:
    """Business keys such as ``C-1042``, ``CUST00731``, ``ORD-2024-000123``: letters, digits, dashes
    that look like country-prefixed postcodes or licence numbers but identify a record."""
    prefix = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.choice((1, 1, 2, 3, 4))))
    separator = rng.choice(("-", "-", "", "_"))
    digits = _digits(rng, rng.randint(3, 8))
    if rng.random() < 0.2:
        return f"{prefix}{separator}{rng.randint(2015, 2026)}{separator or '-'}{digits}"
    return f"{prefix}{separator}{digits}"


def _free_text(fk: Faker, rng: random.Random) -> str:
    return fk.sentence(nb_words=rng.randint(4, 14)) if rng.random() < 0.7 else fk.text(max_nb_chars=120)


# label -> (value generators, header variants)
POSITIVE: dict[str, tuple[tuple[Gen, ...], tuple[str, ...]]] = {
    "person_name": (
        (lambda f, r: f.name(), lambda f, r: f.first_name(), lambda f, r: f.last_name()),
        (
            "name",
            "full_name",
            "customer_name",
            "first_name",
            "last_name",
            "surname",
            "contact_name",
            "FirstName",
            "LastName",
            "Name",
            "employee_name",
            "patient_name",
            "given_name",
            "family_name",
            "cardholder_name",
            "nombre",
            "nachname",
            "vorname",
            "prenom",
            "cognome",
            "applicant",
            "person",
        ),
    ),
    "email_address": (
        (lambda f, r: f.email(), lambda f, r: f.free_email(), lambda f, r: f.company_email()),
        (
            "email",
            "email_address",
            "E-mail Address",
            "contact_email",
            "EMAIL",
            "work_email",
            "user_email",
            "mail",
            "emailAddress",
            "correo",
            "courriel",
            "e_mail",
            "customer_email",
            "primary_email",
        ),
    ),
    "phone_number": (
        (lambda f, r: f.phone_number(),),
        (
            "phone",
            "phone_number",
            "PHONE_NO",
            "telephone",
            "mobile",
            "cell_phone",
            "contact_number",
            "tel",
            "PhoneNumber",
            "mobile_no",
            "home_phone",
            "telefono",
            "telefon",
            "work_phone",
            "fax",
        ),
    ),
    "street_address": (
        (lambda f, r: f.street_address(), lambda f, r: f.address()),
        (
            "address",
            "street_address",
            "address_line_1",
            "addr1",
            "home_address",
            "Street",
            "billing_address",
            "shipping_address",
            "mailing_address",
            "direccion",
            "adresse",
            "indirizzo",
            "endereco",
            "ADDRESS1",
        ),
    ),
    "postal_code": (
        (lambda f, r: f.postcode(),),
        (
            "zip",
            "zip_code",
            "postal_code",
            "postcode",
            "ZIP",
            "PostalCode",
            "plz",
            "cep",
            "codigo_postal",
            "post_code",
            "zipcode",
            "billing_zip",
            "code_postal",
        ),
    ),
    "date_of_birth": (
        (_dob,),
        (
            "dob",
            "date_of_birth",
            "birth_date",
            "DateOfBirth",
            "birthday",
            "DOB",
            "birthdate",
            "geburtsdatum",
            "fecha_nacimiento",
            "date_naissance",
            "patient_dob",
            "born_on",
            "data_nascita",
        ),
    ),
    "age": (
        (lambda f, r: str(r.randint(1, 99)), lambda f, r: str(r.randint(18, 80))),
        (
            "age",
            "AGE",
            "customer_age",
            "age_years",
            "patient_age",
            "Age",
            "edad",
            "alter",
            "idade",
            "member_age",
        ),
    ),
    "gender": (
        (),  # dedicated generator below: one vocabulary per column
        (
            "gender",
            "sex",
            "GENDER",
            "Gender",
            "geschlecht",
            "sexo",
            "sexe",
            "patient_sex",
            "customer_gender",
            "gender_identity",
        ),
    ),
    "us_ssn": (
        (_ssn,),
        (
            "ssn",
            "SSN",
            "social_security_number",
            "cust_ssn",
            "soc_sec_no",
            "ssn_number",
            "SocialSecurityNo",
            "employee_ssn",
        ),
    ),
    "uk_nino": (
        (_nino,),
        ("nino", "ni_number", "national_insurance_number", "NINO", "NI_No", "employee_nino"),
    ),
    "es_dni": (
        (lambda f, r: f.nif(),),
        ("dni", "nif", "DNI", "numero_dni", "documento_identidad", "cliente_dni"),
    ),
    "it_fiscal_code": (
        (lambda f, r: f.ssn(),),
        ("codice_fiscale", "cf", "fiscal_code", "CodiceFiscale", "cod_fiscale"),
    ),
    "fr_nir": ((lambda f, r: f.ssn(),), ("nir", "numero_securite_sociale", "insee", "num_secu", "NIR")),
    "nl_bsn": ((lambda f, r: f.ssn(),), ("bsn", "BSN", "burgerservicenummer", "klant_bsn", "sofinummer")),
    "pl_pesel": ((lambda f, r: f.pesel(),), ("pesel", "PESEL", "numer_pesel", "klient_pesel")),
    "passport_number": (
        (lambda f, r: f.passport_number(),),
        (
            "passport",
            "passport_number",
            "passport_no",
            "PassportNumber",
            "passport_id",
            "reisepass",
            "pasaporte",
            "passeport",
        ),
    ),
    "us_drivers_license": (
        (_drivers_license,),
        (
            "drivers_license",
            "driver_license_number",
            "dl_number",
            "DL_NO",
            "DriversLicense",
            "driving_licence",
            "license_number",
            "dln",
            "driver_license",
        ),
    ),
    "credit_card_number": (
        (_card,),
        (
            "card_number",
            "credit_card",
            "cc_number",
            "CARD_NO",
            "CreditCardNumber",
            "pan",
            "card",
            "cc_num",
            "debit_card_number",
            "payment_card",
        ),
    ),
    "card_security_code": (
        (lambda f, r: f.credit_card_security_code(),),
        ("cvv", "cvc", "CVV2", "card_security_code", "security_code", "cvv_code", "card_cvc"),
    ),
    "iban": (
        (_iban,),
        ("iban", "IBAN", "iban_number", "bank_iban", "beneficiary_iban", "IBAN_CODE", "account_iban"),
    ),
    "swift_bic": (
        (lambda f, r: f.swift(length=r.choice((8, 11))),),
        ("swift", "bic", "swift_code", "SWIFT", "BIC", "swift_bic", "bank_bic", "bic_code", "SwiftCode"),
    ),
    "bank_account_number": (
        (lambda f, r: _digits(r, r.randint(8, 12)), lambda f, r: f.bban()),
        (
            "account_number",
            "bank_account",
            "acct_no",
            "bank_account_number",
            "AccountNumber",
            "kontonummer",
            "numero_cuenta",
            "acct_num",
            "bban",
            "checking_account",
        ),
    ),
    "aba_routing_number": (
        (lambda f, r: f.aba(),),
        ("routing_number", "aba", "ABA", "routing_no", "aba_routing", "RoutingNumber", "bank_routing", "rtn"),
    ),
    "crypto_wallet": (
        (_wallet,),
        ("wallet", "wallet_address", "btc_address", "crypto_address", "eth_address", "WalletAddress"),
    ),
    "ipv4_address": (
        (lambda f, r: f.ipv4(), lambda f, r: f.ipv4_private(), lambda f, r: f.ipv4_public()),
        (
            "ip",
            "ip_address",
            "IPv4",
            "client_ip",
            "remote_addr",
            "src_ip",
            "IPAddress",
            "host_ip",
            "last_login_ip",
        ),
    ),
    "ipv6_address": (
        (lambda f, r: f.ipv6(),),
        ("ipv6", "ip_address", "IPv6Address", "client_ipv6", "ip6", "src_ip"),
    ),
    "mac_address": ((_mac,), ("mac", "mac_address", "MAC", "MacAddress", "hw_addr", "device_mac", "bssid")),
    "vin": (
        (lambda f, r: f.vin(),),
        ("vin", "VIN", "vin_number", "vehicle_identification_number", "chassis_no", "vehicle_vin"),
    ),
    "npi": ((_npi,), ("npi", "NPI", "provider_npi", "npi_number", "prescriber_npi")),
    "icd10_code": (
        (_icd10,),
        ("icd10", "icd_code", "diagnosis_code", "ICD10", "dx_code", "primary_dx", "icd10_cm"),
    ),
    "medical_record_number": (
        (_mrn,),
        ("mrn", "MRN", "medical_record_number", "patient_mrn", "chart_number", "med_rec_no"),
    ),
    "geolocation": (
        (_geo, lambda f, r: f"{f.latitude():.6f}"),
        ("coordinates", "lat_long", "geo", "location", "gps", "latlng", "latitude", "geolocation", "coords"),
    ),
    "url": (
        (lambda f, r: f.url(), lambda f, r: f.uri()),
        ("url", "website", "homepage", "link", "URL", "profile_url", "web_site", "uri"),
    ),
    "username": (
        (lambda f, r: f.user_name(),),
        (
            "username",
            "user_name",
            "login",
            "UserName",
            "screen_name",
            "handle",
            "login_name",
            "nickname",
            "benutzername",
            "usuario",
        ),
    ),
    "password": (
        (_password,),
        ("password", "passwd", "pwd", "password_hash", "Password", "user_password", "pass", "passwort"),
    ),
    "api_key": (
        (_api_key,),
        (
            "api_key",
            "apikey",
            "access_key",
            "secret_key",
            "token",
            "access_token",
            "auth_token",
            "client_secret",
            "API_KEY",
        ),
    ),
    "connection_string": (
        (_connection_string,),
        ("connection_string", "conn_str", "dsn", "database_url", "ConnectionString", "db_url"),
    ),
    "private_key": (
        (_private_key,),
        ("private_key", "ssh_key", "pem", "PrivateKey", "signing_key", "rsa_key"),
    ),
}

GENDER_VOCABULARIES = (
    ("M", "F"),
    ("Male", "Female"),
    ("male", "female", "other"),
    ("F", "M", "X"),
    ("MALE", "FEMALE"),
    ("Male", "Female", "Non-binary", "Prefer not to say"),
    ("m", "f"),
    ("Woman", "Man"),
    ("Female", "Male", "Unknown"),
)

# negative columns: (generator, header variants)
NEGATIVE: tuple[tuple[Gen, tuple[str, ...]], ...] = (
    (
        _amount,
        (
            "amount",
            "total",
            "price",
            "unit_price",
            "balance",
            "revenue",
            "order_total",
            "AMOUNT",
            "cost",
            "salary",
        ),
    ),
    (
        _sku,
        (
            "sku",
            "product_code",
            "item_code",
            "part_number",
            "ProductCode",
            "article_no",
            "model_number",
            "ean",
        ),
    ),
    (
        lambda f, r: r.choice(CATEGORY_WORDS),
        ("category", "product_category", "department", "segment", "Category", "type"),
    ),
    (lambda f, r: r.choice(STATUS_WORDS), ("status", "order_status", "state", "Status", "phase")),
    (
        lambda f, r: str(r.randint(1990, 2025)),
        ("year", "fiscal_year", "model_year", "YEAR", "yr", "exp_year", "card_year"),
    ),
    (
        lambda f, r: r.choice(("true", "false")),
        ("email_verified", "is_active", "phone_verified", "opt_in", "has_card", "is_deleted"),
    ),
    (lambda f, r: r.choice(("Y", "N")), ("active_flag", "email_opt_in", "sms_consent", "is_primary", "flag")),
    (
        lambda f, r: str(r.randint(0, 500)),
        ("quantity", "qty", "count", "num_orders", "units", "stock", "page_views", "visits"),
    ),
    (lambda f, r: str(r.randint(1, 5)), ("rating", "stars", "score", "priority", "level", "tier")),
    (_free_text, ("description", "notes", "comment", "remarks", "feedback", "summary", "review_text")),
    (
        _other_date,
        ("order_date", "created_at", "updated_at", "ship_date", "invoice_date", "event_time", "last_login"),
    ),
    (lambda f, r: f.uuid4(), ("id", "uuid", "order_id", "transaction_id", "session_id", "request_id")),
    (
        lambda f, r: str(r.randint(100000, 9999999)),
        ("order_id", "invoice_no", "ticket_number", "customer_id", "ref_no", "batch_id"),
    ),
    (
        lambda f, r: f.company(),
        ("company", "company_name", "employer", "vendor", "supplier", "organization", "name", "Name"),
    ),
    (
        _prefixed_id,
        ("customer_id", "client_id", "order_ref", "account_ref", "member_id", "ticket_id", "CustomerID", "case_no"),
    ),
    (_product_name, ("name", "Name", "product_name", "item_name", "product", "item", "product_title", "title")),
    (lambda f, r: f.city(), ("city", "town", "ship_city", "branch_city", "City", "city_name")),
    (lambda f, r: f.country(), ("country", "country_name", "nationality_country", "origin")),
    (lambda f, r: f.job(), ("job_title", "occupation", "position", "role_title")),
    (lambda f, r: f.color_name(), ("color", "colour", "product_color")),
    (
        lambda f, r: r.choice(("Visa", "Mastercard", "Amex", "Discover")),
        ("card_type", "card_brand", "payment_method"),
    ),
    (lambda f, r: r.choice(("mobile", "home", "work", "fax")), ("phone_type", "contact_type", "channel")),
    (lambda f, r: f"{r.uniform(0, 100):.1f}%", ("discount", "percentage", "growth_rate", "margin")),
    (lambda f, r: f.currency_code(), ("currency", "currency_code", "ccy")),
    (
        lambda f, r: f"{r.randint(0, 9)}.{r.randint(0, 20)}.{r.randint(0, 99)}",
        ("version", "app_version", "release"),
    ),
    (lambda f, r: f.file_name(), ("file_name", "attachment", "document", "filename")),
    (lambda f, r: f.catch_phrase(), ("product_name", "title", "campaign_name", "headline")),
    (lambda f, r: f"{r.uniform(-20, 45):.1f}", ("temperature", "temp_c", "reading", "value")),
    (lambda f, r: f.language_name(), ("language", "preferred_language", "locale_name")),
    (
        lambda f, r: str(r.randint(1000, 9999)),
        ("store_number", "branch_code", "plant_code", "room", "extension_no"),
    ),
    (lambda f, r: f"#{r.getrandbits(24):06x}", ("hex_color", "theme_color", "bg_color")),
)


def _style(header: str, rng: random.Random) -> str:
    words = [w for w in header.replace("-", "_").split("_") if w]
    if any(c.isupper() for c in header[1:]) and "_" not in header:
        return header  # already camel/upper: keep
    choice = rng.random()
    if choice < 0.45:
        return "_".join(words)
    if choice < 0.6:
        return "_".join(words).upper()
    if choice < 0.75:
        return words[0].lower() + "".join(w.capitalize() for w in words[1:])
    if choice < 0.9:
        return " ".join(w.capitalize() for w in words)
    return "".join(w.capitalize() for w in words)


def _in_split(text: str, split: str) -> bool:
    bucket = int(hashlib.sha256(text.encode()).hexdigest(), 16) % 10
    return bucket < 7 if split == "train" else bucket >= 7


def _header(variants: tuple[str, ...], split: str, rng: random.Random) -> str:
    pool = [variant for variant in variants if _in_split(variant, split)] or list(variants)
    if rng.random() < 0.08:
        return f"col_{rng.randint(1, 40)}" if rng.random() < 0.5 else f"field{rng.randint(1, 40)}"
    return _style(rng.choice(pool), rng)


_BAD_ROWS = ("N/A", "unknown", "???", "0", "-", "test", "TBD", "null", "#REF!", "n.a.")


def _mess(values: list[str], rng: random.Random) -> list[str]:
    out = []
    blank_rate = rng.choice((0.0, 0.0, 0.05, 0.15, 0.3))
    bad_rate = rng.choice((0.0, 0.0, 0.02, 0.05))
    upper = rng.random() < 0.1
    for value in values:
        roll = rng.random()
        if roll < blank_rate:
            out.append(rng.choice(("", " ", "NULL", "")))
        elif roll < blank_rate + bad_rate:
            out.append(rng.choice(_BAD_ROWS))
        else:
            text = value.upper() if upper else value
            out.append(f" {text} " if rng.random() < 0.03 else text)
    return out


def _faker(locale: str, seed: int) -> Faker:
    faker = Faker(locale)
    faker.seed_instance(seed)
    return faker


_COUNTRY_LOCALE = {
    "us_ssn": "en_US",
    "es_dni": "es_ES",
    "it_fiscal_code": "it_IT",
    "fr_nir": "fr_FR",
    "nl_bsn": "nl_NL",
    "pl_pesel": "pl_PL",
    "aba_routing_number": "en_US",
    "npi": "en_US",
    "us_drivers_license": "en_US",
    "vin": "en_US",
}


def generate_columns(
    split: str, seed: int, per_label: int, negatives: int, locales: tuple[str, ...] | None = None
) -> Iterator[SyntheticColumn]:
    """Yield ``per_label`` columns per classification and ``negatives`` unclassified columns."""
    rng = random.Random(seed)
    locales = locales or (TRAIN_LOCALES if split == "train" else EVAL_LOCALES)
    fakers: dict[str, Faker] = {}

    def faker_for(locale: str) -> Faker:
        if locale not in fakers:
            fakers[locale] = _faker(locale, rng.getrandbits(32))
        return fakers[locale]

    for label, (generators, headers) in POSITIVE.items():
        for _ in range(per_label):
            locale = _COUNTRY_LOCALE.get(label) or rng.choice(locales)
            faker = faker_for(locale)
            size = rng.randint(20, 100)
            if label == "gender":
                vocabulary = rng.choice(GENDER_VOCABULARIES)
                values = [rng.choice(vocabulary) for _ in range(size)]
            else:
                generator = rng.choice(generators)
                values = [generator(faker, rng) for _ in range(size)]
            yield SyntheticColumn(_header(headers, split, rng), _mess(values, rng), label, locale)
    for _ in range(negatives):
        locale = rng.choice(locales)
        faker = faker_for(locale)
        generator, headers = rng.choice(NEGATIVE)
        size = rng.randint(20, 100)
        values = [generator(faker, rng) for _ in range(size)]
        yield SyntheticColumn(_header(headers, split, rng), _mess(values, rng), NONE, locale)
