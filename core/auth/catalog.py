"""Roles as the policy decision point sees them: built-in roles plus stored custom roles, with
inheritance resolved into one effective permission set per role."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.auth.roles import BUILTIN_ROLES, WILDCARD


@dataclass(frozen=True)
class RoleDefinition:
    """A custom role's own permissions and the roles it inherits from."""

    permissions: frozenset[str]
    inherits: tuple[str, ...] = ()


class RoleCatalog:
    """Effective permissions of every known role (built-in or custom)."""

    def __init__(self, custom: Mapping[str, RoleDefinition] | None = None) -> None:
        self._custom = dict(custom or {})
        self._effective: dict[str, frozenset[str]] = {}

    def exists(self, role: str) -> bool:
        return role in BUILTIN_ROLES or role in self._custom

    def canonical(self, role: str) -> str | None:
        """The stored spelling of ``role`` (names are case-insensitive), or None when unknown."""
        lowered = role.lower()
        return next((name for name in [*BUILTIN_ROLES, *self._custom] if name.lower() == lowered), None)

    def permissions(self, role: str) -> frozenset[str]:
        """The role's own permissions plus everything it inherits; unknown roles have none.

        Cycles are rejected when roles are written; a cycle that still reaches here (e.g. a row edited
        in the database) is cut at the repeated role instead of recursing forever.
        """
        if role not in self._effective:
            self._effective[role] = self._resolve(role, frozenset())
        return self._effective[role]

    def _resolve(self, role: str, seen: frozenset[str]) -> frozenset[str]:
        if role in BUILTIN_ROLES:
            return BUILTIN_ROLES[role]
        definition = self._custom.get(role)
        if definition is None or role in seen:
            return frozenset()
        result = set(definition.permissions)
        for parent in definition.inherits:
            result |= self._resolve(parent, seen | {role})
        return frozenset(result)

    def grants(self, role: str, permission: str) -> bool:
        permissions = self.permissions(role)
        return WILDCARD in permissions or permission in permissions

    def with_role(self, name: str, definition: RoleDefinition) -> RoleCatalog:
        """A copy with ``name`` added or replaced (to validate a change before storing it)."""
        return RoleCatalog({**self._custom, name: definition})

    def find_cycle(self, start: str) -> list[str] | None:
        """An inheritance path from ``start`` back to itself, or None."""

        def walk(role: str, path: list[str]) -> list[str] | None:
            definition = self._custom.get(role)
            if definition is None:
                return None
            for parent in definition.inherits:
                if parent == start:
                    return [*path, parent]
                if parent not in path:
                    found = walk(parent, [*path, parent])
                    if found:
                        return found
            return None

        return walk(start, [start])

    def inheritors(self, role: str) -> list[str]:
        """Custom roles that inherit ``role`` directly."""
        return sorted(name for name, d in self._custom.items() if role in d.inherits)
