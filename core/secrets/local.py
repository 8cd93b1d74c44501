"""The local secret store: one JSON file outside the database, readable by its owner only (0600).

Writes go to a temporary file in the same folder (created 0600) and replace the store atomically,
under an exclusive ``flock`` so concurrent writers (devhost workers, tests) never lose an update.
For development and tests; Azure uses Key Vault.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.secrets import SecretStoreError, check_name


class LocalSecretStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _read(self) -> dict[str, str]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            raise SecretStoreError("the local secret store cannot be read") from None
        if not isinstance(data, dict):
            raise SecretStoreError("the local secret store is corrupt")
        return data

    def _write(self, data: dict[str, str]) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".secrets-", dir=self.path.parent)  # mkstemp creates 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put(self, name: str, value: str) -> None:
        check_name(name)
        with self._locked():
            data = self._read()
            data[name] = value
            self._write(data)

    def get(self, name: str) -> str | None:
        check_name(name)
        with self._locked():
            return self._read().get(name)

    def delete(self, name: str) -> None:
        check_name(name)
        with self._locked():
            data = self._read()
            if data.pop(name, None) is not None:
                self._write(data)
