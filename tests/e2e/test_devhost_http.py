"""devhost over real HTTP: the same function app, routing, tokens and logs."""

from __future__ import annotations

import json
import uuid

from devhost.client import http_call


def _token(devhost, *args: str) -> str:
    return devhost.token(*args)


def test_health_over_http(devhost):
    reply = http_call("GET", devhost.base_url + "/api/health")
    assert reply.status == 200
    assert reply.json()["database"]["reachable"] is True


def test_workspace_round_trip_with_a_cli_token(devhost):
    token = _token(devhost, "--sub", "alice", "--roles", "Admin")
    created = http_call("POST", devhost.base_url + "/api/v1/workspaces", token=token, json_body={"name": "E2E Space"})
    assert created.status == 201
    workspace_id = created.json()["id"]
    fetched = http_call("GET", f"{devhost.base_url}/api/v1/workspaces/{workspace_id}", token=token)
    assert fetched.status == 200 and fetched.json()["name"] == "E2E Space"
    scoped = _token(devhost, "--sub", "bob", "--roles", "Viewer", "--workspace", workspace_id)
    assert http_call("GET", f"{devhost.base_url}/api/v1/workspaces/{workspace_id}", token=scoped).status == 200
    other = _token(devhost, "--sub", "eve", "--roles", "Viewer", "--workspace", str(uuid.uuid4()))
    assert http_call("GET", f"{devhost.base_url}/api/v1/workspaces/{workspace_id}", token=other).status == 404


def test_routing_errors_over_http(devhost):
    token = _token(devhost, "--sub", "alice", "--roles", "Admin")
    not_found = http_call("GET", devhost.base_url + "/api/v1/nothing-here", token=token)
    assert not_found.status == 404 and not_found.json()["error"]["code"] == "route_not_found"
    wrong_method = http_call("PUT", devhost.base_url + "/api/v1/workspaces", token=token, json_body={})
    assert wrong_method.status == 405 and wrong_method.headers["allow"] == "GET, POST"
    outside_prefix = http_call("GET", devhost.base_url + "/elsewhere")
    assert outside_prefix.status == 404 and outside_prefix.json()["error"]["code"] == "route_not_found"


def test_oversized_body_over_http_is_413(devhost):
    token = _token(devhost, "--sub", "alice", "--roles", "Admin")
    reply = http_call(
        "POST",
        devhost.base_url + "/api/v1/workspaces",
        token=token,
        body=b'{"name":"' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 413


def test_every_request_is_logged_as_json_with_its_correlation_id(devhost):
    http_call("GET", devhost.base_url + "/api/health", headers={"x-correlation-id": "e2e-log-check"})
    lines = [json.loads(line) for line in devhost.logs().splitlines() if line.startswith("{")]
    tagged = [line for line in lines if line.get("correlation_id") == "e2e-log-check"]
    assert any(line["message"] == "request handled" and line["status"] == 200 for line in tagged)
    access = [line for line in lines if line["message"] == "http request" and line.get("path") == "/api/health"]
    assert access and all("duration_ms" in line for line in access)
    # devhost's own access line carries the id too: every line of one request can be joined on it.
    assert any(line["message"] == "http request" and line["status"] == 200 for line in tagged)
