"""The unit of work: one transaction, with the repositories that work inside it.

Services receive a ``UnitOfWork`` and call ``commit()`` once their change is complete; leaving the
``with`` block without committing rolls everything back, so a failure never leaves partial writes.

Hooks let cross-cutting concerns join the transaction without services knowing about them: the
route layer arms a ``before_commit`` hook that appends the request's audit record inside the same
transaction as the change (so a change is never committed without its audit record, and an audit
record never describes a change that was rolled back). ``after_commit`` hooks run once the commit
succeeded (for stores that cannot join the PostgreSQL transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg
from psycopg.pq import TransactionStatus

from core.db.database import Database, get_database

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from core.auth.repository import AuthzRepository
    from core.catalog.glossary_repository import GlossaryRepository
    from core.catalog.lineage_repository import LineageRepository
    from core.catalog.repository import CatalogRepository
    from core.compliance.repository import ComplianceRepository
    from core.datasources.repository import DataSourceRepository
    from core.events.outbox import OutboxRepository
    from core.scanrules.repository import ScanRuleSetRepository
    from core.scans.repository import ScanRepository
    from core.workspaces.quotas import QuotaRepository
    from core.workspaces.repository import WorkspaceRepository

Hook = Callable[["UnitOfWork"], object]


@contextmanager
def savepoint(connection: psycopg.Connection) -> Iterator[None]:
    """A savepoint inside the unit of work's transaction (so a caught error, e.g. a unique
    violation, leaves the transaction usable).

    psycopg's ``transaction()`` on an idle connection opens AND COMMITS a transaction of its own,
    which would commit the unit of work's change before the service decides to; opening the
    transaction first makes it a true savepoint.
    """
    if connection.info.transaction_status == TransactionStatus.IDLE:
        connection.execute("SELECT 1")  # starts the transaction (non-autocommit)
    with connection.transaction():
        yield


@dataclass
class AuditNote:
    """What a service knows about its change that the route layer does not: the workspace it
    happened in, the resource it touched, and a description of the change (hashed, never stored raw)."""

    workspace_id: UUID | None = None
    target: str | None = None
    change: dict[str, Any] = field(default_factory=dict)


class UnitOfWork:
    """``with UnitOfWork() as uow: ...; uow.commit()``"""

    workspaces: WorkspaceRepository
    authz: AuthzRepository
    quotas: QuotaRepository
    catalog: CatalogRepository
    lineage: LineageRepository
    glossary: GlossaryRepository
    outbox: OutboxRepository
    scan_rule_sets: ScanRuleSetRepository
    scans: ScanRepository
    datasources: DataSourceRepository
    compliance: ComplianceRepository

    def __init__(self, database: Database | None = None) -> None:
        self._database = database
        self._borrowed: AbstractContextManager[psycopg.Connection] | None = None
        self.connection: psycopg.Connection
        self._before_commit: list[Hook] = []
        self._after_commit: list[Hook] = []
        self.audit_note = AuditNote()
        self.committed = False

    def __enter__(self) -> UnitOfWork:
        from core.auth.repository import AuthzRepository
        from core.catalog.glossary_repository import GlossaryRepository
        from core.catalog.lineage_repository import LineageRepository
        from core.catalog.repository import CatalogRepository
        from core.compliance.repository import ComplianceRepository
        from core.datasources.repository import DataSourceRepository
        from core.events.outbox import OutboxRepository
        from core.scanrules.repository import ScanRuleSetRepository
        from core.scans.repository import ScanRepository
        from core.workspaces.quotas import QuotaRepository
        from core.workspaces.repository import WorkspaceRepository

        database = self._database or get_database()
        self._borrowed = database.connection()
        self.connection = self._borrowed.__enter__()
        self.workspaces = WorkspaceRepository(self.connection)
        self.authz = AuthzRepository(self.connection)
        self.quotas = QuotaRepository(self.connection)
        self.catalog = CatalogRepository(self.connection)
        self.lineage = LineageRepository(self.connection)
        self.glossary = GlossaryRepository(self.connection)
        self.outbox = OutboxRepository(self.connection)
        self.scan_rule_sets = ScanRuleSetRepository(self.connection)
        self.scans = ScanRepository(self.connection)
        self.datasources = DataSourceRepository(self.connection)
        self.compliance = ComplianceRepository(self.connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._borrowed is not None
        try:
            self.connection.rollback()  # no-op after commit(); discards anything uncommitted
        finally:
            self._borrowed.__exit__(exc_type, exc, tb)
            self._borrowed = None

    def before_commit(self, hook: Hook) -> None:
        """Run ``hook(uow)`` inside the transaction at the next ``commit()`` (once)."""
        self._before_commit.append(hook)

    def after_commit(self, hook: Hook) -> None:
        """Run ``hook(uow)`` after the next successful ``commit()`` (once)."""
        self._after_commit.append(hook)

    def commit(self) -> None:
        before, self._before_commit = self._before_commit, []
        for hook in before:
            hook(self)
        self.connection.commit()
        self.committed = True
        after, self._after_commit = self._after_commit, []
        for hook in after:
            hook(self)

    def rollback(self) -> None:
        self.connection.rollback()
