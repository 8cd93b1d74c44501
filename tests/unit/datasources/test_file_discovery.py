"""File discovery and sampling over a local folder and an Azurite blob container (the same tree)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from core.datasources.model import AzureBlobConnection, LocalFolderConnection
from core.discovery import connectors
from core.discovery.blob import BlobFileSystem, BlobRangeReader
from tests.conftest import AZURITE_KEY


def build_tree(root: Path) -> None:
    (root / "crm").mkdir(parents=True)
    lines = ["id,email,signup,score"] + [
        f"{i},user{i}@example.com,2024-01-{1 + i % 28:02d},{i * 0.5}" for i in range(3000)
    ]
    (root / "crm" / "customers.csv").write_text("\n".join(lines) + "\n")
    (root / "crm" / "phones.tsv").write_text("name\tphone\nAnn\t+1 555 0100\nBob\t+1 555 0101\n")
    (root / "events.ndjson").write_text(
        "\n".join(json.dumps({"user": {"id": i}, "ip": f"10.0.0.{i}"}) for i in range(50))
    )
    (root / "config.json").write_text(json.dumps({"users": [{"name": "a"}], "groups": [{"gid": 1}, {"gid": 2}]}))
    book = Workbook()
    book.active.title = "Staff"
    book.active.append(["Employee", "IBAN"])
    book.active.append(["Ann", "DE89370400440532013000"])
    book.create_sheet("Empty")
    book.save(root / "hr.xlsx")
    for year, month in (("2024", "01"), ("2024", "02"), ("2025", "01")):
        folder = root / "sales" / f"year={year}" / f"month={month}"
        folder.mkdir(parents=True)
        table = pa.table({"order_id": list(range(100)), "amount": [i * 1.25 for i in range(100)]})
        pq.write_table(table, folder / "part-0.parquet")
        (folder / "_SUCCESS").write_text("")
    (root / "notes.pdf").write_bytes(b"%PDF-1.4")


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("files")
    build_tree(root)
    return root


def by_name(result):
    return {
        a.name.rsplit("/", 2)[-2] + "/" + a.name.rsplit("/", 1)[-1] if "/" in a.name else a.name: a
        for a in result.assets
    }


@pytest.fixture(scope="module")
def local(env, sources_root):
    root = sources_root / "lake"
    build_tree(root)
    connection = LocalFolderConnection(path=str(root))
    return connection, connectors.discover(connection, {}), root


def test_datasets_and_names(local):
    connection, result, root = local
    names = sorted(a.name.removeprefix(str(root.resolve())) for a in result.assets)
    assert names == [
        "/config.json/groups",
        "/config.json/users",
        "/crm/customers.csv",
        "/crm/phones.tsv",
        "/events.ndjson",
        "/hr.xlsx/Empty",
        "/hr.xlsx/Staff",
        "/sales",
    ]
    assert result.skipped == [{"path": "notes.pdf", "reason": "unsupported_format"}]
    sales = next(a for a in result.assets if a.name.endswith("/sales"))
    assert sales.qualified_name == f"file://{root.resolve()}/sales" and sales.namespace == "file"


def test_partitioned_folder_is_one_dataset_with_partition_columns(local):
    _, result, _ = local
    sales = next(a for a in result.assets if a.name.endswith("/sales"))
    assert sales.format == "parquet" and sales.file_count == 3
    assert sales.partition_columns == ["year", "month"]
    assert [(c.name, c.logical_type, c.is_partition_key) for c in sales.columns] == [
        ("order_id", "integer", False),
        ("amount", "decimal", False),
        ("year", "integer", True),
        ("month", "string", True),  # "01": leading zeros stay text
    ]
    assert sales.row_estimate == 300
    sample = connectors.sample(LocalFolderConnection(path=local[0].path), {}, sales, rows=30)
    mapping = sample.as_mapping()
    assert sample.rows_sampled == 30 and set(mapping["year"]) == {"2024", "2025"}


def test_csv_schema_inference_row_estimate_and_sample(local):
    connection, result, _ = local
    customers = next(a for a in result.assets if a.name.endswith("customers.csv"))
    assert [(c.name, c.logical_type) for c in customers.columns] == [
        ("id", "integer"),
        ("email", "string"),
        ("signup", "date"),
        ("score", "decimal"),
    ]
    assert customers.row_estimate == 3000
    sample = connectors.sample(connection, {}, customers, rows=50)
    assert sample.rows_sampled == 50 and sample.rows_scanned == 3000
    profile = connectors.profile(sample, customers)
    cols = {c.name: c for c in profile.columns}
    assert cols["email"].min is None and cols["score"].min is not None and cols["signup"].max is not None


def test_fingerprints_change_with_content(local):
    connection, result, root = local
    before = {a.name: a.fingerprint.value for a in result.assets}
    assert {a.name: a.fingerprint.value for a in connectors.discover(connection, {}).assets} == before
    (root / "crm" / "phones.tsv").write_text("name\tphone\nAnn\t+1 555 0100\n")
    after = {a.name: a.fingerprint.value for a in connectors.discover(connection, {}).assets}
    changed = [name for name in before if before[name] != after[name]]
    assert [n.rsplit("/", 1)[-1] for n in changed] == ["phones.tsv"]


def test_xlsx_and_json_tables(local):
    _, result, _ = local
    staff = next(a for a in result.assets if a.name.endswith("hr.xlsx/Staff"))
    assert staff.sheet == "Staff" and [c.name for c in staff.columns] == ["Employee", "IBAN"]
    events = next(a for a in result.assets if a.name.endswith("events.ndjson"))
    assert [c.name for c in events.columns] == ["user.id", "ip"] and events.row_estimate == 50


# -- Azure Blob through Azurite ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def container(azurite, tree):
    from azure.storage.blob import BlobServiceClient

    url, connection_string = azurite.url, azurite.connection_string
    client = BlobServiceClient.from_connection_string(connection_string).create_container("lake")
    for path in sorted(tree.rglob("*")):
        if path.is_file():
            client.upload_blob(f"landing/{path.relative_to(tree).as_posix()}", path.read_bytes())
    return url


def blob_conn(url: str, **overrides) -> AzureBlobConnection:
    values = {"account_url": url, "container": "lake", "prefix": "landing", "auth": "account_key"}
    values.update(overrides)
    return AzureBlobConnection.model_validate(values)


def test_blob_connection_test_classifies(container):
    assert connectors.test_connection(blob_conn(container), {"account_key": AZURITE_KEY}).ok
    assert connectors.test_connection(blob_conn(container, container="nope"), {"account_key": AZURITE_KEY}).error == (
        "not_found"
    )
    wrong = connectors.test_connection(blob_conn(container), {"account_key": "d3Jvbmc=" * 8})
    # Azure answers a bad key with 403 AuthenticationFailed (auth); Azurite says AuthorizationFailure.
    assert wrong.error in ("auth", "permission") and "d3Jvbmc" not in (wrong.message or "")
    refused = connectors.test_connection(blob_conn("http://127.0.0.1:1/devstoreaccount1"), {"account_key": AZURITE_KEY})
    assert refused.error == "network"


def test_blob_discovery_matches_the_local_tree(container):
    result = connectors.discover(blob_conn(container), {"account_key": AZURITE_KEY})
    ns = "wasbs://lake@devstoreaccount1.blob.core.windows.net"
    names = sorted(a.qualified_name for a in result.assets)
    assert f"{ns}/landing/sales" in names and f"{ns}/landing/crm/customers.csv" in names and len(names) == 8
    sales = next(a for a in result.assets if a.name == "/landing/sales")
    assert sales.partition_columns == ["year", "month"] and sales.row_estimate == 300
    assert all(f.etag for f in sales.files)
    adls = connectors.discover(
        blob_conn(container).model_copy(update={"kind": "adls_gen2"}), {"account_key": AZURITE_KEY}
    )
    assert adls.assets[0].namespace == "abfss://lake@devstoreaccount1.dfs.core.windows.net"


def test_blob_sampling_uses_ranged_reads(container):
    conn = blob_conn(container)
    fs = BlobFileSystem(conn, {"account_key": AZURITE_KEY})
    result = connectors.discover(conn, {"account_key": AZURITE_KEY})
    customers = next(a for a in result.assets if a.name.endswith("customers.csv"))
    sample = connectors.sample(conn, {"account_key": AZURITE_KEY}, customers, rows=20)
    assert sample.rows_sampled == 20
    # A parquet footer read touches a small part of the blob.
    entry = next(e for e in fs.list() if e.path.endswith(".parquet"))
    raw = BlobRangeReader(fs.container.get_blob_client(entry.path), entry.size)
    raw.seek(-8, 2)
    assert raw.read(8)[-4:] == b"PAR1" and raw.bytes_read == 8


def test_storage_error_classification_follows_azure_error_codes():
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    from core.discovery.blob import classify_error

    def http(status: int, code: str) -> HttpResponseError:
        error = HttpResponseError(message="x")
        error.status_code, error.error_code = status, code
        return error

    assert classify_error(http(403, "AuthenticationFailed")) == "auth"
    assert classify_error(http(403, "AuthorizationPermissionMismatch")) == "permission"
    assert classify_error(ClientAuthenticationError("no token")) == "auth"
    assert classify_error(ServiceRequestError("Connection timed out")) == "timeout"
    assert classify_error(ServiceRequestError("Name or service not known")) == "network"
