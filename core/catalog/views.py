"""Rows to API models: one place that assembles an asset with its owners, classifications and terms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.catalog.model import Asset, AssetSummary, Classification, Owner, TermRef
from core.catalog.names import QualifiedName

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

_SUMMARY_FIELDS = tuple(AssetSummary.model_fields)


def summary(row: dict[str, Any]) -> AssetSummary:
    values = {k: row[k] for k in _SUMMARY_FIELDS if k in row}
    values["qualified_name"] = str(QualifiedName(row["namespace"], row["name"]))
    return AssetSummary.model_validate(values)


def classification(row: dict[str, Any]) -> Classification:
    return Classification.model_validate(row)


def assets(uow: UnitOfWork, rows: Sequence[dict[str, Any]], *, with_children: bool = False) -> list[Asset]:
    """Full assets for ``rows`` (owners, classifications, terms; children when asked)."""
    ids = [r["id"] for r in rows]
    owners = uow.catalog.owners(ids)
    classes = uow.catalog.classifications(ids)
    terms = uow.catalog.terms(ids)
    out = []
    for row in rows:
        asset = Asset.model_validate(
            {
                **row,
                "qualified_name": str(QualifiedName(row["namespace"], row["name"])),
                "owners": [Owner.model_validate(o) for o in owners.get(row["id"], [])],
                "classifications": [classification(c) for c in classes.get(row["id"], [])],
                "terms": [TermRef.model_validate(t) for t in terms.get(row["id"], [])],
            }
        )
        if with_children:
            asset.children = [summary(child) for child in uow.catalog.children(row["id"])]
        out.append(asset)
    return out


def asset(uow: UnitOfWork, row: dict[str, Any], *, with_children: bool = True) -> Asset:
    return assets(uow, [row], with_children=with_children)[0]
