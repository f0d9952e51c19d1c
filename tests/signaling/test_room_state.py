"""The pure room state machine: roles, lobby, presence, reconnect grace, versioned deltas."""

from __future__ import annotations

from typing import Any

import pytest

from signaling.protocol.exceptions import NotAllowed, UnknownParticipant, WrongState
from signaling.protocol.messages import Stage
from signaling.protocol.room import NO_CHANGE, RoomState, Status

JUDGE, CLERK, PLAINTIFF, DEFENDANT, OBSERVER = 1, 2, 3, 4, 9
ROLES = {JUDGE: "judge", CLERK: "clerk", PLAINTIFF: "plaintiff", DEFENDANT: "defendant",
         OBSERVER: "observer"}  # fmt: skip


def _connect(room: RoomState, pid: int, now: float) -> list[str]:
    return room.connect(
        pid, role=ROLES[pid], name=ROLES[pid].title(), identity_verified=False, now=now
    ).kinds


@pytest.fixture
def room() -> RoomState:
    state = RoomState(hearing_id=5, grace_s=60)
    for pid in ROLES:
        _connect(state, pid, now=0)
    return state


def test_staff_enter_admitted_everyone_else_waits_without_media(room: RoomState) -> None:
    assert room.member(JUDGE).status is Status.ADMITTED
    assert room.member(CLERK).status is Status.ADMITTED
    for pid in (PLAINTIFF, DEFENDANT, OBSERVER):
        assert room.member(pid).status is Status.LOBBY
        assert not room.may_have_media(pid)
    assert room.may_have_media(JUDGE)
    assert room.member(OBSERVER).publishes is False
    assert room.member(PLAINTIFF).publishes is True
    fresh = RoomState(hearing_id=1)
    assert _connect(fresh, JUDGE, 0) == ["participant.joined"]
    assert _connect(fresh, PLAINTIFF, 0) == ["lobby.entered"]


JUDGE_ONLY = [
    ("admit", lambda r, actor: r.admit(actor, PLAINTIFF)),
    ("deny", lambda r, actor: r.deny(actor, PLAINTIFF)),
    ("remove", lambda r, actor: r.remove(actor, PLAINTIFF)),
    ("mute", lambda r, actor: r.set_muted(actor, PLAINTIFF, True)),
    ("audio_only for another", lambda r, actor: r.set_audio_only(actor, PLAINTIFF, True)),
    ("set_stage", lambda r, actor: r.set_stage(actor, Stage.DEBATE)),
]


CASES = [
    pytest.param(call, actor, id=f"{act}-by-{ROLES[actor]}")
    for act, call in JUDGE_ONLY
    for actor in (CLERK, DEFENDANT, OBSERVER, PLAINTIFF)
    if not (act == "audio_only for another" and actor == PLAINTIFF)  # that one is oneself
]


@pytest.mark.parametrize(("call", "actor"), CASES)
def test_only_the_judge_may(room: RoomState, call: Any, actor: int) -> None:
    before, version = room.snapshot(), room.version
    with pytest.raises(NotAllowed):
        call(room, actor)
    assert room.snapshot() == before
    assert room.version == version


def test_each_act_returns_its_event_and_a_versioned_delta(room: RoomState) -> None:
    version = room.version
    change = room.admit(JUDGE, PLAINTIFF)
    assert change.events == (("lobby.admitted", {"participant_id": PLAINTIFF}),)
    assert change.delta == {"version": version + 1, "members": [room.member(PLAINTIFF).to_json()]}
    assert room.may_have_media(PLAINTIFF)
    with pytest.raises(WrongState):
        room.admit(JUDGE, PLAINTIFF)
    with pytest.raises(UnknownParticipant):
        room.admit(JUDGE, 77)
    stage = room.set_stage(JUDGE, Stage.INVESTIGATION)
    assert stage.events == (("stage.changed", {"from": None, "to": "investigation"}),)
    assert stage.delta == {"version": version + 2, "members": [], "stage": "investigation"}
    assert room.set_stage(JUDGE, Stage.INVESTIGATION) is NO_CHANGE
    assert room.set_stage(JUDGE, Stage.DEBATE).events[0][1] == {
        "from": "investigation", "to": "debate",
    }  # fmt: skip
    assert room.snapshot()["version"] == room.version == version + 3


def test_mute_and_audio_only(room: RoomState) -> None:
    room.admit(JUDGE, PLAINTIFF)
    assert room.set_muted(JUDGE, PLAINTIFF, True).kinds == ["participant.muted"]
    assert room.set_muted(JUDGE, PLAINTIFF, True) is NO_CHANGE
    assert room.member(PLAINTIFF).muted
    assert room.set_muted(JUDGE, PLAINTIFF, False).kinds == ["participant.unmuted"]
    mine = room.set_audio_only(PLAINTIFF, PLAINTIFF, True)
    assert mine.events == (
        ("participant.audio_only", {"participant_id": PLAINTIFF, "audio_only": True,
                                    "by": PLAINTIFF}),
    )  # fmt: skip
    assert room.set_audio_only(JUDGE, PLAINTIFF, False).events[0][1]["by"] == JUDGE


def test_raised_hands(room: RoomState) -> None:
    with pytest.raises(WrongState):  # the lobby writes a message instead
        room.raise_hand(PLAINTIFF, now=0)
    for pid in (PLAINTIFF, DEFENDANT):
        room.admit(JUDGE, pid)
    for staff in (JUDGE, CLERK):
        with pytest.raises(NotAllowed):
            room.raise_hand(staff, now=0)
    raised = room.raise_hand(PLAINTIFF, now=10)
    assert raised.events == (("hand.raised", {"participant_id": PLAINTIFF}),)
    assert raised.delta is not None and raised.delta["members"][0]["hand_raised"] is True
    assert room.raise_hand(PLAINTIFF, now=11) is NO_CHANGE
    with pytest.raises(NotAllowed):  # parties do not lower each other's hands
        room.lower_hand(DEFENDANT, PLAINTIFF)
    assert room.member(PLAINTIFF).hand_raised
    assert room.lower_hand(CLERK, PLAINTIFF).events == (
        ("hand.lowered", {"participant_id": PLAINTIFF, "by": CLERK}),
    )
    assert room.lower_hand(JUDGE, PLAINTIFF) is NO_CHANGE
    with pytest.raises(NotAllowed, match="wait 3 s"):  # raised at 10: paced
        room.raise_hand(PLAINTIFF, now=12)
    room.raise_hand(PLAINTIFF, now=13)
    assert room.lower_hand(PLAINTIFF, PLAINTIFF).events[0][1]["by"] == PLAINTIFF
    assert room.snapshot()["members"][2]["hand_raised"] is False


def test_deny_and_remove_bar_the_participant(room: RoomState) -> None:
    assert room.deny(JUDGE, DEFENDANT).kinds == ["lobby.denied"]
    with pytest.raises(NotAllowed, match="denied"):
        _connect(room, DEFENDANT, now=1)
    room.admit(JUDGE, PLAINTIFF)
    with pytest.raises(WrongState):
        room.deny(JUDGE, PLAINTIFF)  # only from the lobby
    assert room.remove(JUDGE, PLAINTIFF).kinds == ["participant.removed"]
    assert not room.may_have_media(PLAINTIFF)
    with pytest.raises(NotAllowed, match="removed"):
        _connect(room, PLAINTIFF, now=5)
    with pytest.raises(WrongState):
        room.remove(JUDGE, PLAINTIFF)
    with pytest.raises(NotAllowed):
        room.remove(JUDGE, JUDGE)
    assert room.remove(JUDGE, CLERK).kinds == ["participant.removed"]


def test_reconnect_within_grace_keeps_admission(room: RoomState) -> None:
    room.admit(JUDGE, PLAINTIFF)
    room.set_muted(JUDGE, PLAINTIFF, True)
    assert room.disconnect(PLAINTIFF, now=100).kinds == ["participant.disconnected"]
    assert room.disconnect(PLAINTIFF, now=101) is NO_CHANGE
    assert room.member(PLAINTIFF).connected is False
    assert room.sweep(now=159.9) == []
    change = room.connect(PLAINTIFF, role="plaintiff", name="P", identity_verified=False, now=130)
    assert change.events == (
        ("participant.reconnected", {"participant_id": PLAINTIFF, "gap_ms": 30000,
                                     "status": "admitted"}),
    )  # fmt: skip
    member = room.member(PLAINTIFF)
    assert (member.status, member.connected, member.muted) == (Status.ADMITTED, True, True)
    assert room.sweep(now=1000) == []  # connected again: nothing to drop


def test_after_grace_the_sweep_drops_and_a_new_connection_waits_again(room: RoomState) -> None:
    room.admit(JUDGE, PLAINTIFF)
    room.disconnect(PLAINTIFF, now=200)
    room.disconnect(DEFENDANT, now=200)  # still in the lobby: same grace
    dropped = room.sweep(now=260)
    assert [pid for pid, _ in dropped] == [PLAINTIFF, DEFENDANT]
    assert dropped[0][1].events == (
        ("participant.dropped", {"participant_id": PLAINTIFF, "after_ms": 60000}),
    )
    assert room.member(PLAINTIFF).status is Status.LEFT
    assert room.sweep(now=999) == []
    assert _connect(room, PLAINTIFF, now=300) == ["lobby.entered"]
    assert room.member(PLAINTIFF).status is Status.LOBBY  # must be admitted again


def test_a_late_return_counts_as_dropped_even_before_the_sweep(room: RoomState) -> None:
    room.admit(JUDGE, PLAINTIFF)
    room.disconnect(PLAINTIFF, now=0)
    assert _connect(room, PLAINTIFF, now=61) == ["participant.dropped", "lobby.entered"]
    assert room.member(PLAINTIFF).status is Status.LOBBY


def test_staff_return_admitted_after_leaving(room: RoomState) -> None:
    assert room.leave(CLERK).kinds == ["participant.left"]
    with pytest.raises(WrongState):
        room.leave(CLERK)
    assert room.member(CLERK).status is Status.LEFT
    assert _connect(room, CLERK, now=10) == ["participant.joined"]
    assert room.member(CLERK).status is Status.ADMITTED


def test_identity_and_rules(room: RoomState) -> None:
    assert room.confirm_identity(CLERK, PLAINTIFF).kinds == ["identity.confirmed"]
    with pytest.raises(WrongState):
        room.confirm_identity(JUDGE, PLAINTIFF)
    with pytest.raises(NotAllowed):
        room.confirm_identity(DEFENDANT, PLAINTIFF)
    assert room.confirm_identity(JUDGE, DEFENDANT).kinds == ["identity.confirmed"]
    assert room.accept_rules(DEFENDANT).kinds == ["rules.accepted"]
    assert room.accept_rules(DEFENDANT) is NO_CHANGE
    snapshot = room.snapshot()
    plaintiff = next(m for m in snapshot["members"] if m["participant_id"] == PLAINTIFF)
    assert plaintiff["identity_verified"] is True
    assert snapshot["version"] == room.version
    assert [m["participant_id"] for m in snapshot["members"]] == sorted(ROLES)


def test_deltas_replayed_on_a_snapshot_give_the_next_snapshot(room: RoomState) -> None:
    """What a client does with room_update: upsert members, take stage, follow the version."""
    view = room.snapshot()
    changes = [
        room.admit(JUDGE, PLAINTIFF), room.set_muted(JUDGE, PLAINTIFF, True),
        room.set_stage(JUDGE, Stage.EVIDENCE), room.disconnect(DEFENDANT, now=3),
        room.deny(JUDGE, OBSERVER), room.accept_rules(PLAINTIFF),
    ]  # fmt: skip
    for change in changes:
        assert change.delta is not None
        assert change.delta["version"] == view["version"] + 1
        members = {m["participant_id"]: m for m in view["members"]}
        members.update({m["participant_id"]: m for m in change.delta["members"]})
        view = {**view, "version": change.delta["version"],
                "members": [members[pid] for pid in sorted(members)],
                "stage": change.delta.get("stage", view["stage"])}  # fmt: skip
    assert view == room.snapshot()


def test_a_reopened_room_keeps_stage_and_bars_from_the_log() -> None:
    logged = [
        ("lobby.entered", {"participant_id": PLAINTIFF, "role": "plaintiff"}),
        ("stage.changed", {"from": None, "to": "evidence"}),
        ("participant.removed", {"participant_id": PLAINTIFF}),
        ("lobby.denied", {"participant_id": DEFENDANT}),
        ("stage.changed", {"from": "evidence", "to": "debate"}),
        ("stage.changed", {"from": "debate", "to": "not-a-stage"}),
    ]
    room = RoomState.from_log(5, logged, grace_s=30)
    assert (room.stage, room.grace_s, room.members) == (Stage.DEBATE, 30, {})
    with pytest.raises(NotAllowed, match="removed"):
        _connect(room, PLAINTIFF, now=0)
    with pytest.raises(NotAllowed, match="denied"):
        _connect(room, DEFENDANT, now=0)
    assert _connect(room, OBSERVER, now=0) == ["lobby.entered"]
    assert room.snapshot()["stage"] == "debate"
