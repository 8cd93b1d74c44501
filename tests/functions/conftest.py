"""In-process HTTP: requests go through devhost's router to the real function objects, no socket."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from core.auth.tokens import mint_dev_token
from core.settings import get_settings
from devhost.app_loader import load_app
from devhost.host import LocalHost
from devhost.http_server import FunctionsHttpHost
from tests.conftest import PROJECT_ROOT


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    function: str | None

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class InProcessClient:
    def __init__(self, host: FunctionsHttpHost) -> None:
        self.host = host

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        all_headers = {"host": "localhost:7071", **(headers or {})}
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers.setdefault("content-type", "application/json")
        status, out_headers, out_body, function = self.host.handle(method, path, all_headers, body or b"")
        return Reply(status, out_headers, out_body, function)


@pytest.fixture(scope="module")
def loaded_app():
    return load_app(PROJECT_ROOT)


@pytest.fixture(scope="module")
def local_host(app_env, loaded_app):
    """devhost's host around the app: the durable extension answers the Durable client of
    ``durable=True`` routes on a real loopback port, and runs orchestrations and activities."""
    host = LocalHost(PROJECT_ROOT, app_env["DATAWAVE_POSTGRES_URL"], port=0)
    host.start_background()
    yield host
    host.stop()


@pytest.fixture(scope="module")
def client(local_host) -> InProcessClient:
    return InProcessClient(local_host.http)


@pytest.fixture(scope="module")
def make_token(app_env) -> Callable[..., str]:
    def make(subject: str = "alice", roles: list[str] | None = None, **kwargs: Any) -> str:
        return mint_dev_token(get_settings(), subject, roles if roles is not None else ["Admin"], **kwargs)

    return make


def register_postgres_source(client: InProcessClient, token: str, pg_server: Any, database: str, name: str) -> dict:
    """A new workspace with ``database`` of the test server registered (and tested) as a data source:
    ``{"workspace_id", "data_source_id"}``."""
    socket_dir = parse_qs(urlsplit(pg_server.get_uri()).query)["host"][0]
    ws = client.request("POST", "/api/v1/workspaces", token=token, json_body={"name": f"{name} space"}).json()["id"]
    connection = {
        "kind": "postgresql",
        "host": socket_dir,
        "database": database,
        "username": "postgres",
        "sslmode": "disable",
    }
    created = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/data-sources",
        token=token,
        json_body={"name": name, "connection": connection, "credentials": {"password": "unused-with-trust-auth"}},
    )
    assert created.status == 201, created.body
    source_id = created.json()["id"]
    tested = client.request("POST", f"/api/v1/workspaces/{ws}/data-sources/{source_id}/test", token=token)
    assert tested.status == 200 and tested.json()["ok"], tested.body
    return {"workspace_id": ws, "data_source_id": source_id}
