"""Health, the OpenAPI document, and the JSON 404/405 for everything no function serves."""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from core.errors import DomainError, NotFound, Unauthenticated
from core.health import HealthReport, check_health
from core.observability import correlation_id_from_headers
from functions.api import (
    Api,
    Response,
    audit_unauthenticated,
    authenticate,
    error_body,
    json_response,
    matching_methods,
)
from functions.openapi import build_openapi

bp = df.Blueprint()
api = Api(bp, tag="system")


@api.get("health", permission=None)
def health() -> Response:
    """Service health: version and database reachability (anonymous)."""
    report: HealthReport = check_health()
    return Response(report.model_dump(mode="json"), status=200 if report.database.reachable else 503)


@api.get("openapi.json", permission=None, name="openapi_document")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of this API (anonymous)."""
    return Response(build_openapi())


_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@bp.function_name(name="not_found_fallback")
@bp.route(route="{*path}", methods=_ALL_METHODS, auth_level=func.AuthLevel.ANONYMOUS)
def not_found_fallback(req: func.HttpRequest) -> func.HttpResponse:
    """Anything no other function serves: 401 without a token, else 405 (path known) or 404."""
    correlation_id = correlation_id_from_headers(dict(req.headers))
    try:
        authenticate(req)
    except DomainError as exc:
        denial = exc if isinstance(exc, Unauthenticated) else Unauthenticated(exc.message, code=exc.code)
        audit_unauthenticated(req, correlation_id, denial, "not_found_fallback")
        return json_response(
            error_body(denial.code, denial.message), 401, correlation_id, {"WWW-Authenticate": "Bearer"}
        )
    path = req.route_params.get("path", "")
    methods = matching_methods(path)
    if methods:
        return json_response(
            error_body("method_not_allowed", f"{req.method} is not supported here", {"allowed": methods}),
            405,
            correlation_id,
            {"Allow": ", ".join(methods)},
        )
    missing = NotFound(f"no endpoint at /api/{path}")
    return json_response(error_body("route_not_found", missing.message), 404, correlation_id)
