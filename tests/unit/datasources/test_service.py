"""Registration, credentials, connection tests and the lifecycle, through the services on PostgreSQL."""

from __future__ import annotations

import json
import os
import stat
import uuid

import psycopg
import pytest

from core.datasources import service
from core.datasources.model import Credentials, DataSourceCreate, DataSourceListQuery, DataSourceUpdate
from core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from core.secrets import from_ref
from core.workspaces.quotas import QuotasSet
from tests.unit.datasources.conftest import access, socket_of

PASSWORD = "pw-" + uuid.uuid4().hex


def pg_source(name: str = "warehouse", **overrides) -> DataSourceCreate:
    connection = {"kind": "postgresql", "host": "pg.contoso.internal", "database": "sales", "username": "reader"}
    connection.update(overrides)
    return DataSourceCreate.model_validate({"name": name, "connection": connection})


def test_register_starts_discovered_and_keeps_only_a_reference(uow, workspace, store):
    command = pg_source()
    command.credentials = Credentials.model_validate({"password": PASSWORD})
    source = service.register(uow, access(), workspace, command, store=store)
    assert source.state == "discovered"
    assert source.secret_ref == f"kv://ds-{workspace}-{source.id}"
    assert source.has_credentials
    assert PASSWORD not in source.model_dump_json()
    assert json.loads(store.get(from_ref(source.secret_ref))) == {"password": PASSWORD}
    row = uow.connection.execute("SELECT to_jsonb(d) AS r FROM data_sources d WHERE id = %s", (source.id,)).fetchone()
    assert PASSWORD not in json.dumps(row["r"])


def test_local_store_file_is_private_and_outside_the_database(store, tmp_path):
    store.put("ds-a", "one")
    store.put("ds-b", "two")
    store.delete("ds-a")
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert json.loads(store.path.read_text()) == {"ds-b": "two"}
    assert store.get("ds-a") is None
    store.delete("ds-missing")  # no-op
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secrets-")] == []


def test_credentials_on_registration_need_the_credentials_right_with_mfa(uow, workspace, store):
    command = pg_source("no-mfa")
    command.credentials = Credentials.model_validate({"password": PASSWORD})
    with pytest.raises(PermissionDenied) as denied:
        service.register(uow, access("datasources:write", mfa=False), workspace, command, store=store)
    assert denied.value.code == "mfa_required"
    assert store.path.exists() is False


def test_credentials_must_fit_the_kind_and_auth(uow, workspace, store):
    command = DataSourceCreate.model_validate(
        {
            "name": "lake",
            "connection": {
                "kind": "azure_blob",
                "account_url": "https://acct.blob.core.windows.net",
                "container": "raw",
                "auth": "sas",
            },
            "credentials": {"account_key": "k"},
        }
    )
    with pytest.raises(InvalidInput) as refused:
        service.register(uow, access(), workspace, command, store=store)
    assert refused.value.code == "invalid_credentials"
    assert "k" not in refused.value.message.split()


def test_name_is_unique_among_live_sources(uow, workspace, store):
    service.register(uow, access(), workspace, pg_source("dup"), store=store)
    with pytest.raises(Conflict) as taken:
        service.register(uow, access(), workspace, pg_source("DUP"), store=store)
    assert taken.value.code == "data_source_name_taken"


def test_registration_respects_the_workspace_quota(database, uow, workspace, store):
    from core.workspaces import quotas

    quotas.set_quotas(uow, access(), workspace, QuotasSet(max_data_sources=1, max_concurrent_scans=1))
    service.register(uow, access(), workspace, pg_source("one"), store=store)
    with pytest.raises(Conflict) as full:
        service.register(uow, access(), workspace, pg_source("two"), store=store)
    assert full.value.code == "quota_exceeded"


def test_lifecycle_moves_and_refusals(uow, workspace, store, sources_root):
    folder = sources_root / "lifecycle"
    folder.mkdir()
    source = service.register(
        uow,
        access(),
        workspace,
        DataSourceCreate.model_validate({"name": "files", "connection": {"kind": "local_folder", "path": str(folder)}}),
        store=store,
    )
    with pytest.raises(Conflict) as untested:
        service.transition(uow, access(), workspace, source.id, "validated")
    assert untested.value.code == "connection_not_validated"
    with pytest.raises(Conflict) as jump:
        service.transition(uow, access(), workspace, source.id, "active")
    assert jump.value.code == "invalid_transition"
    assert jump.value.details["allowed"] == ["retired", "validated"]
    result = service.test_connection(uow, access(), workspace, source.id, store=store)
    assert result.ok and result.latency_ms >= 0
    assert service.get(uow, access(), workspace, source.id).state == "validated"
    for state in ("registered", "active", "maintenance", "active"):
        assert service.transition(uow, access(), workspace, source.id, state).state == state
    retired = service.retire(uow, access(), workspace, source.id, store=store)
    assert retired.state == "retired" and retired.retired_at is not None
    with pytest.raises(Conflict):
        service.transition(uow, access(), workspace, source.id, "active")
    history = service.transitions(uow, access(), workspace, source.id)
    assert [t.to_state for t in history] == [
        "discovered",
        "validated",
        "registered",
        "active",
        "maintenance",
        "active",
        "retired",
    ]


def test_retire_deletes_the_credentials_after_commit(uow, workspace, store):
    command = pg_source("to-retire")
    command.credentials = Credentials.model_validate({"password": PASSWORD})
    source = service.register(uow, access(), workspace, command, store=store)
    assert store.get(from_ref(source.secret_ref)) is not None
    retired = service.retire(uow, access(), workspace, source.id, store=store)
    assert retired.secret_ref is None and not retired.has_credentials
    assert store.get(from_ref(source.secret_ref)) is None
    assert service.retire(uow, access(), workspace, source.id, store=store).state == "retired"  # no-op


def test_rotating_credentials_replaces_the_secret(uow, workspace, store):
    source = service.register(uow, access(), workspace, pg_source("rotate"), store=store)
    assert not source.has_credentials
    updated = service.set_credentials(
        uow, access("datasources:credentials"), workspace, source.id, Credentials(password="first"), store=store
    )
    service.set_credentials(
        uow, access("datasources:credentials"), workspace, source.id, Credentials(password="second"), store=store
    )
    assert json.loads(store.get(from_ref(updated.secret_ref))) == {"password": "second"}


def test_update_keeps_the_kind(uow, workspace, store):
    source = service.register(uow, access(), workspace, pg_source("upd"), store=store)
    changed = service.update(uow, access(), workspace, source.id, DataSourceUpdate(description="now documented"))
    assert changed.description == "now documented" and changed.connection.host == "pg.contoso.internal"
    with pytest.raises(InvalidInput) as kind:
        service.update(
            uow,
            access(),
            workspace,
            source.id,
            DataSourceUpdate.model_validate({"connection": {"kind": "local_folder", "path": "/tmp"}}),
        )
    assert kind.value.code == "invalid_connection"


def test_local_folder_outside_the_root_is_refused(uow, workspace, store, sources_root):
    for path in ("/etc", str(sources_root / ".." / "elsewhere")):
        command = DataSourceCreate.model_validate({"name": "x", "connection": {"kind": "local_folder", "path": path}})
        with pytest.raises(DomainError) as refused:
            service.register(uow, access(), workspace, command, store=store)
        assert refused.value.code == "local_folder_refused"


def test_list_pages_with_a_cursor_and_filters(uow, workspace, store):
    for i in range(5):
        service.register(uow, access(), workspace, pg_source(f"page-{i}"), store=store)
    first = service.list_sources(uow, access(), workspace, DataSourceListQuery(limit=2))
    second = service.list_sources(uow, access(), workspace, DataSourceListQuery(limit=2, cursor=first.next_cursor))
    rest = service.list_sources(uow, access(), workspace, DataSourceListQuery(limit=10, cursor=second.next_cursor))
    names = [s.name for s in first.items + second.items + rest.items]
    assert names == [f"page-{i}" for i in range(5)] and rest.next_cursor is None
    assert service.list_sources(uow, access(), workspace, DataSourceListQuery(kind="azure_blob")).items == []


def test_another_workspace_cannot_see_the_source(uow, workspace, store):
    source = service.register(uow, access(), workspace, pg_source("mine"), store=store)
    other = uuid.uuid4()
    principal_access = access()
    from core.auth.policy import WorkspaceScope

    narrowed = principal_access.__class__(
        principal=principal_access.principal,
        permission="datasources:read",
        scope=WorkspaceScope(ids=frozenset({other})),
        visible=WorkspaceScope(ids=frozenset({other})),
        grants=(),
    )
    with pytest.raises(NotFound):
        service.get(uow, narrowed, workspace, source.id)


def test_require_scannable(uow, workspace, store):
    source = service.register(uow, access(), workspace, pg_source("scan-me"), store=store)
    with pytest.raises(Conflict) as refused:
        service.require_scannable(uow, access(), workspace, source.id)
    assert refused.value.code == "data_source_not_scannable"


# -- connection tests against the embedded PostgreSQL --------------------------------------------------------
@pytest.fixture
def pg_command(pg_server, source_db):
    host, port = socket_of(pg_server)

    def make(name: str, **overrides):
        connection = {
            "kind": "postgresql",
            "host": host,
            "port": port,
            "database": source_db,
            "username": "postgres",
            "sslmode": "disable",
            "connect_timeout_seconds": 3,
        }
        connection.update(overrides)
        return DataSourceCreate.model_validate({"name": name, "connection": connection})

    return make


def test_connection_ok_with_latency(uow, workspace, store, pg_command):
    source = service.register(uow, access(), workspace, pg_command("pg-ok"), store=store)
    result = service.test_connection(uow, access(), workspace, source.id, store=store)
    assert result.ok and result.error is None and result.latency_ms > 0


@pytest.mark.parametrize(
    ("overrides", "kind"),
    [
        ({"database": "no_such_db"}, "not_found"),
        ({"username": "cannot_login"}, "auth"),
        ({"username": "no_connect"}, "permission"),
        ({"port": 1}, "network"),
        ({"host": "no-such-host.invalid"}, "network"),
    ],
)
def test_connection_errors_are_classified_without_details(
    uow, workspace, store, pg_command, pg_server, source_db, overrides, kind
):
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS cannot_login; CREATE ROLE cannot_login NOLOGIN")
        conn.execute("DROP ROLE IF EXISTS no_connect; CREATE ROLE no_connect LOGIN")
        conn.execute(f"REVOKE CONNECT ON DATABASE {source_db} FROM PUBLIC")
    command = pg_command("pg-" + kind + uuid.uuid4().hex[:4], **overrides)
    command.credentials = Credentials(password=PASSWORD)
    source = service.register(uow, access(), workspace, command, store=store)
    result = service.test_connection(uow, access(), workspace, source.id, store=store)
    assert not result.ok and result.error == kind, result
    assert PASSWORD not in (result.message or "") and "no_connect" not in (result.message or "")
    assert service.get(uow, access(), workspace, source.id).state == "discovered"
