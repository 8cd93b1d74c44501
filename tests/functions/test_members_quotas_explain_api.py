"""Workspace membership, quotas and the explain endpoint through the route layer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import psycopg
import pytest

from core.db.unit_of_work import UnitOfWork
from core.workspaces.quotas import QuotaExceeded, QuotaKind, ensure_within_quota
from tests.functions.conftest import register_postgres_source


@pytest.fixture(scope="module")
def admin(make_token):
    return make_token("root", ["Admin"], mfa=True)


@pytest.fixture(scope="module")
def ws(client, admin):
    body = {"name": "Members Space", "region": "westeurope"}
    return client.request("POST", "/api/v1/workspaces", token=admin, json_body=body).json()["id"]


def _code(reply):
    return reply.json()["error"]["code"]


# -- membership -----------------------------------------------------------------------------
def test_member_role_is_checked_like_an_assignment_role(client, admin, ws):
    """A role the member body accepted but the assignment refused used to be a 500 (RTL marks here)."""
    body = {"principal_id": "rtl", "role": "\u202eevil\u202c"}
    reply = client.request("POST", f"/api/v1/workspaces/{ws}/members", token=admin, json_body=body)
    assert reply.status == 422 and reply.json()["error"]["details"][0]["field"] == "body.role", reply.body


def test_members_are_listed_with_their_roles(client, admin, ws):
    for role in ("Viewer", "DataSteward"):
        body = {"principal_id": "mia", "role": role}
        assert client.request("POST", f"/api/v1/workspaces/{ws}/members", token=admin, json_body=body).status == 201
    members = {
        m["principal_id"]: m for m in client.request("GET", f"/api/v1/workspaces/{ws}/members", token=admin).json()
    }
    assert members["mia"]["roles"] == ["DataSteward", "Viewer"]
    assert members["root"]["roles"] == ["WorkspaceOwner"]  # the creator


def test_removing_a_member_removes_its_access(client, admin, make_token, ws):
    body = {"principal_id": "ned", "role": "Viewer"}
    client.request("POST", f"/api/v1/workspaces/{ws}/members", token=admin, json_body=body)
    ned = make_token("ned", [])
    assert client.request("GET", f"/api/v1/workspaces/{ws}", token=ned).status == 200
    assert client.request("DELETE", f"/api/v1/workspaces/{ws}/members/ned", token=admin).status == 204
    assert client.request("GET", f"/api/v1/workspaces/{ws}", token=ned).status == 403


def test_removing_a_non_member_is_404(client, admin, ws):
    reply = client.request("DELETE", f"/api/v1/workspaces/{ws}/members/nobody", token=admin)
    assert reply.status == 404 and _code(reply) == "member_not_found"


def test_the_last_owner_cannot_be_removed(client, admin, ws):
    reply = client.request("DELETE", f"/api/v1/workspaces/{ws}/members/root", token=admin)
    assert reply.status == 409 and _code(reply) == "last_owner"


def test_membership_changes_need_the_right_and_mfa(client, make_token, ws):
    body = {"principal_id": "x", "role": "Viewer"}
    viewer = make_token("mia", [], mfa=True)
    reply = client.request("POST", f"/api/v1/workspaces/{ws}/members", token=viewer, json_body=body)
    assert reply.status == 403 and _code(reply) == "forbidden"
    owner_no_mfa = make_token("root", [], mfa=False)
    reply = client.request("POST", f"/api/v1/workspaces/{ws}/members", token=owner_no_mfa, json_body=body)
    assert reply.status == 403 and _code(reply) == "mfa_required"


# -- quotas ---------------------------------------------------------------------------------
def test_quotas_default_then_can_be_set_by_an_admin(client, admin, ws):
    quotas = client.request("GET", f"/api/v1/workspaces/{ws}/quotas", token=admin).json()
    assert quotas == {**quotas, "max_data_sources": 50, "max_concurrent_scans": 5, "is_default": True}
    body = {"max_data_sources": 2, "max_concurrent_scans": 1}
    reply = client.request("PUT", f"/api/v1/workspaces/{ws}/quotas", token=admin, json_body=body)
    assert reply.status == 200 and reply.json()["max_data_sources"] == 2 and reply.json()["is_default"] is False


def test_workspace_owners_cannot_raise_their_own_quotas(client, make_token, ws):
    owner = make_token("root", [], mfa=True)  # stored WorkspaceOwner only
    body = {"max_data_sources": 1000, "max_concurrent_scans": 100}
    reply = client.request("PUT", f"/api/v1/workspaces/{ws}/quotas", token=owner, json_body=body)
    assert reply.status == 403


def test_negative_quotas_are_422(client, admin, ws):
    body = {"max_data_sources": -1, "max_concurrent_scans": 1}
    reply = client.request("PUT", f"/api/v1/workspaces/{ws}/quotas", token=admin, json_body=body)
    assert reply.status == 422 and _code(reply) == "validation_error"


def test_the_quota_check_other_domains_call(client, admin, ws):
    client.request(
        "PUT",
        f"/api/v1/workspaces/{ws}/quotas",
        token=admin,
        json_body={"max_data_sources": 2, "max_concurrent_scans": 1},
    )
    with UnitOfWork() as uow:
        ensure_within_quota(uow, uuid.UUID(ws), QuotaKind.DATA_SOURCES, lambda: 1)
        with pytest.raises(QuotaExceeded) as exceeded:
            ensure_within_quota(uow, uuid.UUID(ws), QuotaKind.DATA_SOURCES, lambda: 2)
        assert exceeded.value.status == 409 and exceeded.value.code == "quota_exceeded"
        assert exceeded.value.details == {"quota": "data_sources", "limit": 2, "in_use": 2, "requested": 1}
        with pytest.raises(QuotaExceeded):
            ensure_within_quota(uow, uuid.UUID(ws), QuotaKind.CONCURRENT_SCANS, lambda: 1)


def test_quotas_hold_when_sources_are_registered_and_scans_requested(client, admin, pg_server, database_url):
    """Through the API: the data-source quota at registration, the concurrent-scan quota at POST /scans
    (a scan still queued, running or paused counts)."""
    source = register_postgres_source(client, admin, pg_server, urlsplit(database_url).path.lstrip("/"), "Q")
    ws, source_id = source["workspace_id"], source["data_source_id"]
    body = {"max_data_sources": 1, "max_concurrent_scans": 1}
    assert client.request("PUT", f"/api/v1/workspaces/{ws}/quotas", token=admin, json_body=body).status == 200
    connection = {"kind": "postgresql", "host": "pg.internal", "database": "d", "username": "u"}
    second = {"name": "Q2", "connection": connection}
    reply = client.request("POST", f"/api/v1/workspaces/{ws}/data-sources", token=admin, json_body=second)
    assert reply.status == 409 and _code(reply) == "quota_exceeded"
    assert reply.json()["error"]["details"]["quota"] == "data_sources"
    with psycopg.connect(database_url) as conn:  # a scan in flight (starting a real one races its end)
        conn.execute(
            "INSERT INTO scans (id, workspace_id, data_source_id, rule_set_template, status, phase, requested_by)"
            " VALUES (%s, %s, %s, 'pci_dss', 'paused', 'scanning', 'root')",
            (uuid.uuid4(), ws, source_id),
        )
    scan = {"workspace_id": ws, "data_source_id": source_id, "template": "pci_dss"}
    reply = client.request("POST", "/api/v1/scans", token=admin, json_body=scan)
    assert reply.status == 409 and _code(reply) == "quota_exceeded", reply.body
    assert reply.json()["error"]["details"] == {"quota": "concurrent_scans", "limit": 1, "in_use": 1, "requested": 1}


# -- explain --------------------------------------------------------------------------------
def _explain(client, token, **body):
    return client.request("POST", "/api/v1/authz/explain", token=token, json_body=body)


def test_explain_names_the_allowing_grant(client, make_token, ws):
    mia = make_token("mia", [])
    body = _explain(client, mia, permission="catalog:review", workspace_id=ws).json()
    assert body["allowed"] is True
    assert (body["decided_by"]["source"], body["decided_by"]["role"]) == ("assignment", "DataSteward")


def test_explain_names_the_denying_rule(client, make_token, ws):
    mia = make_token("mia", [])
    body = _explain(client, mia, permission="scans:run", workspace_id=ws).json()
    assert body["allowed"] is False and body["rule"] == "permission_not_in_role"
    assert {e["outcome"] for e in body["evaluations"]} == {"permission_not_in_role"}


def test_explain_applies_clearance_and_region_conditions(client, admin, make_token, ws):
    conditions = {"clearance": "Confidential", "regions": ["westeurope"]}
    body = {"principal_id": "quinn", "role": "DataEngineer", "workspace_id": ws, "conditions": conditions}
    assert client.request("POST", "/api/v1/authz/assignments", token=admin, json_body=body).status == 201
    quinn = make_token("quinn", [])
    ok = _explain(client, quinn, permission="scans:run", workspace_id=ws, resource={"sensitivity": "Internal"}).json()
    assert ok["allowed"] is True
    secret = _explain(
        client, quinn, permission="scans:run", workspace_id=ws, resource={"sensitivity": "Highly Confidential"}
    ).json()
    assert secret["allowed"] is False and secret["rule"] == "sensitivity_above_clearance"
    abroad = _explain(client, quinn, permission="scans:run", workspace_id=ws, resource={"region": "eastus"}).json()
    assert abroad["allowed"] is False and abroad["rule"] == "region_not_allowed"


def test_region_and_validity_conditions_decide_real_requests(client, admin, make_token, ws):
    """The conditions explain reports are the ones every route applies (workspace ws is in westeurope)."""
    now = datetime.now(UTC)
    cases = {
        "rhea": ({"regions": ["westeurope"]}, 200),
        "rory": ({"regions": ["eastus"]}, 403),  # data residency: the grant does not reach this workspace
        "tara": ({"valid_from": (now - timedelta(hours=1)).isoformat()}, 200),
        "tess": ({"valid_from": (now + timedelta(hours=1)).isoformat()}, 403),  # not valid yet
        "toby": ({"valid_until": (now - timedelta(seconds=1)).isoformat()}, 403),  # lapsed by itself
    }
    for who, (conditions, _) in cases.items():
        body = {"principal_id": who, "role": "Viewer", "workspace_id": ws, "conditions": conditions}
        assert client.request("POST", "/api/v1/authz/assignments", token=admin, json_body=body).status == 201
    for who, (_, status) in cases.items():
        assert client.request("GET", f"/api/v1/workspaces/{ws}", token=make_token(who, [])).status == status, who


def test_explain_reports_missing_mfa(client, admin, make_token):
    body = _explain(client, make_token("root", ["Admin"]), permission="authz:assign").json()
    assert body["allowed"] is False and body["rule"] == "mfa_required"


def test_explaining_another_principal_needs_authz_read(client, admin, make_token, ws):
    other = {"subject": "mia"}
    viewer = make_token("vera", ["Viewer"])
    reply = _explain(client, viewer, permission="catalog:review", workspace_id=ws, principal=other)
    assert reply.status == 403
    body = _explain(client, admin, permission="catalog:review", workspace_id=ws, principal=other).json()
    assert body["allowed"] is True


def test_explain_rejects_unknown_permissions_and_hidden_workspaces(client, make_token):
    mia = make_token("mia", [])
    reply = _explain(client, mia, permission="catalog:teleport")
    assert reply.status == 422 and _code(reply) == "unknown_permission"
    reply = _explain(client, mia, permission="catalog:read", workspace_id=str(uuid.uuid4()))
    assert reply.status == 404 and _code(reply) == "workspace_not_found"


def test_explain_at_an_instant_needs_its_utc_offset(client, admin, make_token, ws):
    """A naive ``at`` used to reach the PDP and fail comparing it with time-bound grants (500)."""
    until = {"valid_until": "2031-01-01T00:00:00Z"}
    body = {"principal_id": "nina", "role": "Viewer", "workspace_id": ws, "conditions": until}
    assert client.request("POST", "/api/v1/authz/assignments", token=admin, json_body=body).status == 201
    nina = make_token("nina", [])
    reply = _explain(client, nina, permission="workspaces:read", workspace_id=ws, at="2030-01-01T00:00:00")
    assert reply.status == 422 and _code(reply) == "validation_error"
    assert reply.json()["error"]["details"][0]["field"] == "body.at"
    later = _explain(client, nina, permission="workspaces:read", workspace_id=ws, at="2031-06-01T00:00:00+02:00")
    assert later.status == 200 and later.json()["rule"] == "grant_validity_ended"
    assert _explain(client, nina, permission="workspaces:read", workspace_id=ws, at="2030-01-01T00:00:00Z").json()[
        "allowed"
    ]


def test_explain_is_not_audited_as_a_change(client, admin):
    _explain(client, admin, permission="catalog:read")  # read-only POST
    records = client.request("GET", "/api/v1/audit?action=authz.explain&actor=root", token=admin).json()["items"]
    assert records == []
