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
