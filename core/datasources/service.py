"""Data-source services: register, read, list, change, set credentials, test, move through the
lifecycle, retire.

Credentials go to the secret store (``core.secrets``) as one JSON secret per source named
``ds-<workspace>-<source>``; the row keeps ``kv://<name>``. They never appear in a response, an
audit change description, a log line or an error message.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from core.auth.access import Access, require_permission
from core.datasources.model import (
    TRANSITIONS,
    ConnectionTest,
    Credentials,
    DataSource,
    DataSourceCreate,
    DataSourceListQuery,
    DataSourceState,
    DataSourceUpdate,
    LocalFolderConnection,
    PostgresConnection,
    Transition,
)
from core.errors import Conflict, DomainError, InvalidInput, NotFound
from core.pagination import Page, decode_time_cursor, encode_time_cursor, page_of
from core.secrets import SecretStore, from_ref, secret_store, to_ref
from core.settings import Environment, get_settings
from core.workspaces.quotas import QuotaKind, ensure_within_quota

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

log = logging.getLogger("datawave.datasources")

#: Which credential fields each kind (and storage auth method) accepts.
_ALLOWED = {
    "postgresql": {"password"},
    "local_folder": set(),
    "account_key": {"account_key"},
    "sas": {"sas_token"},
    "connection_string": {"connection_string"},
    "managed_identity": set(),
}


class InvalidTransition(Conflict):
    code = "invalid_transition"


class InvalidCredentials(InvalidInput):
    code = "invalid_credentials"


class InvalidConnection(InvalidInput):
    code = "invalid_connection"


def _not_found(access: Access, workspace_id: UUID) -> NotFound:
    access.require_workspace(workspace_id)  # 404 for an invisible workspace, 403 when visible but denied
    return NotFound("data source not found", code="data_source_not_found")


def _require_workspace(uow: UnitOfWork, access: Access, workspace_id: UUID) -> None:
    if uow.workspaces.get(access.scope, workspace_id) is None:
        access.require_workspace(workspace_id)
        raise NotFound("workspace not found")
    access.require_workspace(workspace_id)


def _load(uow: UnitOfWork, access: Access, workspace_id: UUID, source_id: UUID, *, lock: bool = False) -> DataSource:
    source = uow.datasources.get(access.scope, workspace_id, source_id, for_update=lock)
    if source is None:
        raise _not_found(access, workspace_id)
    return source


def _check_connection(connection: Any) -> None:
    """Rules that depend on where the app runs (the models check the shape)."""
    local = get_settings().env is Environment.LOCAL
    if isinstance(connection, PostgresConnection):
        if connection.host.startswith("/") and not local:
            raise InvalidConnection(
                "a socket folder as host is only allowed in local mode", details={"field": "body.connection.host"}
            )
    elif isinstance(connection, LocalFolderConnection):
        from core.discovery.connectors import local_root

        local_root(connection)
    elif connection.account_url.startswith("http://") and not local:
        raise InvalidConnection(
            "storage endpoints must use https (http only for Azurite in local mode)",
            details={"field": "body.connection.account_url"},
        )


def _check_credentials(connection: Any, credentials: Credentials) -> dict[str, str]:
    provided = credentials.provided()
    key = getattr(connection, "auth", None) or connection.kind
    allowed = _ALLOWED[key]
    extra = sorted(set(provided) - allowed)
    if extra:
        raise InvalidCredentials(
            f"{connection.kind} sources (auth {key}) do not take {', '.join(extra)}",
            details=[{"field": f"body.credentials.{name}", "message": "not used by this source"} for name in extra],
        )
    missing = sorted(allowed - set(provided))
    if missing:
        raise InvalidCredentials(
            f"{connection.kind} sources (auth {key}) need {', '.join(missing)}",
            details=[{"field": f"body.credentials.{name}", "message": "required"} for name in missing],
        )
    return provided


def secret_name(workspace_id: UUID, source_id: UUID) -> str:
    return f"ds-{workspace_id}-{source_id}"


def _store_credentials(store: SecretStore, workspace_id: UUID, source_id: UUID, values: dict[str, str]) -> str:
    name = secret_name(workspace_id, source_id)
    store.put(name, json.dumps(values))
    return to_ref(name)


def credentials_of(source: DataSource, store: SecretStore | None = None) -> dict[str, str]:
    """The source's credentials from the secret store ({} when none are set). For connectors only:
    never return, log or persist the result."""
    if source.secret_ref is None:
        return {}
    value = (store or secret_store()).get(from_ref(source.secret_ref))
    if value is None:
        log.warning("data source credentials missing from the secret store", extra={"data_source_id": str(source.id)})
        return {}
    loaded = json.loads(value)
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _note(uow: UnitOfWork, source: DataSource | None, workspace_id: UUID, source_id: UUID, **change: Any) -> None:
    uow.audit_note.workspace_id = workspace_id
    uow.audit_note.target = f"workspaces/{workspace_id}/data-sources/{source_id}"
    uow.audit_note.change = {"data_source": str(source_id), **change}


def register(
    uow: UnitOfWork, access: Access, workspace_id: UUID, command: DataSourceCreate, store: SecretStore | None = None
) -> DataSource:
    """Register a source in state ``discovered`` (within the workspace's data-source quota)."""
    _require_workspace(uow, access, workspace_id)
    _check_connection(command.connection)
    values = None
    if command.credentials is not None and command.credentials.provided():
        # Credentials ride along a registration only if the caller may set them (with MFA).
        require_permission(uow, access, "datasources:credentials", workspace_id)
        values = _check_credentials(command.connection, command.credentials)
    ensure_within_quota(uow, workspace_id, QuotaKind.DATA_SOURCES, lambda: uow.datasources.count_live(workspace_id))
    source_id = uuid4()
    by = access.principal.subject
    store = store or secret_store()
    secret_ref = _store_credentials(store, workspace_id, source_id, values) if values else None
    try:
        uow.datasources.add(
            workspace_id, source_id, command.name, command.description, command.connection, secret_ref, by
        )
        _note(uow, None, workspace_id, source_id, action="register", kind=command.connection.kind)
        uow.commit()
    except BaseException:
        if secret_ref:  # nothing references it: do not leave it behind
            store.delete(from_ref(secret_ref))
        raise
    return _load(uow, access, workspace_id, source_id)


def get(uow: UnitOfWork, access: Access, workspace_id: UUID, source_id: UUID) -> DataSource:
    return _load(uow, access, workspace_id, source_id)


def list_sources(uow: UnitOfWork, access: Access, workspace_id: UUID, query: DataSourceListQuery) -> Page[DataSource]:
    """The workspace's sources, oldest first."""
    _require_workspace(uow, access, workspace_id)
    after = decode_time_cursor(query.cursor)
    items = uow.datasources.list(access.scope, workspace_id, after, query.limit + 1, query.state, query.kind)
    items, next_cursor = page_of(items, query.limit, lambda d: encode_time_cursor(d.created_at, d.id))
    return Page[DataSource](items=items, next_cursor=next_cursor)


def update(
    uow: UnitOfWork, access: Access, workspace_id: UUID, source_id: UUID, command: DataSourceUpdate
) -> DataSource:
    source = _load(uow, access, workspace_id, source_id, lock=True)
    access.require_workspace(workspace_id)
    if source.state is DataSourceState.RETIRED:
        raise Conflict("the data source is retired", code="data_source_retired")
    connection = command.connection or source.connection
    if connection.kind != source.kind:
        raise InvalidConnection(
            f"the kind cannot change ({source.kind} → {connection.kind}); register a new source",
            details={"field": "body.connection.kind"},
        )
    if command.connection is not None:
        _check_connection(connection)
    uow.datasources.update(
        workspace_id,
        source_id,
        name=(command.name or source.name).strip(),
        description=command.description if command.description is not None else source.description,
        connection=connection,
        by=access.principal.subject,
    )
    _note(uow, source, workspace_id, source_id, action="update", fields=sorted(command.model_fields_set))
    uow.commit()
    return _load(uow, access, workspace_id, source_id)


def set_credentials(
    uow: UnitOfWork,
    access: Access,
    workspace_id: UUID,
    source_id: UUID,
    credentials: Credentials,
    store: SecretStore | None = None,
) -> DataSource:
    """Set or rotate the credentials (``datasources:credentials``, MFA). The last test result is kept
    until the next test."""
    source = _load(uow, access, workspace_id, source_id, lock=True)
    access.require_workspace(workspace_id)
    if source.state is DataSourceState.RETIRED:
        raise Conflict("the data source is retired", code="data_source_retired")
    values = _check_credentials(source.connection, credentials)
    ref = _store_credentials(store or secret_store(), workspace_id, source_id, values)
    uow.datasources.set_secret_ref(workspace_id, source_id, ref, access.principal.subject)
    _note(uow, source, workspace_id, source_id, action="set_credentials", fields=sorted(values))
    uow.commit()
    return _load(uow, access, workspace_id, source_id)


def test_connection(
    uow: UnitOfWork, access: Access, workspace_id: UUID, source_id: UUID, store: SecretStore | None = None
) -> ConnectionTest:
    """Connect with the stored credentials and report latency or a classified error. A passing test
    moves a ``discovered`` source to ``validated``."""
    from core.discovery.connectors import test_connection as run_test

    source = _load(uow, access, workspace_id, source_id)
    access.require_workspace(workspace_id)
    if source.state is DataSourceState.RETIRED:
        raise Conflict("the data source is retired", code="data_source_retired")
    result = run_test(source.connection, credentials_of(source, store))
    result.tested_at = datetime.now(UTC)
    # Lock only now: a slow test must not hold the row.
    current = _load(uow, access, workspace_id, source_id, lock=True)
    uow.datasources.record_test(workspace_id, source_id, result, result.tested_at)
    if result.ok and current.state is DataSourceState.DISCOVERED:
        uow.datasources.set_state(
            workspace_id,
            source_id,
            current.state,
            DataSourceState.VALIDATED,
            "connection test passed",
            access.principal.subject,
        )
    _note(uow, source, workspace_id, source_id, action="test_connection", ok=result.ok, error=result.error)
    uow.commit()
    log.info(
        "data source connection tested",
        extra={"data_source_id": str(source_id), "ok": result.ok, "error_kind": result.error},
    )
    return result


def transition(
    uow: UnitOfWork, access: Access, workspace_id: UUID, source_id: UUID, to: str, reason: str | None = None
) -> DataSource:
    """Move the source along its lifecycle; 409 ``invalid_transition`` for a move the state machine
    does not have. ``validated`` also needs a passing connection test."""
    source = _load(uow, access, workspace_id, source_id, lock=True)
    access.require_workspace(workspace_id)
    target = DataSourceState(to)
    allowed = TRANSITIONS[source.state]
    if target not in allowed:
        raise InvalidTransition(
            f"a {source.state.value} data source cannot move to {target.value}",
            details={"from": source.state.value, "to": target.value, "allowed": sorted(s.value for s in allowed)},
        )
    if target is DataSourceState.VALIDATED and not (source.last_test and source.last_test.ok):
        raise Conflict(
            "run a passing connection test first (POST .../test)",
            code="connection_not_validated",
            details={"from": source.state.value, "to": target.value},
        )
    if target is DataSourceState.RETIRED:
        # What DELETE does (credentials are forgotten): the same right and MFA.
        require_permission(uow, access, "datasources:delete", workspace_id)
        return retire(uow, access, workspace_id, source_id, reason=reason)
    uow.datasources.set_state(workspace_id, source_id, source.state, target, reason, access.principal.subject)
    _note(uow, source, workspace_id, source_id, action="transition", to=target.value)
    uow.commit()
    return _load(uow, access, workspace_id, source_id)


def retire(
    uow: UnitOfWork,
    access: Access,
    workspace_id: UUID,
    source_id: UUID,
    *,
    reason: str | None = None,
    store: SecretStore | None = None,
) -> DataSource:
    """Retire the source (final) and delete its credentials from the secret store; the row stays for
    scan history. Retiring a retired source is a no-op."""
    source = _load(uow, access, workspace_id, source_id, lock=True)
    access.require_workspace(workspace_id)
    if source.state is DataSourceState.RETIRED:
        return source
    uow.datasources.set_state(
        workspace_id, source_id, source.state, DataSourceState.RETIRED, reason, access.principal.subject
    )
    uow.datasources.set_secret_ref(workspace_id, source_id, None, access.principal.subject)
    _note(uow, source, workspace_id, source_id, action="retire")
    secret_ref = source.secret_ref
    if secret_ref:
        # After the commit: a rollback must not lose credentials the row still references.
        uow.after_commit(lambda _: _forget(store or secret_store(), secret_ref))
    uow.commit()
    return _load(uow, access, workspace_id, source_id)


def _forget(store: SecretStore, secret_ref: str) -> None:
    try:
        store.delete(from_ref(secret_ref))
    except DomainError:
        log.warning(
            "retired data source's secret could not be deleted; delete it by hand", extra={"secret_ref": secret_ref}
        )


def transitions(uow: UnitOfWork, access: Access, workspace_id: UUID, source_id: UUID) -> list[Transition]:
    """The source's lifecycle history, oldest first."""
    _load(uow, access, workspace_id, source_id)
    return uow.datasources.transitions(access.scope, workspace_id, source_id)


#: States a scan may run in: connection validated, and not in maintenance or retired.
SCANNABLE = frozenset({DataSourceState.VALIDATED, DataSourceState.REGISTERED, DataSourceState.ACTIVE})


def require_scannable(uow: UnitOfWork, access: Access, workspace_id: UUID, source_id: UUID) -> DataSource:
    """The source, if a scan may run on it now: 404 outside the caller's scope, 409
    ``data_source_not_scannable`` while discovered (untested), in maintenance or retired."""
    source = _load(uow, access, workspace_id, source_id)
    if source.state not in SCANNABLE:
        raise Conflict(
            f"a {source.state.value} data source cannot be scanned"
            f" (scannable: {', '.join(sorted(s.value for s in SCANNABLE))})",
            code="data_source_not_scannable",
            details={"state": source.state.value},
        )
    return source
