"""The small file-system port file discovery works over: a local folder or a blob container."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative to the source root, '/'-separated (blob name for storage sources)
    size: int
    last_modified: datetime | None = None
    etag: str | None = None


class FileSystem(Protocol):
    namespace: str

    def list(self) -> Iterator[FileEntry]:
        """Every file under the source root."""
        ...

    def name_of(self, path: str) -> str:
        """The OpenLineage dataset name of ``path`` (a relative path)."""
        ...

    def open(self, entry: FileEntry) -> IO[bytes]:
        """A seekable binary stream over the file that reads lazily."""
        ...


class LocalFileSystem:
    """A folder on disk; the namespace is ``file`` and names are absolute paths (``file:///...``)."""

    namespace = "file"

    def __init__(self, root: Path) -> None:
        self.root = root

    def list(self) -> Iterator[FileEntry]:
        for folder, dirs, files in os.walk(self.root, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                full = Path(folder) / name
                if full.is_symlink():
                    continue  # a link could point outside the allowed root
                stat = full.stat()
                yield FileEntry(
                    path=full.relative_to(self.root).as_posix(),
                    size=stat.st_size,
                    last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
                    etag=None,
                )

    def name_of(self, path: str) -> str:
        return (self.root / path).as_posix() if path else self.root.as_posix()

    def open(self, entry: FileEntry) -> IO[bytes]:
        return open(self.root / entry.path, "rb", buffering=1024 * 1024)
