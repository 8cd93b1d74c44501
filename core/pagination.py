"""Cursor pagination: opaque cursors that encode the sort key of the last item returned."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

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


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    """The sort key inside ``cursor`` (a list of ``arity`` values), or None for the first page."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise InvalidCursor("cursor is not one this API issued") from None
    if not isinstance(key, list) or len(key) != arity:
        raise InvalidCursor("cursor is not one this API issued")
    return key


class PageQuery(BaseModel):
    """The query parameters of every paginated list."""

    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(None, description="Cursor from the previous page's next_cursor.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
