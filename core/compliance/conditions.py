"""The policy condition language: a small JSON/YAML tree, validated by pydantic.

    {"all": [c, ...]}        every condition holds            {"any": [c, ...]}   at least one holds
    {"not": c}               c does not hold
    {"fact": F, "op": OP, "value": V}
                             a comparison on one fact; OP is eq, ne, lt, lte, gt, gte, in, not_in,
                             contains (array facts), exists / missing (no value)
    {"exists": {"collection": C, "where": c}}
                             some element of collection C (classifications, owners, readers,
                             schema_changes) satisfies c (``where`` optional)
    {"count": {"collection": C, "where": c}, "op": OP, "value": N}
                             the number of such elements compared with N

Inside ``where``, bare names (``status``) are the element's fields and ``asset.*``/``properties.*``
facts stay available. Which facts exist and what values they take: ``core.compliance.facts``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    EXISTS = "exists"
    MISSING = "missing"


COUNT_OPS = frozenset({Op.EQ, Op.NE, Op.LT, Op.LTE, Op.GT, Op.GTE})


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AllOf(_Node):
    all: list[Condition] = Field(min_length=1, max_length=50)


class AnyOf(_Node):
    any: list[Condition] = Field(min_length=1, max_length=50)


class NotOf(_Node):
    not_: Condition = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)


class Compare(_Node):
    fact: str = Field(min_length=1, max_length=100)
    op: Op
    value: Any = None


class CollectionQuery(_Node):
    collection: str = Field(min_length=1, max_length=50)
    where: Condition | None = None


class Exists(_Node):
    exists: CollectionQuery


class Count(_Node):
    count: CollectionQuery
    op: Op
    value: int = Field(ge=0)


def _kind(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("all", "any", "not", "exists", "count", "fact"):
            if key in value:
                return key
        return None
    return {AllOf: "all", AnyOf: "any", NotOf: "not", Exists: "exists", Count: "count", Compare: "fact"}.get(
        type(value)
    )


Condition = Annotated[
    Union[  # noqa: UP007 - tagged members
        Annotated[AllOf, Tag("all")],
        Annotated[AnyOf, Tag("any")],
        Annotated[NotOf, Tag("not")],
        Annotated[Exists, Tag("exists")],
        Annotated[Count, Tag("count")],
        Annotated[Compare, Tag("fact")],
    ],
    Discriminator(
        _kind,
        custom_error_type="invalid_condition",
        custom_error_message="a condition is one of all, any, not, exists, count or a fact comparison",
    ),
]

for _model in (AllOf, AnyOf, NotOf, CollectionQuery, Exists, Count):
    _model.model_rebuild()
