"""Who may do what to a transcript: pure role checks.

Only the clerk and the judge write the record (add, edit, delete, rule on corrections, lock).
Unlocking a locked record is a judge act. Parties (plaintiff, defendant, agent, witness,
interpreter) may only file correction requests and sign. Observers read only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from transcript.exceptions import InvalidInput, NotPermitted


class Role(StrEnum):
    """Participant roles; the values are those of ``hearing_server.models.ParticipantRole``."""

    JUDGE = "judge"
    CLERK = "clerk"
    PLAINTIFF = "plaintiff"
    DEFENDANT = "defendant"
    AGENT = "agent"
    WITNESS = "witness"
    INTERPRETER = "interpreter"
    OBSERVER = "observer"


class Permission(StrEnum):
    READ = "read"
    WRITE_ENTRIES = "write_entries"
    REQUEST_CORRECTION = "request_correction"
    RULE_ON_CORRECTION = "rule_on_correction"
    LOCK = "lock"
    UNLOCK = "unlock"
    SIGN = "sign"
    FINALISE = "finalise"


STAFF_ROLES = frozenset({Role.JUDGE, Role.CLERK})
PARTY_ROLES = frozenset(
    {Role.PLAINTIFF, Role.DEFENDANT, Role.AGENT, Role.WITNESS, Role.INTERPRETER}
)

ROLES_FOR: dict[Permission, frozenset[Role]] = {
    Permission.READ: frozenset(Role),
    Permission.WRITE_ENTRIES: STAFF_ROLES,
    Permission.REQUEST_CORRECTION: PARTY_ROLES,
    Permission.RULE_ON_CORRECTION: STAFF_ROLES,
    Permission.LOCK: STAFF_ROLES,
    Permission.UNLOCK: frozenset({Role.JUDGE}),
    Permission.SIGN: STAFF_ROLES | PARTY_ROLES,
    Permission.FINALISE: STAFF_ROLES,
}


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
