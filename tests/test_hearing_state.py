"""The hearing life cycle, as a pure state machine."""

from __future__ import annotations

import itertools

import pytest

from hearing_server.domain.exceptions import IllegalTransition
from hearing_server.domain.hearing_state import (
    TRANSITIONS,
    HearingAction,
    HearingState,
    allowed_actions,
    apply_action,
    transition_to,
)

S = HearingState
A = HearingAction


def test_the_whole_life_cycle_with_a_recess() -> None:
    state = S.SCHEDULED
    path = [A.OPEN_LOBBY, A.START, A.RECESS, A.RESUME, A.CLOSE, A.BEGIN_SIGNING, A.SEAL]
    seen = [state]
    for action in path:
        transition = apply_action(state, action)
        assert transition.source is state
        assert transition.event_kind == f"hearing.{action.value}"
        state = transition.target
        seen.append(state)
    assert seen == [
        S.SCHEDULED, S.OPEN, S.IN_SESSION, S.RECESSED, S.IN_SESSION,
        S.CLOSED, S.SIGNING, S.SEALED,
    ]  # fmt: skip


ILLEGAL = [
    (state, action)
    for state, action in itertools.product(S, A)
    if (state, action) not in TRANSITIONS
]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_every_illegal_transition_is_refused(state: S, action: A) -> None:
    with pytest.raises(IllegalTransition) as error:
        apply_action(state, action)
    assert state.value in error.value.message
    assert action.value in error.value.message


def test_recessed_hearing_can_close_but_not_seal() -> None:
    assert apply_action(S.RECESSED, A.CLOSE).target is S.CLOSED
    with pytest.raises(IllegalTransition):
        apply_action(S.RECESSED, A.SEAL)


def test_sealed_is_final() -> None:
    assert allowed_actions(S.SEALED) == []


def test_transition_to_finds_the_action_or_refuses() -> None:
    assert transition_to(S.OPEN, S.IN_SESSION).action is A.START
    with pytest.raises(IllegalTransition, match="scheduled to sealed"):
        transition_to(S.SCHEDULED, S.SEALED)
    assert len(ILLEGAL) == len(S) * len(A) - len(TRANSITIONS)
