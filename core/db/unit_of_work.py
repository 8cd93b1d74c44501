"""The unit of work: one transaction, with the repositories that work inside it.

Services receive a ``UnitOfWork`` and call ``commit()`` once their change is complete; leaving the
``with`` block without committing rolls everything back, so a failure never leaves partial writes.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

import psycopg

from core.db.database import Database, get_database

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from core.workspaces.repository import WorkspaceRepository


class UnitOfWork:
    """``with UnitOfWork() as uow: ...; uow.commit()``"""

    workspaces: WorkspaceRepository

    def __init__(self, database: Database | None = None) -> None:
        self._database = database
        self._borrowed: AbstractContextManager[psycopg.Connection] | None = None
        self.connection: psycopg.Connection

    def __enter__(self) -> UnitOfWork:
        from core.workspaces.repository import WorkspaceRepository

        database = self._database or get_database()
        self._borrowed = database.connection()
        self.connection = self._borrowed.__enter__()
        self.workspaces = WorkspaceRepository(self.connection)
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

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()
