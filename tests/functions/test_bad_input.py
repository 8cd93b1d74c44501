"""Every kind of bad input gets a clean 4xx with a stable code: never a 500, never a stack trace."""

from __future__ import annotations

import base64
import json
import time
import uuid

import azure.functions as func
import jwt
import pytest

from core.auth.tokens import DEV_ISSUER
from functions.api import Route, dispatch
from tests.conftest import DEV_SECRET


def _error(reply) -> dict:
    body = reply.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_invalid_json_is_400(client, make_token):
    reply = client.request(
        "POST",
        "/api/v1/workspaces",
        token=make_token(),
        body=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert reply.status == 400
    assert _error(reply)["code"] == "invalid_json"


def test_empty_body_is_400(client, make_token):
    reply = client.request(
        "POST", "/api/v1/workspaces", token=make_token(), headers={"content-type": "application/json"}
    )
    assert reply.status == 400
    assert _error(reply)["code"] == "invalid_json"


def test_schema_violation_is_422_with_field_paths(client, make_token):
    reply = client.request(
        "POST", "/api/v1/workspaces", token=make_token(), json_body={"name": "", "region": "atlantis", "extra": 1}
    )
    assert reply.status == 422
    error = _error(reply)
    assert error["code"] == "validation_error"
    fields = {d["field"] for d in error["details"]}
    assert fields == {"body.name", "body.region", "body.extra"}


def test_rejected_values_are_not_echoed(client, make_token):
    secret_like = "hunter2-password-value"
    reply = client.request("POST", "/api/v1/workspaces", token=make_token(), json_body={"name": secret_like * 10})
    assert reply.status == 422
    assert secret_like not in reply.body.decode()


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("nested deeper than the parser's stack", b"[" * 200_000 + b"]" * 200_000),
        ("unterminated deep nesting", b'{"name": ' + b"[" * 900_000),
        ("integer over Python's digit limit", b'{"name": ' + b"1" * 5000 + b"}"),
    ],
)
def test_json_the_parser_cannot_hold_is_400(client, make_token, case, body):
    reply = client.request(
        "POST", "/api/v1/workspaces", token=make_token(), body=body, headers={"content-type": "application/json"}
    )
    assert reply.status == 400, case
    assert _error(reply)["code"] == "invalid_json"


def _cursor(key) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


@pytest.fixture(scope="module")
def asset_path(client, make_token) -> str:
    token = make_token()
    workspace = client.request("POST", "/api/v1/workspaces", token=token, json_body={"name": "Cursor probes"})
    asset = client.request(
        "POST",
        f"/api/v1/workspaces/{workspace.json()['id']}/catalog/assets",
        token=token,
        json_body={"namespace": "postgres://db.example:5432", "name": "sales", "type": "database"},
    )
    assert asset.status == 201, asset.body
    return f"/api/v1/workspaces/{workspace.json()['id']}|/api/v1/catalog/assets/{asset.json()['id']}"


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/api/v1/workspaces", base64.urlsafe_b64encode(b"[" * 30_000).decode()),
        ("/api/v1/workspaces", _cursor(["2026-01-01T00:00:00+00:00", 12345])),
        ("/api/v1/workspaces", _cursor([{"at": 1}, "x"])),
        ("{workspace}/compliance/violations", _cursor(["not a time", str(uuid.uuid4())])),
        ("{workspace}/compliance/violations", _cursor([[1], {"id": 2}])),
        ("{asset}/schema-changes", _cursor(["abc"])),
    ],
)
def test_forged_cursors_are_400(client, make_token, asset_path, path, cursor):
    workspace, asset = asset_path.split("|")
    url = path.format(workspace=workspace, asset=asset) + "?cursor=" + cursor
    reply = client.request("GET", url, token=make_token())
    assert reply.status == 400, reply.body[:300]
    assert _error(reply)["code"] == "invalid_cursor"


def test_non_json_content_type_is_415(client, make_token):
    reply = client.request(
        "POST", "/api/v1/workspaces", token=make_token(), body=b"name=x", headers={"content-type": "text/plain"}
    )
    assert reply.status == 415
    assert _error(reply)["code"] == "unsupported_media_type"


def test_body_over_one_mebibyte_is_413(client, make_token):
    big = b'{"name": "' + b"a" * (1024 * 1024) + b'"}'
    reply = client.request(
        "POST", "/api/v1/workspaces", token=make_token(), body=big, headers={"content-type": "application/json"}
    )
    assert reply.status == 413
    assert _error(reply)["code"] == "payload_too_large"


def test_unknown_route_is_404_json(client, make_token):
    reply = client.request("GET", "/api/v1/no-such-thing", token=make_token())
    assert reply.status == 404
    assert _error(reply)["code"] == "route_not_found"


def test_wrong_method_is_405_with_allow(client, make_token):
    reply = client.request("DELETE", "/api/v1/workspaces", token=make_token())
    assert reply.status == 405
    assert _error(reply)["code"] == "method_not_allowed"
    assert reply.header("Allow") == "GET, POST"


def test_malformed_route_value_is_422(client, make_token):
    reply = client.request("GET", "/api/v1/workspaces/not-a-uuid", token=make_token())
    assert reply.status == 422
    assert _error(reply)["details"][0]["field"] == "path.workspace_id"


def test_bad_cursor_is_400(client, make_token):
    reply = client.request("GET", "/api/v1/workspaces?cursor=%%%garbage", token=make_token())
    assert reply.status == 400
    assert _error(reply)["code"] == "invalid_cursor"


def test_bad_limit_is_422(client, make_token):
    reply = client.request("GET", "/api/v1/workspaces?limit=100000", token=make_token())
    assert reply.status == 422
    assert _error(reply)["details"][0]["field"] == "query.limit"


def _claims(**overrides):
    now = int(time.time())
    claims = {"iss": DEV_ISSUER, "aud": "api://datawave", "sub": "eve", "roles": ["Admin"], "exp": now + 600}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize(
    ("case", "token", "code"),
    [
        ("missing", None, "unauthenticated"),
        ("garbage", "not.a.jwt", "invalid_token"),
        ("expired", jwt.encode(_claims(exp=int(time.time()) - 3600), DEV_SECRET, algorithm="HS256"), "token_expired"),
        (
            "forged",
            jwt.encode(_claims(), "some-other-secret-of-sufficient-length-0123456789", algorithm="HS256"),
            "invalid_token",
        ),
        ("wrong audience", jwt.encode(_claims(aud="api://other"), DEV_SECRET, algorithm="HS256"), "invalid_token"),
        ("wrong issuer", jwt.encode(_claims(iss="someone"), DEV_SECRET, algorithm="HS256"), "invalid_token"),
        ("alg none", jwt.encode(_claims(), None, algorithm="none"), "invalid_token"),
        ("no exp", jwt.encode(_claims(exp=None), DEV_SECRET, algorithm="HS256"), "invalid_token"),
    ],
)
def test_bad_tokens_are_401(client, case, token, code):
    reply = client.request("GET", "/api/v1/workspaces", token=token)
    assert reply.status == 401, case
    assert _error(reply)["code"] == code
    assert (
        reply.header(
            "WWW-Authenticate",
        )
        is not None
    )


def test_missing_permission_is_403(client, make_token):
    reply = client.request("POST", "/api/v1/workspaces", token=make_token("val", ["Viewer"]), json_body={"name": "V"})
    assert reply.status == 403
    assert _error(reply)["code"] == "forbidden"


def test_forbidden_caller_learns_nothing_about_body_validity(client, make_token):
    reply = client.request("POST", "/api/v1/workspaces", token=make_token("val", ["Viewer"]), body=b"{broken")
    assert reply.status == 403


def test_every_http_function_but_health_and_openapi_requires_a_token(client, loaded_app):
    anonymous = {"health", "openapi_document"}
    # loaded_app.functions is what app.get_functions() returned (devhost indexes the app once, as the worker does).
    http = [f for f in loaded_app.functions if f.get_trigger().get_binding_name() == "httpTrigger"]
    assert anonymous <= {f.get_function_name() for f in http}
    checked = set()
    for function in http:
        trigger = function.get_trigger()
        if function.get_function_name() in anonymous:
            continue
        route = trigger.route.replace("{*path}", "v1/anything")
        path = "/api/" + "/".join(str(uuid.uuid4()) if part.startswith("{") else part for part in route.split("/"))
        # A trigger without a method list answers every method.
        for method in trigger.methods or list(func.HttpMethod):
            # Through the host, so every binding (e.g. the Durable client) is given as in Azure.
            reply = client.request(str(method.value), path, body=b"{}", headers={"content-type": "application/json"})
            assert reply.function == function.get_function_name(), (path, reply.function)
            assert reply.status == 401, (function.get_function_name(), method)
            assert _error(reply)["code"] == "unauthenticated"
            checked.add(function.get_function_name())
    assert len(checked) == len(http) - len(anonymous) > 50


def test_unexpected_errors_are_500_without_internals(app_env):
    def explode() -> None:
        raise RuntimeError("connection string Password=topsecret")

    route = Route("GET", "v1/boom", "boom", explode, None, 200, "boom", "", "test")
    request = func.HttpRequest("GET", "http://localhost/api/v1/boom", headers={"x-correlation-id": "abc-123"}, body=b"")
    response = dispatch(route, request)
    assert response.status_code == 500
    text = response.get_body().decode()
    assert "topsecret" not in text and "Traceback" not in text
    assert "abc-123" in text
    assert response.headers["x-correlation-id"] == "abc-123"


def test_correlation_id_is_echoed(client):
    reply = client.request("GET", "/api/health", headers={"x-correlation-id": "req-42"})
    assert reply.header("x-correlation-id") == "req-42"


def test_traceparent_trace_id_becomes_the_correlation_id(client):
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    reply = client.request("GET", "/api/health", headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"})
    assert reply.header("x-correlation-id") == trace_id


def test_a_correlation_id_is_generated_when_none_is_sent(client):
    first = client.request("GET", "/api/health").header("x-correlation-id")
    second = client.request("GET", "/api/health").header("x-correlation-id")
    assert first and second and first != second
