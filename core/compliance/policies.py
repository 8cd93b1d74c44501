"""Custom policies: create (validated against the fact registry), version on every definition
change, enable/disable, dry-run (what would violate right now, nothing written)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from core.auth.access import Access
from core.compliance import engine, evaluation
from core.compliance.model import DryRun, DryRunAsset, FrameworkSummary, Policy, PolicyCreate, PolicyPatch, PolicyRule
from core.compliance.model import PolicyVersion as PolicyVersionModel
from core.compliance.packs import get_pack, packs
from core.compliance.repository import PolicyNameTaken
from core.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

DRY_RUN_LISTED = 100


def frameworks() -> list[FrameworkSummary]:
    return [
        FrameworkSummary(
            framework=p.framework,
            name=p.name,
            version=p.version,
            description=p.description,
            controls=len(p.controls),
            policies=len(p.policies),
        )
        for p in packs().values()
    ]


def framework(name: str) -> dict[str, Any]:
    return get_pack(name).model_dump(mode="json", by_alias=True, exclude_none=True)


def _definition(rule: PolicyRule) -> dict[str, Any]:
    engine.compile_condition(rule.condition)  # 422 with a stable code before anything is stored
    return rule.model_dump(mode="json", by_alias=True, exclude_none=True)


def _policy(row: dict[str, Any]) -> Policy:
    d = row["definition"]
    return Policy(
        id=row["id"],
        workspace_id=row["workspace_id"],
        name=row["name"],
        enabled=row["enabled"],
        version=row["latest_version"],
        framework=row["framework"],
        control_id=row["control_id"],
        title=d["title"],
        description=d.get("description", ""),
        severity=d["severity"],
        asset_types=d["asset_types"],
        condition=d["condition"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _check_control(framework_id: str | None, control_id: str | None) -> None:
    if framework_id is None:
        if control_id is not None:
            raise InvalidInput("control_id needs a framework", code="invalid_control")
        return
    if framework_id not in packs():
        raise InvalidInput(f"unknown framework {framework_id!r}", code="unknown_framework")
    if control_id is not None and control_id not in {c.id for c in packs()[framework_id].controls}:
        raise InvalidInput(f"framework {framework_id} has no control {control_id!r}", code="invalid_control")


def _load(uow: UnitOfWork, access: Access, policy_id: UUID, *, lock: bool = False) -> dict[str, Any]:
    row = uow.compliance.get_policy(access.scope, policy_id, lock=lock)
    if row is None:
        raise NotFound("policy not found")
    return row


def _note(uow: UnitOfWork, row: dict[str, Any], change: dict[str, Any]) -> None:
    uow.audit_note.workspace_id = row["workspace_id"]
    uow.audit_note.target = f"compliance/policies/{row['id']}"
    uow.audit_note.change = change


def create_policy(uow: UnitOfWork, access: Access, workspace_id: UUID, body: PolicyCreate) -> Policy:
    """Store a custom policy as version 1 (disabled unless ``enabled``; dry-run it first)."""
    access.require_workspace(workspace_id)
    _check_control(body.framework, body.control_id)
    definition = _definition(body.rule())
    try:
        policy_id = uow.compliance.add_policy(
            workspace_id, body.name, body.framework, body.control_id, body.enabled, definition, access.principal.subject
        )
    except PolicyNameTaken:
        raise Conflict(f"a policy named {body.name!r} exists in this workspace", code="policy_exists") from None
    row = _load(uow, access, policy_id)
    uow.outbox.add(
        "datawave.compliance.policy.created",
        workspace_id=workspace_id,
        subject=f"policies/{policy_id}",
        data={"policy_id": str(policy_id), "version": 1, "enabled": body.enabled},
    )
    _note(uow, row, {"version": 1, "definition": definition, "enabled": body.enabled})
    uow.commit()
    return _policy(row)


def update_policy(uow: UnitOfWork, access: Access, policy_id: UUID, body: PolicyPatch) -> Policy:
    """A changed definition is a new version (evaluations record which); ``enabled`` only toggles."""
    row = _load(uow, access, policy_id, lock=True)
    access.require_workspace(row["workspace_id"])
    current = PolicyRule.model_validate(row["definition"])
    changes = body.model_dump(exclude_unset=True, exclude={"enabled"})
    change: dict[str, Any] = {}
    if changes:
        updated = current.model_copy(update={k: getattr(body, k) for k in changes})
        definition = _definition(PolicyRule.model_validate(updated.model_dump(by_alias=True)))
        if definition != row["definition"]:
            version = row["latest_version"] + 1
            uow.compliance.add_version(policy_id, row["workspace_id"], version, definition, access.principal.subject)
            change.update(version=version, definition=definition)
    if body.enabled is not None and body.enabled != row["enabled"]:
        uow.compliance.set_enabled(policy_id, body.enabled)
        change["enabled"] = body.enabled
    row = _load(uow, access, policy_id)
    if change:
        uow.outbox.add(
            "datawave.compliance.policy.updated",
            workspace_id=row["workspace_id"],
            subject=f"policies/{policy_id}",
            data={"policy_id": str(policy_id), "version": row["latest_version"], "enabled": row["enabled"]},
        )
    _note(uow, row, change)
    uow.commit()
    return _policy(row)


def get_policy(uow: UnitOfWork, access: Access, policy_id: UUID) -> Policy:
    return _policy(_load(uow, access, policy_id))


def list_policies(uow: UnitOfWork, access: Access, workspace_id: UUID) -> list[Policy]:
    access.require_workspace(workspace_id)
    return [_policy(r) for r in uow.compliance.list_policies(workspace_id)]


def versions(uow: UnitOfWork, access: Access, policy_id: UUID) -> list[PolicyVersionModel]:
    _load(uow, access, policy_id)
    return [PolicyVersionModel.model_validate(r) for r in uow.compliance.versions(policy_id)]


def _dry_run(uow: UnitOfWork, workspace_id: UUID, rule: PolicyRule, version: int | None) -> DryRun:
    compiled = engine.compile_condition(rule.condition)
    ctx = evaluation.context(uow)
    hits = engine.violating_assets(uow.connection, compiled, rule.asset_types, workspace_id, ctx)
    total = engine.scoped_count(uow.connection, rule.asset_types, workspace_id)
    listed = uow.catalog.get_many(hits[:DRY_RUN_LISTED])
    return DryRun(
        policy_version=version,
        evaluated_at=datetime.now(UTC),
        assets_evaluated=total,
        would_violate=len(hits),
        assets=[
            DryRunAsset(asset_id=r["id"], type=r["type"], qualified_name=f"{r['namespace']}/{r['name']}")
            for r in sorted(listed, key=lambda r: (r["namespace"], r["name"]))
        ],
    )


def dry_run(uow: UnitOfWork, access: Access, policy_id: UUID) -> DryRun:
    """What the stored policy's latest version would flag right now (nothing is written)."""
    row = _load(uow, access, policy_id)
    return _dry_run(uow, row["workspace_id"], PolicyRule.model_validate(row["definition"]), row["latest_version"])


def dry_run_definition(uow: UnitOfWork, access: Access, workspace_id: UUID, body: PolicyCreate) -> DryRun:
    """What an unsaved policy would flag right now."""
    access.require_workspace(workspace_id)
    _check_control(body.framework, body.control_id)
    return _dry_run(uow, workspace_id, body.rule(), None)
