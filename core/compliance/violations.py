"""Violations: list, read, move through the lifecycle, assign, comment; every change has a history
row, an outbox event and (through the route layer) an audit record.

    detected ──▶ investigating ──▶ remediating ──▶ resolved
        │              ▲ │               │
        └──────────────┴─┴───────────────┴──▶ accepted_risk (expiry + approver) | false_positive (reason)

accepted_risk and false_positive can be reopened (→ investigating); resolved is final (a new
detection opens a new violation). The engine resolves automatically when the condition no longer
holds (``resolution = 'automatic'``) and reopens accepted risks at their expiry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from core.auth.access import Access
from core.compliance.model import (
    Assignment,
    Comment,
    CommentCreate,
    Decision,
    Severity,
    StatusChange,
    Violation,
    ViolationEvent,
    ViolationQuery,
)
from core.errors import Conflict, InvalidInput, NotFound
from core.pagination import Page, decode_time_cursor, encode_cursor

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

TRANSITIONS: dict[str, frozenset[str]] = {
    "detected": frozenset({"investigating", "remediating", "resolved", "accepted_risk", "false_positive"}),
    "investigating": frozenset({"remediating", "resolved", "accepted_risk", "false_positive"}),
    "remediating": frozenset({"investigating", "resolved", "accepted_risk", "false_positive"}),
    "accepted_risk": frozenset({"investigating"}),
    "false_positive": frozenset({"investigating"}),
    "resolved": frozenset(),
}


class IllegalTransition(Conflict):
    code = "illegal_transition"


def _load(uow: UnitOfWork, access: Access, violation_id: UUID, *, lock: bool = False) -> dict[str, Any]:
    row = uow.compliance.get_violation(access.scope, violation_id, lock=lock)
    if row is None:
        raise NotFound("violation not found")
    return row


def _note(uow: UnitOfWork, row: dict[str, Any], change: dict[str, Any]) -> None:
    uow.audit_note.workspace_id = row["workspace_id"]
    uow.audit_note.target = f"compliance/violations/{row['id']}"
    uow.audit_note.change = change


def _event(uow: UnitOfWork, row: dict[str, Any], kind: str, data: dict[str, Any]) -> None:
    uow.outbox.add(
        f"datawave.compliance.violation.{kind}",
        workspace_id=row["workspace_id"],
        subject=f"violations/{row['id']}",
        data={
            "violation_id": str(row["id"]),
            "asset_id": str(row["asset_id"]),
            "policy_ref": row["policy_ref"],
            **data,
        },
    )


def get_violation(uow: UnitOfWork, access: Access, violation_id: UUID) -> Violation:
    return Violation.model_validate(_load(uow, access, violation_id))


def list_violations(uow: UnitOfWork, access: Access, workspace_id: UUID, query: ViolationQuery) -> Page[Violation]:
    access.require_workspace(workspace_id)
    key = decode_time_cursor(query.cursor)
    filters = query.model_dump(include={"status", "severity", "policy_ref", "asset_id", "open"}, mode="json")
    rows = uow.compliance.list_violations(workspace_id, filters, key, query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = encode_cursor([rows[-1]["detected_at"].isoformat(), str(rows[-1]["id"])]) if more else None
    return Page[Violation](items=[Violation.model_validate(r) for r in rows], next_cursor=cursor)


def _move(
    uow: UnitOfWork, access: Access, violation_id: UUID, target: str, fields: dict[str, Any], note: str | None
) -> Violation:
    row = _load(uow, access, violation_id, lock=True)
    access.require_workspace(row["workspace_id"])
    current = row["status"]
    if row["closed_at"] is not None and current != "resolved":
        raise IllegalTransition("this violation was closed by the engine; a new detection opens a new one")
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(
            f"a {current} violation cannot become {target}",
            details={"from": current, "to": target, "allowed": sorted(TRANSITIONS[current])},
        )
    actor = access.principal.subject
    updates: dict[str, Any] = {"status": target, **fields}
    if target == "resolved":
        updates.update(
            resolution="manual", resolved_by=actor, resolved_at=datetime.now(UTC), closed_at=datetime.now(UTC)
        )
    if target == "investigating" and current in ("accepted_risk", "false_positive"):
        updates.update(
            accepted_until=None, approver=None, reason=None, resolved_by=None, resolved_at=None, resolution=None
        )
    uow.compliance.update_violation(violation_id, **updates)
    uow.compliance.add_event(violation_id, row["workspace_id"], actor, "status", current, target, note)
    _event(uow, row, "status_changed", {"from": current, "to": target})
    _note(uow, row, {"from": current, "to": target, **{k: str(v) for k, v in fields.items()}})
    uow.commit()
    return get_violation(uow, access, violation_id)


def change_status(uow: UnitOfWork, access: Access, violation_id: UUID, body: StatusChange) -> Violation:
    """Work on a violation: investigating or remediating (also reopens accepted risks and false positives)."""
    return _move(uow, access, violation_id, body.status, {}, body.note)


def decide(uow: UnitOfWork, access: Access, violation_id: UUID, body: Decision) -> Violation:
    """Close a violation: resolved; accepted_risk until an expiry with an approver; false_positive with a reason."""
    fields: dict[str, Any] = {}
    if body.status == "accepted_risk":
        missing = [f for f in ("expires_at", "approver") if getattr(body, f) is None]
        if missing:
            raise InvalidInput(
                "an accepted risk needs an expiry and an approver",
                code="acceptance_incomplete",
                details=[{"field": f"body.{f}", "message": "required for accepted_risk"} for f in missing],
            )
        if body.expires_at is not None and body.expires_at <= datetime.now(UTC):
            raise InvalidInput(
                "the risk acceptance must expire in the future",
                code="acceptance_expired",
                details=[{"field": "body.expires_at", "message": "must be in the future"}],
            )
        fields.update(
            accepted_until=body.expires_at,
            approver=body.approver,
            reason=body.reason,
            resolved_by=access.principal.subject,
            resolved_at=datetime.now(UTC),
        )
    elif body.status == "false_positive":
        if not body.reason:
            raise InvalidInput(
                "a false positive needs a reason",
                code="reason_required",
                details=[{"field": "body.reason", "message": "required for false_positive"}],
            )
        fields.update(
            reason=body.reason, resolution="manual", resolved_by=access.principal.subject, resolved_at=datetime.now(UTC)
        )
    elif body.reason:
        fields["reason"] = body.reason
    return _move(uow, access, violation_id, body.status, fields, body.reason)


def assign(uow: UnitOfWork, access: Access, violation_id: UUID, body: Assignment) -> Violation:
    """Assign (or unassign with null) and optionally override the due date."""
    row = _load(uow, access, violation_id, lock=True)
    access.require_workspace(row["workspace_id"])
    if row["closed_at"] is not None:
        raise IllegalTransition("a closed violation cannot be assigned")
    fields: dict[str, Any] = {"assignee": body.assignee}
    if body.due_at is not None:
        fields.update(due_at=body.due_at, escalated_at=None)
    uow.compliance.update_violation(violation_id, **fields)
    note = f"assigned to {body.assignee}" if body.assignee else "unassigned"
    uow.compliance.add_event(
        violation_id,
        row["workspace_id"],
        access.principal.subject,
        "assigned",
        None,
        None,
        note + (f", due {body.due_at.isoformat()}" if body.due_at else ""),
    )
    _event(uow, row, "assigned", {"assignee": body.assignee})
    _note(uow, row, {k: str(v) for k, v in fields.items()})
    uow.commit()
    return get_violation(uow, access, violation_id)


def add_comment(uow: UnitOfWork, access: Access, violation_id: UUID, body: CommentCreate) -> Comment:
    row = _load(uow, access, violation_id)
    access.require_workspace(row["workspace_id"])
    comment = uow.compliance.add_comment(violation_id, row["workspace_id"], access.principal.subject, body.body)
    _note(uow, row, {"comment": str(comment["id"])})
    uow.commit()
    return Comment.model_validate(comment)


def comments(uow: UnitOfWork, access: Access, violation_id: UUID) -> list[Comment]:
    _load(uow, access, violation_id)
    return [Comment.model_validate(r) for r in uow.compliance.comments(violation_id)]


def history(uow: UnitOfWork, access: Access, violation_id: UUID) -> list[ViolationEvent]:
    _load(uow, access, violation_id)
    return [ViolationEvent.model_validate(r) for r in uow.compliance.events(violation_id)]


def due_in(severity: str) -> str:
    return str(Severity(severity).due_in)
