"""The catalog facts a policy condition may test, each with its SQL over one asset.

Every fact is evaluated per asset by SQL (``a`` is the asset row of ``catalog_assets``, ``w`` its
workspace, ``e`` the current element inside a collection). What several facts and collections need
over the whole workspace (the highest label among each asset's columns, the elements of each
collection) is a ``Shared`` relation: compiled queries refer to it as ``{{shared:<name>}}``, and the
engine either inlines it as a subquery or, during a workspace evaluation, reads it from a temporary
table filled once for every policy. Asset properties policies rely on are set
through ``PATCH /api/v1/catalog/assets/{id}`` (``properties``):

| property | type | meaning |
|---|---|---|
| ``masked`` | boolean | values are masked/tokenised where stored (``true``/``false`` or the strings) |
| ``encrypted`` | boolean | encrypted at rest with a customer-managed key |
| ``public_access`` | boolean | reachable without authentication (public container, open share) |
| ``retention_days`` | number | how long rows are kept before deletion |
| ``region`` | Azure region | where the data lives, when not the workspace's region |

A comparison on a fact that is missing is false (``missing`` tests for absence).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from core.auth.conditions import Sensitivity
from core.classification.catalog import Category, load_catalog
from core.workspaces.regions import AZURE_REGIONS

SENSITIVITY_LABELS = [s.value for s in Sensitivity]
ASSET_TYPES = ("data_source", "database", "schema", "table", "view", "file_set", "column")


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    SENSITIVITY = "sensitivity"  # compared by rank: Public < Internal < Confidential < Highly Confidential
    TEXT_ARRAY = "text_array"


def rank_sql(label_sql: str) -> str:
    """The rank (0..3) of a sensitivity label expression; NULL when unlabeled."""
    labels = ",".join(f"'{label}'" for label in SENSITIVITY_LABELS)
    return f"(array_position(ARRAY[{labels}]::text[], {label_sql}) - 1)"


@dataclass(frozen=True)
class Fact:
    name: str
    kind: Kind
    sql: str
    description: str
    values: frozenset[str] | None = None  # the allowed values (text facts with a closed set)
    value_name: str = "value"  # what an unknown value is called in errors ("classification")
    # Set-based form: (shared relation, alias LEFT JOINed on ``alias.asset_id = a.id``, SQL over it).
    joined: tuple[str, str, str] | None = None


def _bool_property(name: str) -> str:
    return f"(CASE lower(a.properties->>'{name}') WHEN 'true' THEN true WHEN 'false' THEN false END)"


def _number_property(name: str) -> str:
    return f"(CASE WHEN jsonb_typeof(a.properties->'{name}') = 'number' THEN (a.properties->>'{name}')::numeric END)"


# The asset's own sensitivity, or the highest of its columns (tables carry their columns' labels).
# Correlated form (one probe of catalog_assets_child_rank_idx per asset); set-based queries join the
# ``child_rank`` shared relation instead (``SHARED_RANK_SQL`` over alias ``s_child_rank``).
ASSET_RANK_SQL = (
    "GREATEST(a.sensitivity_rank, (SELECT max(ch.sensitivity_rank) FROM catalog_assets ch"
    " WHERE ch.workspace_id = a.workspace_id AND ch.parent_id = a.id AND ch.removed_at IS NULL"
    " AND ch.sensitivity_rank IS NOT NULL))"
)
SHARED_RANK_SQL = "GREATEST(a.sensitivity_rank, s_child_rank.rank)"


@dataclass(frozen=True)
class Shared:
    """A row set over one workspace (``%(workspace_id)s``) that compiled queries share.

    ``scoped`` relations also filter by the policy's ``%(asset_types)s`` (they would otherwise hold
    a row per asset of every type and reader): materialised once per asset-type scope. ``sql`` may
    refer to other shared relations."""

    name: str
    sql: str
    scoped: bool = False


def shared_ref(name: str) -> str:
    """How compiled SQL refers to a shared relation (see ``core.compliance.engine.expand``)."""
    return "{{shared:" + name + "}}"


REGIONS = frozenset(AZURE_REGIONS)

ASSET_FACTS: dict[str, Fact] = {
    f.name: f
    for f in [
        Fact(
            "asset.type",
            Kind.TEXT,
            "a.type",
            "data_source, database, schema, table, view, file_set or column",
            frozenset(ASSET_TYPES),
        ),
        Fact("asset.name", Kind.TEXT, "a.name", "the OpenLineage dataset name (db.schema.table[#column])"),
        Fact("asset.namespace", Kind.TEXT, "a.namespace", "the OpenLineage namespace (the data source)"),
        Fact("asset.data_type", Kind.TEXT, "a.data_type", "a column's data type"),
        Fact("asset.tags", Kind.TEXT_ARRAY, "a.tags", "the asset's tags (use contains)"),
        Fact(
            "asset.sensitivity",
            Kind.SENSITIVITY,
            ASSET_RANK_SQL,
            "the highest sensitivity of the asset's non-rejected classifications and of its columns'",
            frozenset(SENSITIVITY_LABELS),
            "sensitivity label",
            joined=("child_rank", "s_child_rank", SHARED_RANK_SQL),
        ),
        Fact(
            "asset.region",
            Kind.TEXT,
            "lower(COALESCE(a.properties->>'region', w.region))",
            "data residency: properties.region, else the workspace's region",
            REGIONS,
            "region",
        ),
        Fact("workspace.region", Kind.TEXT, "w.region", "the workspace's data-residency region", REGIONS, "region"),
        Fact("properties.masked", Kind.BOOLEAN, _bool_property("masked"), "values are masked where stored"),
        Fact("properties.encrypted", Kind.BOOLEAN, _bool_property("encrypted"), "encrypted with a managed key"),
        Fact(
            "properties.public_access",
            Kind.BOOLEAN,
            _bool_property("public_access"),
            "reachable without authentication",
        ),
        Fact("properties.retention_days", Kind.NUMBER, _number_property("retention_days"), "retention period in days"),
        Fact(
            "audit.records",
            Kind.NUMBER,
            "(SELECT count(*) FROM audit_records r WHERE r.chain = a.workspace_id::text AND r.outcome = 'success'"
            " AND r.target = 'catalog/assets/' || a.id::text)",
            "successful audited changes that name this asset",
        ),
    ]
}


def _categories() -> dict[str, str]:
    return {d.id: d.category.value for d in load_catalog()}


@dataclass(frozen=True)
class Collection:
    name: str
    source: str  # SQL yielding one row per element, correlated to ``a``
    fields: dict[str, Fact] = field(default_factory=dict)
    description: str = ""
    # The same elements for every asset of the workspace at once, one row per element with its asset
    # in ``asset_id`` (never NULL): what the engine compiles set-based against.
    shared: Shared | None = None


_STATUSES = frozenset({"suggested", "accepted", "rejected"})
CLASSIFICATIONS = Collection(
    "classifications",
    """SELECT c.classification_id AS id, c.status, c.sensitivity, c.source, c.confidence
         FROM catalog_classifications c WHERE c.asset_id = a.id
       UNION ALL
       SELECT c.classification_id, c.status, c.sensitivity, c.source, c.confidence
         FROM catalog_assets ch JOIN catalog_classifications c ON c.asset_id = ch.id
        WHERE ch.parent_id = a.id AND ch.removed_at IS NULL""",
    {
        "id": Fact(
            "id",
            Kind.TEXT,
            "e.id",
            "classification id (email_address, credit_card_number, ...)",
            None,
            "classification",
        ),
        "status": Fact("status", Kind.TEXT, "e.status", "suggested, accepted or rejected", _STATUSES),
        "category": Fact(
            "category",
            Kind.TEXT,
            "(%(categories)s::jsonb ->> e.id)",
            "PII, PHI, PCI, financial, credential or technical",
            frozenset(c.value for c in Category),
            "category",
        ),
        "sensitivity": Fact(
            "sensitivity",
            Kind.SENSITIVITY,
            rank_sql("e.sensitivity"),
            "the label it carries",
            frozenset(SENSITIVITY_LABELS),
            "sensitivity label",
        ),
        "source": Fact(
            "source", Kind.TEXT, "e.source", "scan, manual or propagated", frozenset({"scan", "manual", "propagated"})
        ),
        "confidence": Fact("confidence", Kind.NUMBER, "e.confidence", "0..1"),
    },
    "the asset's classifications and (for a table) its columns'",
    Shared(
        "classifications",
        """SELECT c.asset_id, c.classification_id AS id, c.status, c.sensitivity, c.source, c.confidence
             FROM catalog_classifications c WHERE c.workspace_id = %(workspace_id)s
           UNION ALL
           SELECT ch.parent_id, c.classification_id, c.status, c.sensitivity, c.source, c.confidence
             FROM catalog_assets ch JOIN catalog_classifications c ON c.asset_id = ch.id
            WHERE ch.workspace_id = %(workspace_id)s AND ch.parent_id IS NOT NULL AND ch.removed_at IS NULL""",
    ),
)
OWNERS = Collection(
    "owners",
    """SELECT o.principal_id, o.principal_type, o.role FROM catalog_owners o WHERE o.asset_id = a.id
       UNION ALL
       SELECT o.principal_id, o.principal_type, o.role FROM catalog_owners o
        WHERE o.asset_id = a.parent_id AND a.type = 'column'""",
    {
        "role": Fact(
            "role", Kind.TEXT, "e.role", "owner, steward or expert", frozenset({"owner", "steward", "expert"})
        ),
        "principal_id": Fact("principal_id", Kind.TEXT, "e.principal_id", "user or group id"),
        "principal_type": Fact(
            "principal_type", Kind.TEXT, "e.principal_type", "user or group", frozenset({"user", "group"})
        ),
    },
    "owners, stewards and experts of the asset (a column inherits its table's)",
    # Columns inherit their table's owners only when columns are in scope (one row per column and
    # owner otherwise).
    Shared(
        "owners",
        """SELECT o.asset_id, o.principal_id, o.principal_type, o.role
             FROM catalog_owners o WHERE o.workspace_id = %(workspace_id)s
           UNION ALL
           SELECT ch.id, o.principal_id, o.principal_type, o.role
             FROM catalog_assets ch JOIN catalog_owners o ON o.asset_id = ch.parent_id
            WHERE ch.workspace_id = %(workspace_id)s AND ch.type = 'column'
              AND 'column' = ANY(%(asset_types)s::text[])""",
        scoped=True,
    ),
)
READERS = Collection(
    "readers",
    f"""SELECT r.principal_id, r.principal_type, r.role, r.conditions->>'clearance' AS clearance,
              CASE WHEN r.workspace_id IS NULL THEN 'global' ELSE 'workspace' END AS scope
         FROM role_assignments r
        WHERE (r.workspace_id = a.workspace_id OR r.workspace_id IS NULL)
          AND lower(r.role) = ANY(%(reader_roles)s)
          AND (r.conditions->>'clearance' IS NULL
               OR {rank_sql("r.conditions->>'clearance'")} >= COALESCE({ASSET_RANK_SQL}, 0))""",
    {
        "role": Fact("role", Kind.TEXT, "e.role", "the role granting catalog:read"),
        "principal_id": Fact("principal_id", Kind.TEXT, "e.principal_id", "user or group id"),
        "principal_type": Fact(
            "principal_type", Kind.TEXT, "e.principal_type", "user or group", frozenset({"user", "group"})
        ),
        "clearance": Fact(
            "clearance",
            Kind.SENSITIVITY,
            rank_sql("e.clearance"),
            "the grant's clearance condition (missing: unrestricted)",
            frozenset(SENSITIVITY_LABELS),
            "sensitivity label",
        ),
        "scope": Fact("scope", Kind.TEXT, "e.scope", "workspace or global", frozenset({"workspace", "global"})),
    },
    "stored role assignments (workspace or global) that can read the asset: the role grants catalog:read"
    " and its clearance, if any, covers the asset's sensitivity",
    # One row per asset in scope and reader: only the policy's asset types.
    Shared(
        "readers",
        f"""SELECT x.id AS asset_id, r.principal_id, r.principal_type, r.role,
                  r.conditions->>'clearance' AS clearance,
                  CASE WHEN r.workspace_id IS NULL THEN 'global' ELSE 'workspace' END AS scope
             FROM (SELECT a.id, a.workspace_id, GREATEST(a.sensitivity_rank, m.rank) AS rank
                     FROM catalog_assets a LEFT JOIN {shared_ref("child_rank")} m ON m.asset_id = a.id
                    WHERE a.workspace_id = %(workspace_id)s AND a.type = ANY(%(asset_types)s::text[])
                      AND a.removed_at IS NULL) x
             JOIN role_assignments r ON (r.workspace_id = x.workspace_id OR r.workspace_id IS NULL)
            WHERE lower(r.role) = ANY(%(reader_roles)s)
              AND (r.conditions->>'clearance' IS NULL
                   OR {rank_sql("r.conditions->>'clearance'")} >= COALESCE(x.rank, 0))""",
        scoped=True,
    ),
)
SCHEMA_CHANGES = Collection(
    "schema_changes",
    """SELECT s.change, s.column_name, s.scan_id,
              EXISTS (SELECT 1 FROM audit_records r WHERE r.chain = s.workspace_id::text AND r.outcome = 'success'
                        AND r.target IN ('scans/' || s.scan_id, 'catalog/assets/' || s.asset_id::text)) AS audited
         FROM catalog_schema_changes s WHERE s.asset_id = a.id""",
    {
        "change": Fact(
            "change",
            Kind.TEXT,
            "e.change",
            "column_added, column_removed or type_changed",
            frozenset({"column_added", "column_removed", "type_changed"}),
        ),
        "column_name": Fact("column_name", Kind.TEXT, "e.column_name", "the column that changed"),
        "audited": Fact(
            "audited",
            Kind.BOOLEAN,
            "e.audited",
            "a successful audit record names the scan (scans/{id}) or the asset (catalog/assets/{id})",
        ),
    },
    "schema changes recorded on the asset, each with whether the audit trail has evidence of it",
    Shared(
        "schema_changes",
        """SELECT s.asset_id, s.change, s.column_name, s.scan_id,
                  EXISTS (SELECT 1 FROM audit_records r WHERE r.chain = s.workspace_id::text
                            AND r.outcome = 'success'
                            AND r.target IN ('scans/' || s.scan_id, 'catalog/assets/' || s.asset_id::text)) AS audited
             FROM catalog_schema_changes s WHERE s.workspace_id = %(workspace_id)s""",
    ),
)
COLLECTIONS: dict[str, Collection] = {c.name: c for c in (CLASSIFICATIONS, OWNERS, READERS, SCHEMA_CHANGES)}

# The highest label among each asset's columns (children), by asset: ``asset.sensitivity`` and readers.
CHILD_RANK = Shared(
    "child_rank",
    """SELECT ch.parent_id AS asset_id, max(ch.sensitivity_rank) AS rank FROM catalog_assets ch
        WHERE ch.workspace_id = %(workspace_id)s AND ch.parent_id IS NOT NULL AND ch.removed_at IS NULL
          AND ch.sensitivity_rank IS NOT NULL
        GROUP BY ch.parent_id""",
)
SHARED: dict[str, Shared] = {
    s.name: s for s in (CHILD_RANK, *(c.shared for c in COLLECTIONS.values() if c.shared is not None))
}


def classification_categories() -> dict[str, str]:
    """Classification id → category, for the ``category`` field of classifications."""
    return _categories()


def known_classifications() -> frozenset[str]:
    return frozenset(d.id for d in load_catalog())
