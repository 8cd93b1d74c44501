"""Hostile-input sweep over every route of the OpenAPI document: whatever a caller sends, the answer
is never a 500, and every 4xx carries ``{"error": {"code", "message", "details"}}`` with a code.

The routes are walked from ``GET /api/openapi.json`` with an Admin token carrying MFA. A collection
POST's baseline body (generated from its request schema) creates a real resource first, whose id
then fills the route values of its item routes; the rest get random, well-formed UUIDs. Each body
field, query parameter and route value is then given a deterministic sample of a battery of hostile
values: wrong JSON types, empty and 10,000-character strings, huge/negative/zero/non-finite numbers,
floats for integers, nested containers for scalars, lone surrogates, RTL marks, emoji, invalid
UUIDs, out-of-range datetimes, unknown enum values; queries also get repeated keys and huge limits.
"""

from __future__ import annotations

import json
import os
import random
import re
import uuid
from typing import Any
from urllib.parse import quote

import pytest

SEED = 20240607
# Hostile values sampled per body field / query parameter; NO500_PER_FIELD=99 sends the whole battery.
PER_FIELD = int(os.environ.get("NO500_PER_FIELD", "7"))
MAX_FIELD_DEPTH = 2

LONG = "x" * 10_000
BODY_BATTERY: list[Any] = [
    None,
    True,
    "",
    LONG,
    0,
    -1,
    10**30,
    -(10**30),
    1e308,
    -1e308,
    1.5,
    float("nan"),
    float("inf"),
    {"a": {"b": [1, {"c": None}]}},
    [[["x"]], {}],
    [],
    {},
    "\ud800",
    "\udfff tail",
    "\u202eevil\u202c",
    "\U0001f600" * 50,
    "not-a-uuid",
    "00000000-0000-0000-0000-00000000000g",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59+14:00",
    "-0001-01-01T00:00:00Z",
    "UNKNOWN_ENUM_VALUE",
    "../../etc/passwd",
]
# Query strings and route values are text: already percent-encoded where the raw bytes matter.
TEXT_BATTERY: list[str] = [
    "",
    quote(LONG),
    "0",
    "-1",
    "1" + "0" * 30,
    "-" + "1" * 300,
    "1e308",
    "1.5",
    "nan",
    "inf",
    "%ED%A0%80",  # a lone surrogate, UTF-8 encoded (invalid UTF-8)
    "%FF%FE",
    quote("\u202eevil"),
    quote("\U0001f600" * 20),
    "not-a-uuid",
    quote("0001-01-01T00:00:00Z"),
    quote("9999-12-31T23:59:59+14:00"),
    "UNKNOWN_ENUM_VALUE",
    "true",
    quote('{"a":[1]}'),
    "%5B%5D",
]
PATH_BATTERY: list[str] = ["not-a-uuid", "%ED%A0%80", quote("\u202e\U0001f600"), "0", quote(LONG[:2000])]

# Samples for the schema's string patterns, so baseline bodies pass validation.
PATTERN_SAMPLES = [
    "Probe_1",
    "probe_one",
    "COMPLETE",
    "scans:run",
    "Probe one",
]


def _error_shape_ok(reply) -> bool:
    try:
        body = reply.json()
    except ValueError:
        return False
    error = body.get("error") if isinstance(body, dict) else None
    return (
        isinstance(error, dict)
        and set(error) == {"code", "message", "details"}
        and isinstance(error["code"], str)
        and bool(error["code"])
    )


class Schemas:
    def __init__(self, document: dict[str, Any]) -> None:
        self.components = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def sample(self, schema: dict[str, Any], name: str, ids: dict[str, str], depth: int = 0) -> Any:
        """A valid-looking value of ``schema`` (best effort; ids known by field name are reused)."""
        schema = self.resolve(schema)
        if depth > 6:  # recursive schemas (condition trees)
            return None
        if schema.get("examples") and isinstance(schema["examples"][0], dict):
            example = json.loads(json.dumps(schema["examples"][0]))
            return {k: ids.get(k, v) if isinstance(v, str) else v for k, v in example.items()}
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        if "default" in schema and schema["default"] is not None and depth > 0:
            return schema["default"]
        for key in ("oneOf", "anyOf"):
            if key in schema:
                options = [o for o in schema[key] if self.resolve(o).get("type") != "null"]
                if not options:
                    return None
                return self.sample(options[0], name, ids, depth)
        if "allOf" in schema:
            return self.sample(schema["allOf"][0], name, ids, depth)
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            props = schema.get("properties", {})
            required = set(schema.get("required", []))
            out = {}
            for prop, sub in props.items():
                if prop in required or depth == 0:
                    value = self.sample(sub, prop, ids, depth + 1)
                    if value is not None or prop in required:
                        out[prop] = value
            return out
        if kind == "array":
            items = schema.get("items", {})
            count = max(1, schema.get("minItems", 1))
            return [self.sample(items, name, ids, depth + 1) for _ in range(count)]
        if kind == "integer":
            low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in schema else 1)
            return max(low, 1) if schema.get("maximum", 10) >= 1 else low
        if kind == "number":
            return 0.9 if schema.get("maximum", 1) <= 1 else 1.0
        if kind == "boolean":
            return True
        if kind == "string":
            fmt = schema.get("format")
            if fmt == "uuid":
                return ids.get(name) or str(uuid.uuid4())
            if fmt == "date-time":
                return "2026-01-01T00:00:00Z"
            pattern = schema.get("pattern")
            if pattern:
                for candidate in PATTERN_SAMPLES:
                    if re.search(pattern, candidate):
                        return candidate
            if name in ids:
                return ids[name]
            text = f"probe-{name}"
            return text[: schema.get("maxLength", 100)]
        return None

    def fields(self, schema: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        """Paths of the object fields of ``schema`` (nested objects to MAX_FIELD_DEPTH)."""
        schema = self.resolve(schema)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                options = [o for o in schema[key] if self.resolve(o).get("type") != "null"]
                if options:
                    schema = self.resolve(options[0])
        out: list[tuple[str, ...]] = []
        for prop, sub in schema.get("properties", {}).items():
            path = (*prefix, prop)
            out.append(path)
            if len(path) < MAX_FIELD_DEPTH:
                out.extend(self.fields(sub, path))
        return out


def _with(body: Any, path: tuple[str, ...], value: Any) -> Any:
    """A copy of ``body`` with the field at ``path`` set to ``value`` (created when absent)."""
    if not isinstance(body, dict):
        return body
    copy = dict(body)
    head, rest = path[0], path[1:]
    copy[head] = _with(copy.get(head) if isinstance(copy.get(head), dict) else {}, rest, value) if rest else value
    return copy


def _encode(value: Any) -> bytes:
    # ensure_ascii keeps lone surrogates as "\ud800" escapes; NaN/Infinity are what json.loads accepts.
    return json.dumps(value).encode()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation, collection POSTs first (shallowest first) so their ids fill the item routes,
    then the rest, then DELETEs last so the resources live through the sweep."""
    ops = [(m.upper(), p, op) for p, item in document["paths"].items() for m, op in item.items()]

    def order(entry: tuple[str, str, dict[str, Any]]) -> tuple[int, int, str]:
        method, path, _ = entry
        creates = method == "POST" and not path.endswith("}")
        rank = 0 if creates else (2 if method == "DELETE" else 1)
        # Workspace first, then what lives in it, then top-level collections that refer to those.
        scope = 0 if path == "/api/v1/workspaces" else (1 if path.startswith("/api/v1/workspaces/") else 2)
        return (rank, scope if creates else 0, path.count("/") if creates else 0, path + method)

    return sorted(ops, key=order)


# Route values no created resource provides: known names of built-in things.
FIXED_ROUTE_VALUES = {"framework": "gdpr", "classification_id": "email_address", "app_role": "DataWave.Probe"}


@pytest.fixture(scope="module")
def admin(make_token):
    return make_token("fuzzer", ["Admin"], mfa=True)


def test_no_route_answers_500_to_hostile_input(client, admin):
    document = client.request("GET", "/api/openapi.json").json()
    schemas = Schemas(document)
    rng = random.Random(SEED)
    ids: dict[str, str] = {}
    failures: list[str] = []
    sent = 0

    def send(method: str, url: str, body: bytes | None, what: str) -> Any:
        nonlocal sent
        sent += 1
        headers = {"content-type": "application/json"} if body is not None else None
        reply = client.request(method, url, token=admin, body=body, headers=headers)
        if reply.status >= 500:
            failures.append(f"{reply.status} {method} {url[:160]} {what}: {reply.body[:200]!r}")
        elif reply.status >= 400 and not _error_shape_ok(reply):
            failures.append(f"{reply.status} without error shape {method} {url[:160]} {what}: {reply.body[:200]!r}")
        return reply

    for method, path, op in _operations(document):
        params = op.get("parameters", [])
        path_params = [p for p in params if p["in"] == "path"]
        query_params = [p for p in params if p["in"] == "query"]
        route_values = {
            p["name"]: ids.get(p["name"]) or FIXED_ROUTE_VALUES.get(p["name"]) or _path_default(p, schemas)
            for p in path_params
        }
        # Baseline query: required parameters and those a created resource answers (workspace_id).
        base_query = {
            p["name"]: ids.get(p["name"]) or str(schemas.sample(p.get("schema", {}), p["name"], ids, 1))
            for p in query_params
            if p.get("required") or p["name"] in ids
        }

        def url_for(values: dict[str, str], query: str = "", path: str = path, base: dict = base_query) -> str:
            filled = path
            for name, value in values.items():
                filled = filled.replace("{" + name + "}", value)
            replaced = {q.split("=", 1)[0] for q in query.split("&") if q}
            kept = "&".join(f"{k}={quote(v)}" for k, v in base.items() if k not in replaced)
            full = "&".join(part for part in (kept, query) if part)
            return filled + (f"?{full}" if full else "")

        body_schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        baseline = schemas.sample(body_schema, "body", ids) if body_schema else None
        baseline_bytes = _encode(baseline) if body_schema else None

        # The baseline request: creates the route's resource on a collection POST.
        reply = send(method, url_for(route_values), baseline_bytes, "baseline")
        if method == "POST" and not path.endswith("}") and reply.status in (200, 201):
            _remember_ids(document, path, reply.json(), ids)

        # Route values.
        for p in path_params:
            for value in PATH_BATTERY:
                send(
                    method, url_for({**route_values, p["name"]: value}), baseline_bytes, f"path {p['name']}={value:.40}"
                )

        # Query parameters: hostile values, repeated keys, huge limits.
        for p in query_params:
            name = p["name"]
            for value in rng.sample(TEXT_BATTERY, min(PER_FIELD, len(TEXT_BATTERY))):
                send(method, url_for(route_values, f"{name}={value}"), baseline_bytes, f"query {name}={value:.40}")
            send(method, url_for(route_values, f"{name}=1&{name}=x&{name}="), baseline_bytes, f"query {name} repeated")
        if any(p["name"] == "limit" for p in query_params):
            for value in ("1" + "0" * 30, "9" * 5000, "2147483648"):
                send(method, url_for(route_values, f"limit={value}"), baseline_bytes, "query huge limit")

        # Body fields.
        if body_schema is not None:
            for value in (None, [], "x", 10**30, {"a" * 10: LONG}):
                send(method, url_for(route_values), _encode(value), "whole body")
            for field in schemas.fields(body_schema):
                for value in rng.sample(BODY_BATTERY, min(PER_FIELD, len(BODY_BATTERY))):
                    send(
                        method,
                        url_for(route_values),
                        _encode(_with(baseline, field, value)),
                        f"body {field}={value!r:.40}",
                    )

    assert sent > 1000
    assert not failures, f"{len(failures)} of {sent} requests failed:\n" + "\n".join(failures[:60])


def _path_default(param: dict[str, Any], schemas: Schemas) -> str:
    schema = schemas.resolve(param.get("schema", {}))
    if schema.get("type") == "integer":
        return "1"
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    return "Probe_1"


def _remember_ids(document: dict[str, Any], path: str, created: Any, ids: dict[str, str]) -> None:
    """The created resource's id fills every route value ``{x}`` that follows this collection's last
    segment in some route (``/catalog/assets`` → ``{asset_id}``); ``*_name`` values take its name."""
    if not isinstance(created, dict):
        return
    segment = path.rstrip("/").rsplit("/", 1)[1]
    marker = re.compile(rf"/{re.escape(segment)}/\{{([^}}]+)\}}")
    for other in document["paths"]:
        for name in marker.findall(other):
            value = created.get(name) or (created.get("name") if name.endswith("_name") else created.get("id"))
            if value is not None and name not in ids:
                ids[name] = str(value)
