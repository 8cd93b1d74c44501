"""Structured JSON logs with the request's correlation id on every line.

The correlation id lives in a context variable set by the route layer (from ``x-correlation-id``
or the W3C ``traceparent`` trace id); a logging filter copies it onto every record, so any logger
anywhere in the app emits it without passing it around.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is logged as a field.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def correlation_id_from_headers(headers: dict[str, str]) -> str:
    """Pick the caller's correlation id: ``x-correlation-id`` first, then the ``traceparent`` trace id,
    else a new one. Values that are not plain ids are ignored (they end up in logs and headers)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    explicit = (lowered.get("x-correlation-id") or "").strip()
    if explicit and _SAFE_ID.match(explicit):
        return explicit
    match = _TRACEPARENT.match((lowered.get("traceparent") or "").strip().lower())
    if match and match.group(1) != "0" * 32:
        return match.group(1)
    return uuid.uuid4().hex


def set_correlation_id(value: str | None) -> contextvars.Token[str | None]:
    return _correlation_id.set(value)


def reset_correlation_id(token: contextvars.Token[str | None]) -> None:
    _correlation_id.reset(token)


def current_correlation_id() -> str | None:
    return _correlation_id.get()


class CorrelationFilter(logging.Filter):
    """Stamps the current correlation id on every record that passes through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "correlation_id", None):
            record.correlation_id = _correlation_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlation id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None) or _correlation_id.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key != "correlation_id" and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", stream: object = None) -> None:
    """Send all logs as JSON lines to ``stream`` (stderr by default). Used by devhost and the CLI;
    inside Azure the worker owns the handlers and ``install_correlation_filter`` is enough."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_datawave", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(JsonFormatter())
    handler.addFilter(CorrelationFilter())
    handler._datawave = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Chatty third-party loggers stay at WARNING unless asked for.
    for noisy in ("azure", "urllib3", "psycopg.pool", "yoyo"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def install_correlation_filter() -> None:
    """Attach the correlation filter to the root logger's existing handlers (the Functions worker's)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, CorrelationFilter) for f in handler.filters):
            handler.addFilter(CorrelationFilter())
