"""Stewards review classifications: accept, reject (stays rejected until reopened), reopen; in bulk
too (all or nothing). Accepting starts propagation downstream; rejecting or reopening withdraws it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from core.auth.access import Access
from core.catalog import assets, propagation, views
from core.catalog.model import BulkReview, Classification, ClassificationAdd, Review, ReviewResult
from core.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

Row = dict[str, Any]

# (current status, decision) -> new status; anything else is a conflict.
_DIRECT = {
    ("suggested", "accept"): "accepted",
    ("accepted", "accept"): "accepted",
    ("suggested", "reject"): "rejected",
    ("accepted", "reject"): "rejected",
    ("rejected", "reject"): "rejected",
    ("accepted", "reopen"): "suggested",
    ("rejected", "reopen"): "suggested",
}
# A propagated classification is accepted by nature: it can be rejected here and reopened.
_PROPAGATED = {
    ("accepted", "accept"): "accepted",
    ("accepted", "reject"): "rejected",
    ("rejected", "reject"): "rejected",
    ("rejected", "reopen"): "accepted",
}


class ReviewConflict(Conflict):
    code = "classification_decided"


def review(uow: UnitOfWork, access: Access, classification_id: UUID, command: Review) -> Classification:
    """Decide one classification (audited with its reason)."""
    row = _load(uow, access, classification_id)
    decided = _decide(uow, access, row, command)
    _note(uow, row["workspace_id"], f"catalog/classifications/{classification_id}", command, [row])
    uow.commit()
    return views.classification(decided)


def bulk_review(uow: UnitOfWork, access: Access, workspace_id: UUID, command: BulkReview) -> ReviewResult:
    """Decide many classifications of one workspace at once: every one or none."""
    access.require_workspace(workspace_id)
    rows = []
    for cid in dict.fromkeys(command.ids):
        row = _load(uow, access, cid)
        if row["workspace_id"] != workspace_id:
            raise NotFound("classification not found")
        rows.append(row)
    decided = [_decide(uow, access, row, command) for row in rows]
    _note(uow, workspace_id, "catalog/classifications", command, rows)
    uow.commit()
    return ReviewResult(items=[views.classification(r) for r in decided])


def add_classification(uow: UnitOfWork, access: Access, asset_id: UUID, command: ClassificationAdd) -> Classification:
    """Classify an asset by hand: accepted, source manual, propagated downstream at once."""
    asset = assets.load(uow, access, asset_id)
    access.require_workspace(asset["workspace_id"])
    if uow.catalog.find_direct_classification(asset_id, command.classification_id) is not None:
        raise Conflict(
            f"{command.classification_id} is already on this asset: review it instead", code="classification_exists"
        )
    sensitivity = command.sensitivity or _builtin_label(command.classification_id)
    row = uow.catalog.add_manual(
        asset["workspace_id"],
        asset_id,
        command.classification_id,
        str(sensitivity),
        access.principal.subject,
        command.reason,
    )
    uow.catalog.refresh_search([asset_id])
    propagation.propagate(uow, [row["id"]])
    _event(uow, row, "accepted", command.reason)
    uow.audit_note.workspace_id = asset["workspace_id"]
    uow.audit_note.target = f"catalog/classifications/{row['id']}"
    uow.audit_note.change = {"classification_id": command.classification_id, "reason": command.reason}
    uow.commit()
    return views.classification(row)


def _load(uow: UnitOfWork, access: Access, classification_id: UUID) -> Row:
    row = uow.catalog.get_classification(access.scope, classification_id)
    if row is None:
        raise NotFound("classification not found")
    assets.load(uow, access, row["asset_id"])  # clearance
    return row


def _decide(uow: UnitOfWork, access: Access, row: Row, command: Review) -> Row:
    table = _PROPAGATED if row["source"] == "propagated" else _DIRECT
    status = table.get((row["status"], command.decision))
    if status is None:
        hint = "reopen it first" if row["status"] == "rejected" else "it is not in a state this decision applies to"
        raise ReviewConflict(f"cannot {command.decision} a {row['status']} classification: {hint}")
    decided = uow.catalog.decide(row["id"], status, access.principal.subject, command.reason)
    if row["source"] != "propagated":
        if status == "accepted":
            propagation.propagate(uow, [row["id"]])
        elif row["status"] == "accepted":
            propagation.unpropagate(uow, [row["id"]])
    uow.catalog.refresh_search([row["asset_id"]])
    _event(
        uow,
        decided,
        {"accept": "accepted", "reject": "rejected", "reopen": "reopened"}[command.decision],
        command.reason,
    )
    return decided


def _event(uow: UnitOfWork, row: Row, kind: str, reason: str | None) -> None:
    uow.outbox.add(
        f"datawave.classification.{kind}",
        workspace_id=row["workspace_id"],
        subject=f"classifications/{row['id']}",
        data={
            "classification": str(row["id"]),
            "classification_id": row["classification_id"],
            "asset_id": str(row["asset_id"]),
            "source": row["source"],
            "status": row["status"],
            "reason": reason,
        },
    )


def _note(uow: UnitOfWork, workspace_id: UUID, target: str, command: Review, rows: list[Row]) -> None:
    uow.audit_note.workspace_id = workspace_id
    uow.audit_note.target = target
    uow.audit_note.change = {
        "decision": command.decision,
        "reason": command.reason,
        "classifications": [{"id": str(r["id"]), "previous_status": r["status"]} for r in rows],
    }


def _builtin_label(classification_id: str) -> str:
    # Imported lazily: the classification engine is heavy and only manual adds without a label need it.
    from core.classification import load_catalog

    try:
        return str(load_catalog().get(classification_id).sensitivity)
    except (KeyError, LookupError, ValueError):
        raise InvalidInput(
            f"{classification_id!r} is not a built-in classification: give its sensitivity",
            code="unknown_classification",
        ) from None
