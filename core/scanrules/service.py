"""Scan rule-set services: create, edit (= new version), retire, read, list, resolve for a scan.

Versions are immutable: ``update_rule_set`` validates the full new content and appends version
latest + 1; ``retire_rule_set`` hides the rule set from new work but every version stays readable,
because scans pin ``(rule_set_id, version)`` (``resolve_rule_set``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from core.auth.access import Access
from core.classification.errors import ClassificationError
from core.classification.rule_sets import RuleSetDocument, Template, builtin_templates, validate_rule_set
from core.errors import Conflict, DomainError, NotFound
from core.pagination import InvalidCursor, Page, decode_cursor, encode_cursor, page_of
from core.scanrules.model import (
    RuleSet,
    RuleSetCreate,
    RuleSetListQuery,
    RuleSetUpdate,
    RuleSetVersion,
    RuleSetVersionSummary,
)

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork


class RuleSetInvalid(DomainError):
    """A rule-set document the engine rejects; ``code`` is the engine's (``invalid_pattern``,
    ``unknown_classification``, ``unknown_template``, ``unknown_validator``, ``duplicate_rule``,
    ``invalid_rule_set``) and ``details.field`` the path of the offending value in the request body."""

    status = 422
    code = "invalid_rule_set"


class RuleSetRetired(Conflict):
    code = "rule_set_retired"


def invalid_rule_set(exc: ClassificationError, prefix: str = "body") -> RuleSetInvalid:
    """The API error for an engine ``RuleSetError``/``PatternRejected``."""
    field = f"{prefix}.{exc.field}" if exc.field else prefix
    return RuleSetInvalid(exc.message, code=exc.code, details={"field": field})


def list_templates() -> list[Template]:
    """The built-in templates (GDPR personal data, HIPAA PHI, PCI-DSS, CCPA, credentials)."""
    return list(builtin_templates().values())


def _document(rule_set_id: str, name: str, version: int, fields: dict[str, Any]) -> RuleSetDocument:
    try:
        return validate_rule_set({"id": rule_set_id, "name": name, "version": version, **fields})
    except ClassificationError as exc:
        raise invalid_rule_set(exc) from None


def _require_workspace(uow: UnitOfWork, access: Access, workspace_id: UUID) -> None:
    if uow.workspaces.get(access.scope, workspace_id) is None:
        access.require_workspace(workspace_id)  # 403 when visible but not allowed, else 404
        raise NotFound("workspace not found")


def _not_found(access: Access, workspace_id: UUID, rule_set_id: str) -> NotFound:
    access.require_workspace(workspace_id)
    return NotFound(f"rule set {rule_set_id!r} not found", code="rule_set_not_found")


def create_rule_set(uow: UnitOfWork, access: Access, workspace_id: UUID, command: RuleSetCreate) -> RuleSet:
    """Create version 1 of a rule set (from scratch or by instantiating a built-in template)."""
    _require_workspace(uow, access, workspace_id)
    fields = command.model_dump(mode="json", exclude={"id", "name", "template"})
    name = command.name
    if command.template is not None:
        template = builtin_templates().get(command.template)
        if template is None:
            raise RuleSetInvalid(
                f"unknown template {command.template!r} (known: {sorted(builtin_templates())})",
                code="unknown_template",
                details={"field": "body.template"},
            )
        if command.template not in fields["templates"]:
            fields["templates"] = [command.template, *fields["templates"]]
        name = name or template.name
        fields["description"] = fields["description"] or template.description
    if not name:
        raise RuleSetInvalid("name is required unless a template is given", details={"field": "body.name"})
    document = _document(command.id, name, 1, fields)
    uow.scan_rule_sets.add(workspace_id, document, access.principal.subject)
    _note(uow, workspace_id, document, "create")
    uow.commit()
    return _get(uow, access, workspace_id, command.id)


def update_rule_set(
    uow: UnitOfWork, access: Access, workspace_id: UUID, rule_set_id: str, command: RuleSetUpdate
) -> RuleSet:
    """Replace the content: appends version latest + 1; the previous versions are untouched."""
    current = uow.scan_rule_sets.get(access.scope, workspace_id, rule_set_id, for_update=True)
    if current is None:
        raise _not_found(access, workspace_id, rule_set_id)
    if current.status == "retired":
        raise RuleSetRetired(f"rule set {rule_set_id!r} is retired; create a new one")
    if command.expected_version is not None and command.expected_version != current.latest_version:
        raise Conflict(
            f"rule set {rule_set_id!r} is at version {current.latest_version}, not {command.expected_version}",
            code="version_conflict",
            details={"latest_version": current.latest_version},
        )
    fields = command.model_dump(mode="json", exclude={"name", "expected_version"})
    document = _document(rule_set_id, command.name, current.latest_version + 1, fields)
    uow.scan_rule_sets.add_version(workspace_id, document, access.principal.subject)
    _note(uow, workspace_id, document, "update")
    uow.commit()
    return _get(uow, access, workspace_id, rule_set_id)


def retire_rule_set(uow: UnitOfWork, access: Access, workspace_id: UUID, rule_set_id: str) -> None:
    """Retire: no new versions, not usable for new classification; versions stay readable.
    Retiring a retired rule set is a no-op."""
    current = uow.scan_rule_sets.get(access.scope, workspace_id, rule_set_id, for_update=True)
    if current is None:
        raise _not_found(access, workspace_id, rule_set_id)
    if current.status == "retired":
        return
    uow.scan_rule_sets.retire(workspace_id, rule_set_id, access.principal.subject)
    _note(uow, workspace_id, current.document, "retire")
    uow.commit()


def _note(uow: UnitOfWork, workspace_id: UUID, document: RuleSetDocument, action: str) -> None:
    uow.audit_note.workspace_id = workspace_id
    uow.audit_note.target = f"workspaces/{workspace_id}/scan-rule-sets/{document.id}"
    uow.audit_note.change = {"rule_set_action": action, "version": document.version}


def _get(uow: UnitOfWork, access: Access, workspace_id: UUID, rule_set_id: str) -> RuleSet:
    rule_set = uow.scan_rule_sets.get(access.scope, workspace_id, rule_set_id)
    if rule_set is None:
        raise _not_found(access, workspace_id, rule_set_id)
    return rule_set


def get_rule_set(uow: UnitOfWork, access: Access, workspace_id: UUID, rule_set_id: str) -> RuleSet:
    """The rule set with its latest document (retired ones too, with ``status`` retired)."""
    return _get(uow, access, workspace_id, rule_set_id)


def list_rule_sets(uow: UnitOfWork, access: Access, workspace_id: UUID, query: RuleSetListQuery) -> Page[RuleSet]:
    _require_workspace(uow, access, workspace_id)
    key = decode_cursor(query.cursor, 1)
    after = None
    if key is not None:
        if not isinstance(key[0], str):
            raise InvalidCursor("cursor is not one this API issued")
        after = key[0]
    items = uow.scan_rule_sets.list(access.scope, workspace_id, after, query.limit + 1, query.include_retired)
    items, next_cursor = page_of(items, query.limit, lambda r: encode_cursor([r.id]))
    return Page[RuleSet](items=items, next_cursor=next_cursor)


def list_versions(
    uow: UnitOfWork, access: Access, workspace_id: UUID, rule_set_id: str, cursor: str | None, limit: int
) -> Page[RuleSetVersionSummary]:
    """The version history, oldest first."""
    _get(uow, access, workspace_id, rule_set_id)
    key = decode_cursor(cursor, 1)
    after = None
    if key is not None:
        if not isinstance(key[0], int):
            raise InvalidCursor("cursor is not one this API issued")
        after = key[0]
    items = uow.scan_rule_sets.list_versions(access.scope, workspace_id, rule_set_id, after, limit + 1)
    items, next_cursor = page_of(items, limit, lambda v: encode_cursor([v.version]))
    return Page[RuleSetVersionSummary](items=items, next_cursor=next_cursor)


def get_version(uow: UnitOfWork, access: Access, workspace_id: UUID, rule_set_id: str, version: int) -> RuleSetVersion:
    """One immutable version (readable after the rule set is retired)."""
    found = uow.scan_rule_sets.get_version(access.scope, workspace_id, rule_set_id, version)
    if found is None:
        head = _get(uow, access, workspace_id, rule_set_id)
        raise NotFound(
            f"rule set {rule_set_id!r} has no version {version} (latest: {head.latest_version})",
            code="version_not_found",
        )
    return found


def resolve_rule_set(
    uow: UnitOfWork,
    access: Access,
    workspace_id: UUID,
    rule_set_id: str,
    version: int | None = None,
    *,
    allow_retired: bool = False,
) -> RuleSetDocument:
    """The document a scan or a classification should run with: ``version`` pinned, or the latest.

    A retired rule set raises 409 ``rule_set_retired`` unless ``allow_retired`` (re-running a scan
    that pinned one of its versions).
    """
    head = _get(uow, access, workspace_id, rule_set_id)
    if head.status == "retired" and not allow_retired:
        raise RuleSetRetired(f"rule set {rule_set_id!r} is retired")
    if version is None or version == head.latest_version:
        return head.document
    return get_version(uow, access, workspace_id, rule_set_id, version).document
