"""``python -m devhost classify`` as a subprocess over real CSV/TSV/JSON/NDJSON/Parquet/XLSX files."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from tests.conftest import PROJECT_ROOT

EMAILS = ["ann.lee@example.com", "bob@corp.example.org", "c.diaz@mail.example.net", "dee@example.co.uk", "eve@ex.io"]
CARDS = ["4111 1111 1111 1111", "5500-0000-0000-0004", "340000000000009", "6011000000000004", "4012888888881881"]
IPS = ["10.0.0.1", "192.168.1.20", "172.16.4.7", "8.8.8.8", "203.0.113.9"]
AMOUNTS = ["12.50", "7.99", "130.00", "0.99", "45.10"]
YEARS = [2019, 2020, 2021, 2022, 2024]
STATUS = ["active", "closed", "active", "pending", "closed"]
EXPECTED = {"email": "email_address", "card_number": "credit_card_number", "ip_address": "ipv4_address"}
NEUTRAL = {"amount", "year", "status"}


def _rows():
    return list(zip(EMAILS, CARDS, IPS, AMOUNTS, YEARS, STATUS, strict=True))


HEADER = ["email", "card_number", "ip_address", "amount", "year", "status"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    rows = _rows()
    (folder / "a.csv").write_text(
        ",".join(HEADER) + "\n" + "".join(",".join(f'"{v}"' for v in row) + "\n" for row in rows)
    )
    (folder / "b.tsv").write_bytes(
        ("\t".join(HEADER) + "\n" + "".join("\t".join(map(str, row)) + "\n" for row in rows)).encode("utf-16")
    )
    records = [dict(zip(HEADER, row, strict=True)) for row in rows]
    (folder / "c.json").write_text(json.dumps(records))
    (folder / "d.ndjson").write_text("".join(json.dumps(r) + "\n" for r in records) + "{broken\n")
    pq.write_table(pa.table({name: [r[name] for r in records] for name in HEADER}), folder / "e.parquet")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "People"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(list(row))
    other = workbook.create_sheet("Numbers")
    other.append(["amount", "year"])
    for row in rows:
        other.append([float(row[3]), row[4]])
    workbook.save(folder / "f.xlsx")
    return folder


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devhost", "classify", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _verdicts(table: dict) -> dict[str, list[str]]:
    return {c["column"]: [item["id"] for item in c["classifications"]] for c in table["columns"]}


def test_json_output_over_every_format(data_dir):
    proc = _run(str(data_dir), "--json", "--sample", "50")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)  # stdout is ONLY the JSON document
    assert "loading the classification engine" in proc.stderr
    assert document["format_version"] == 1 and document["rule_set"] == {"id": "system_default", "version": 1}
    files = {entry["path"].rsplit("/", 1)[-1]: entry for entry in document["files"]}
    assert set(files) == {"a.csv", "b.tsv", "c.json", "d.ndjson", "e.parquet", "f.xlsx"}
    assert [f["format"] for f in files.values()] == ["csv", "tsv", "json", "ndjson", "parquet", "xlsx"]
    assert files["d.ndjson"]["tables"][0]["bad_rows"] == 1
    assert [t["name"] for t in files["f.xlsx"]["tables"]] == ["People", "Numbers"]
    for name, entry in files.items():
        assert entry["error"] is None
        verdicts = _verdicts(entry["tables"][0])
        for column, expected in EXPECTED.items():
            assert verdicts[column][:1] == [expected], (name, column, verdicts)
        for column in NEUTRAL:
            assert verdicts[column] == [], (name, column, verdicts)
        column = entry["tables"][0]["columns"][0]
        top = column["classifications"][0]
        assert {"id", "confidence", "label", "evidence"} <= set(top)
        assert top["evidence"]["masked_examples"]
    assert all(v == [] for v in _verdicts(files["f.xlsx"]["tables"][1]).values())
    for raw in EMAILS + CARDS:
        assert raw not in proc.stdout


def test_table_output_and_template(data_dir):
    proc = _run(str(data_dir / "a.csv"), "--rule-set", "pci_dss")
    assert proc.returncode == 0, proc.stderr
    assert "credit_card_number" in proc.stdout and "email_address" not in proc.stdout
    assert "rule set pci_dss v1" in proc.stdout
    assert "COLUMN" in proc.stdout and "a.csv" in proc.stdout


def test_rule_set_document_file(data_dir, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "id: status_rules\nname: Status\ncustom_rules:\n"
        "  - {id: order_status, name: Order status, dictionary: [active, closed, pending]}\n"
    )
    proc = _run(str(data_dir / "c.json"), "--rule-set", str(rules), "--json")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["rule_set"] == {"id": "status_rules", "version": 1}
    assert _verdicts(document["files"][0]["tables"][0])["status"] == ["order_status"]


def test_bad_invocations(tmp_path):
    bad_rules = tmp_path / "bad.json"
    bad_rules.write_text(
        json.dumps({"id": "x", "name": "X", "custom_rules": [{"id": "r", "name": "R", "column_patterns": ["(a"]}]})
    )
    proc = _run(str(tmp_path), "--rule-set", str(bad_rules), "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "invalid_pattern" in proc.stderr and "custom_rules[0].column_patterns[0]" in proc.stderr
    proc = _run(str(tmp_path / "missing.csv"), "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    proc = _run(str(tmp_path), "--rule-set", "sox")
    assert proc.returncode == 2 and "not a built-in template" in proc.stderr


def test_unreadable_file_is_reported_in_the_document(tmp_path):
    (tmp_path / "ok.csv").write_text("email\nann@example.com\n")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip file")
    proc = _run(str(tmp_path), "--json")
    assert proc.returncode == 1
    files = {entry["path"].rsplit("/", 1)[-1]: entry for entry in json.loads(proc.stdout)["files"]}
    assert files["broken.xlsx"]["error"]["code"] == "unreadable" and files["ok.csv"]["error"] is None
