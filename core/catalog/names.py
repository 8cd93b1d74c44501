"""Qualified names, compatible with OpenLineage dataset naming (namespace + name).

| source     | namespace                                         | table / file set name      |
|------------|---------------------------------------------------|----------------------------|
| PostgreSQL | ``postgres://host:port``                          | ``db.schema.table``        |
| ADLS Gen2  | ``abfss://container@account.dfs.core.windows.net`` | ``/path/to/folder``         |
| Azure Blob | ``wasbs://container@account.blob.core.windows.net`` | ``/path/to/folder``        |
| local      | ``file``                                          | ``/abs/path``              |

A database is ``db``, a schema ``db.schema``, a data source has the empty name, and a column is its
table's name + ``#`` + column (OpenLineage names a column by dataset + field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidInput

ASSET_TYPES = ("data_source", "database", "schema", "table", "view", "file_set", "column")
DATASET_TYPES = ("table", "view", "file_set")

_HOST = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*"
_POSTGRES = re.compile(rf"^postgres(?:ql)?://({_HOST}):(\d{{1,5}})$")
# Storage container: 3-63 lower-case letters, digits and single dashes, not starting or ending with one
# (as core/datasources/model.py validates a source's container).
_CONTAINER = r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}"
_ACCOUNT = r"[a-z0-9]{3,24}"
_ABFSS = re.compile(rf"^abfss://({_CONTAINER})@({_ACCOUNT})\.dfs\.core\.windows\.net$")
_WASBS = re.compile(rf"^wasbs://({_CONTAINER})@({_ACCOUNT})\.blob\.core\.windows\.net$")
_IDENT = r"[^.#/\s][^.#]{0,127}"
_PG_TABLE = re.compile(rf"^({_IDENT})\.({_IDENT})\.({_IDENT})$")
_PATH = re.compile(r"^/[^#\x00]{0,1023}$")
_COLUMN = re.compile(r"^[^#\x00]{1,128}$")


class InvalidQualifiedName(InvalidInput):
    code = "invalid_qualified_name"


class UnknownAssetType(InvalidInput):
    code = "unknown_asset_type"


@dataclass(frozen=True)
class QualifiedName:
    namespace: str
    name: str

    def __str__(self) -> str:
        if self.namespace == "file":
            return f"file://{self.name}"
        if not self.name or self.name.startswith("/"):
            return self.namespace + self.name
        return f"{self.namespace}/{self.name}"

    @property
    def kind(self) -> str:
        """``postgres``, ``abfss``, ``wasbs`` or ``file``."""
        return self.namespace.split(":", 1)[0]


def normalise_namespace(namespace: str) -> str:
    """The canonical form of a namespace, or ``invalid_qualified_name``."""
    value = namespace.strip()
    match = _POSTGRES.match(value)
    if match:
        port = int(match.group(2))
        if not 0 < port < 65536:
            raise InvalidQualifiedName(f"namespace {value!r}: port must be 1-65535")
        return f"postgres://{match.group(1).lower()}:{port}"
    if _ABFSS.match(value) or _WASBS.match(value):
        return value
    if value == "file" or value == "file://":
        return "file"
    raise InvalidQualifiedName(
        f"namespace {value!r} is not postgres://host:port, abfss://container@account.dfs.core.windows.net,"
        " wasbs://container@account.blob.core.windows.net or file"
    )


def check_type(asset_type: str) -> str:
    if asset_type not in ASSET_TYPES:
        raise UnknownAssetType(f"asset type {asset_type!r} is not one of {', '.join(ASSET_TYPES)}")
    return asset_type


_PG_PARTS = {
    kind: re.compile(rf"{_IDENT}(?:\.{_IDENT}){{{parts - 1}}}")
    for kind, parts in {"database": 1, "schema": 2, "table": 3, "view": 3}.items()
}


def validate(asset_type: str, namespace: str, name: str) -> QualifiedName:
    """Check that ``name`` is well formed for ``asset_type`` in ``namespace`` (already normalised)."""
    check_type(asset_type)
    qn = QualifiedName(namespace, name)
    if not _well_formed(asset_type, qn):
        raise InvalidQualifiedName(f"{name!r} is not a valid {asset_type} name in {namespace}")
    return qn


def _well_formed(asset_type: str, qn: QualifiedName) -> bool:
    name = qn.name
    if asset_type == "data_source":
        return not name
    if asset_type == "column":
        dataset, _, column = name.partition("#")
        if not column or not _COLUMN.match(column):
            return False
        return _well_formed("table" if qn.kind == "postgres" else "file_set", QualifiedName(qn.namespace, dataset))
    if "#" in name:
        return False
    if qn.kind == "postgres":
        pattern = _PG_PARTS.get(asset_type)
        return pattern is not None and pattern.fullmatch(name) is not None
    return asset_type == "file_set" and _PATH.match(name) is not None


def validate_columns(dataset: QualifiedName, columns: list[str]) -> None:
    """``validate("column", ...)`` for columns of a dataset already validated: only the column part."""
    for column in columns:
        if not _COLUMN.match(column):
            raise InvalidQualifiedName(
                f"{dataset.name + '#' + column!r} is not a valid column name in {dataset.namespace}"
            )


def parents(asset_type: str, qn: QualifiedName) -> list[tuple[str, str]]:
    """(type, name) of the ancestors of an asset, root first (the data source has name '')."""
    if asset_type == "data_source":
        return []
    chain: list[tuple[str, str]] = [("data_source", "")]
    if asset_type == "column":
        dataset = qn.name.split("#", 1)[0]
        dataset_type = "table" if qn.kind == "postgres" else "file_set"
        return parents(dataset_type, QualifiedName(qn.namespace, dataset)) + [(dataset_type, dataset)]
    if qn.kind == "postgres":
        pieces = qn.name.split(".")
        if asset_type in ("schema", "table", "view"):
            chain.append(("database", pieces[0]))
        if asset_type in ("table", "view"):
            chain.append(("schema", ".".join(pieces[:2])))
    return chain


def display_name(asset_type: str, qn: QualifiedName) -> str:
    if asset_type == "data_source":
        return qn.namespace
    if asset_type == "column":
        return qn.name.split("#", 1)[1]
    if qn.kind == "postgres":
        return qn.name.split(".")[-1]
    return qn.name.rstrip("/").rsplit("/", 1)[-1] or qn.name


def parse_dataset(namespace: str, name: str) -> tuple[str, QualifiedName]:
    """An OpenLineage dataset (namespace, name) as (asset type, qualified name): a table for
    PostgreSQL, a file set for abfss/wasbs/file."""
    ns = normalise_namespace(namespace)
    kind = ns.split(":", 1)[0]
    asset_type = "table" if kind == "postgres" else "file_set"
    if kind != "postgres" and not name.startswith("/"):
        name = "/" + name
    return asset_type, validate(asset_type, ns, name)
