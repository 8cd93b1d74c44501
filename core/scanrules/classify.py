"""Inline classification (POST /classify): columns of sampled values, classified with the system
rule set, a built-in template, or a workspace rule set (latest or pinned version)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from core.auth.access import Access
from core.classification.errors import ClassificationError
from core.classification.results import ColumnResult, RuleSetRef
from core.classification.rule_sets import RuleSetDocument, template_rule_set
from core.classification.shared import get_engine
from core.errors import InvalidInput, NotFound
from core.scanrules import service as rule_sets
from core.scanrules.model import RuleSetId
from core.scanrules.service import RuleSetInvalid, invalid_rule_set

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

MAX_COLUMNS = 500
MAX_VALUES_PER_COLUMN = 10_000

Cell = str | int | float | bool | None


class ClassifyColumn(BaseModel):
    """One column: its name (header) and sampled cell values (blanks allowed)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=256)]
    values: Annotated[list[Cell], Field(max_length=MAX_VALUES_PER_COLUMN)]


class ClassifyRequest(BaseModel):
    """Columns to classify and, optionally, the rule set to use.

    Rule set: none → the system rule set (every classification); ``template`` → a built-in template;
    ``workspace_id`` + ``rule_set_id`` (+ ``version``, default the latest) → a workspace rule set.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "columns": [
                        {"name": "customer_email", "values": ["ann@example.com", "bob@example.org", None]},
                        {"name": "amount", "values": ["12.50", "7.99", "130.00"]},
                    ],
                    "template": "gdpr_personal_data",
                }
            ]
        },
    )

    columns: Annotated[list[ClassifyColumn], Field(min_length=1, max_length=MAX_COLUMNS)]
    workspace_id: UUID | None = Field(None, description="The workspace whose rule set to use.")
    rule_set_id: RuleSetId | None = None
    version: int | None = Field(None, ge=1, description="Pin a version of rule_set_id (default: the latest).")
    template: str | None = Field(None, description="A built-in template id (instead of a workspace rule set).")


class ClassifyResponse(BaseModel):
    """Per column (in request order): classifications best first, with confidence, label and
    evidence (masked examples only, never a raw value)."""

    columns: list[ColumnResult]
    rule_set: RuleSetRef
    catalog_version: str


def _rule_set(uow: UnitOfWork, access: Access, request: ClassifyRequest) -> RuleSetDocument | None:
    if request.workspace_id is not None:
        # Check the workspace first: a caller learns nothing about another workspace's rule sets.
        if uow.workspaces.get(access.scope, request.workspace_id) is None:
            access.require_workspace(request.workspace_id)
            raise NotFound("workspace not found")
        uow.audit_note.workspace_id = request.workspace_id
    if request.template is not None:
        if request.rule_set_id is not None:
            raise InvalidInput("give either template or rule_set_id, not both", details=[{"field": "body.template"}])
        try:
            return template_rule_set(request.template)
        except ClassificationError as exc:
            raise RuleSetInvalid(exc.message, code=exc.code, details={"field": "body.template"}) from None
    if request.rule_set_id is None:
        if request.version is not None:
            raise InvalidInput("version needs rule_set_id", details=[{"field": "body.version"}])
        return None
    if request.workspace_id is None:
        raise InvalidInput("rule_set_id needs workspace_id", details=[{"field": "body.workspace_id"}])
    return rule_sets.resolve_rule_set(uow, access, request.workspace_id, request.rule_set_id, request.version)


def classify(uow: UnitOfWork, access: Access, request: ClassifyRequest) -> ClassifyResponse:
    """Classify the request's columns with the shared engine."""
    names = [column.name for column in request.columns]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidInput(
            f"column names must be unique; repeated: {duplicates[:5]}",
            code="duplicate_column",
            details=[{"field": "body.columns", "names": duplicates[:20]}],
        )
    document = _rule_set(uow, access, request)
    engine = get_engine()
    try:
        table = engine.classify_table({c.name: c.values for c in request.columns}, document)
    except ClassificationError as exc:  # a stored rule set the current catalog no longer accepts
        raise invalid_rule_set(exc, prefix="rule_set") from None
    columns = list(table.columns)
    ref = columns[0].rule_set if columns else RuleSetRef(id="system_default", version=1)
    return ClassifyResponse(columns=columns, rule_set=ref, catalog_version=engine.catalog.version)
