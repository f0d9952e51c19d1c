"""The pure room state machine."""

from __future__ import annotations

import pytest

from signaling.exceptions import NotAllowed, UnknownParticipant, WrongState
from signaling.messages import Stage
from signaling.room import RoomState, Status

JUDGE, CLERK, PLAINTIFF, DEFENDANT, OBSERVER = 1, 2, 3, 4, 9


@pytest.fixture
def room() -> RoomState:
    state = RoomState(hearing_id=5, grace_s=60)
    for pid, role in ((JUDGE, "judge"), (CLERK, "clerk"), (PLAINTIFF, "plaintiff"),
                      (DEFENDANT, "defendant"), (OBSERVER, "observer")):  # fmt: skip
        state.connect(pid, role=role, name=role.title(), identity_verified=False, now=0)
    return state


def test_staff_are_admitted_parties_wait(room: RoomState) -> None:
    assert room.member(JUDGE).status is Status.ADMITTED
    assert room.member(CLERK).status is Status.ADMITTED
    assert room.member(PLAINTIFF).status is Status.LOBBY
    assert not room.may_have_media(PLAINTIFF)
    assert room.member(OBSERVER).publishes is False


def test_only_the_judge_admits_and_each_act_is_an_event(room: RoomState) -> None:
    with pytest.raises(NotAllowed):
        room.admit(CLERK, PLAINTIFF)
    with pytest.raises(NotAllowed):
        room.admit(DEFENDANT, PLAINTIFF)
    version = room.version
    assert room.admit(JUDGE, PLAINTIFF) == [("lobby.admitted", {"participant_id": PLAINTIFF})]
    assert room.version == version + 1
    assert room.may_have_media(PLAINTIFF)
    with pytest.raises(WrongState):
        room.admit(JUDGE, PLAINTIFF)
    with pytest.raises(UnknownParticipant):
        room.admit(JUDGE, 77)


def test_mute_audio_only_stage_remove(room: RoomState) -> None:
    room.admit(JUDGE, PLAINTIFF)
    assert room.set_muted(JUDGE, PLAINTIFF, True)[0][0] == "participant.muted"
    assert room.set_muted(JUDGE, PLAINTIFF, True) == []
    with pytest.raises(NotAllowed):
        room.set_muted(PLAINTIFF, JUDGE, True)
    assert room.set_audio_only(PLAINTIFF, PLAINTIFF, True)  # oneself
    with pytest.raises(NotAllowed):
        room.set_audio_only(DEFENDANT, PLAINTIFF, False)
    assert room.set_stage(JUDGE, Stage.INVESTIGATION)[0][1] == {"from": None, "to": "investigation"}
    with pytest.raises(NotAllowed):
        room.set_stage(CLERK, Stage.DEBATE)
    room.remove(JUDGE, PLAINTIFF)
    with pytest.raises(NotAllowed, match="removed"):
        room.connect(PLAINTIFF, role="plaintiff", name="P", identity_verified=False, now=5)
    with pytest.raises(NotAllowed):
        room.remove(JUDGE, JUDGE)


def test_reconnect_within_grace_keeps_admission_then_drops(room: RoomState) -> None:
    room.admit(JUDGE, PLAINTIFF)
    room.disconnect(PLAINTIFF, now=100)
    assert room.sweep(now=159) == []
    events = room.connect(PLAINTIFF, role="plaintiff", name="P", identity_verified=False, now=130)
    assert events == [
        ("participant.reconnected", {"participant_id": PLAINTIFF, "gap_ms": 30000,
                                     "status": "admitted"}),
    ]  # fmt: skip
    assert room.member(PLAINTIFF).status is Status.ADMITTED
    room.disconnect(PLAINTIFF, now=200)
    dropped = room.sweep(now=260)
    assert [pid for pid, _ in dropped] == [PLAINTIFF]
    assert room.member(PLAINTIFF).status is Status.LEFT
    room.connect(PLAINTIFF, role="plaintiff", name="P", identity_verified=False, now=300)
    assert room.member(PLAINTIFF).status is Status.LOBBY  # must be admitted again


def test_identity_and_rules(room: RoomState) -> None:
    assert room.confirm_identity(CLERK, PLAINTIFF)[0][0] == "identity.confirmed"
    with pytest.raises(WrongState):
        room.confirm_identity(JUDGE, PLAINTIFF)
    with pytest.raises(NotAllowed):
        room.confirm_identity(DEFENDANT, PLAINTIFF)
    assert room.accept_rules(DEFENDANT)[0][0] == "rules.accepted"
    assert room.accept_rules(DEFENDANT) == []
    snapshot = room.snapshot()
    plaintiff = next(m for m in snapshot["members"] if m["participant_id"] == PLAINTIFF)
    assert plaintiff["identity_verified"] is True
    assert snapshot["version"] == room.version
