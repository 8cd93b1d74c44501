"""Azure Functions HTTP route templates (``v1/workspaces/{workspace_id}``, ``{*path}``).

Matching and precedence follow the Functions host (ASP.NET Core routing): a literal segment beats a
parameter, a parameter beats a catch-all. devhost routes requests with this, and the app's own
fallback function uses it to tell 404 (no such path) from 405 (path exists, method does not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

_PARAM = re.compile(r"^\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]*)?(\?)?\}$")


@dataclass(frozen=True)
class _Segment:
    literal: str | None
    name: str | None = None
    catch_all: bool = False
    optional: bool = False


class RouteTemplate:
    def __init__(self, template: str) -> None:
        self.template = template.strip("/")
        self._segments: list[_Segment] = []
        for part in self.template.split("/") if self.template else []:
            match = _PARAM.match(part)
            if match:
                self._segments.append(
                    _Segment(None, match.group(2), catch_all=bool(match.group(1)), optional=bool(match.group(3)))
                )
            else:
                self._segments.append(_Segment(part.lower()))

    @property
    def precedence(self) -> tuple[int, ...]:
        """Sort key: smaller is tried first (literal 0 < parameter 1 < catch-all 2, segment by segment)."""
        return tuple(0 if s.literal is not None else 2 if s.catch_all else 1 for s in self._segments) + (3,)

    def match(self, path: str) -> dict[str, str] | None:
        """Route values when ``path`` (without the ``/api`` prefix) matches, else None."""
        parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
        values: dict[str, str] = {}
        for index, segment in enumerate(self._segments):
            if segment.catch_all:
                values[segment.name or ""] = "/".join(parts[index:])
                return values
            if index >= len(parts):
                if segment.optional and index == len(self._segments) - 1:
                    return values
                return None
            if segment.literal is not None:
                if parts[index].lower() != segment.literal:
                    return None
            elif parts[index] == "":
                return None
            else:
                values[segment.name or ""] = parts[index]
        return values if len(parts) == len(self._segments) else None
