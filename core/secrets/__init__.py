"""The secret-store port: data-source credentials live here, never in the database.

A data source keeps only a reference ``kv://<name>``; ``secret_store()`` returns the configured
adapter: Key Vault in Azure (``DATAWAVE_SECRET_STORE=keyvault``), a 0600 JSON file under
``DATAWAVE_DATA_DIR`` locally (``local``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol

from core.errors import DomainError

REF_SCHEME = "kv://"
# Key Vault secret names: 1-127 characters of letters, digits and dashes.
_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")


class SecretStoreError(DomainError):
    """The secret store could not be reached or refused the operation (never carries the value)."""

    status = 503
    code = "secret_store_unavailable"


class SecretStore(Protocol):
    """Where credentials live. Values are opaque strings; names follow Key Vault's rules."""

    def put(self, name: str, value: str) -> None:
        """Create or replace the secret ``name`` (Key Vault keeps the old value as a version)."""
        ...

    def get(self, name: str) -> str | None:
        """The current value of ``name``, or None when it does not exist."""
        ...

    def delete(self, name: str) -> None:
        """Remove ``name``; deleting a missing secret is a no-op."""
        ...


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError("secret names are 1-127 letters, digits or dashes")
    return name


def to_ref(name: str) -> str:
    """``kv://<name>``: what a data source row stores instead of the credential."""
    return REF_SCHEME + check_name(name)


def from_ref(ref: str) -> str:
    """The secret name inside a ``kv://`` reference."""
    if not ref.startswith(REF_SCHEME):
        raise ValueError("not a kv:// secret reference")
    return check_name(ref[len(REF_SCHEME) :])


@lru_cache(maxsize=1)
def secret_store() -> SecretStore:
    """The process-wide secret store chosen by ``DATAWAVE_SECRET_STORE``."""
    from core.settings import SecretStoreKind, get_settings

    settings = get_settings()
    if settings.secret_store is SecretStoreKind.KEYVAULT:
        from core.secrets.keyvault import KeyVaultSecretStore

        assert settings.keyvault_url is not None  # the settings model requires it
        return KeyVaultSecretStore.from_url(settings.keyvault_url)
    from core.secrets.local import LocalSecretStore

    return LocalSecretStore(settings.data_dir / "secrets.json")


def reset_secret_store() -> None:
    """Forget the cached store (tests and devhost change settings)."""
    secret_store.cache_clear()
