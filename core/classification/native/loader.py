"""Loading a C helper that ``scripts/bootstrap.sh`` builds next to this file: once per process,
thread-safe, and remembering why it could not be loaded (not built, or a library it links missing)."""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from pathlib import Path


class NativeLibrary:
    """A ctypes library at ``path``; ``declare`` sets its functions' prototypes once it is loaded."""

    def __init__(self, path: Path, declare: Callable[[ctypes.CDLL], None]) -> None:
        self.path = path
        self._declare = declare
        self._lock = threading.Lock()
        self._library: ctypes.CDLL | None = None
        self._error: str | None = None

    def load(self) -> ctypes.CDLL | None:
        """The library, or None when it cannot be loaded on this machine (``error`` says why)."""
        with self._lock:
            if self._library is not None or self._error is not None:
                return self._library
            if not self.path.exists():
                self._error = f"{self.path.name} is not built (run scripts/bootstrap.sh)"
                return None
            try:
                library = ctypes.CDLL(str(self.path))
            except OSError as exc:  # e.g. a library it links is missing on this machine
                self._error = str(exc)
                return None
            self._declare(library)
            self._library = library
            return library

    @property
    def error(self) -> str | None:
        """Why ``load()`` gives None (None when it loads)."""
        self.load()
        return self._error
