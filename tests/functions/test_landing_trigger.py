"""A landed blob for a source that is being scanned joins that scan (core/scans/triggers.py), against
real PostgreSQL: the scan discovers again before it finishes, at most MAX_DISCOVERY_ROUNDS times, and a
file rewritten meanwhile is scanned again. End to end with the saga: tests/e2e/test_landing_scan.py."""

from __future__ import annotations

import pytest
from azure.storage.blob import BlobServiceClient

from core.db.unit_of_work import UnitOfWork
from core.errors import Conflict
from core.scans import service
from core.scans.triggers import scans_for_landed_blob
from tests.conftest import AZURITE_KEY


@pytest.fixture(scope="module")
def source(client, make_token, azurite) -> dict:
    BlobServiceClient.from_connection_string(azurite.connection_string).create_container("landing")
    token = make_token("landing-admin", ["Admin"], mfa=True)
    ws = client.request("POST", "/api/v1/workspaces", token=token, json_body={"name": "Landing joins"}).json()["id"]
    created = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/data-sources",
        token=token,
        json_body={
            "name": "landing-in",
            "connection": {
                "kind": "azure_blob",
                "account_url": azurite.url,
                "container": "landing",
                "prefix": "in",
                "auth": "account_key",
            },
            "credentials": {"account_key": AZURITE_KEY},
        },
    )
    assert created.status == 201, created.body
    source_id = created.json()["id"]
    tested = client.request("POST", f"/api/v1/workspaces/{ws}/data-sources/{source_id}/test", token=token)
    assert tested.json()["ok"], tested.body
    return {"workspace_id": ws, "data_source_id": source_id}


def _land(path: str) -> list:
    with UnitOfWork() as uow:
        return scans_for_landed_blob(uow, path)


def _row(scan_id) -> dict:
    with UnitOfWork() as uow:
        return uow.scans.get_for_update(scan_id)


def _begin(scan_id) -> None:
    with UnitOfWork() as uow:
        service.begin(uow, scan_id)


def _finish(scan_id) -> dict:
    with UnitOfWork() as uow:
        return service.finish(uow, scan_id)


def test_a_landing_joins_the_running_scan_which_discovers_again_before_finishing(source):
    (scan,) = _land("landing/in/a.csv")  # the sagas are not started here: the test plays the activities
    assert scan.trigger == "blob" and str(scan.data_source_id) == source["data_source_id"]
    assert _land("landing/other/x.csv") == []  # outside the source's prefix: nothing

    assert _land("landing/in/b.csv") == []  # queued: joins it, no second scan
    _begin(scan.id)  # discovery round 1 lists a.csv and b.csv
    assert (_row(scan.id)["landed_seq"], _row(scan.id)["discovered_seq"]) == (1, 1)
    assert _land("landing/in/c.csv") == []  # lands after round 1 listed the source
    assert _finish(scan.id) == {"rediscover": True}
    assert _row(scan.id)["status"] == "running"
    _begin(scan.id)  # round 2 sees c.csv
    summary = _finish(scan.id)
    assert "assets_total" in summary and _row(scan.id)["status"] == "completed"
    assert _row(scan.id)["discovery_rounds"] == 2

    (following,) = _land("landing/in/d.csv")  # the scan has ended: a new one
    assert following.previous_scan_id == scan.id
    _begin(following.id)
    assert _finish(following.id)["assets_total"] == 0


def test_after_its_last_discovery_round_a_scan_is_busy_and_finishes(source):
    (scan,) = _land("landing/in/e.csv")
    for _ in range(service.MAX_DISCOVERY_ROUNDS - 1):
        _begin(scan.id)
    assert _land("landing/in/f.csv") == []  # joins round MAX - 1, so round MAX will see it
    assert _finish(scan.id) == {"rediscover": True}
    _begin(scan.id)
    with pytest.raises(Conflict) as refused:  # no round left to see it: the host retries the blob
        _land("landing/in/g.csv")
    assert refused.value.code == "scan_already_running"
    assert "assets_total" in _finish(scan.id)
    (following,) = _land("landing/in/g.csv")  # the retry, once the scan has finished
    _begin(following.id)
    _finish(following.id)


def test_a_later_round_rescans_a_file_rewritten_since_the_first(source):
    (scan,) = _land("landing/in/h.csv")
    name = "wasbs://landing@devstoreaccount1.blob.core.windows.net/in/h.csv"
    with UnitOfWork() as uow:
        service.begin(uow, scan.id)
        assert service.record_discovery(uow, scan.id, [(name, "file_set", "etag-1", {})]) == [name]
        service.record_assets(uow, scan.id, done=[(name, 3, {"email": ["email_address"]}, None)], failed={})
        uow.commit()
        # A round that finds it unchanged leaves it done; one that finds a new etag scans it again.
        assert service.record_discovery(uow, scan.id, [(name, "file_set", "etag-1", {})]) == []
        # A descriptor may come as JSON text already written (discovery's model_dump_json): stored the same.
        descriptor = '{"name": "in/h.csv", "format": "csv", "row_estimate": null, "note": "é"}'
        assert service.record_discovery(uow, scan.id, [(name, "file_set", "etag-2", descriptor)]) == [name]
        (row,) = uow.scans.assets(scan.id)
        assert (row["status"], row["fingerprint"]) == ("pending", "etag-2")
        assert row["descriptor"] == {"name": "in/h.csv", "format": "csv", "row_estimate": None, "note": "é"}
    _finish(scan.id)
