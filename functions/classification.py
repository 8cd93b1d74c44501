"""Classification: the classification catalog and inline classification of sampled columns."""

from __future__ import annotations

from typing import Literal

import azure.durable_functions as df
from pydantic import BaseModel, ConfigDict

from core.classification.shared import ClassificationDetail, ClassificationSummary
from core.classification.shared import get_classification as find_classification
from core.classification.shared import list_classifications as catalog_entries
from core.errors import NotFound
from core.scanrules.classify import ClassifyRequest, ClassifyResponse, classify
from functions.api import Api, RequestContext

bp = df.Blueprint()
api = Api(bp, tag="classification")


class CatalogQuery(BaseModel):
    """Filters of the catalog listing."""

    model_config = ConfigDict(extra="forbid")

    category: Literal["PII", "PHI", "PCI", "financial", "credential", "technical"] | None = None
    sensitivity: Literal["Public", "Internal", "Confidential", "Highly Confidential"] | None = None
    template: Literal["gdpr_personal_data", "hipaa_phi", "pci_dss", "ccpa", "credentials"] | None = None


@api.get("v1/classifications", permission="classifications:read")
def list_classifications(query: CatalogQuery) -> list[ClassificationSummary]:
    """The classification catalog: id, category, default sensitivity label, Purview name, templates."""
    return catalog_entries(query.category, query.template, query.sensitivity)


@api.get("v1/classifications/{classification_id}", permission="classifications:read")
def get_classification(classification_id: str) -> ClassificationDetail:
    """One classification with its recognisers (data patterns, validators, column names)."""
    found = find_classification(classification_id)
    if found is None:
        raise NotFound(f"unknown classification {classification_id!r}", code="unknown_classification")
    return found


@api.post("v1/classify", permission="classifications:classify", audit=False)
def classify_columns(ctx: RequestContext, body: ClassifyRequest) -> ClassifyResponse:
    """Classify inline columns of sampled values (system rule set, a template or a workspace rule set)."""
    return classify(ctx.uow, ctx.access, body)
