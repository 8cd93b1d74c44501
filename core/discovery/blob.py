"""Azure Blob Storage and ADLS Gen2 sources through azure-storage-blob (ADLS Gen2 accounts answer
the Blob API too, so one client serves both kinds).

Reads are ranged: ``BlobRangeReader`` is a seekable raw stream whose every read is one
``download_blob(offset, length)``; buffered, it lets the CSV reader stream the head of a file and
Parquet/XLSX readers jump to their footers without downloading whole blobs.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)

from core.datasources.model import AdlsGen2Connection, AzureBlobConnection, ConnectionTest, ErrorKind
from core.discovery.filesystem import FileEntry

StorageConnection = AzureBlobConnection | AdlsGen2Connection

MESSAGES: dict[str, str] = {
    "auth": "authentication failed: check the account key, SAS token or the app's managed identity",
    "network": "the storage account could not be reached: check the account URL and network rules",
    "not_found": "the container does not exist",
    "permission": "the credentials may not read this container (list and read are needed)",
    "timeout": "the storage account did not answer in time",
    "config": "credentials for the configured auth method are missing",
}


def namespace(conn: StorageConnection) -> str:
    """OpenLineage namespace: ``abfss://container@account.dfs.core.windows.net`` for ADLS Gen2,
    ``wasbs://container@account.blob.core.windows.net`` for Blob (the account name, not the endpoint,
    so an Azurite or private-endpoint URL names the same dataset)."""
    if conn.kind == "adls_gen2":
        return f"abfss://{conn.container}@{conn.account_name}.dfs.core.windows.net"
    return f"wasbs://{conn.container}@{conn.account_name}.blob.core.windows.net"


def container_client(conn: StorageConnection, credentials: dict[str, str], retries: int = 2) -> Any:
    from azure.storage.blob import BlobServiceClient

    # The storage SDK's default retry waits 15 s, then 45 s...: keep retries few and short.
    options: dict[str, Any] = {
        "connection_timeout": conn.timeout_seconds,
        "read_timeout": conn.timeout_seconds,
        "retry_total": retries,
        "initial_backoff": 1,
        "increment_base": 2,
    }
    if conn.auth == "connection_string":
        service = BlobServiceClient.from_connection_string(credentials["connection_string"], **options)
    elif conn.auth == "account_key":
        key = {"account_name": conn.account_name, "account_key": credentials["account_key"]}
        service = BlobServiceClient(conn.blob_endpoint, credential=key, **options)
    elif conn.auth == "sas":
        service = BlobServiceClient(conn.blob_endpoint, credential=credentials["sas_token"].lstrip("?"), **options)
    else:
        from azure.identity import DefaultAzureCredential

        service = BlobServiceClient(conn.blob_endpoint, credential=DefaultAzureCredential(), **options)
    return service.get_container_client(conn.container)


def missing_credentials(conn: StorageConnection, credentials: dict[str, str]) -> bool:
    needed = {"account_key": "account_key", "sas": "sas_token", "connection_string": "connection_string"}.get(conn.auth)
    return needed is not None and not credentials.get(needed)


def classify_error(exc: BaseException) -> ErrorKind:
    if isinstance(exc, (ServiceRequestTimeoutError, ServiceResponseTimeoutError)):
        return "timeout"
    if isinstance(exc, ResourceNotFoundError):
        return "not_found"
    if isinstance(exc, ClientAuthenticationError):
        return "auth"
    if isinstance(exc, HttpResponseError):
        code = str(getattr(exc, "error_code", "") or "")
        if exc.status_code == 403:
            return "auth" if code == "AuthenticationFailed" else "permission"
        if exc.status_code == 401:
            return "auth"
        if exc.status_code == 404:
            return "not_found"
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return "timeout" if "timed out" in str(exc).lower() else "network"
    if type(exc).__name__ == "CredentialUnavailableError":
        return "auth"
    if isinstance(exc, (ValueError, KeyError)):
        return "config"  # a malformed connection string or key
    return "network"


def test_connection(conn: StorageConnection, credentials: dict[str, str]) -> ConnectionTest:
    started = time.perf_counter()
    if missing_credentials(conn, credentials):
        return ConnectionTest(ok=False, latency_ms=0.0, error="config", message=MESSAGES["config"])
    try:
        container = container_client(conn, credentials, retries=0)  # a test reports, it does not insist
        container.get_container_properties()
        next(iter(container.list_blobs(name_starts_with=conn.prefix or None, results_per_page=1)), None)
    except (AzureError, ValueError, KeyError) as exc:
        kind = classify_error(exc)
        return ConnectionTest(ok=False, latency_ms=_ms(started), error=kind, message=MESSAGES[kind])
    return ConnectionTest(ok=True, latency_ms=_ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


class BlobFileSystem:
    """The container (under ``prefix``) as a file system for ``core.discovery.files``."""

    def __init__(self, conn: StorageConnection, credentials: dict[str, str], container: Any | None = None) -> None:
        self.conn = conn
        self.container = container if container is not None else container_client(conn, credentials)
        self.namespace = namespace(conn)

    def list(self) -> Iterator[FileEntry]:
        prefix = f"{self.conn.prefix}/" if self.conn.prefix else None
        for blob in self.container.list_blobs(name_starts_with=prefix):
            if blob.name.endswith("/") or getattr(blob, "size", 0) is None:
                continue
            yield FileEntry(
                path=blob.name,
                size=int(blob.size or 0),
                last_modified=blob.last_modified,
                etag=str(blob.etag).strip('"') if blob.etag else None,
            )

    def name_of(self, path: str) -> str:
        return "/" + path.strip("/")

    def open(self, entry: FileEntry, buffer_size: int = 4 * 1024 * 1024) -> io.BufferedReader:
        return io.BufferedReader(BlobRangeReader(self.container.get_blob_client(entry.path), entry.size), buffer_size)


class BlobRangeReader(io.RawIOBase):
    """A seekable read-only stream over one blob; every ``readinto`` is one ranged download."""

    def __init__(self, blob: Any, size: int) -> None:
        self._blob = blob
        self._size = size
        self._pos = 0
        self.requests = 0
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        length = min(len(buffer), self._size - self._pos)
        if length <= 0:
            return 0
        data = self._blob.download_blob(offset=self._pos, length=length).readall()
        self.requests += 1
        self.bytes_read += len(data)
        view = memoryview(buffer)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)
