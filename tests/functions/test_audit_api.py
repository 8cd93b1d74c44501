"""The audit trail through the route layer: what is recorded, append-only storage, the hash chain,
tamper detection, search and export."""

from __future__ import annotations

import json
import threading
import uuid

import psycopg
import pytest

from core.db.unit_of_work import UnitOfWork
from core.workspaces import service as workspaces
from core.workspaces.model import WorkspaceCreate


@pytest.fixture(scope="module")
def admin(make_token):
    return make_token("root", ["Admin"], mfa=True)


@pytest.fixture(scope="module")
def workspace(client, admin):
    return client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Audited"}).json()["id"]


def _records(client, token, **filters):
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    reply = client.request("GET", "/api/v1/audit?limit=200&" + query, token=token)
    assert reply.status == 200, reply.body
    return reply.json()["items"]


def _sql(database_url, statement, params=()):
    with psycopg.connect(database_url, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def test_a_change_is_recorded_with_who_what_where_and_a_change_hash(client, admin, workspace):
    reply = client.request(
        "POST",
        f"/api/v1/workspaces/{workspace}/members",
        token=admin,
        json_body={"principal_id": "kim", "role": "Viewer"},
        headers={"x-correlation-id": "audit-change-1", "x-forwarded-for": "203.0.113.7, 10.0.0.1"},
    )
    assert reply.status == 201
    [record] = [r for r in _records(client, admin, workspace_id=workspace) if r["correlation_id"] == "audit-change-1"]
    assert record["actor"] == "root"
    assert record["action"] == "workspaces.add_member"
    assert record["outcome"] == "success" and record["status"] == 201
    assert record["workspace_id"] == workspace
    assert record["target"] == f"assignments/{reply.json()['id']}"
    assert record["client_ip"] == "203.0.113.7"
    assert len(record["change_hash"]) == 64
    assert "kim" not in json.dumps(record)  # the change itself is only hashed


def test_creating_a_workspace_starts_its_chain(client, admin, workspace):
    records = _records(client, admin, workspace_id=workspace)
    first = min(records, key=lambda r: r["seq"])
    assert first["seq"] == 1 and first["action"] == "workspaces.create_workspace"
    assert first["prev_hash"] == "0" * 64


def test_a_denial_is_recorded(client, admin, make_token, workspace):
    viewer = make_token("val", ["Viewer"], workspaces=[uuid.UUID(workspace)])
    reply = client.request(
        "POST",
        f"/api/v1/workspaces/{workspace}/members",
        token=viewer,
        json_body={"principal_id": "x", "role": "Viewer"},
        headers={"x-correlation-id": "audit-denied-1"},
    )
    assert reply.status == 403
    [record] = [r for r in _records(client, admin, actor="val") if r["correlation_id"] == "audit-denied-1"]
    assert record["outcome"] == "denied" and record["reason"] == "forbidden" and record["workspace_id"] == workspace


def test_a_read_denial_and_an_anonymous_request_are_recorded(client, admin, make_token):
    nobody = make_token("nobody", [])
    reply = client.request("GET", "/api/v1/workspaces", token=nobody, headers={"x-correlation-id": "audit-read-403"})
    assert reply.status == 403
    reply = client.request("POST", "/api/v1/workspaces", json_body={}, headers={"x-correlation-id": "audit-anon-401"})
    assert reply.status == 401
    records = {r["correlation_id"]: r for r in _records(client, admin, outcome="denied")}
    assert records["audit-read-403"]["actor"] == "nobody"
    assert records["audit-anon-401"]["actor"] == "anonymous"
    assert records["audit-anon-401"]["reason"] == "unauthenticated"


def test_a_failed_change_is_recorded_as_failed_and_nothing_else(client, admin):
    client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Twice"})
    reply = client.request(
        "POST", "/api/v1/workspaces", token=admin, json_body={"name": "twice"}, headers={"x-correlation-id": "dup-1"}
    )
    assert reply.status == 409
    records = [r for r in _records(client, admin) if r["correlation_id"] == "dup-1"]
    assert [(r["outcome"], r["reason"]) for r in records] == [("failed", "workspace_name_taken")]


def test_reads_are_not_recorded(client, admin, workspace):
    client.request("GET", f"/api/v1/workspaces/{workspace}", token=admin, headers={"x-correlation-id": "read-1"})
    assert not [r for r in _records(client, admin) if r["correlation_id"] == "read-1"]


def test_change_and_record_commit_together(app_env):
    """A change whose audit append fails is rolled back with it (the hook runs inside the transaction)."""
    from core.auth.access import build_access
    from core.auth.policy import token_grants
    from core.auth.principal import Principal

    principal = Principal("root", roles=frozenset({"Admin"}))
    access = build_access(principal, "workspaces:create", token_grants(principal))

    def failing_audit(uow):
        raise RuntimeError("audit store down")

    with pytest.raises(RuntimeError), UnitOfWork() as uow:
        uow.before_commit(failing_audit)
        workspaces.create_workspace(uow, access, WorkspaceCreate(name="Never Committed"))
    with UnitOfWork() as uow:
        names = [w.name for w in uow.workspaces.list(access.scope, None, 200)]
    assert "Never Committed" not in names


def test_records_cannot_be_updated_deleted_or_truncated(database_url, client, admin):
    for statement in ("UPDATE audit_records SET actor = 'x'", "DELETE FROM audit_records", "TRUNCATE audit_records"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _sql(database_url, statement)


def test_verify_reports_an_intact_chain(client, admin, workspace):
    reply = client.request("GET", f"/api/v1/audit/verify?workspace_id={workspace}", token=admin)
    assert reply.status == 200
    body = reply.json()
    assert body["ok"] is True and body["records_checked"] == body["head_seq"] >= 2


def test_concurrent_appends_keep_one_unbroken_chain(client, admin, make_token):
    ws = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Busy"}).json()["id"]
    errors = []

    def add(i: int) -> None:
        reply = client.request(
            "POST",
            f"/api/v1/workspaces/{ws}/members",
            token=admin,
            json_body={"principal_id": f"p{i}", "role": "Viewer"},
        )
        if reply.status != 201:
            errors.append(reply.status)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    body = client.request("GET", f"/api/v1/audit/verify?workspace_id={ws}", token=admin).json()
    assert body["ok"] and body["head_seq"] == 9


def test_a_record_edited_in_the_database_fails_verification_at_that_record(database_url, client, admin):
    ws = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Tampered"}).json()["id"]
    for i in range(3):
        body = {"principal_id": f"t{i}", "role": "Viewer"}
        client.request("POST", f"/api/v1/workspaces/{ws}/members", token=admin, json_body=body)
    [victim] = _sql(database_url, "SELECT id FROM audit_records WHERE chain = %s AND seq = 3", (ws,))
    # A superuser can bypass the append-only trigger; the chain still gives it away.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_records DISABLE TRIGGER audit_records_no_update_delete")
        try:
            conn.execute("UPDATE audit_records SET actor = 'someone-else' WHERE id = %s", (victim[0],))
        finally:
            conn.execute("ALTER TABLE audit_records ENABLE TRIGGER audit_records_no_update_delete")
    body = client.request("GET", f"/api/v1/audit/verify?workspace_id={ws}", token=admin).json()
    assert body["ok"] is False
    assert body["first_broken"]["seq"] == 3
    assert body["first_broken"]["record_id"] == str(victim[0])
    assert body["first_broken"]["reason"] == "hash_mismatch"
    assert body["records_checked"] == 2


def test_a_record_deleted_in_the_database_fails_verification(database_url, client, admin):
    ws = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Shortened"}).json()["id"]
    for i in range(2):
        body = {"principal_id": f"s{i}", "role": "Viewer"}
        client.request("POST", f"/api/v1/workspaces/{ws}/members", token=admin, json_body=body)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_records DISABLE TRIGGER audit_records_no_update_delete")
        try:
            conn.execute("DELETE FROM audit_records WHERE chain = %s AND seq = 2", (ws,))
        finally:
            conn.execute("ALTER TABLE audit_records ENABLE TRIGGER audit_records_no_update_delete")
    body = client.request("GET", f"/api/v1/audit/verify?workspace_id={ws}", token=admin).json()
    assert body["ok"] is False
    assert (body["first_broken"]["seq"], body["first_broken"]["reason"]) == (2, "sequence_gap")


def test_search_filters_and_paginates_without_repeats(client, admin):
    seen, cursor = [], None
    while True:
        path = "/api/v1/audit?limit=3&actor=root" + (f"&cursor={cursor}" if cursor else "")
        page = client.request("GET", path, token=admin).json()
        assert len(page["items"]) <= 3
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len({r["id"] for r in seen}) > 3
    assert all(r["actor"] == "root" for r in seen)
    times = [r["recorded_at"] for r in seen]
    assert times == sorted(times, reverse=True)


def test_an_auditor_of_one_workspace_sees_only_its_records(client, admin, make_token, workspace):
    other = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Elsewhere"}).json()["id"]
    auditor = make_token("audrey", ["Auditor"], workspaces=[uuid.UUID(other)])
    records = _records(client, auditor)
    assert records and {r["workspace_id"] for r in records} == {other}
    assert client.request("GET", f"/api/v1/audit?workspace_id={workspace}", token=auditor).status == 404
    assert client.request("GET", f"/api/v1/audit/verify?workspace_id={workspace}", token=auditor).status == 404
    assert client.request("GET", "/api/v1/audit/verify", token=auditor).status == 403  # the global chain
    assert client.request("GET", "/api/v1/audit?scope=global", token=auditor).status == 403


def test_export_streams_json_lines_and_is_itself_audited(client, admin, workspace):
    reply = client.request(
        "GET", f"/api/v1/audit/export?workspace_id={workspace}", token=admin, headers={"x-correlation-id": "export-1"}
    )
    assert reply.status == 200 and reply.header("content-type").startswith("application/x-ndjson")
    lines = [json.loads(line) for line in reply.body.decode().splitlines()]
    assert lines and all(r["workspace_id"] == workspace for r in lines)
    assert [r for r in _records(client, admin) if r["correlation_id"] == "export-1"]


def test_an_anonymous_request_to_an_unknown_route_is_recorded(client, admin):
    reply = client.request("DELETE", "/api/v1/nowhere", headers={"x-correlation-id": "audit-fallback-401"})
    assert reply.status == 401
    records = {r["correlation_id"]: r for r in _records(client, admin, outcome="denied")}
    record = records["audit-fallback-401"]
    assert (record["actor"], record["reason"], record["status"]) == ("anonymous", "unauthenticated", 401)
    assert record["action"] == "system.not_found_fallback"


# Read-only POSTs that opt out of change auditing (their denials are still recorded).
READ_ONLY_POSTS = {"classify_columns", "dry_run_definition", "dry_run_policy", "explain"}


def test_every_state_changing_route_is_audited_unless_declared_read_only(loaded_app):
    from functions.api import ROUTES

    unaudited = {r.function_name for r in ROUTES if r.method != "GET" and not r.audited and r.permission}
    assert unaudited == READ_ONLY_POSTS


def test_a_denial_on_every_route_is_recorded(client, admin, make_token, workspace):
    """A token without any grant, on every protected route of the app: each 403 leaves a denied record."""
    from functions.api import ROUTES

    nobody = make_token("deny-everywhere", [])
    expected = {}
    for route in (r for r in ROUTES if r.permission is not None):
        path = "/".join(str(uuid.uuid4()) if part.startswith("{") else part for part in route.path.split("/"))
        correlation = f"deny-{route.function_name}"
        reply = client.request(route.method, f"/api/{path}", token=nobody, headers={"x-correlation-id": correlation})
        assert reply.status == 403, (route.function_name, reply.status)
        expected[correlation] = f"{route.tag}.{route.function_name}"
    recorded = {r["correlation_id"]: r["action"] for r in _all_records(client, admin, actor="deny-everywhere")}
    assert recorded == expected


def _all_records(client, token, **filters):
    records, cursor = [], None
    while True:
        query = "&".join(f"{k}={v}" for k, v in {**filters, "limit": 200}.items())
        page = client.request("GET", "/api/v1/audit?" + query + (f"&cursor={cursor}" if cursor else ""), token=token)
        records += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return records
