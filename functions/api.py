"""The route layer: one declaration per endpoint.

``@api.route(...)`` registers an anonymous-level HTTP function (identity is the bearer token, not a
function key) whose wrapper, for every request:
correlation id → size and JSON checks → token → permission (policy decision point) → MFA for
sensitive permissions → parameter parsing (pydantic) → handler → JSON response; every failure
becomes ``{"error": {"code", "message", "details"}}``.

Audit: every state-changing route (any method but GET, unless declared otherwise) and every denial
(401/403 on any route) writes an audit record. A successful change is recorded by a hook armed on the
request's unit of work, so the record commits in the same transaction as the change; denials and
failures are recorded in a transaction of their own after the request's work was rolled back.
The same declarations feed the OpenAPI document (``functions.openapi``) and the 404/405 fallback.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import json
import logging
import re
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import azure.functions as func
import psycopg
import psycopg_pool
from pydantic import BaseModel, TypeAdapter, ValidationError

from core.audit import service as audit
from core.audit.chain import change_hash
from core.audit.model import AuditEntry, Outcome
from core.auth.access import Access, require_mfa, resolve_access
from core.auth.principal import Principal
from core.auth.roles import is_sensitive
from core.auth.tokens import TokenVerifier
from core.db.unit_of_work import AuditNote, UnitOfWork
from core.errors import DomainError, InvalidInput, PayloadTooLarge, PermissionDenied, Unauthenticated
from core.observability import correlation_id_from_headers, reset_correlation_id, set_correlation_id
from core.route_templates import RouteTemplate
from core.settings import get_settings
from functions.durable_client import DurableClient

log = logging.getLogger("datawave.api")

CORRELATION_HEADER = "x-correlation-id"


@dataclass
class Response:
    """A non-JSON or custom response from a handler (status, content type, extra headers)."""

    body: bytes | str | dict[str, Any] | list[Any]
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    """Everything known about one endpoint; the single source for dispatch and OpenAPI."""

    method: str
    path: str
    function_name: str
    handler: Callable[..., Any]
    permission: str | None
    status: int
    summary: str
    description: str
    tag: str
    body_model: type[BaseModel] | None = None
    query_model: type[BaseModel] | None = None
    path_params: dict[str, TypeAdapter[Any]] = field(default_factory=dict)
    response_model: Any = None
    wants_context: bool = False
    audited: bool = True
    template: RouteTemplate = field(init=False)

    def __post_init__(self) -> None:
        self.template = RouteTemplate(self.path)


ROUTES: list[Route] = []


class RequestContext:
    """What a handler may use besides its parsed parameters."""

    def __init__(self, request: func.HttpRequest, correlation_id: str) -> None:
        self.request = request
        self.correlation_id = correlation_id
        self.principal: Principal | None = None
        self._access: Access | None = None
        self._uow: UnitOfWork | None = None
        self.audit_note = AuditNote()
        self.audit_recorded = False
        self._durable: DurableClient | None = None

    @property
    def durable(self) -> DurableClient:
        """The Durable client (routes declared with ``durable=True`` only)."""
        if self._durable is None:
            raise RuntimeError("the durable client is only bound on routes declared with durable=True")
        return self._durable

    @property
    def uow(self) -> UnitOfWork:
        """The request's unit of work, opened on first use and closed (rolled back unless committed)
        when the request ends."""
        if self._uow is None:
            uow = UnitOfWork()
            uow.__enter__()
            uow.audit_note = self.audit_note
            self._uow = uow
        return self._uow

    @property
    def access(self) -> Access:
        if self._access is None:
            raise RuntimeError("access is only resolved on routes that declare a permission")
        return self._access

    def close(self, error: BaseException | None) -> None:
        if self._uow is not None:
            self._uow.__exit__(type(error) if error else None, error, None)
            self._uow = None


@lru_cache(maxsize=1)
def _token_verifier() -> TokenVerifier:
    return TokenVerifier(get_settings())


def reset_token_verifier() -> None:
    _token_verifier.cache_clear()


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def json_response(
    payload: Any, status: int, correlation_id: str, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    all_headers = {CORRELATION_HEADER: correlation_id, "Cache-Control": "no-store", **(headers or {})}
    return func.HttpResponse(
        json.dumps(payload, default=str), status_code=status, mimetype="application/json", headers=all_headers
    )


def _validation_details(exc: ValidationError, prefix: str) -> list[dict[str, Any]]:
    # Never echo the rejected input: it may hold a secret.
    return [
        {"field": ".".join([prefix, *(str(p) for p in err["loc"])]), "message": err["msg"], "type": err["type"]}
        for err in exc.errors(include_input=False, include_url=False)
    ]


class Api:
    """Route declarations for one domain group's blueprint."""

    def __init__(self, blueprint: Any, tag: str) -> None:
        self._bp = blueprint
        self._tag = tag

    def route(
        self,
        method: str,
        path: str,
        *,
        permission: str | None,
        status: int = 200,
        summary: str = "",
        name: str | None = None,
        audit: bool | None = None,
        durable: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare an endpoint. ``permission=None`` makes it anonymous (health and OpenAPI only).

        ``audit`` defaults to True for every method but GET; pass False for a read-only POST.
        ``durable`` binds the Durable client (``ctx.durable``) to start or manage orchestrations."""

        def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
            route = _describe(handler, method.upper(), path, permission, status, summary, self._tag, name)
            route.audited = audit if audit is not None else route.method != "GET"
            ROUTES.append(route)

            register = self._bp.route(route=route.path, methods=[route.method], auth_level=func.AuthLevel.ANONYMOUS)
            if durable:

                async def durable_function(req: func.HttpRequest, client: Any) -> func.HttpResponse:
                    bridge = DurableClient(client, asyncio.get_running_loop(), req)
                    # The pipeline is synchronous (database work); it runs off the event loop.
                    return await asyncio.to_thread(dispatch, route, req, bridge)

                durable_function.__name__ = route.function_name
                self._bp.function_name(name=route.function_name)(
                    register(self._bp.durable_client_input(client_name="client")(durable_function))
                )
            else:

                def http_function(req: func.HttpRequest) -> func.HttpResponse:
                    return dispatch(route, req)

                http_function.__name__ = route.function_name
                self._bp.function_name(name=route.function_name)(register(http_function))
            return handler

        return decorate

    def get(self, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("DELETE", path, **kwargs)


def _describe(
    handler: Callable[..., Any],
    method: str,
    path: str,
    permission: str | None,
    status: int,
    summary: str,
    tag: str,
    name: str | None,
) -> Route:
    hints = typing.get_type_hints(handler)
    doc = inspect.getdoc(handler) or ""
    route = Route(
        method=method,
        path=path.strip("/"),
        function_name=name or handler.__name__,
        handler=handler,
        permission=permission,
        status=status,
        summary=summary or (doc.splitlines()[0] if doc else handler.__name__.replace("_", " ")),
        description=doc
        + (
            f"\n\nRequires `{permission}`, a sensitive permission: the token must carry MFA evidence "
            "(`amr` contains `mfa`), else 403 `mfa_required`."
            if is_sensitive(permission)
            else ""
        ),
        tag=tag,
        response_model=hints.get("return"),
    )
    template_params = {s[1:-1].lstrip("*").split(":")[0] for s in route.path.split("/") if s.startswith("{")}
    for param in inspect.signature(handler).parameters.values():
        annotation = hints.get(param.name)
        if annotation is RequestContext:
            route.wants_context = True
        elif param.name == "body":
            route.body_model = annotation
        elif param.name == "query":
            route.query_model = annotation
        elif param.name in template_params:
            route.path_params[param.name] = TypeAdapter(annotation)
        else:
            raise TypeError(f"{handler.__name__}: parameter {param.name!r} is not a route value, body, query or ctx")
    missing = template_params - set(route.path_params)
    if missing:
        raise TypeError(f"{handler.__name__}: route values {sorted(missing)} have no parameter")
    return route


def dispatch(route: Route, req: func.HttpRequest, durable: DurableClient | None = None) -> func.HttpResponse:
    """Run one request through the whole pipeline; never raises."""
    started = time.perf_counter()
    correlation_id = correlation_id_from_headers(dict(req.headers))
    token = set_correlation_id(correlation_id)
    ctx = RequestContext(req, correlation_id)
    ctx._durable = durable
    error: BaseException | None = None
    try:
        response = _run(route, req, ctx)
    except DomainError as exc:
        error = exc
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if exc.status == 401 else None
        response = json_response(error_body(exc.code, exc.message, exc.details), exc.status, correlation_id, headers)
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
        error = exc
        log.error("database unavailable", extra={"route": route.function_name, "error_type": type(exc).__name__})
        response = json_response(
            error_body("service_unavailable", "the database is unavailable, retry later"), 503, correlation_id
        )
    except Exception as exc:  # noqa: BLE001 - the caller gets a clean 500, the log gets the trace
        error = exc
        log.exception("unhandled error", extra={"route": route.function_name})
        response = json_response(
            error_body("internal_error", f"internal error; quote correlation id {correlation_id}"),
            500,
            correlation_id,
        )
    finally:
        try:
            ctx.close(error)
        except Exception:  # noqa: BLE001 - closing must not mask the response
            log.exception("failed to release the unit of work")
    _audit_outcome(route, req, ctx, response.status_code, error)
    log.info(
        "request handled",
        extra={
            "route": route.function_name,
            "method": route.method,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "principal": ctx.principal.subject if ctx.principal else None,
        },
    )
    reset_correlation_id(token)
    return response


def _run(route: Route, req: func.HttpRequest, ctx: RequestContext) -> func.HttpResponse:
    settings = get_settings()
    body_bytes = req.get_body() or b""
    if len(body_bytes) > settings.max_request_bytes:
        raise PayloadTooLarge(f"request body exceeds {settings.max_request_bytes} bytes")

    if route.permission is not None:
        ctx.principal = authenticate(req)
        # Resolve where the permission holds before touching any input, so a caller without the
        # permission learns nothing about the request's validity.
        ctx._access = resolve_access(ctx.uow, ctx.principal, route.permission)
        if ctx._access.scope.empty:
            raise PermissionDenied(f"permission {route.permission} is required")
        require_mfa(ctx.principal, route.permission)
        if route.audited:
            audit.record_with_commit(ctx.uow, lambda _: _mark_recorded(ctx, _audit_entry(route, req, ctx, None)))

    kwargs: dict[str, Any] = {}
    if route.wants_context:
        kwargs["ctx"] = ctx
    _reject_unstorable_text(dict(req.route_params), "path")
    _reject_unstorable_text(dict(req.params), "query")
    for name, adapter in route.path_params.items():
        raw = req.route_params.get(name, "")
        try:
            kwargs[name] = adapter.validate_python(raw)
        except ValidationError as exc:
            raise InvalidInput("invalid route value", details=_validation_details(exc, f"path.{name}")) from None
    if route.query_model is not None:
        try:
            kwargs["query"] = route.query_model.model_validate(dict(req.params))
        except ValidationError as exc:
            raise InvalidInput("invalid query parameters", details=_validation_details(exc, "query")) from None
    if route.body_model is not None:
        kwargs["body"] = _parse_body(route.body_model, req, body_bytes)

    result = route.handler(**kwargs)
    return _to_http(result, route, ctx.correlation_id)


def _mark_recorded(ctx: RequestContext, entry: AuditEntry) -> AuditEntry:
    ctx.audit_recorded = True
    return entry


def client_ip(req: func.HttpRequest) -> str | None:
    """The first hop of ``X-Forwarded-For`` (API Management / Front Door set it), if it is an IP."""
    first = (req.headers.get("x-forwarded-for") or "").split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(first)) if first else None
    except ValueError:
        return None


def _uuid_or_none(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def _request_json(req: func.HttpRequest) -> Any:
    body = req.get_body() or b""
    if not body.strip():
        return None
    if len(body) > get_settings().max_request_bytes:
        return {"unparsed_bytes": len(body)}
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8 / not JSON, an over-long integer, nesting too deep
        return {"unparsed_bytes": len(body)}


def _audit_entry(route: Route, req: func.HttpRequest, ctx: RequestContext, error: BaseException | None) -> AuditEntry:
    """The audit entry of this request: success when ``error`` is None."""
    note = ctx.audit_note
    body = _request_json(req)
    workspace_id = (
        note.workspace_id
        or _uuid_or_none(req.route_params.get("workspace_id"))
        or _uuid_or_none(body.get("workspace_id") if isinstance(body, dict) else None)
        or _uuid_or_none(req.params.get("workspace_id"))
    )
    path = urlsplit(req.url).path
    change = {"action": route.function_name, "path": path, "query": dict(req.params), "body": body, **note.change}
    if error is None:
        outcome, status, reason = Outcome.SUCCESS, route.status, None
    else:
        status = getattr(error, "status", 503 if isinstance(error, psycopg.Error) else 500)
        reason = getattr(error, "code", "service_unavailable" if status == 503 else "internal_error")
        outcome = Outcome.DENIED if status in (401, 403) else Outcome.FAILED
    return AuditEntry(
        workspace_id=workspace_id,
        recorded_at=datetime.now(UTC),
        actor=ctx.principal.subject if ctx.principal else "anonymous",
        actor_name=ctx.principal.name if ctx.principal else None,
        action=f"{route.tag}.{route.function_name}",
        target=note.target or path,
        outcome=outcome,
        status=status,
        reason=reason,
        correlation_id=ctx.correlation_id,
        client_ip=client_ip(req),
        change_hash=change_hash(change),
    )


def _audit_outcome(
    route: Route, req: func.HttpRequest, ctx: RequestContext, status: int, error: BaseException | None
) -> None:
    """Record what the commit hook did not: denials (any route) and failed or uncommitted changes."""
    if ctx.audit_recorded or route.permission is None:
        return
    denied = status in (401, 403)
    if not denied and not route.audited:
        return
    if status >= 400 and error is None:
        error = DomainError("request failed")
        error.status = status
    try:
        audit.record_alone(_audit_entry(route, req, ctx, error if status >= 400 else None))
    except Exception:  # noqa: BLE001 - the response is decided; the log says the record is missing
        log.exception("audit record could not be written", extra={"route": route.function_name, "status": status})


def audit_unauthenticated(req: func.HttpRequest, correlation_id: str, error: DomainError, action: str) -> None:
    """Record a 401 given outside a declared route (the fallback), like every other denial."""
    route = Route(req.method, urlsplit(req.url).path, action, lambda: None, None, 401, "", "", "system")
    ctx = RequestContext(req, correlation_id)
    try:
        audit.record_alone(_audit_entry(route, req, ctx, error))
    except Exception:  # noqa: BLE001 - the response is decided; the log says the record is missing
        log.exception("audit record could not be written", extra={"route": action, "status": 401})


def authenticate(req: func.HttpRequest) -> Principal:
    header = req.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a bearer token is required")
    return _token_verifier().verify(token.strip())


class _InvalidJson(DomainError):
    status = 400
    code = "invalid_json"


class _UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


def _parse_body(model: type[BaseModel], req: func.HttpRequest, body: bytes) -> BaseModel:
    content_type = (req.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise _UnsupportedMediaType("request body must be application/json")
    if not body.strip():
        raise _InvalidJson("request body is empty; a JSON object is required")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        # ValueError: not UTF-8, not JSON, or an integer over Python's digit limit; RecursionError: nesting
        # deeper than the parser's stack. All are the caller's bad input.
        raise _InvalidJson(f"request body is not valid JSON: {exc.__class__.__name__}") from None
    _reject_unstorable_text(payload, "body")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInput("request body does not match the schema", details=_validation_details(exc, "body")) from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text_problem(text: str) -> tuple[str, str] | None:
    if "\x00" in text:
        return "must not contain a NUL character", "nul_character"
    if _SURROGATE.search(text):
        # JSON may escape one ("\\ud800"); it is no character, so it cannot be encoded as UTF-8.
        return "must not contain an unpaired surrogate (\\ud800-\\udfff)", "lone_surrogate"
    return None


def _bad_text_fields(value: Any, where: str) -> list[tuple[str, tuple[str, str]]]:
    """Where ``value`` holds a string (key or value) with a NUL character or a lone surrogate."""
    if isinstance(value, str):
        problem = _text_problem(value)
        return [(where, problem)] if problem else []
    if isinstance(value, dict):
        found = [(f"{where}.<key>", p) for p in (_text_problem(str(key)) for key in value) if p]
        return found + [f for key, item in value.items() for f in _bad_text_fields(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [f for index, item in enumerate(value) for f in _bad_text_fields(item, f"{where}.{index}")]
    return []


def _reject_unstorable_text(value: Any, where: str) -> None:
    """422 for text with a NUL character or an unpaired surrogate anywhere in the input: PostgreSQL
    text can store neither (nor can UTF-8 encode a surrogate), so it would otherwise fail deep in a
    query or an encoder (500). The value itself is never echoed."""
    fields = _bad_text_fields(value, where)
    if fields:
        details = [
            {"field": _printable(field), "message": message, "type": kind} for field, (message, kind) in fields[:20]
        ]
        raise InvalidInput("text must not contain NUL characters or unpaired surrogates", details=details)


def _printable(field: str) -> str:
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", field.replace("\x00", "\\0"))


def _to_http(result: Any, route: Route, correlation_id: str) -> func.HttpResponse:
    if isinstance(result, Response):
        headers = {CORRELATION_HEADER: correlation_id, **result.headers}
        body = result.body
        if isinstance(body, (dict, list)):
            body = json.dumps(body, default=str)
        return func.HttpResponse(body, status_code=result.status, mimetype=result.content_type, headers=headers)
    if result is None:
        return func.HttpResponse(status_code=204, headers={CORRELATION_HEADER: correlation_id})
    if isinstance(result, BaseModel):
        payload = result.model_dump(mode="json")
    else:
        payload = TypeAdapter(route.response_model or Any).dump_python(result, mode="json")
    return json_response(payload, route.status, correlation_id)


def matching_methods(path: str) -> list[str]:
    """Methods declared for routes whose template matches ``path`` (without the ``/api`` prefix)."""
    return sorted({r.method for r in ROUTES if r.template.match(path) is not None})
