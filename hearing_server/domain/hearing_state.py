"""The hearing's life cycle as a pure state machine (no I/O).

scheduled → open (lobby open) → in_session ⇄ recessed → closed → signing → sealed
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hearing_server.domain.exceptions import IllegalTransition


class HearingState(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    IN_SESSION = "in_session"
    RECESSED = "recessed"
    CLOSED = "closed"
    SIGNING = "signing"
    SEALED = "sealed"


class HearingAction(StrEnum):
    OPEN_LOBBY = "open_lobby"
    START = "start"
    RECESS = "recess"
    RESUME = "resume"
    CLOSE = "close"
    BEGIN_SIGNING = "begin_signing"
    SEAL = "seal"


# The clerk may open the waiting room and start the signing; every other move is the judge's.
CLERK_ACTIONS = frozenset({HearingAction.OPEN_LOBBY, HearingAction.BEGIN_SIGNING})

_S = HearingState
_A = HearingAction

TRANSITIONS: dict[tuple[HearingState, HearingAction], HearingState] = {
    (_S.SCHEDULED, _A.OPEN_LOBBY): _S.OPEN,
    (_S.OPEN, _A.START): _S.IN_SESSION,
    (_S.IN_SESSION, _A.RECESS): _S.RECESSED,
    (_S.RECESSED, _A.RESUME): _S.IN_SESSION,
    (_S.IN_SESSION, _A.CLOSE): _S.CLOSED,
    (_S.RECESSED, _A.CLOSE): _S.CLOSED,
    (_S.CLOSED, _A.BEGIN_SIGNING): _S.SIGNING,
    (_S.SIGNING, _A.SEAL): _S.SEALED,
}


@dataclass(frozen=True)
class Transition:
    """A legal move, ready to be recorded as the event ``hearing.<action>``."""

    action: HearingAction
    source: HearingState
    target: HearingState

    @property
    def event_kind(self) -> str:
        return f"hearing.{self.action.value}"


def allowed_actions(state: HearingState) -> list[HearingAction]:
    return [action for (source, action) in TRANSITIONS if source is state]


def apply_action(state: HearingState, action: HearingAction) -> Transition:
    """Return the transition for ``action`` from ``state`` or raise ``IllegalTransition``."""
    target = TRANSITIONS.get((state, action))
    if target is None:
        legal = ", ".join(a.value for a in allowed_actions(state)) or "none"
        raise IllegalTransition(
            f"cannot {action.value} a hearing that is {state.value} (allowed: {legal})"
        )
    return Transition(action=action, source=state, target=target)


def transition_to(state: HearingState, target: HearingState) -> Transition:
    """Find the single action that moves ``state`` to ``target``, or refuse."""
    for (source, action), destination in TRANSITIONS.items():
        if source is state and destination is target:
            return Transition(action=action, source=state, target=target)
    raise IllegalTransition(f"a hearing cannot go from {state.value} to {target.value}")
