"""The data-sources API in process: registration, credentials, test connection, lifecycle, retire.

Credentials must never come back: not in a response, not in an audit record (raw or hashed input),
not in a log line. Every bad input is a 4xx with a stable code.
"""

from __future__ import annotations

import json
import logging
import uuid

import psycopg
import pytest

from core.audit.chain import change_hash, redact

PASSWORD = "P@ss-" + uuid.uuid4().hex
ACCOUNT_KEY = "KEY" + uuid.uuid4().hex
SAS = "sv=2024-01-01&sig=" + uuid.uuid4().hex
SECRETS = (PASSWORD, ACCOUNT_KEY, SAS)


@pytest.fixture(scope="module")
def sources_root(app_env, tmp_path_factory):
    import os

    from core.settings import reset_settings_cache

    root = tmp_path_factory.mktemp("sources")
    os.environ["DATAWAVE_LOCAL_SOURCE_ROOT"] = str(root)
    reset_settings_cache()
    yield root
    os.environ.pop("DATAWAVE_LOCAL_SOURCE_ROOT", None)
    reset_settings_cache()


@pytest.fixture(scope="module")
def admin(make_token):
    return make_token("ds-admin", ["Admin"], mfa=True)


@pytest.fixture(scope="module")
def ws(client, admin, sources_root):
    reply = client.request(
        "POST", "/api/v1/workspaces", token=admin, json_body={"name": "Sources " + uuid.uuid4().hex[:6]}
    )
    assert reply.status == 201, reply.body
    return reply.json()["id"]


def base(ws: str) -> str:
    return f"/api/v1/workspaces/{ws}/data-sources"


def pg_body(name: str, **connection) -> dict:
    return {
        "name": name,
        "connection": {
            "kind": "postgresql",
            "host": "pg.contoso.internal",
            "database": "sales",
            "username": "r",
            **connection,
        },
        "credentials": {"password": PASSWORD},
    }


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def error_code(reply) -> str:
    return reply.json()["error"]["code"]


def test_register_get_list_never_return_credentials(client, admin, ws, caplog):
    caplog.set_level(logging.DEBUG)
    created = client.request("POST", base(ws), token=admin, json_body=pg_body("warehouse"))
    assert created.status == 201, created.body
    source = created.json()
    assert source["state"] == "discovered" and source["has_credentials"]
    assert source["secret_ref"].startswith("kv://ds-")
    listed = client.request("GET", base(ws), token=admin)
    one = client.request("GET", f"{base(ws)}/{source['id']}", token=admin)
    for reply in (created, listed, one):
        assert_no_secret(reply.body.decode())
    assert_no_secret(caplog.text)
    assert "credentials" not in source


def test_storage_credentials_too(client, admin, ws, caplog):
    caplog.set_level(logging.DEBUG)
    for auth, credentials in (("account_key", {"account_key": ACCOUNT_KEY}), ("sas", {"sas_token": SAS})):
        body = {
            "name": f"lake-{auth}",
            "connection": {
                "kind": "adls_gen2",
                "account_url": "https://acct.dfs.core.windows.net",
                "container": "raw",
                "prefix": "/sales/",
                "auth": auth,
            },
            "credentials": credentials,
        }
        reply = client.request("POST", base(ws), token=admin, json_body=body)
        assert reply.status == 201, reply.body
        assert reply.json()["connection"]["prefix"] == "sales"
        assert_no_secret(reply.body.decode())
    assert_no_secret(caplog.text)


def test_audit_records_carry_no_credentials(client, admin, ws, database_url):
    client.request("POST", base(ws), token=admin, json_body=pg_body("audited"))
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT row_to_json(a)::text FROM audit_records a").fetchall()
    assert rows
    for (text,) in rows:
        assert_no_secret(text)
    # The change hash is computed after redaction: it does not depend on (so cannot confirm) the secret.
    body = pg_body("x")
    other = json.loads(json.dumps(body))
    other["credentials"]["password"] = "something else"
    assert change_hash({"body": body}) == change_hash({"body": other})
    for field in ("password", "account_key", "sas_token", "connection_string", "credentials"):
        assert redact({field: "v"})[field] == "[redacted]"


def test_registering_with_credentials_without_mfa_is_refused(client, make_token, ws):
    no_mfa = make_token("ds-admin", ["Admin"])
    reply = client.request("POST", base(ws), token=no_mfa, json_body=pg_body("no-mfa"))
    assert reply.status == 403 and error_code(reply) == "mfa_required"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"name": "x", "connection": {"kind": "oracle"}}, "validation_error", "body.connection"),
        (
            {"name": "x", "connection": {"kind": "postgresql", "host": "bad host!", "database": "d", "username": "u"}},
            "validation_error",
            "body.connection.postgresql.host",
        ),
        (
            {
                "name": "x",
                "connection": {"kind": "postgresql", "host": "h", "port": 70000, "database": "d", "username": "u"},
            },
            "validation_error",
            "body.connection.postgresql.port",
        ),
        (
            {
                "name": "x",
                "connection": {"kind": "postgresql", "host": "h", "database": "d", "username": "u", "sslmode": "maybe"},
            },
            "validation_error",
            "body.connection.postgresql.sslmode",
        ),
        (
            {
                "name": "x",
                "connection": {
                    "kind": "azure_blob",
                    "account_url": f"https://a.blob.core.windows.net?{SAS}",
                    "container": "raw",
                },
            },
            "validation_error",
            "body.connection.azure_blob.account_url",
        ),
        (
            {
                "name": "x",
                "connection": {
                    "kind": "azure_blob",
                    "account_url": "https://a.blob.core.windows.net",
                    "container": "Bad_Container",
                },
            },
            "validation_error",
            "body.connection.azure_blob.container",
        ),
        (
            {
                "name": "x",
                "connection": {
                    "kind": "adls_gen2",
                    "account_url": "https://a.dfs.core.windows.net",
                    "container": "raw",
                    "prefix": "../etc",
                },
            },
            "validation_error",
            "body.connection.adls_gen2.prefix",
        ),
        (
            {"name": "x", "connection": {"kind": "local_folder", "path": "relative/dir"}},
            "validation_error",
            "body.connection.local_folder.path",
        ),
        ({"name": "x", "connection": {"kind": "local_folder", "path": "/etc"}}, "local_folder_refused", None),
        ({"name": " ", "connection": {"kind": "local_folder", "path": "/etc"}}, "validation_error", "body.name"),
        (
            {
                "name": "x",
                "connection": {"kind": "postgresql", "host": "h", "database": "d", "username": "u"},
                "credentials": {"account_key": ACCOUNT_KEY},
            },
            "invalid_credentials",
            None,
        ),
        (
            {
                "name": "x",
                "connection": {
                    "kind": "azure_blob",
                    "account_url": "https://a.blob.core.windows.net",
                    "container": "raw",
                    "auth": "account_key",
                },
                "credentials": {"password": PASSWORD},
            },
            "invalid_credentials",
            None,
        ),
        (
            {
                "name": "x",
                "connection": {"kind": "postgresql", "host": "h", "database": "d", "username": "u"},
                "credentials": {"password": PASSWORD, "token": PASSWORD},
            },
            "validation_error",
            "body.credentials.token",
        ),
        (
            {
                "name": "x",
                "connection": {"kind": "postgresql", "host": "h", "database": "d", "username": "u"},
                "extra": 1,
            },
            "validation_error",
            "body.extra",
        ),
    ],
)
def test_bad_input_is_a_clean_4xx(client, admin, ws, body, code, field):
    reply = client.request("POST", base(ws), token=admin, json_body=body)
    assert 400 <= reply.status < 500, reply.body
    assert error_code(reply) == code, reply.body
    text = reply.body.decode()
    assert_no_secret(text)
    if field:
        assert field in [d["field"] for d in reply.json()["error"]["details"]], text


def test_unknown_and_malformed_ids(client, admin, ws):
    assert error_code(client.request("GET", f"{base(ws)}/{uuid.uuid4()}", token=admin)) == "data_source_not_found"
    reply = client.request("GET", f"{base(ws)}/not-a-uuid", token=admin)
    assert reply.status == 422 and error_code(reply) == "validation_error"
    reply = client.request("GET", f"{base(ws)}?cursor=garbage", token=admin)
    assert reply.status == 400 and error_code(reply) == "invalid_cursor"
    reply = client.request("GET", f"{base(ws)}?state=sleeping", token=admin)
    assert reply.status == 422


def test_test_connection_transitions_and_delete(client, admin, ws, sources_root, make_token):
    folder = sources_root / "exports"
    folder.mkdir()
    body = {"name": "exports", "connection": {"kind": "local_folder", "path": str(folder)}}
    source = client.request("POST", base(ws), token=admin, json_body=body).json()
    one = f"{base(ws)}/{source['id']}"
    reply = client.request("POST", one + "/transitions", token=admin, json_body={"to": "active"})
    assert reply.status == 409 and error_code(reply) == "invalid_transition"
    assert reply.json()["error"]["details"] == {
        "from": "discovered",
        "to": "active",
        "allowed": ["retired", "validated"],
    }
    reply = client.request("POST", one + "/transitions", token=admin, json_body={"to": "sideways"})
    assert reply.status == 422
    tested = client.request("POST", one + "/test", token=admin)
    assert tested.status == 200 and tested.json()["ok"] is True and tested.json()["latency_ms"] >= 0
    for state in ("registered", "active", "maintenance", "active"):
        reply = client.request("POST", one + "/transitions", token=admin, json_body={"to": state})
        assert reply.status == 200 and reply.json()["state"] == state
    history = client.request("GET", one + "/transitions", token=admin).json()
    assert [h["to_state"] for h in history][-2:] == ["maintenance", "active"]
    no_mfa = make_token("ds-admin", ["Admin"])
    assert error_code(client.request("DELETE", one, token=no_mfa)) == "mfa_required"
    assert client.request("DELETE", one, token=admin).status == 204
    assert client.request("GET", one, token=admin).json()["state"] == "retired"
    assert client.request("DELETE", one, token=admin).status == 204  # idempotent
    reply = client.request("POST", one + "/test", token=admin)
    assert reply.status == 409 and error_code(reply) == "data_source_retired"


def test_test_connection_reports_classified_errors(client, admin, ws, sources_root):
    body = {"name": "gone", "connection": {"kind": "local_folder", "path": str(sources_root / "missing")}}
    source = client.request("POST", base(ws), token=admin, json_body=body).json()
    reply = client.request("POST", f"{base(ws)}/{source['id']}/test", token=admin)
    assert reply.status == 200
    assert reply.json()["ok"] is False and reply.json()["error"] == "not_found"
    blob = {
        "name": "blob-no-key",
        "connection": {
            "kind": "azure_blob",
            "account_url": "https://acct.blob.core.windows.net",
            "container": "raw",
            "auth": "account_key",
        },
    }
    source = client.request("POST", base(ws), token=admin, json_body=blob).json()
    reply = client.request("POST", f"{base(ws)}/{source['id']}/test", token=admin)
    assert reply.json()["error"] == "config"


def test_credentials_rotation_needs_mfa_and_returns_no_secret(client, admin, make_token, ws, caplog):
    caplog.set_level(logging.DEBUG)
    body = pg_body("rotate")
    del body["credentials"]
    source = client.request("POST", base(ws), token=admin, json_body=body).json()
    assert source["has_credentials"] is False
    url = f"{base(ws)}/{source['id']}/credentials"
    reply = client.request(
        "PUT", url, token=make_token("ds-admin", ["Admin"]), json_body={"credentials": {"password": PASSWORD}}
    )
    assert reply.status == 403 and error_code(reply) == "mfa_required"
    viewer = make_token("viewer", ["Viewer"], mfa=True)
    assert client.request("PUT", url, token=viewer, json_body={"credentials": {"password": PASSWORD}}).status == 403
    reply = client.request("PUT", url, token=admin, json_body={"credentials": {"password": PASSWORD}})
    assert reply.status == 200 and reply.json()["has_credentials"] is True
    assert_no_secret(reply.body.decode())
    assert_no_secret(caplog.text)


def test_patch_changes_settings_but_not_kind(client, admin, ws):
    body = pg_body("patch-me")
    del body["credentials"]
    source = client.request("POST", base(ws), token=admin, json_body=body).json()
    one = f"{base(ws)}/{source['id']}"
    reply = client.request("PATCH", one, token=admin, json_body={"connection": {**body["connection"], "port": 6432}})
    assert reply.status == 200 and reply.json()["connection"]["port"] == 6432
    reply = client.request("PATCH", one, token=admin, json_body={"connection": {"kind": "local_folder", "path": "/x"}})
    assert reply.status == 422 and error_code(reply) == "invalid_connection"


def test_openapi_lists_the_routes_and_no_secret_outputs(client):
    spec = client.request("GET", "/api/openapi.json").json()
    paths = spec["paths"]
    assert "/v1/workspaces/{workspace_id}/data-sources/{data_source_id}/test" in paths or any(
        p.endswith("/data-sources/{data_source_id}/test") for p in paths
    )
    data_source = spec["components"]["schemas"]["DataSource"]
    assert "credentials" not in data_source["properties"]
