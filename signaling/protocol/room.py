"""The live courtroom as a pure state machine: lobby, admission, presence, mute, stage, hands.

No I/O and no clock: every call that depends on time takes ``now`` (seconds). Each operation
either raises a ``SignalingError`` and changes nothing, or returns a ``Change``: the events to
append to the hearing log and the versioned delta to broadcast (``room_update``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hearing_server.domain.roles import RECEIVE_ONLY_ROLES, STAFF_ROLES, Role
from hearing_server.domain.stages import Stage
from signaling.protocol.exceptions import NotAllowed, TooSoon, UnknownParticipant, WrongState

JUDGE = Role.JUDGE
HAND_INTERVAL_S = 3.0  # between two raised hands of one participant

Event = tuple[str, dict[str, Any]]


class Status(StrEnum):
    LOBBY = "lobby"
    ADMITTED = "admitted"
    DENIED = "denied"
    REMOVED = "removed"
    LEFT = "left"


PRESENT = frozenset({Status.LOBBY, Status.ADMITTED})  # keep their place while disconnected
BARRED = frozenset({Status.REMOVED, Status.DENIED})  # may not come back into this room


@dataclass
class Member:
    participant_id: int
    role: str
    name: str
    status: Status
    connected: bool = True
    muted: bool = False
    audio_only: bool = False
    rules_accepted: bool = False
    identity_verified: bool = False
    disconnected_at: float | None = None
    hand_raised: bool = False  # asking the judge for leave to speak
    hand_raised_at: float | None = None

    @property
    def publishes(self) -> bool:
        return self.role not in RECEIVE_ONLY_ROLES

    def to_json(self) -> dict[str, Any]:
        return {
            "participant_id": self.participant_id,
            "role": self.role,
            "name": self.name,
            "status": self.status.value,
            "connected": self.connected,
            "muted": self.muted,
            "audio_only": self.audio_only,
            "rules_accepted": self.rules_accepted,
            "identity_verified": self.identity_verified,
            "hand_raised": self.hand_raised,
        }


@dataclass(frozen=True)
class Change:
    """What one operation did; ``delta`` is None when nothing changed."""

    events: tuple[Event, ...] = ()
    delta: dict[str, Any] | None = None

    @property
    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


NO_CHANGE = Change()


@dataclass
class RoomState:
    hearing_id: int
    grace_s: float = 60.0
    stage: Stage | None = None
    version: int = 0
    members: dict[int, Member] = field(default_factory=dict)
    barred: dict[int, Status] = field(default_factory=dict)  # from the log, not yet seen

    @classmethod
    def from_log(
        cls, hearing_id: int, events: Iterable[Event], *, grace_s: float = 60.0
    ) -> RoomState:
        """A courtroom reopened (e.g. after a restart) from its hearing's event log: the stage
        and who was removed or denied survive; presence does not, everyone reconnects."""
        room = cls(hearing_id, grace_s=grace_s)
        for kind, payload in events:
            if kind == "stage.changed" and payload.get("to") in Stage.__members__.values():
                room.stage = Stage(payload["to"])
            elif kind in ("participant.removed", "lobby.denied"):
                pid = payload.get("participant_id")
                if isinstance(pid, int):
                    removed = kind == "participant.removed"
                    room.barred[pid] = Status.REMOVED if removed else Status.DENIED
        return room

    def _changed(self, events: list[Event], pids: tuple[int, ...], stage: bool = False) -> Change:
        self.version += 1
        delta: dict[str, Any] = {
            "version": self.version,
            "members": [self.members[pid].to_json() for pid in dict.fromkeys(pids)],
        }
        if stage:
            delta["stage"] = self.stage.value if self.stage else None
        return Change(tuple(events), delta)

    def member(self, participant_id: int) -> Member:
        member = self.members.get(participant_id)
        if member is None:
            raise UnknownParticipant(f"participant {participant_id} is not in this courtroom")
        return member

    def _require_judge(self, actor_id: int) -> None:
        if self.member(actor_id).role != JUDGE:
            raise NotAllowed("only the judge may do this")

    def _require_staff(self, actor_id: int) -> None:
        if self.member(actor_id).role not in STAFF_ROLES:
            raise NotAllowed("only the judge or the clerk may do this")

    # presence -----------------------------------------------------------------------------

    def connect(
        self, participant_id: int, *, role: str, name: str, identity_verified: bool, now: float
    ) -> Change:
        """A participant's socket joins: staff are admitted, others wait in the lobby, and
        whoever returns within the grace period resumes where they were."""
        events: list[Event] = []
        member = self.members.get(participant_id)
        if member is None and participant_id in self.barred:
            raise NotAllowed(f"you were {self.barred[participant_id].value} from this hearing")
        if member is not None and member.status in BARRED:
            raise NotAllowed(f"you were {member.status.value} from this hearing")
        if member is not None and self._grace_expired(member, now):
            events.append(self._drop(member))
        if member is not None and member.status in PRESENT:
            gap_s = now - member.disconnected_at if member.disconnected_at is not None else 0.0
            member.connected = True
            member.disconnected_at = None
            member.identity_verified = member.identity_verified or identity_verified
            events.append(
                ("participant.reconnected",
                 {"participant_id": participant_id, "gap_ms": round(gap_s * 1000),
                  "status": member.status.value}),
            )  # fmt: skip
            return self._changed(events, (participant_id,))
        status = Status.ADMITTED if role in STAFF_ROLES else Status.LOBBY
        self.members[participant_id] = Member(
            participant_id, role, name, status, identity_verified=identity_verified
        )
        kind = "participant.joined" if status is Status.ADMITTED else "lobby.entered"
        events.append((kind, {"participant_id": participant_id, "role": role}))
        return self._changed(events, (participant_id,))

    def disconnect(self, participant_id: int, *, now: float) -> Change:
        """The socket dropped: keep place and admission until ``now + grace_s``."""
        member = self.members.get(participant_id)
        if member is None or not member.connected:
            return NO_CHANGE
        member.connected = False
        member.disconnected_at = now if member.status in PRESENT else None
        return self._changed(
            [("participant.disconnected", {"participant_id": participant_id})], (participant_id,)
        )

    def leave(self, participant_id: int) -> Change:
        member = self.member(participant_id)
        if member.status not in PRESENT:
            raise WrongState("you are not in this hearing")
        member.status = Status.LEFT
        member.connected = False
        member.disconnected_at = None
        return self._changed(
            [("participant.left", {"participant_id": participant_id})], (participant_id,)
        )

    def _grace_expired(self, member: Member, now: float) -> bool:
        gone_since = member.disconnected_at
        return (
            not member.connected
            and member.status in PRESENT
            and gone_since is not None
            and now - gone_since >= self.grace_s
        )

    def _drop(self, member: Member) -> Event:
        member.status = Status.LEFT
        member.disconnected_at = None
        return (
            "participant.dropped",
            {"participant_id": member.participant_id, "after_ms": round(self.grace_s * 1000)},
        )

    def anyone_expired(self, *, now: float) -> bool:
        """Whether ``sweep`` would drop anyone now."""
        return any(self._grace_expired(member, now) for member in self.members.values())

    def sweep(self, *, now: float) -> list[tuple[int, Change]]:
        """Drop everyone whose connection has been gone for the whole grace period."""
        return [
            (member.participant_id,
             self._changed([self._drop(member)], (member.participant_id,)))
            for member in self.members.values()
            if self._grace_expired(member, now)
        ]  # fmt: skip

    # the judge's acts ---------------------------------------------------------------------

    def admit(self, actor_id: int, participant_id: int) -> Change:
        self._require_judge(actor_id)
        member = self.member(participant_id)
        if member.status is not Status.LOBBY:
            raise WrongState(f"participant {participant_id} is not waiting in the lobby")
        member.status = Status.ADMITTED
        return self._changed(
            [("lobby.admitted", {"participant_id": participant_id})], (participant_id,)
        )

    def deny(self, actor_id: int, participant_id: int) -> Change:
        self._require_judge(actor_id)
        member = self.member(participant_id)
        if member.status is not Status.LOBBY:
            raise WrongState(f"participant {participant_id} is not waiting in the lobby")
        member.status = Status.DENIED
        member.connected = False
        member.disconnected_at = None
        return self._changed(
            [("lobby.denied", {"participant_id": participant_id})], (participant_id,)
        )

    def remove(self, actor_id: int, participant_id: int) -> Change:
        self._require_judge(actor_id)
        member = self.member(participant_id)
        if member.role == JUDGE:
            raise NotAllowed("the judge cannot be removed")
        if member.status not in PRESENT:
            raise WrongState(f"participant {participant_id} is not present")
        member.status = Status.REMOVED
        member.connected = False
        member.disconnected_at = None
        return self._changed(
            [("participant.removed", {"participant_id": participant_id})], (participant_id,)
        )

    def confirm_identity(self, actor_id: int, participant_id: int) -> Change:
        self._require_staff(actor_id)
        member = self.member(participant_id)
        if member.identity_verified:
            raise WrongState(f"participant {participant_id}'s identity is already confirmed")
        member.identity_verified = True
        return self._changed(
            [("identity.confirmed", {"participant_id": participant_id})], (participant_id,)
        )

    def set_muted(self, actor_id: int, participant_id: int, muted: bool) -> Change:
        self._require_judge(actor_id)
        member = self.member(participant_id)
        if member.muted == muted:
            return NO_CHANGE
        member.muted = muted
        kind = "participant.muted" if muted else "participant.unmuted"
        return self._changed([(kind, {"participant_id": participant_id})], (participant_id,))

    def set_audio_only(self, actor_id: int, participant_id: int, audio_only: bool) -> Change:
        """The judge for anyone, or a participant for themselves (e.g. a weak connection)."""
        if actor_id != participant_id:
            self._require_judge(actor_id)
        member = self.member(participant_id)
        if member.audio_only == audio_only:
            return NO_CHANGE
        member.audio_only = audio_only
        return self._changed(
            [("participant.audio_only",
              {"participant_id": participant_id, "audio_only": audio_only, "by": actor_id})],
            (participant_id,),
        )  # fmt: skip

    def raise_hand(self, participant_id: int, *, now: float) -> Change:
        """An admitted participant who is not staff asks the judge for leave to speak."""
        member = self.member(participant_id)
        if member.role in STAFF_ROLES or not member.publishes:
            raise NotAllowed("only the parties and witnesses raise their hand")
        if member.status is not Status.ADMITTED:
            raise WrongState("wait until the judge admits you")
        if member.hand_raised:
            return NO_CHANGE
        last = member.hand_raised_at
        if last is not None and now - last < HAND_INTERVAL_S:
            raise TooSoon(f"wait {HAND_INTERVAL_S:g} s before raising your hand again")
        member.hand_raised, member.hand_raised_at = True, now
        return self._changed(
            [("hand.raised", {"participant_id": participant_id})], (participant_id,)
        )

    def lower_hand(self, actor_id: int, participant_id: int) -> Change:
        """The participant themselves, or the judge or clerk (leave given, or not)."""
        if actor_id != participant_id:
            self._require_staff(actor_id)
        member = self.member(participant_id)
        if not member.hand_raised:
            return NO_CHANGE
        member.hand_raised = False
        return self._changed(
            [("hand.lowered", {"participant_id": participant_id, "by": actor_id})],
            (participant_id,),
        )

    def set_stage(self, actor_id: int, stage: Stage) -> Change:
        self._require_judge(actor_id)
        previous = self.stage
        if previous is stage:
            return NO_CHANGE
        self.stage = stage
        return self._changed(
            [("stage.changed", {"from": previous.value if previous else None, "to": stage.value})],
            (),
            stage=True,
        )

    def accept_rules(self, participant_id: int) -> Change:
        member = self.member(participant_id)
        if member.rules_accepted:
            return NO_CHANGE
        member.rules_accepted = True
        return self._changed(
            [("rules.accepted", {"participant_id": participant_id})], (participant_id,)
        )

    # views -------------------------------------------------------------------------------

    def may_have_media(self, participant_id: int) -> bool:
        """Only admitted participants are ever attached to media; the lobby gets nothing."""
        member = self.members.get(participant_id)
        return member is not None and member.status is Status.ADMITTED

    def snapshot(self) -> dict[str, Any]:
        ordered = sorted(self.members.values(), key=lambda m: m.participant_id)
        return {
            "hearing_id": self.hearing_id,
            "version": self.version,
            "stage": self.stage.value if self.stage else None,
            "members": [m.to_json() for m in ordered],
        }
