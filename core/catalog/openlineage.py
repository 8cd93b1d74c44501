"""OpenLineage RunEvents (spec 2-0-2): the parts the catalog reads, validated strictly; facets the
catalog does not use are accepted as they are.

Mapping: every input dataset feeds every output dataset of the run (table-level edges, like Marquez);
the ``columnLineage`` facet of an output adds column-level edges (input field → output field); the
``schema`` facet of a dataset registers its columns. Dataset names follow ``core.catalog.names``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

_EXAMPLE = {
    "eventType": "COMPLETE",
    "eventTime": "2026-11-02T10:00:00Z",
    "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {"runId": "0195f0a4-7c1d-7b8e-9a43-1c2d3e4f5a6b"},
    "job": {"namespace": "etl", "name": "load_customers"},
    "inputs": [{"namespace": "postgres://pg.contoso.internal:5432", "name": "sales.public.customers"}],
    "outputs": [
        {
            "namespace": "postgres://pg.contoso.internal:5432",
            "name": "dwh.public.dim_customer",
            "facets": {
                "columnLineage": {
                    "fields": {
                        "email": {
                            "inputFields": [
                                {
                                    "namespace": "postgres://pg.contoso.internal:5432",
                                    "name": "sales.public.customers",
                                    "field": "email",
                                }
                            ]
                        }
                    }
                }
            },
        }
    ],
}


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Run(_Open):
    runId: UUID
    facets: dict[str, Any] | None = None


class Job(_Open):
    namespace: str = Field(min_length=1, max_length=300)
    name: str = Field(min_length=1, max_length=1000)
    facets: dict[str, Any] | None = None


class Dataset(_Open):
    namespace: str = Field(min_length=1, max_length=300)
    name: str = Field(min_length=1, max_length=1200)
    facets: dict[str, Any] | None = None
    inputFacets: dict[str, Any] | None = None
    outputFacets: dict[str, Any] | None = None


class RunEvent(_Open):
    """An OpenLineage RunEvent, as the openlineage-python client's HTTP transport posts it."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_EXAMPLE]})

    eventType: str | None = Field(None, pattern="^(START|RUNNING|COMPLETE|ABORT|FAIL|OTHER)$")
    eventTime: datetime
    producer: str = Field(min_length=1, max_length=2000)
    schemaURL: str | None = None
    run: Run
    job: Job
    inputs: list[Dataset] = Field(default_factory=list, max_length=1000)
    outputs: list[Dataset] = Field(default_factory=list, max_length=1000)


class RunEventBatch(BaseModel):
    """Several RunEvents recorded together: all of them or none."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"events": [_EXAMPLE]}]})

    events: list[RunEvent] = Field(min_length=1, max_length=500)


def schema_fields(dataset: Dataset) -> list[tuple[str, str | None]]:
    """(name, type) of the ``schema`` facet's fields, when present and well formed."""
    facet = (dataset.facets or {}).get("schema")
    fields = facet.get("fields") if isinstance(facet, dict) else None
    out = []
    for field in fields or []:
        if isinstance(field, dict) and isinstance(field.get("name"), str) and field["name"]:
            out.append((field["name"], field.get("type") if isinstance(field.get("type"), str) else None))
    return out


def column_lineage(dataset: Dataset) -> tuple[list[tuple[str, str, str, str, Any]], list[str]]:
    """Column edges of an output's ``columnLineage`` facet as (in namespace, in name, in field,
    out field, transformations), and the problems found (for the 422)."""
    facet = (dataset.facets or {}).get("columnLineage")
    if facet is None:
        return [], []
    fields = facet.get("fields") if isinstance(facet, dict) else None
    if not isinstance(fields, dict):
        return [], ["facets.columnLineage.fields must be an object"]
    edges, problems = [], []
    for out_field, spec in fields.items():
        inputs = spec.get("inputFields") if isinstance(spec, dict) else None
        if not isinstance(inputs, list):
            problems.append(f"facets.columnLineage.fields.{out_field}.inputFields must be a list")
            continue
        for i, item in enumerate(inputs):
            keys = ("namespace", "name", "field")
            if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item[k] for k in keys):
                problems.append(
                    f"facets.columnLineage.fields.{out_field}.inputFields[{i}] needs namespace, name and field"
                )
                continue
            edges.append((item["namespace"], item["name"], item["field"], out_field, item.get("transformations")))
    return edges, problems
