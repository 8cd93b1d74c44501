"""A tiny JSON-over-HTTP client for devhost's own commands (demo) and end-to-end tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http_call(
    method: str,
    url: str,
    *,
    token: str | None = None,
    json_body: Any = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> HttpResult:
    """Send one request; HTTP error statuses are returned, not raised."""
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    if json_body is not None:
        body = json.dumps(json_body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=body, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpResult(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return HttpResult(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def _expect(result: HttpResult, status: int) -> Any:
    if result.status != status:
        raise RuntimeError(f"expected HTTP {status}, got {result.status}: {result.body[:2000]!r}")
    return result.json()


def register_source(
    api: str, token: str, workspace_id: str, name: str, connection: dict[str, Any], credentials: dict[str, str]
) -> str:
    """Register a data source through the API (``api`` ends in ``/api``) and test its connection; its
    id. Raises RuntimeError when either step fails."""
    url = f"{api}/v1/workspaces/{workspace_id}/data-sources"
    body = {"name": name, "connection": connection, "credentials": credentials}
    source_id = str(_expect(http_call("POST", url, token=token, json_body=body), 201)["id"])
    tested = _expect(http_call("POST", f"{url}/{source_id}/test", token=token), 200)
    if not tested["ok"]:
        raise RuntimeError(f"the connection test of {name!r} failed: {tested}")
    return source_id


def start_scan(api: str, token: str, workspace_id: str, source_id: str, *, incremental: bool = False) -> str:
    """``POST /v1/scans`` (202 expected); the scan's id."""
    body = {"workspace_id": workspace_id, "data_source_id": source_id, "incremental": incremental}
    return str(_expect(http_call("POST", f"{api}/v1/scans", token=token, json_body=body), 202)["id"])
