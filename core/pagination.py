"""Cursor pagination: opaque cursors that encode the sort key of the last item returned."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from core.errors import DomainError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class InvalidCursor(DomainError):
    status = 400
    code = "invalid_cursor"


class Page(BaseModel, Generic[T]):
    """One page of results; ``next_cursor`` is null on the last page."""

    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page.")


def page_of(items: list[T], limit: int, cursor_of: Callable[[T], str]) -> tuple[list[T], str | None]:
    """Trim rows fetched with ``LIMIT limit + 1`` to one page, with the cursor of the next page
    (``cursor_of(last item)``) or None when the extra row did not come back (the last page)."""
    if len(items) <= limit:
        return items, None
    items = items[:limit]
    return items, cursor_of(items[-1])


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_SCALARS = (str, int, float, bool, type(None))


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    """The sort key inside ``cursor`` (a list of ``arity`` JSON scalars), or None for the first page.
    Callers that need typed values use ``decode_typed_cursor``: a cursor is client input."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, RecursionError):  # RecursionError: a forged, deeply nested cursor
        raise InvalidCursor("cursor is not one this API issued") from None
    if not isinstance(key, list) or len(key) != arity or not all(isinstance(v, _SCALARS) for v in key):
        raise InvalidCursor("cursor is not one this API issued")
    return key


def decode_typed_cursor(cursor: str | None, *parsers: Callable[[Any], Any]) -> tuple[Any, ...] | None:
    """The sort key inside ``cursor``, each value converted by its parser (one per key part), or None
    for the first page. A value its parser refuses makes the cursor invalid (400), never a 500."""
    key = decode_cursor(cursor, len(parsers))
    if key is None:
        return None
    try:
        return tuple(parse(value) for parse, value in zip(parsers, key, strict=True))
    except (TypeError, ValueError, AttributeError, OverflowError):
        raise InvalidCursor("cursor is not one this API issued") from None


class PageQuery(BaseModel):
    """The query parameters of every paginated list."""

    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(None, description="Cursor from the previous page's next_cursor.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


def decode_time_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    """The (timestamp, id) sort key of a cursor issued by ``encode_time_cursor``; None for page one."""
    key = decode_typed_cursor(cursor, datetime.fromisoformat, _uuid)
    return None if key is None else (key[0], key[1])


def _uuid(value: Any) -> UUID:
    if not isinstance(value, str):
        raise TypeError("a cursor id is a string")
    return UUID(value)


def encode_time_cursor(moment: datetime, item_id: UUID) -> str:
    return encode_cursor([moment.isoformat(), str(item_id)])
