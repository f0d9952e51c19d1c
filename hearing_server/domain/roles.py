"""The one definition of the roles people hold in a hearing, and what each role may do.

Everything else takes its roles from here: the database column, the room state, the transcript's
checks, the exports and (generated) the web client.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Participant roles; stored as these values."""

    JUDGE = "judge"
    CLERK = "clerk"
    PLAINTIFF = "plaintiff"
    DEFENDANT = "defendant"
    AGENT = "agent"
    WITNESS = "witness"
    INTERPRETER = "interpreter"
    OBSERVER = "observer"


class StaffRole(StrEnum):
    """Staff accounts' roles (the court's users who sign in with a password); stored as these."""

    ADMIN = "admin"
    JUDGE = "judge"
    CLERK = "clerk"


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
RECEIVE_ONLY_ROLES = frozenset({Role.OBSERVER})  # they watch and listen, never publish

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
