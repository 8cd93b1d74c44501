"""Data sources: kinds, typed connection settings, credentials, lifecycle states and API shapes.

Connection settings are a discriminated union on ``kind``; they hold nothing secret (URLs with a
query string or user info are refused, so a SAS token cannot sneak in). Credentials travel only in
``credentials`` (write-only: never part of a response) and go to the secret store.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Annotated, Literal
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

DataSourceKind = Literal["postgresql", "azure_blob", "adls_gen2", "local_folder"]

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_PG_IDENT = re.compile(r"^[^\x00]{1,63}$")
_CONTAINER = re.compile(r"^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$")


class DataSourceState(StrEnum):
    DISCOVERED = "discovered"
    VALIDATED = "validated"
    REGISTERED = "registered"
    ACTIVE = "active"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"


#: The lifecycle: discovered → validated → registered → active ⇄ maintenance → retired
#: (any state but retired may retire; retired is final).
TRANSITIONS: dict[DataSourceState, frozenset[DataSourceState]] = {
    DataSourceState.DISCOVERED: frozenset({DataSourceState.VALIDATED, DataSourceState.RETIRED}),
    DataSourceState.VALIDATED: frozenset({DataSourceState.REGISTERED, DataSourceState.RETIRED}),
    DataSourceState.REGISTERED: frozenset({DataSourceState.ACTIVE, DataSourceState.RETIRED}),
    DataSourceState.ACTIVE: frozenset({DataSourceState.MAINTENANCE, DataSourceState.RETIRED}),
    DataSourceState.MAINTENANCE: frozenset({DataSourceState.ACTIVE, DataSourceState.RETIRED}),
    DataSourceState.RETIRED: frozenset(),
}


def _no_secrets_in_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must not carry a query string, fragment or user info; put SAS tokens in credentials")
    return value


def _path_prefix(value: str) -> str:
    value = value.strip().strip("/")
    if any(part in ("..", ".") for part in value.split("/")) or "\x00" in value or "\\" in value:
        raise ValueError("must be a plain folder path inside the container (no '..', '.', '\\')")
    return value


class PostgresConnection(BaseModel):
    """A PostgreSQL server and database (Azure Database for PostgreSQL or any PostgreSQL ≥ 12)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["postgresql"] = "postgresql"
    host: str = Field(description="DNS name or IP address (an absolute socket folder only in local mode).")
    port: int = Field(5432, ge=1, le=65535)
    database: str = Field(min_length=1, max_length=63)
    username: str = Field(min_length=1, max_length=63)
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = "require"
    include_schemas: list[str] | None = Field(
        None, max_length=100, description="Only these schemas are discovered (default: every user schema)."
    )
    connect_timeout_seconds: int = Field(10, ge=1, le=60)
    statement_timeout_seconds: int = Field(30, ge=1, le=600)

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip()
        if value.startswith("/"):
            return value  # unix socket folder; the service allows it only in local mode
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            pass
        if not _HOSTNAME.match(value):
            raise ValueError("must be a DNS name or an IP address")
        return value.lower()

    @field_validator("database", "username")
    @classmethod
    def _ident(cls, value: str) -> str:
        if not _PG_IDENT.match(value):
            raise ValueError("must be 1-63 characters without NUL")
        return value

    @field_validator("include_schemas")
    @classmethod
    def _schemas(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not all(_PG_IDENT.match(s) for s in value):
            raise ValueError("schema names are 1-63 characters without NUL")
        return value


BlobAuth = Literal["account_key", "sas", "connection_string", "managed_identity"]


class _StorageConnection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_url: str = Field(
        description="Account endpoint: https://<account>.blob.core.windows.net (or .dfs. for ADLS Gen2); "
        "http://127.0.0.1:<port>/<account> for Azurite in local mode."
    )
    container: str = Field(description="Container (ADLS Gen2: file system).")
    prefix: str = Field("", max_length=1024, description="Only blobs under this folder are discovered.")
    auth: BlobAuth = Field(
        "managed_identity",
        description="managed_identity (DefaultAzureCredential; no credentials), account_key, sas or "
        "connection_string (the matching field of credentials is required).",
    )
    timeout_seconds: int = Field(20, ge=1, le=300)

    @field_validator("account_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = _no_secrets_in_url(value.strip().rstrip("/"))
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an https:// account endpoint")
        return value

    @field_validator("container")
    @classmethod
    def _container(cls, value: str) -> str:
        if not _CONTAINER.match(value):
            raise ValueError("container names are 3-63 lowercase letters, digits and single dashes")
        return value

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return _path_prefix(value)

    @property
    def account_name(self) -> str:
        parts = urlsplit(self.account_url)
        host = parts.hostname or ""
        if host in ("127.0.0.1", "localhost") or host.replace(".", "").isdigit():
            return parts.path.strip("/").split("/")[0] or "devstoreaccount1"  # Azurite: path-style
        return host.split(".")[0]

    @property
    def blob_endpoint(self) -> str:
        """The Blob endpoint (ADLS Gen2 accounts answer the Blob API on ``.blob.`` too)."""
        return self.account_url.replace(".dfs.core.windows.net", ".blob.core.windows.net")


class AzureBlobConnection(_StorageConnection):
    """An Azure Blob Storage container (or a folder of it)."""

    kind: Literal["azure_blob"] = "azure_blob"


class AdlsGen2Connection(_StorageConnection):
    """An ADLS Gen2 file system (hierarchical namespace storage account)."""

    kind: Literal["adls_gen2"] = "adls_gen2"


class LocalFolderConnection(BaseModel):
    """A folder on the host's disk, for development: it must lie under ``DATAWAVE_LOCAL_SOURCE_ROOT``."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["local_folder"] = "local_folder"
    path: str = Field(min_length=1, max_length=4096, description="Absolute folder path under the allowed root.")

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if "\x00" in value or not PurePosixPath(value).is_absolute():
            raise ValueError("must be an absolute folder path")
        return value


Connection = Annotated[
    PostgresConnection | AzureBlobConnection | AdlsGen2Connection | LocalFolderConnection,
    Field(discriminator="kind"),
]


class Credentials(BaseModel):
    """Write-only secrets of a data source; exactly the one its kind/auth needs. Never returned."""

    model_config = ConfigDict(extra="forbid")

    password: SecretStr | None = Field(None, description="PostgreSQL password.")
    account_key: SecretStr | None = Field(None, description="Storage account key (auth=account_key).")
    sas_token: SecretStr | None = Field(None, description="SAS token without the leading '?' (auth=sas).")
    connection_string: SecretStr | None = Field(None, description="Storage connection string (auth=connection_string).")

    def provided(self) -> dict[str, str]:
        return {name: value.get_secret_value() for name, value in self if value is not None}  # type: ignore[union-attr]


_EXAMPLE = {
    "name": "Sales warehouse",
    "description": "Orders and customers (EU)",
    "connection": {
        "kind": "postgresql",
        "host": "pg-sales.postgres.database.azure.com",
        "port": 5432,
        "database": "sales",
        "username": "datawave_reader",
        "sslmode": "require",
    },
}


class DataSourceCreate(BaseModel):
    """Register a data source. ``credentials`` needs ``datasources:credentials`` (MFA) as well."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    connection: Connection
    credentials: Credentials | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class DataSourceUpdate(BaseModel):
    """Change the name, description or (same-kind) connection settings; credentials: PUT .../credentials."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"description": "Orders, customers, payments"}]}
    )

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    connection: Connection | None = None


class CredentialsSet(BaseModel):
    """Set or rotate the credentials (replaces whatever was stored)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"credentials": {"password": "s3cr3t"}}]})

    credentials: Credentials


class TransitionRequest(BaseModel):
    """Move the data source to another lifecycle state."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"to": "validated"}]})

    to: Literal["discovered", "validated", "registered", "active", "maintenance", "retired"]
    reason: str | None = Field(None, max_length=500)


class DataSourceListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)
    state: Literal["discovered", "validated", "registered", "active", "maintenance", "retired"] | None = None
    kind: DataSourceKind | None = None


ErrorKind = Literal["auth", "network", "not_found", "permission", "timeout", "config"]


class ConnectionTest(BaseModel):
    """The outcome of a connection test. ``message`` is a fixed text per error kind (never a driver
    message, which may quote connection details)."""

    ok: bool
    latency_ms: float
    error: ErrorKind | None = None
    message: str | None = None
    tested_at: datetime | None = None


class DataSource(BaseModel):
    id: UUID
    workspace_id: UUID
    name: str
    description: str
    kind: DataSourceKind
    connection: Connection
    state: DataSourceState
    secret_ref: str | None = Field(None, description="kv://<name> of the stored credentials; never the value.")
    has_credentials: bool
    last_test: ConnectionTest | None = None
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    retired_at: datetime | None = None


class Transition(BaseModel):
    from_state: DataSourceState | None
    to_state: DataSourceState
    reason: str | None
    by: str
    at: datetime
