"""Azure Key Vault adapter (azure-keyvault-secrets, DefaultAzureCredential: the Function App's
managed identity in Azure). The app's identity holds Key Vault Secrets Officer on the vault
(infra/bicep/modules/access.bicep).

Errors are mapped to ``SecretStoreError`` with a fixed message: SDK messages are never passed on.
"""

from __future__ import annotations

import logging
from typing import Any

from azure.core.exceptions import AzureError, ResourceNotFoundError

from core.secrets import SecretStoreError, check_name

log = logging.getLogger("datawave.secrets")

# Every SDK call is bounded: a slow vault must not hold a request open.
_TIMEOUTS = {"connection_timeout": 5, "read_timeout": 10, "retry_total": 2}


class KeyVaultSecretStore:
    def __init__(self, client: Any) -> None:
        """``client``: an ``azure.keyvault.secrets.SecretClient`` (tests pass a fake)."""
        self._client = client

    @classmethod
    def from_url(cls, vault_url: str) -> KeyVaultSecretStore:
        from azure.identity import DefaultAzureCredential
        from azure.keyvault.secrets import SecretClient

        return cls(SecretClient(vault_url=vault_url, credential=DefaultAzureCredential(), **_TIMEOUTS))

    def _fail(self, operation: str, exc: Exception) -> SecretStoreError:
        log.warning("key vault %s failed", operation, extra={"error_type": type(exc).__name__})
        return SecretStoreError(f"Key Vault {operation} failed; retry later")

    def put(self, name: str, value: str) -> None:
        check_name(name)
        try:
            self._client.set_secret(name, value, content_type="datawave/data-source-credentials")
        except AzureError as exc:
            raise self._fail("write", exc) from None

    def get(self, name: str) -> str | None:
        check_name(name)
        try:
            return self._client.get_secret(name).value
        except ResourceNotFoundError:
            return None
        except AzureError as exc:
            raise self._fail("read", exc) from None

    def delete(self, name: str) -> None:
        # Soft delete (the vault has purge protection): recoverable for the retention period. We do not
        # wait for the long-running deletion to finish.
        check_name(name)
        try:
            self._client.begin_delete_secret(name)
        except ResourceNotFoundError:
            return
        except AzureError as exc:
            raise self._fail("delete", exc) from None
