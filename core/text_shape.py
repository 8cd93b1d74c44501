"""Character shapes of values: a digit becomes ``9``, a letter an upper- or lower-case mark, anything
else stays. One definition serves column profiles (``Aaaa 99``), the column model's shape features and
masked examples (``Xxxx 99``)."""

from __future__ import annotations

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ASCII_TABLES: dict[tuple[str, str], dict[int, int]] = {}


def ascii_shape_table(upper: str = "X", lower: str = "x") -> dict[int, int]:
    """The ``str.translate`` table that shapes ASCII text (for loops that inline the common case)."""
    table = _ASCII_TABLES.get((upper, lower))
    if table is None:
        table = str.maketrans(_DIGITS + _UPPER + _LOWER, "9" * 10 + upper * 26 + lower * 26)
        _ASCII_TABLES[(upper, lower)] = table
    return table


def char_shape(text: str, upper: str = "X", lower: str = "x") -> str:
    """``John 42`` -> ``Xxxx 99`` (or ``Aaaa 99`` with ``upper="A", lower="a"``)."""
    if text.isascii():  # the common case: one C-level translate
        return text.translate(ascii_shape_table(upper, lower))
    out = []
    for char in text:
        if char.isdigit():
            out.append("9")
        elif char.isalpha():
            out.append(upper if char.isupper() else lower)
        else:
            out.append(char)
    return "".join(out)
