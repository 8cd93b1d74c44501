"""The one generic policy engine: a condition tree compiled to a SQL predicate over catalog facts.

A policy's condition describes the violating state of one asset. ``compile_condition`` checks it
against the fact registry (``core.compliance.facts``: unknown facts, collections, classifications
and ill-typed values are 422s with stable codes) and yields a SQL boolean expression over ``a``
(the asset) and ``w`` (its workspace). ``violating_assets`` runs it set-based: one query per policy
and workspace returns every violating asset, so a sweep never loads assets into Python.

Compiled SQL refers to whole-workspace relations (``facts.SHARED``: collection elements, the highest
column label per asset) as ``{{shared:<name>}}``. ``expand`` inlines them as subqueries, or reads
them from the temporary tables a ``SharedTables`` filled once for a whole evaluation run (every
policy of a sweep then reads the same rows instead of recomputing them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from uuid import UUID

import psycopg

from core.auth.catalog import RoleCatalog
from core.auth.conditions import Sensitivity
from core.compliance import facts as F
from core.compliance.conditions import COUNT_OPS, AllOf, AnyOf, Compare, Condition, Count, Exists, NotOf, Op
from core.errors import InvalidInput


class PolicyError(InvalidInput):
    """A condition the engine cannot evaluate; ``code`` says why, ``details`` where."""

    code = "invalid_condition"


_SQL_OPS = {Op.EQ: "=", Op.NE: "<>", Op.LT: "<", Op.LTE: "<=", Op.GT: ">", Op.GTE: ">="}
_ORDERED = {F.Kind.NUMBER, F.Kind.SENSITIVITY}


@dataclass
class CompiledCondition:
    sql: str
    params: dict[str, Any] = field(default_factory=dict)
    collections: set[str] = field(default_factory=set)
    joins: list[str] = field(default_factory=list)  # LEFT JOINs onto ``a`` that ``sql`` refers to


class _Compiler:
    """``set_based`` (the default) compiles each collection condition to one aggregate over the
    workspace's elements, computed once per query and joined to the assets (``LEFT JOIN (SELECT
    asset_id, count(*) AS n ... GROUP BY asset_id) cN ON cN.asset_id = a.id``, then ``cN.n IS NOT
    NULL`` for exists and ``COALESCE(cN.n, 0) op value`` for count); ``set_based=False`` keeps the per-asset
    correlated subquery (same results, one probe per asset) for comparison in tests. A collection whose
    ``where`` tests asset facts (``a``/``w``) is always compiled correlated. Asset facts with a
    ``joined`` form (``asset.sensitivity``) likewise join their shared relation once instead of
    probing per asset."""

    def __init__(self, set_based: bool = True) -> None:
        self.params: dict[str, Any] = {}
        self.collections: set[str] = set()
        self.set_based = set_based
        self.joins: list[str] = []  # the per-policy aggregates the predicate refers to (``cN``)
        self._asset_refs = 0  # asset facts compared inside a collection's where
        self._joined: set[str] = set()  # aliases of joined asset facts already in ``joins``

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def node(self, node: Any, path: str, element: F.Collection | None) -> str:
        if isinstance(node, AllOf):
            return "(" + " AND ".join(self.node(c, f"{path}.all[{i}]", element) for i, c in enumerate(node.all)) + ")"
        if isinstance(node, AnyOf):
            return "(" + " OR ".join(self.node(c, f"{path}.any[{i}]", element) for i, c in enumerate(node.any)) + ")"
        if isinstance(node, NotOf):
            return f"(NOT {self.node(node.not_, path + '.not', element)})"
        if isinstance(node, Exists):
            found, predicate, correlated = self.collection(
                node.exists.collection, node.exists.where, path + ".exists", element
            )
            if correlated:
                return f"EXISTS (SELECT 1 FROM ({found.source}) e WHERE {predicate})"
            return f"({self.counted(found, predicate)}.n IS NOT NULL)"
        if isinstance(node, Count):
            if node.op not in COUNT_OPS:
                raise PolicyError(
                    f"{path}: count compares with eq, ne, lt, lte, gt or gte",
                    code="invalid_operator",
                    details=[{"field": path + ".op"}],
                )
            found, predicate, correlated = self.collection(
                node.count.collection, node.count.where, path + ".count", element
            )
            op, value = _SQL_OPS[node.op], self.param(node.value)
            if correlated:
                return f"(((SELECT count(*) FROM ({found.source}) e WHERE {predicate})) {op} {value})"
            return f"(COALESCE({self.counted(found, predicate)}.n, 0) {op} {value})"
        assert isinstance(node, Compare)
        return self.compare(node, path, element)

    def counted(self, found: F.Collection, predicate: str) -> str:
        """The alias of a join giving, per asset with any, how many elements match (``n``)."""
        assert found.shared is not None
        alias = f"c{len(self.joins)}"
        self.joins.append(
            f"LEFT JOIN (SELECT e.asset_id, count(*) AS n FROM {F.shared_ref(found.shared.name)} e WHERE {predicate}"
            f" GROUP BY e.asset_id) {alias} ON {alias}.asset_id = a.id"
        )
        return alias

    def collection(
        self, name: str, where: Any, path: str, element: F.Collection | None
    ) -> tuple[F.Collection, str, bool]:
        """(collection, predicate over ``e``, whether it must be evaluated correlated to ``a``)."""
        if element is not None:
            raise PolicyError(
                f"{path}: collections cannot be nested inside a collection's where", details=[{"field": path}]
            )
        found = F.COLLECTIONS.get(name)
        if found is None:
            raise PolicyError(
                f"{path}: unknown collection {name!r} (known: {', '.join(sorted(F.COLLECTIONS))})",
                code="unknown_collection",
                details=[{"field": path + ".collection"}],
            )
        self.collections.add(name)
        before = self._asset_refs
        predicate = self.node(where, path + ".where", found) if where is not None else "true"
        correlated = not self.set_based or found.shared is None or self._asset_refs != before
        return found, predicate, correlated

    def compare(self, node: Compare, path: str, element: F.Collection | None) -> str:
        fact = element.fields.get(node.fact) if element else None
        if fact is None:
            fact = F.ASSET_FACTS.get(node.fact)
            if fact is not None and element is not None:
                self._asset_refs += 1
        if fact is None:
            known = sorted(F.ASSET_FACTS) + (sorted(element.fields) if element else [])
            raise PolicyError(
                f"{path}: unknown fact {node.fact!r}",
                code="unknown_fact",
                details=[{"field": path + ".fact", "known": known}],
            )
        fact_sql = fact.sql
        if fact.joined is not None and self.set_based:
            shared, alias, fact_sql = fact.joined
            if alias not in self._joined:
                self._joined.add(alias)
                self.joins.append(f"LEFT JOIN {F.shared_ref(shared)} {alias} ON {alias}.asset_id = a.id")
        if node.op in (Op.EXISTS, Op.MISSING):
            if node.value is not None:
                raise PolicyError(
                    f"{path}: {node.op} takes no value", code="invalid_value", details=[{"field": path + ".value"}]
                )
            return f"({fact_sql} IS {'NOT ' if node.op is Op.EXISTS else ''}NULL)"
        if node.op is Op.CONTAINS:
            if fact.kind is not F.Kind.TEXT_ARRAY:
                raise PolicyError(
                    f"{path}: contains applies to list facts only",
                    code="invalid_operator",
                    details=[{"field": path + ".op"}],
                )
            return f"COALESCE({self.param(self.scalar(fact, node.value, path))} = ANY({fact_sql}), false)"
        if fact.kind is F.Kind.TEXT_ARRAY:
            raise PolicyError(
                f"{path}: {node.fact} is a list: use contains",
                code="invalid_operator",
                details=[{"field": path + ".op"}],
            )
        if node.op in (Op.IN, Op.NOT_IN):
            if not isinstance(node.value, list) or not node.value:
                raise PolicyError(
                    f"{path}: {node.op} needs a non-empty list",
                    code="invalid_value",
                    details=[{"field": path + ".value"}],
                )
            values = [self.scalar(fact, v, f"{path}.value[{i}]") for i, v in enumerate(node.value)]
            negate = "NOT " if node.op is Op.NOT_IN else ""
            return f"COALESCE({negate}({fact_sql} = ANY({self.param(values)})), false)"
        if node.op in (Op.LT, Op.LTE, Op.GT, Op.GTE) and fact.kind not in _ORDERED:
            raise PolicyError(
                f"{path}: {node.op} applies to numbers and sensitivity labels",
                code="invalid_operator",
                details=[{"field": path + ".op"}],
            )
        value = self.scalar(fact, node.value, path + ".value")
        return f"COALESCE({fact_sql} {_SQL_OPS[node.op]} {self.param(value)}, false)"

    def scalar(self, fact: F.Fact, value: Any, path: str) -> Any:
        """The SQL parameter for one comparison value, checked against the fact's type and values."""

        def bad(message: str, code: str = "invalid_value") -> PolicyError:
            return PolicyError(f"{path}: {message}", code=code, details=[{"field": path}])

        if fact.kind is F.Kind.BOOLEAN:
            if not isinstance(value, bool):
                raise bad(f"{fact.name} is true or false")
            return value
        if fact.kind is F.Kind.NUMBER:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad(f"{fact.name} is a number")
            return value
        if not isinstance(value, str):
            raise bad(f"{fact.name} takes a string")
        if fact.kind is F.Kind.SENSITIVITY:
            try:
                return Sensitivity(value).rank
            except ValueError:
                raise bad(f"unknown sensitivity label {value!r} (known: {', '.join(F.SENSITIVITY_LABELS)})") from None
        if fact.value_name == "classification":
            if value not in F.known_classifications():
                raise bad(f"unknown classification {value!r}", code="unknown_classification")
        elif fact.values is not None:
            checked = value.lower() if fact.value_name == "region" else value
            if checked not in fact.values:
                raise bad(f"unknown {fact.value_name} {value!r} for {fact.name}")
            return checked
        return value


def compile_condition(condition: Condition, set_based: bool = True) -> CompiledCondition:
    """The SQL predicate of ``condition`` (raises ``PolicyError`` on anything it cannot evaluate).

    ``set_based=False`` compiles collections as per-asset correlated subqueries (the reference
    semantics the set-based form is tested against)."""
    compiler = _Compiler(set_based)
    sql = compiler.node(condition, "condition", None)
    return CompiledCondition(sql, compiler.params, compiler.collections, compiler.joins)


@lru_cache(maxsize=1)
def _categories_json() -> str:
    return json.dumps(F.classification_categories())


def context_params(roles: RoleCatalog, reader_roles: Sequence[str]) -> dict[str, Any]:
    """Constants every compiled condition may refer to: classification categories and the roles that
    can read catalog assets (built-in and custom, with inheritance)."""
    readers = sorted({r.lower() for r in reader_roles if roles.grants(r, "catalog:read")})
    return {"categories": _categories_json(), "reader_roles": readers}


def reader_context(conn: psycopg.Connection, roles: RoleCatalog) -> dict[str, Any]:
    """``context_params`` for the roles that appear in stored assignments."""
    assigned = [_first(r) for r in conn.execute("SELECT DISTINCT role FROM role_assignments").fetchall()]
    return context_params(roles, assigned)


def scope_sql(asset_types: Sequence[str]) -> tuple[str, dict[str, Any]]:
    return (
        "a.workspace_id = %(workspace_id)s AND a.type = ANY(%(asset_types)s) AND a.removed_at IS NULL"
        " AND (%(asset_ids)s::uuid[] IS NULL OR a.id = ANY(%(asset_ids)s::uuid[]))",
        {"asset_types": list(asset_types)},
    )


_SHARED_REF = re.compile(r"\{\{shared:(\w+)\}\}")


def shared_names(sql: str) -> list[str]:
    """The shared relations ``sql`` refers to, directly or through another, dependencies first."""
    found: list[str] = []

    def visit(text: str) -> None:
        for name in _SHARED_REF.findall(text):
            if name not in found:
                visit(F.SHARED[name].sql)
                found.append(name)

    visit(sql)
    return found


def expand(sql: str, tables: Mapping[str, str] | None = None) -> str:
    """``sql`` with each shared relation replaced by its table in ``tables`` or its inline subquery."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if tables and name in tables:
            return tables[name]
        return f"({expand(F.SHARED[name].sql, tables)})"

    return _SHARED_REF.sub(replace, sql)


class SharedTables:
    """The shared relations of one evaluation run, each filled once into a temporary table.

    ``params`` carries ``workspace_id`` and the context (``reader_roles``, ``categories``); a scoped
    relation is filled once per asset-type scope. The tables live until ``drop`` (or the end of the
    transaction)."""

    def __init__(self, conn: psycopg.Connection, params: dict[str, Any], prefix: str) -> None:
        self._conn = conn
        self._params = params
        self._prefix = prefix
        self._tables: dict[tuple[str, tuple[str, ...]], str] = {}

    def for_query(self, sql: str, asset_types: Sequence[str]) -> dict[str, str]:
        """The tables (by relation name) to read ``sql``'s shared relations from, filling missing ones."""
        resolved: dict[str, str] = {}
        for name in shared_names(sql):
            relation = F.SHARED[name]
            key = (name, tuple(asset_types) if relation.scoped else ())
            table = self._tables.get(key)
            if table is None:
                table = f"{self._prefix}_{len(self._tables)}"
                self._conn.execute(
                    f"CREATE TEMPORARY TABLE {table} ON COMMIT DROP AS {expand(relation.sql, resolved)}",
                    {**self._params, "asset_types": list(asset_types)},
                )
                self._conn.execute(f"ANALYZE {table}")
                self._tables[key] = table
            resolved[name] = table
        return resolved

    def drop(self) -> None:
        for table in self._tables.values():
            self._conn.execute(f"DROP TABLE IF EXISTS {table}")
        self._tables.clear()


def violation_query(
    compiled: CompiledCondition, asset_types: Sequence[str], tables: Mapping[str, str] | None = None
) -> tuple[str, dict[str, Any]]:
    """``SELECT a.id`` of every violating asset (params: workspace_id, asset_ids or None, context);
    shared relations read from ``tables`` when given, else inline."""
    where, params = scope_sql(asset_types)
    joins = "".join(f" {j}" for j in compiled.joins)
    sql = (
        f"SELECT a.id FROM catalog_assets a JOIN workspaces w ON w.id = a.workspace_id{joins}"
        f" WHERE {where} AND {compiled.sql}"
    )
    return expand(sql, tables), {**params, **compiled.params}


def violating_assets(
    conn: psycopg.Connection,
    compiled: CompiledCondition,
    asset_types: Sequence[str],
    workspace_id: UUID,
    context: dict[str, Any],
    asset_ids: Sequence[UUID] | None = None,
) -> list[UUID]:
    """Every asset of the workspace (or of ``asset_ids``) for which the condition holds."""
    sql, params = violation_query(compiled, asset_types)
    rows = conn.execute(sql, {**params, **context, "workspace_id": workspace_id, "asset_ids": asset_ids}).fetchall()
    return [_first(r) for r in rows]


def scoped_count(
    conn: psycopg.Connection, asset_types: Sequence[str], workspace_id: UUID, asset_ids: Sequence[UUID] | None = None
) -> int:
    """How many assets a policy with these asset types evaluates."""
    where, params = scope_sql(asset_types)
    row = conn.execute(
        f"SELECT count(*) FROM catalog_assets a WHERE {where}",
        {**params, "workspace_id": workspace_id, "asset_ids": asset_ids},
    ).fetchone()
    return int(_first(row))


def _first(row: Any) -> Any:
    return row[next(iter(row))] if isinstance(row, dict) else row[0]
