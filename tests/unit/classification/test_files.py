"""core.files.tabular: every format, header variants, blanks, bad rows, encodings, sampling."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from core.files.tabular import (
    FileReadError,
    clean_cell,
    clean_column,
    detect_format,
    read_stream,
    read_tables,
    sniff_delimiter,
    sniff_encoding,
    unique_headers,
)


def _one(path, **kwargs):
    tables = read_tables(path, **kwargs)
    assert len(tables) == 1
    return tables[0]


def test_csv_with_blank_lines_ragged_rows_and_cp1252(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(
        "\n\nName;E-mail;;Amount\nJosé;a@b.com;;1.5\nZoë;;;\nbad;row;x;y;z\n\nEve;e@f.org\n".encode("cp1252")
    )
    table = _one(path)
    assert table.encoding == "cp1252" and table.format == "csv"
    assert [c.name for c in table.columns] == ["Name", "E-mail", "Amount"]
    assert table.as_mapping()["Name"] == ["José", "Zoë", "Eve"]
    assert table.as_mapping()["E-mail"] == ["a@b.com", None, "e@f.org"]
    assert table.bad_rows == 1 and table.rows_read == 3


def test_tsv_utf16_and_utf8_bom(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_bytes("id\tcity\n1\tKöln\n".encode("utf-16"))
    assert _one(path).as_mapping() == {"id": ["1"], "city": ["Köln"]}
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffEmail,Phone\nx@y.com,555\n".encode())
    table = _one(path)
    assert table.encoding == "utf-8-sig" and [c.name for c in table.columns] == ["Email", "Phone"]


def test_headerless_csv_gets_generic_names(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text("a@b.com,12,2020-01-01\nc@d.com,13,2021-02-02\n")
    table = _one(path)
    assert not table.header_detected
    assert table.as_mapping() == {
        "column_1": ["a@b.com", "c@d.com"],
        "column_2": ["12", "13"],
        "column_3": ["2020-01-01", "2021-02-02"],
    }


def test_header_variants():
    assert unique_headers(["Email", "", "email", " E-mail  Address ", None]) == [
        "Email",
        "column_2",
        "email_2",
        "E-mail Address",
        "column_5",
    ]


def test_delimiter_sniffing_survives_quotes_and_ragged_rows():
    assert sniff_delimiter('name,"addr, x",n\n"Smith, J","1 Main St, X",1\n') == ","
    assert sniff_delimiter("a;b;c\n1;2;3\n1;2;3;4;5\n1;2;3\n") == ";"
    assert sniff_delimiter("a|b\n1|2\n") == "|"


def test_sniff_encoding():
    assert sniff_encoding("héllo".encode()) == "utf-8"
    assert sniff_encoding("héllo".encode("cp1252")) == "cp1252"
    assert sniff_encoding("hello".encode("utf-16-le")) == "utf-16-le"


def test_sampling_is_deterministic_and_row_aligned(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("n,double\n" + "".join(f"{i},{2 * i}\n" for i in range(5000)))
    first = _one(path, sample=50)
    second = _one(path, sample=50)
    assert first.as_mapping() == second.as_mapping()
    assert first.rows_sampled == 50 and first.rows_read == 5000
    values = first.as_mapping()
    assert all(int(d) == 2 * int(n) for n, d in zip(values["n"], values["double"], strict=True))
    assert max(int(n) for n in values["n"]) > 1000  # not just the head of the file
    assert _one(path, sample=10, max_rows=100).rows_read == 100


def test_json_array_nested_and_wrapped(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{"name": "Ann", "contact": {"email": "a@b.com"}, "tags": ["x"]}, {"name": None}]))
    table = _one(path)
    assert table.as_mapping() == {"name": ["Ann", None], "contact.email": ["a@b.com", None], "tags": ['["x"]', None]}
    path.write_text(json.dumps({"customers": [{"id": 1}], "orders": [{"total": 2.5}], "meta": 1}))
    tables = read_tables(path)
    assert [(t.table, t.as_mapping()) for t in tables] == [("customers", {"id": ["1"]}), ("orders", {"total": ["2.5"]})]


def test_ndjson_with_bad_lines(tmp_path):
    path = tmp_path / "a.ndjson"
    path.write_text('{"ip": "10.0.0.1"}\nnot json\n\n{"ip": "10.0.0.2", "port": 22}\n')
    table = _one(path)
    assert table.bad_rows == 1 and table.as_mapping() == {"ip": ["10.0.0.1", "10.0.0.2"], "port": [None, "22"]}
    # A ".json" file that is really NDJSON.
    other = tmp_path / "lines.json"
    other.write_text('{"a": 1}\n{"a": 2}\n')
    assert _one(other).as_mapping() == {"a": ["1", "2"]}


def test_parquet(tmp_path):
    path = tmp_path / "a.parquet"
    pq.write_table(
        pa.table({"email": ["a@b.com", None], "amount": [1.5, 2.0], "born": [date(1990, 1, 2), date(1985, 5, 6)]}),
        path,
    )
    assert _one(path).as_mapping() == {
        "email": ["a@b.com", None],
        "amount": ["1.5", "2"],
        "born": ["1990-01-02", "1985-05-06"],
    }


def test_xlsx_every_sheet_with_offsets(tmp_path):
    workbook = Workbook()
    first = workbook.active
    first.title = "Customers"
    first["B3"], first["C3"] = "Email", "Born"
    first["B4"], first["C4"] = "a@b.com", datetime(1990, 1, 2)
    first["B5"], first["C5"] = None, datetime(1985, 5, 6, 10, 30)
    second = workbook.create_sheet("Orders")
    second.append(["Total", "SKU"])
    second.append([12.5, "SKU-1"])
    second.append([3, "SKU-2"])
    workbook.create_sheet("Empty")
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    tables = read_tables(path)
    assert [t.table for t in tables] == ["Customers", "Orders", "Empty"]
    assert tables[0].as_mapping() == {"Email": ["a@b.com", None], "Born": ["1990-01-02", "1985-05-06 10:30:00"]}
    assert tables[1].as_mapping() == {"Total": ["12.5", "3"], "SKU": ["SKU-1", "SKU-2"]}
    assert tables[2].columns == []


def test_errors(tmp_path):
    with pytest.raises(FileReadError) as info:
        detect_format(tmp_path / "a.docx")
    assert info.value.code == "unsupported_format"
    empty = tmp_path / "e.csv"
    empty.write_text("")
    with pytest.raises(FileReadError) as info:
        read_tables(empty)
    assert info.value.code == "empty"
    broken = tmp_path / "b.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(FileReadError) as info:
        read_tables(broken)
    assert info.value.code == "unreadable"


def test_stream_interface():
    stream = io.BytesIO(b"email\nx@y.com\n")
    tables = list(read_stream(stream, "csv", source="blob://c/x.csv", sample=5))
    assert tables[0].source == "blob://c/x.csv" and tables[0].as_mapping() == {"email": ["x@y.com"]}


def test_clean_cell():
    assert clean_cell("  ") is None and clean_cell(float("nan")) is None
    assert clean_cell(12.0) == "12" and clean_cell(0.5) == "0.5" and clean_cell(7) == "7"
    assert clean_cell(datetime(2020, 1, 2)) == "2020-01-02" and clean_cell(True) is True


def test_clean_column_equals_clean_cell_per_value():
    columns = {
        "text": ((" a ", "", None, "\u00a0", "b"), ["a", None, None, None, "b"]),
        "text without blanks": (["x", " y"], ["x", "y"]),
        "int": ((1, None, -20, 10**20), ["1", None, "-20", "100000000000000000000"]),
        "bool": ((True, None, False), [True, None, False]),
        "decimal": ((Decimal("1.50"), Decimal("NaN"), None), ["1.50", "NaN", None]),
        "timestamp": (
            (
                datetime(2024, 1, 1, tzinfo=UTC),
                datetime(2024, 1, 1, 0, 0, 0, 1),
                datetime(2024, 3, 4, 5, 6, tzinfo=UTC),
            ),
            ["2024-01-01", "2024-01-01 00:00:00.000001", "2024-03-04 05:06:00+00:00"],
        ),
        "date": ((date(2020, 1, 2), None), ["2020-01-02", None]),
        "time": ((time(0), time(12, 30)), ["00:00:00", "12:30:00"]),
        "all null": ((None, None), [None, None]),
        "empty": ((), []),
        # mixed types, floats and other types: clean_cell for each value
        "mixed": ((1, True, 1.0, "x", None), ["1", True, "1", "x", None]),
        "float": ((1.0, float("nan"), 0.5), ["1", None, "0.5"]),
        "json": (({"a": 1}, [1]), ['{"a": 1}', "[1]"]),
    }
    for name, (values, expected) in columns.items():
        cleaned = clean_column(values)
        assert cleaned == expected, name
        assert cleaned == [clean_cell(value) for value in values], name
