"""Who is calling: the identity a verified token describes."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID


@dataclass(frozen=True)
class Principal:
    """A verified caller.

    ``roles`` are global (Entra app roles, or dev-token roles without a workspace); roles listed in
    ``workspace_roles`` hold only inside that workspace (dev tokens minted with ``--workspace``).
    """

    subject: str
    name: str | None = None
    roles: frozenset[str] = frozenset()
    workspace_roles: dict[UUID, frozenset[str]] = field(default_factory=dict)
    groups: frozenset[str] = frozenset()
    amr: frozenset[str] = frozenset()
    issuer: str | None = None

    @property
    def has_mfa(self) -> bool:
        return "mfa" in self.amr

    @property
    def identities(self) -> list[str]:
        """Every id a membership may be granted to: the user and each of its groups."""
        return [self.subject, *sorted(self.groups)]
