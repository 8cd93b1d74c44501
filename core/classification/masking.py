"""Masked examples for evidence: enough shape to explain a verdict, never the sensitive value.

Rules (they apply to every classification, so evidence is safe by construction):

* emails keep the first character of the local part and of the domain, and the top-level domain:
  ``john.doe@example.com`` -> ``j***@e***.com``;
* values with 12 or more digits (cards, IBANs, long account numbers) keep their separators and
  only the last four digits, the usual PCI display rule: ``4111 1111 1111 1111`` ->
  ``**** **** **** 1111``;
* credential values are never shown, only their length: ``[redacted: 60 chars]``;
* anything else keeps only its layout: letters become ``X``/``x`` and digits ``9``
  (``John Smith`` -> ``Xxxx Xxxxx``; ``1985-03-04`` -> ``9999-99-99``); no character survives.
"""

from __future__ import annotations

import re

from core.text_shape import char_shape

_EMAIL = re.compile(r"^([^@\s]+)@([^@\s]+)$")


def mask_value(value: str, *, credential: bool = False) -> str:
    """Return a masked rendering of ``value`` that cannot be reversed to the original."""
    text = value.strip()
    if not text:
        return ""
    if credential:
        return f"[redacted: {len(text)} chars]"
    if len(text) > 64:
        text = text[:64]
    email = _EMAIL.match(text)
    if email:
        local, domain = email.groups()
        host, _, tld = domain.rpartition(".")
        host = host or domain
        return f"{local[0]}***@{host[0]}***" + (f".{tld}" if tld and host != domain else "")
    digit_count = sum(char.isdigit() for char in text)
    if digit_count >= 12:
        keep_from = digit_count - 4
        seen = 0
        out = []
        for char in text:
            if char.isdigit():
                out.append(char if seen >= keep_from else "*")
                seen += 1
            elif char.isalpha():
                out.append("*")
            else:
                out.append(char)
        return "".join(out)
    return char_shape(text)
