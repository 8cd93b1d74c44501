"""devhost's HTTP front end: serves every HTTP-triggered function under ``/<routePrefix>/<route>``.

Routing follows the Functions host: templates ordered by precedence (literal > parameter >
catch-all), the first whose template and methods match wins; route values go to
``req.route_params``; the function's ``HttpResponse`` is written back unchanged.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func

from core.route_templates import RouteTemplate
from devhost.app_loader import LoadedApp
from devhost.worker_loop import awaited, run_async

log = logging.getLogger("devhost.http")

# The Functions host rejects bodies over 100 MB (the app applies its own, smaller limit).
HOST_MAX_BODY = 100 * 1024 * 1024


@dataclass
class HttpFunction:
    name: str
    template: RouteTemplate
    methods: frozenset[str]
    binding_name: str
    call: Callable[..., Any]
    bindings: list[Any]


def http_functions(loaded: LoadedApp) -> list[HttpFunction]:
    """The app's HTTP-triggered functions in routing order."""
    result = []
    for function in loaded.functions:
        trigger = function.get_trigger()
        if trigger.get_binding_name() != "httpTrigger":
            continue
        methods = trigger.methods or [m for m in func.HttpMethod]
        route = trigger.route if trigger.route is not None else function.get_function_name()
        result.append(
            HttpFunction(
                name=function.get_function_name(),
                template=RouteTemplate(route),
                methods=frozenset(str(getattr(m, "value", m)).upper() for m in methods),
                binding_name=trigger.name,
                call=function.get_user_function(),
                bindings=list(function.get_bindings()),
            )
        )
    result.sort(key=lambda f: f.template.precedence)
    return result


def _host_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"error": {"code": code, "message": message, "details": None}}).encode()
    return status, {"Content-Type": "application/json"}, body


class FunctionsHttpHost:
    """Dispatches raw HTTP requests to the app's functions; usable without a socket (tests)."""

    def __init__(self, loaded: LoadedApp) -> None:
        self.loaded = loaded
        self.functions = http_functions(loaded)
        self.extra_routes: list[tuple[str, Callable[..., tuple[int, dict[str, str], bytes]]]] = []
        # Input bindings devhost can satisfy, by binding type (e.g. "durableClient").
        self.binding_providers: dict[str, Callable[[Any], Any]] = {}

    def add_prefix_handler(self, prefix: str, handler: Callable[..., tuple[int, dict[str, str], bytes]]) -> None:
        """Serve paths under ``prefix`` (e.g. the Durable extension's webhooks) with ``handler``."""
        self.extra_routes.append((prefix, handler))

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes, str | None]:
        parts = urlsplit(raw_path)
        path = parts.path
        for prefix, handler in self.extra_routes:
            if path.startswith(prefix):
                status, out_headers, out_body = handler(method, raw_path, headers, body)
                return status, out_headers, out_body, None
        prefix = "/" + self.loaded.route_prefix if self.loaded.route_prefix else ""
        if prefix and not (path == prefix or path.startswith(prefix + "/")):
            return (*_host_error(404, "route_not_found", f"no endpoint at {path}"), None)
        relative = path[len(prefix) :].lstrip("/")
        host_header = next((v for k, v in headers.items() if k.lower() == "host"), "localhost")
        for function in self.functions:
            route_values = function.template.match(relative)
            if route_values is None or method not in function.methods:
                continue
            request = func.HttpRequest(
                method=method,
                url=f"http://{host_header}{raw_path}",
                headers=headers,
                params=dict(parse_qsl(parts.query, keep_blank_values=True)),
                route_params=route_values,
                body=body,
            )
            return (*self._invoke(function, request), function.name)
        return (*_host_error(404, "route_not_found", f"no endpoint at {path}"), None)

    def _invoke(self, function: HttpFunction, request: func.HttpRequest) -> tuple[int, dict[str, str], bytes]:
        kwargs: dict[str, Any] = {function.binding_name: request}
        for binding in function.bindings:
            provider = self.binding_providers.get(getattr(binding, "type", ""))
            if provider is not None and binding.name != function.binding_name:
                kwargs[binding.name] = provider(binding)
        try:
            result = function.call(**kwargs)
            if inspect.isawaitable(result):
                result = run_async(awaited(result))
        except Exception:  # noqa: BLE001 - like the host: a crashed function is a bare 500
            log.exception("function raised", extra={"function": function.name})
            return _host_error(500, "internal_error", "the function failed")
        if not isinstance(result, func.HttpResponse):
            log.error("function returned no HttpResponse", extra={"function": function.name})
            return _host_error(500, "internal_error", "the function returned no HTTP response")
        headers = {k: v for k, v in result.headers.items()}
        if not any(k.lower() == "content-type" for k in headers):
            mimetype = result.mimetype or "text/plain"
            headers["Content-Type"] = f"{mimetype}; charset={result.charset or 'utf-8'}"
        return result.status_code, headers, result.get_body() or b""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "DataWave-devhost"
    host: FunctionsHttpHost  # set on the subclass built per server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # one structured line per request is written by _serve instead

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                total += size
                if total > HOST_MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > HOST_MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        started = time.perf_counter()
        try:
            body = self._read_body()
        except ValueError:
            body = b""
        if body is None:
            status, headers, payload = _host_error(413, "payload_too_large", "request body exceeds the host limit")
            function = None
            self.close_connection = True
        else:
            headers_in = {k: v for k, v in self.headers.items()}
            status, headers, payload, function = self.host.handle(self.command, self.path, headers_in, body)
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        log.info(
            "http request",
            extra={
                "method": self.command,
                "path": urlsplit(self.path).path,
                "status": status,
                "function": function,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                # The request's correlation id, as the app echoed it (None for the host's own 404/413).
                "correlation_id": next((v for k, v in headers.items() if k.lower() == "x-correlation-id"), None),
            },
        )

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class DevhostServer:
    """A threaded HTTP server around a ``FunctionsHttpHost``."""

    def __init__(self, host: FunctionsHttpHost, bind: str = "127.0.0.1", port: int = 7071) -> None:
        handler = type("BoundHandler", (_Handler,), {"host": host})
        self.httpd = ThreadingHTTPServer((bind, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start_in_background(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name="devhost-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
