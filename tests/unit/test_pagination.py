"""Cursors are client input: whatever a caller sends, decoding gives the key or InvalidCursor (400)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest

from core.pagination import (
    InvalidCursor,
    decode_cursor,
    decode_time_cursor,
    decode_typed_cursor,
    encode_cursor,
    encode_time_cursor,
)


def _raw(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_issued_cursors_round_trip():
    moment, item = datetime(2026, 3, 1, 12, 30, tzinfo=UTC), uuid.uuid4()
    assert decode_time_cursor(encode_time_cursor(moment, item)) == (moment, item)
    assert decode_cursor(encode_cursor([0.5, "x"]), 2) == [0.5, "x"]
    assert decode_typed_cursor(encode_cursor([42]), int) == (42,)
    assert decode_cursor(None, 1) is None and decode_typed_cursor("", int) is None


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%not-base64",
        _raw(b"[" * 30_000),  # deeper than the JSON parser's stack
        _raw(b"[" + b"1" * 5000 + b"]"),  # integer over Python's digit limit
        _raw(b'{"a": 1}'),
        _raw(json.dumps([{"a": 1}, "x"]).encode()),
        _raw(json.dumps([[1], "x"]).encode()),
        _raw(json.dumps(["one"]).encode()),  # wrong arity
    ],
)
def test_forged_cursors_are_invalid(cursor):
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, 2)


@pytest.mark.parametrize(
    "key",
    [
        ["2026-01-01T00:00:00+00:00", 12345],
        ["2026-01-01T00:00:00+00:00", "not-a-uuid"],
        ["yesterday", str(uuid.uuid4())],
        [1700000000, str(uuid.uuid4())],
        [None, None],
    ],
)
def test_time_cursors_with_wrong_types_are_invalid(key):
    with pytest.raises(InvalidCursor):
        decode_time_cursor(encode_cursor(key))


@pytest.mark.parametrize("value", ["abc", None, 1e400, "1.5"])
def test_typed_cursor_refuses_what_its_parser_refuses(value):
    with pytest.raises(InvalidCursor):
        decode_typed_cursor(_raw(json.dumps([value]).encode()), int)
