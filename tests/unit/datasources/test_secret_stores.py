"""The secret-store adapters. Key Vault cannot run here: its adapter is tested at the SDK boundary
with a fake SecretClient that behaves like azure-keyvault-secrets (same method names, same errors)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceRequestError

from core.secrets import SecretStoreError, from_ref, to_ref
from core.secrets.keyvault import KeyVaultSecretStore


class FakeSecretClient:
    def __init__(self, fail: Exception | None = None) -> None:
        self.versions: dict[str, list[str]] = {}
        self.deleted: list[str] = []
        self.fail = fail

    def set_secret(self, name, value, **kwargs):
        if self.fail:
            raise self.fail
        self.versions.setdefault(name, []).append(value)
        return SimpleNamespace(
            name=name, value=value, properties=SimpleNamespace(content_type=kwargs.get("content_type"))
        )

    def get_secret(self, name, version=None, **kwargs):
        if self.fail:
            raise self.fail
        if name not in self.versions or name in self.deleted:
            raise ResourceNotFoundError(f"A secret with (name/id) {name} was not found in this key vault.")
        return SimpleNamespace(name=name, value=self.versions[name][-1])

    def begin_delete_secret(self, name, **kwargs):
        if self.fail:
            raise self.fail
        if name not in self.versions:
            raise ResourceNotFoundError("not found")
        self.deleted.append(name)
        return SimpleNamespace(result=lambda: None)


def test_put_get_rotate_delete():
    client = FakeSecretClient()
    store = KeyVaultSecretStore(client)
    store.put("ds-1", "first")
    store.put("ds-1", "second")
    assert store.get("ds-1") == "second"
    assert client.versions["ds-1"] == ["first", "second"]  # rotation keeps versions in the vault
    store.delete("ds-1")
    assert store.get("ds-1") is None
    store.delete("ds-never")  # missing: no-op


@pytest.mark.parametrize(
    "error",
    [ServiceRequestError("connection refused to vault with value hunter2"), HttpResponseError("forbidden hunter2")],
)
def test_sdk_errors_become_clean_store_errors(error):
    store = KeyVaultSecretStore(FakeSecretClient(fail=error))
    for call in (lambda: store.put("ds-1", "hunter2"), lambda: store.get("ds-1"), lambda: store.delete("ds-1")):
        with pytest.raises(SecretStoreError) as failed:
            call()
        assert "hunter2" not in failed.value.message and failed.value.status == 503


def test_references_and_names():
    assert to_ref("ds-abc") == "kv://ds-abc"
    assert from_ref("kv://ds-abc") == "ds-abc"
    for bad in ("ds_abc", "a" * 128, ""):
        with pytest.raises(ValueError):
            to_ref(bad)
    with pytest.raises(ValueError):
        from_ref("https://vault/secrets/x")


def test_factory_builds_the_key_vault_adapter_from_settings(monkeypatch):
    from core.secrets import reset_secret_store, secret_store
    from core.settings import reset_settings_cache

    monkeypatch.setenv("DATAWAVE_SECRET_STORE", "keyvault")
    monkeypatch.setenv("DATAWAVE_KEYVAULT_URL", "https://kv-datawave-test.vault.azure.net/")
    reset_settings_cache()
    reset_secret_store()
    try:
        store = secret_store()
        assert isinstance(store, KeyVaultSecretStore)
        assert store._client.vault_url == "https://kv-datawave-test.vault.azure.net"
    finally:
        monkeypatch.delenv("DATAWAVE_SECRET_STORE")
        monkeypatch.delenv("DATAWAVE_KEYVAULT_URL")
        reset_settings_cache()
        reset_secret_store()


def test_keyvault_needs_a_url(monkeypatch):
    from pydantic import ValidationError

    from core.settings import Settings

    monkeypatch.setenv("DATAWAVE_SECRET_STORE", "keyvault")
    with pytest.raises(ValidationError, match="DATAWAVE_KEYVAULT_URL"):
        Settings()
