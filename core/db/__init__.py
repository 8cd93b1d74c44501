"""PostgreSQL access: the connection pool, the embedded server for local runs, migrations and the
unit of work. One SQL dialect everywhere: the same code runs on Azure Database for PostgreSQL and
on the embedded server."""

from core.db.database import Database, get_database, reset_database
from core.db.unit_of_work import UnitOfWork

__all__ = ["Database", "UnitOfWork", "get_database", "reset_database"]
