"""The demo's sample sources: a PostgreSQL database of realistic synthetic business data and a folder
of CSV and Parquet files (one partitioned dataset among them). Seeded, so every run is the same."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

import psycopg
from faker import Faker
from psycopg import sql

SEED = 20261130
DEMO_DATABASE = "datawave_demo_source"

_SCHEMA = """
CREATE TABLE customers (id serial PRIMARY KEY, first_name text, last_name text, email text, phone text,
    street_address text, city text, postal_code text, country text, date_of_birth date, created_at timestamptz);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers(id), order_date date,
    status text, total_amount numeric(12,2), currency text);
CREATE TABLE payments (id serial PRIMARY KEY, order_id int REFERENCES orders(id), card_number text,
    card_expiry text, iban text, amount numeric(12,2), paid_at timestamptz);
CREATE TABLE employees (id serial PRIMARY KEY, full_name text, work_email text, ssn text, salary numeric(12,2),
    department text, hire_date date, manager_id int);
CREATE TABLE patients (id serial PRIMARY KEY, mrn text, full_name text, date_of_birth date, gender text,
    diagnosis_code text, attending_npi text, admitted_at timestamptz);
CREATE TABLE products (sku text PRIMARY KEY, name text, category text, unit_price numeric(10,2), in_stock int);
"""


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    digits = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            value = value - 9 if value > 9 else value
        total += value
    return digits + str((10 - total % 10) % 10)


def _npi(rng: random.Random) -> str:
    base = "".join(str(rng.randint(0, 9)) for _ in range(9))
    full = _luhn_complete("80840" + base, 15, rng)  # check digit over the 80840 prefix
    return base + full[-1]


def create_demo_database(admin_url: str, source_url: str, rows: int = 200) -> None:
    """(Re)create the demo source database with ``rows`` customers and related rows."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DEMO_DATABASE)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DEMO_DATABASE)))
    fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR"])
    fake.seed_instance(SEED)
    us = Faker("en_US")  # a US SSN column holds US SSNs
    us.seed_instance(SEED)
    rng = random.Random(SEED)
    with psycopg.connect(source_url) as conn:
        conn.execute(_SCHEMA)
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO customers (first_name, last_name, email, phone, street_address, city, postal_code,"
                " country, date_of_birth, created_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                [
                    (
                        fake.first_name(),
                        fake.last_name(),
                        fake.email(),
                        fake.phone_number(),
                        fake.street_address(),
                        fake.city(),
                        fake.postcode(),
                        fake.current_country_code(),
                        fake.date_of_birth(minimum_age=18, maximum_age=90),
                        fake.date_time_this_decade(tzinfo=None),
                    )
                    for _ in range(rows)
                ],
            )
            cur.executemany(
                "INSERT INTO orders (customer_id, order_date, status, total_amount, currency) VALUES (%s,%s,%s,%s,%s)",
                [
                    (
                        rng.randint(1, rows),
                        date(2025, 1, 1) + timedelta(days=rng.randint(0, 600)),
                        rng.choice(["placed", "shipped", "delivered", "returned"]),
                        round(rng.uniform(5, 900), 2),
                        rng.choice(["EUR", "USD", "GBP"]),
                    )
                    for _ in range(rows * 2)
                ],
            )
            cur.executemany(
                "INSERT INTO payments (order_id, card_number, card_expiry, iban, amount, paid_at)"
                " VALUES (%s,%s,%s,%s,%s,%s)",
                [
                    (
                        i + 1,
                        _luhn_complete(rng.choice(["4", "51", "37"]), 16, rng),
                        f"{rng.randint(1, 12):02d}/{rng.randint(27, 31)}",
                        fake.iban(),
                        round(rng.uniform(5, 900), 2),
                        fake.date_time_this_year(tzinfo=None),
                    )
                    for i in range(rows * 2)
                ],
            )
            cur.executemany(
                "INSERT INTO employees (full_name, work_email, ssn, salary, department, hire_date, manager_id)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s)",
                [
                    (
                        fake.name(),
                        fake.company_email(),
                        us.ssn(),
                        round(rng.uniform(30000, 180000), 2),
                        rng.choice(["Sales", "Finance", "Engineering", "Support", "Legal"]),
                        fake.date_between("-15y", "today"),
                        rng.randint(1, max(1, i)) if i else None,
                    )
                    for i in range(rows // 2)
                ],
            )
            cur.executemany(
                "INSERT INTO patients (mrn, full_name, date_of_birth, gender, diagnosis_code, attending_npi,"
                " admitted_at) VALUES (%s,%s,%s,%s,%s,%s,%s)",
                [
                    (
                        f"MRN{rng.randint(1000000, 9999999)}",
                        fake.name(),
                        fake.date_of_birth(maximum_age=95),
                        rng.choice(["female", "male", "non-binary"]),
                        rng.choice(["E11.9", "I10", "J45.909", "M54.5", "F32.A", "K21.9", "N39.0"]),
                        _npi(rng),
                        fake.date_time_this_year(tzinfo=None),
                    )
                    for _ in range(rows)
                ],
            )
            cur.executemany(
                "INSERT INTO products (sku, name, category, unit_price, in_stock) VALUES (%s,%s,%s,%s,%s)",
                [
                    (
                        f"SKU-{i:05d}",
                        fake.catch_phrase(),
                        rng.choice(["Garden", "Kitchen", "Office", "Toys"]),
                        round(rng.uniform(1, 400), 2),
                        rng.randint(0, 500),
                    )
                    for i in range(rows)
                ],
            )
        conn.commit()


def create_demo_files(folder: Path, rows: int = 200) -> Path:
    """A folder with leads.csv, devices.parquet and a partitioned sales dataset."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fake = Faker(["en_US", "nl_NL", "es_ES"])
    fake.seed_instance(SEED + 1)
    rng = random.Random(SEED + 1)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "leads.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Full Name", "E-mail Address", "Phone No", "Company", "Lead Score"])
        for _ in range(rows):
            writer.writerow([fake.name(), fake.email(), fake.phone_number(), fake.company(), rng.randint(1, 100)])
    pq.write_table(
        pa.table(
            {
                "device_id": [f"dev-{i:04d}" for i in range(rows)],
                "mac_address": [fake.mac_address() for _ in range(rows)],
                "last_ip": [fake.ipv4_public() for _ in range(rows)],
                "firmware": [rng.choice(["1.0.3", "1.1.0", "2.0.1"]) for _ in range(rows)],
            }
        ),
        folder / "devices.parquet",
    )
    for month in (1, 2, 3):
        part = folder / "sales" / "year=2025" / f"month={month:02d}"
        part.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            pa.table(
                {
                    "region": [rng.choice(["EMEA", "AMER", "APAC"]) for _ in range(rows)],
                    "product_sku": [f"SKU-{rng.randint(0, 199):05d}" for _ in range(rows)],
                    "amount": [round(rng.uniform(1, 500), 2) for _ in range(rows)],
                }
            ),
            part / "part-0.parquet",
        )
    return folder
