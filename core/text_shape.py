"""Character shapes of values: a digit becomes ``9``, a letter an upper- or lower-case mark, anything
else stays. One definition serves column profiles (``Aaaa 99``), the column model's shape features and
masked examples (``Xxxx 99``).

Shaping is one C-level translate whatever the text: ASCII text through a 256-byte table, any other
through a dict that works out a character's shape (``str.isdigit``, ``isalpha``, ``isupper``) the first
time it meets it and keeps it, so accented names cost no Python call per character."""

from __future__ import annotations

import threading
from collections.abc import Callable

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
#: Characters a lazily filled table keeps at most (beyond that it works them out on every use).
MEMO_LIMIT = 1 << 16


class LazyTranslation(dict):  # type: ignore[type-arg]
    """A ``str.translate`` table that maps any character by ``rule`` (code point -> code point, or
    None to delete it), remembering each answer: C-level translation for text of any script."""

    def __init__(self, rule: Callable[[str], int | None], preset: dict[int, int | None] | None = None) -> None:
        super().__init__(preset or {})
        self._rule = rule

    def __missing__(self, code: int) -> int | None:
        mapped = self._rule(chr(code))
        if len(self) < MEMO_LIMIT:
            self[code] = mapped
        return mapped


_TABLES: dict[tuple[str, str], LazyTranslation] = {}
_TABLES_LOCK = threading.Lock()


def shape_table(upper: str = "X", lower: str = "x") -> LazyTranslation:
    """The ``str.translate`` table that shapes text with these letter marks."""
    table = _TABLES.get((upper, lower))
    if table is None:
        upper_code, lower_code = ord(upper), ord(lower)

        def rule(char: str) -> int:
            if char.isdigit():
                return 57  # "9"
            if char.isalpha():
                return upper_code if char.isupper() else lower_code
            return ord(char)

        preset = str.maketrans(_DIGITS + _UPPER + _LOWER, "9" * 10 + upper * 26 + lower * 26)
        with _TABLES_LOCK:
            table = _TABLES.setdefault((upper, lower), LazyTranslation(rule, preset))
    return table


_BYTE_TABLES: dict[tuple[str, str], bytes] = {}


def char_shape(text: str, upper: str = "X", lower: str = "x") -> str:
    """``John 42`` -> ``Xxxx 99`` (or ``Aaaa 99`` with ``upper="A", lower="a"``)."""
    if text.isascii() and upper.isascii() and lower.isascii():  # bytes.translate: a plain table look-up
        table = _BYTE_TABLES.get((upper, lower))
        if table is None:
            marks = (_DIGITS + _UPPER + _LOWER).encode(), ("9" * 10 + upper * 26 + lower * 26).encode()
            table = _BYTE_TABLES.setdefault((upper, lower), bytes.maketrans(*marks))
        return text.encode("ascii").translate(table).decode("ascii")
    return text.translate(shape_table(upper, lower))
