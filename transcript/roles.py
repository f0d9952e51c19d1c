"""Who may do what to a transcript: pure role checks.

Only the clerk and the judge write the record (add, edit, delete, rule on corrections, lock).
Unlocking a locked record is a judge act. Parties (plaintiff, defendant, agent, witness,
interpreter) may only file correction requests and sign. Observers read only.
"""

from __future__ import annotations

from dataclasses import dataclass

from hearing_server.domain.roles import (
    PARTY_ROLES,
    ROLES_FOR,
    STAFF_ROLES,
    Permission,
    Role,
)
from transcript.exceptions import InvalidInput, NotPermitted

__all__ = [
    "PARTY_ROLES",
    "ROLES_FOR",
    "STAFF_ROLES",
    "Actor",
    "Permission",
    "Role",
    "is_permitted",
    "parse_role",
    "require",
]


@dataclass(frozen=True)
class Actor:
    """Whoever performs an act: a staff id or participant id, with the role they act in."""

    actor_id: str
    role: Role

    def __post_init__(self) -> None:
        if not isinstance(self.actor_id, str) or not self.actor_id.strip():
            raise InvalidInput("actor id must be a non-empty string")
        if len(self.actor_id) > 200:
            raise InvalidInput("actor id is longer than 200 characters")
        if not isinstance(self.role, Role):
            raise InvalidInput(f"unknown role {self.role!r}")


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(f"unknown role {value!r}") from None


def is_permitted(role: Role, permission: Permission) -> bool:
    return role in ROLES_FOR[permission]


def require(actor: Actor, permission: Permission, act: str) -> None:
    """Raise ``NotPermitted`` naming the roles that may ``act`` when ``actor`` may not."""
    if not is_permitted(actor.role, permission):
        allowed = ", ".join(sorted(role.value for role in ROLES_FOR[permission]))
        raise NotPermitted(f"a {actor.role.value} may not {act} (allowed: {allowed})")
