"""Just-in-time elevation: request, approve/deny by someone else, self-expiry, audit."""

from __future__ import annotations

import uuid

import psycopg
import pytest


@pytest.fixture(scope="module")
def setup(client, make_token):
    owner = make_token("owen", ["WorkspaceOwner"], mfa=True)
    ws = client.request("POST", "/api/v1/workspaces", token=owner, json_body={"name": "Jit Space"}).json()["id"]
    owner = make_token("owen", [], mfa=True)  # from here on: only the stored WorkspaceOwner assignment
    for who in ("eng", "eng2", "viewer"):
        body = {"principal_id": who, "role": "Viewer"}
        assert client.request("POST", f"/api/v1/workspaces/{ws}/members", token=owner, json_body=body).status == 201
    return {"ws": ws, "owner": owner, "eng": make_token("eng", []), "viewer": make_token("viewer", [], mfa=True)}


def _request(client, token, ws, role="Auditor", minutes=30):
    body = {"role": role, "workspace_id": ws, "duration_minutes": minutes, "reason": "Investigate incident INC-42"}
    return client.request("POST", "/api/v1/authz/elevations", token=token, json_body=body)


def _code(reply):
    return reply.json()["error"]["code"]


def test_approved_elevation_grants_the_role_until_it_expires(client, setup, database_url):
    ws, eng = setup["ws"], setup["eng"]
    assert client.request("GET", f"/api/v1/audit?workspace_id={ws}", token=eng).status == 403
    created = _request(client, eng, ws, role="WorkspaceOwner")
    assert created.status == 201 and created.json()["status"] == "pending"
    elevation_id = created.json()["id"]
    assert client.request("GET", f"/api/v1/audit?workspace_id={ws}", token=eng).status == 403  # pending grants nothing

    approved = client.request(
        "POST", f"/api/v1/authz/elevations/{elevation_id}/approve", token=setup["owner"], json_body={"reason": "ok"}
    )
    assert approved.status == 200, approved.body
    assert approved.json()["status"] == "approved" and approved.json()["active"] is True
    assert approved.json()["decided_by"] == "owen"
    assert client.request("GET", f"/api/v1/audit?workspace_id={ws}", token=eng).status == 200

    explained = client.request(
        "POST", "/api/v1/authz/explain", token=eng, json_body={"permission": "audit:read", "workspace_id": ws}
    ).json()
    assert explained["allowed"] and explained["decided_by"]["source"] == "elevation"

    # Time passes: the PDP checks expiry at each decision, no job revokes anything.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE elevation_requests SET expires_at = now() - interval '1 second' WHERE id = %s", (elevation_id,)
        )
    assert client.request("GET", f"/api/v1/audit?workspace_id={ws}", token=eng).status == 403
    assert client.request("GET", f"/api/v1/authz/elevations/{elevation_id}", token=eng).json()["active"] is False


def test_request_and_decision_are_audited(client, setup):
    ws = setup["ws"]
    elevation_id = _request(client, setup["eng"], ws, role="DataSteward").json()["id"]
    client.request("POST", f"/api/v1/authz/elevations/{elevation_id}/deny", token=setup["owner"], json_body={})
    records = client.request("GET", f"/api/v1/audit?workspace_id={ws}&limit=200", token=setup["owner"]).json()["items"]
    actions = {(r["action"], r["actor"]) for r in records if r["target"] == f"elevations/{elevation_id}"}
    assert actions == {("authz.request_elevation", "eng"), ("authz.deny_elevation", "owen")}


def test_denied_elevation_grants_nothing(client, setup):
    ws = setup["ws"]
    elevation_id = _request(client, setup["eng"], ws).json()["id"]
    reply = client.request("POST", f"/api/v1/authz/elevations/{elevation_id}/deny", token=setup["owner"], json_body={})
    assert reply.status == 200 and reply.json()["status"] == "denied" and reply.json()["active"] is False


def test_self_approval_is_refused(client, setup, make_token):
    owner = setup["owner"]
    elevation_id = _request(client, owner, setup["ws"], role="Auditor").json()["id"]
    reply = client.request("POST", f"/api/v1/authz/elevations/{elevation_id}/approve", token=owner, json_body={})
    assert reply.status == 403 and _code(reply) == "self_approval_forbidden"


def test_a_principal_without_approval_rights_cannot_approve(client, setup):
    elevation_id = _request(client, setup["eng"], setup["ws"]).json()["id"]
    reply = client.request(
        "POST", f"/api/v1/authz/elevations/{elevation_id}/approve", token=setup["viewer"], json_body={}
    )
    assert reply.status == 403 and _code(reply) == "forbidden"


def test_a_decided_request_cannot_be_decided_again(client, setup):
    elevation_id = _request(client, setup["eng"], setup["ws"], role="DataSteward").json()["id"]
    url = f"/api/v1/authz/elevations/{elevation_id}"
    assert client.request("POST", url + "/deny", token=setup["owner"], json_body={}).status == 200
    reply = client.request("POST", url + "/approve", token=setup["owner"], json_body={})
    assert reply.status == 409 and _code(reply) == "elevation_already_decided"


def test_approvers_cannot_approve_roles_beyond_their_own(client, setup):
    elevation_id = _request(client, setup["eng"], setup["ws"], role="Admin").json()["id"]
    reply = client.request(
        "POST", f"/api/v1/authz/elevations/{elevation_id}/approve", token=setup["owner"], json_body={}
    )
    assert reply.status == 403 and _code(reply) == "escalation_denied"


def test_approval_needs_mfa(client, setup, make_token):
    elevation_id = _request(client, setup["eng"], setup["ws"]).json()["id"]
    no_mfa = make_token("owen", [], mfa=False)
    reply = client.request("POST", f"/api/v1/authz/elevations/{elevation_id}/approve", token=no_mfa, json_body={})
    assert reply.status == 403 and _code(reply) == "mfa_required"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"role": "Wizard"}, 422, "unknown_role"),
        ({"duration_minutes": 100000}, 422, "validation_error"),
        ({"reason": "short"}, 422, "validation_error"),
        ({"workspace_id": str(uuid.uuid4())}, 404, "workspace_not_found"),
    ],
)
def test_bad_elevation_requests(client, setup, change, status, code):
    body = {"role": "Auditor", "workspace_id": setup["ws"], "duration_minutes": 30, "reason": "A good reason here"}
    reply = client.request("POST", "/api/v1/authz/elevations", token=setup["eng"], json_body={**body, **change})
    assert reply.status == status and _code(reply) == code


def test_listing_shows_own_requests_and_those_the_caller_may_decide(client, setup, make_token):
    mine = client.request("GET", "/api/v1/authz/elevations?limit=200", token=setup["eng"]).json()["items"]
    assert mine and all(e["principal_id"] == "eng" for e in mine)
    pending = client.request("GET", "/api/v1/authz/elevations?status=pending", token=setup["owner"]).json()["items"]
    assert pending and all(e["status"] == "pending" for e in pending)
