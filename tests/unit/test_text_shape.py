"""One definition of a value's character shape, used by profiles, the column model and masking."""

from __future__ import annotations

from core.classification.column_model import value_shape
from core.classification.masking import mask_value
from core.discovery.profile import shape
from core.text_shape import char_shape


def test_ascii_and_unicode_text_shape_the_same_way():
    assert char_shape("John 42-b") == "Xxxx 99-x"
    assert char_shape("John 42-b", "A", "a") == "Aaaa 99-a"
    assert char_shape("Ñoño ٣2") == "Xxxx 99"  # non-ASCII letters and digits follow str.isalpha/isdigit
    assert char_shape("") == ""


def test_every_user_of_the_shape_agrees_with_it():
    assert shape("Zoë 7") == char_shape("Zoë 7", "A", "a")
    assert shape("x" * 40) == "a" * 32 + "…"  # profiles truncate long values
    assert value_shape("Jonathan 555-0142") == "Xxxx 999-999"  # the model collapses runs to three
    assert mask_value("Jane Doe") == char_shape("Jane Doe")


def _by_rule(text: str, upper: str, lower: str) -> str:
    """The shape definition, one character at a time."""
    return "".join("9" if c.isdigit() else (upper if c.isupper() else lower) if c.isalpha() else c for c in text)


def test_the_translation_table_follows_the_definition_for_every_character_it_meets(monkeypatch):
    # Latin-1, Greek, Cyrillic, Arabic-Indic digits, CJK, titlecase and roman numerals, outside the BMP.
    sample = "".join(map(chr, [*range(0x20, 0x250), *range(0x370, 0x530), *range(0x660, 0x66A)]))
    sample += "日本語ǅǈⅫⅻ²\U0001d400\U0001f600\ud800"
    for upper, lower in (("X", "x"), ("A", "a")):
        assert char_shape(sample, upper, lower) == _by_rule(sample, upper, lower)
        assert char_shape(sample, upper, lower) == _by_rule(sample, upper, lower)  # now from the table
    # A full table stops remembering but still shapes by the definition.
    monkeypatch.setattr("core.text_shape.MEMO_LIMIT", 0)
    rare = "".join(map(chr, range(0x1E900, 0x1E960)))  # Adlam: upper and lower case letters, digits
    assert char_shape(rare) == _by_rule(rare, "X", "x")


def test_profile_shapes_of_mixed_scripts_count_by_the_definition():
    from collections import Counter

    from core.discovery.model import ColumnValues
    from core.discovery.profile import profile_column

    values = ["Chloé", "Anna", "Müller", None, "Anna", "ÄBC 12", "x" * 40, "Zoë"]
    profile = profile_column(ColumnValues(name="c", logical_type="string", values=values))
    expected = Counter(shape(v) for v in values if v)
    assert [(s.shape, s.count) for s in profile.shapes] == expected.most_common(5)
