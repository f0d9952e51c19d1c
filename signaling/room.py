"""The live courtroom as a pure state machine: lobby, admission, presence, mute, stage.

No I/O and no clock: every call takes ``now`` (seconds). Each change bumps ``version`` and
returns the events to append to the hearing log; the adapter broadcasts ``snapshot()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from signaling.exceptions import NotAllowed, UnknownParticipant, WrongState
from signaling.messages import Stage

STAFF_ROLES = frozenset({"judge", "clerk"})


class Status(StrEnum):
    LOBBY = "lobby"
    ADMITTED = "admitted"
    DENIED = "denied"
    REMOVED = "removed"
    LEFT = "left"


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

    @property
    def publishes(self) -> bool:
        return self.role != "observer"

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
        }


Event = tuple[str, dict[str, Any]]


@dataclass
class RoomState:
    hearing_id: int
    grace_s: float = 60.0
    stage: Stage | None = None
    version: int = 0
    members: dict[int, Member] = field(default_factory=dict)

    def _changed(self, *events: Event) -> list[Event]:
        self.version += 1
        return list(events)

    def member(self, participant_id: int) -> Member:
        member = self.members.get(participant_id)
        if member is None:
            raise UnknownParticipant(f"participant {participant_id} is not in this courtroom")
        return member

    def _require_judge(self, actor_id: int) -> None:
        if self.member(actor_id).role != "judge":
            raise NotAllowed("only the judge may do this")

    def _require_staff(self, actor_id: int) -> None:
        if self.member(actor_id).role not in STAFF_ROLES:
            raise NotAllowed("only the judge or the clerk may do this")

    # presence -----------------------------------------------------------------------------

    def connect(
        self, participant_id: int, *, role: str, name: str, identity_verified: bool, now: float
    ) -> list[Event]:
        """A participant's socket joins: staff are admitted, parties wait, returners resume."""
        member = self.members.get(participant_id)
        if member is not None and member.status in (Status.REMOVED, Status.DENIED):
            raise NotAllowed(f"you were {member.status.value} from this hearing")
        if member is not None and member.status in (Status.ADMITTED, Status.LOBBY):
            gap_s = now - member.disconnected_at if member.disconnected_at is not None else 0.0
            member.connected = True
            member.disconnected_at = None
            return self._changed(
                ("participant.reconnected",
                 {"participant_id": participant_id, "gap_ms": int(gap_s * 1000),
                  "status": member.status.value}),
            )  # fmt: skip
        status = Status.ADMITTED if role in STAFF_ROLES else Status.LOBBY
        self.members[participant_id] = Member(
            participant_id, role, name, status, identity_verified=identity_verified
        )
        kind = "participant.joined" if status is Status.ADMITTED else "lobby.entered"
        return self._changed((kind, {"participant_id": participant_id, "role": role}))

    def disconnect(self, participant_id: int, *, now: float) -> list[Event]:
        member = self.members.get(participant_id)
        if member is None or not member.connected:
            return []
        member.connected = False
        member.disconnected_at = now
        return self._changed(("participant.disconnected", {"participant_id": participant_id}))

    def leave(self, participant_id: int) -> list[Event]:
        member = self.member(participant_id)
        member.status = Status.LEFT
        member.connected = False
        return self._changed(("participant.left", {"participant_id": participant_id}))

    def sweep(self, *, now: float) -> list[tuple[int, list[Event]]]:
        """Drop everyone whose connection has been gone longer than the grace period."""
        dropped = []
        for member in self.members.values():
            gone_since = member.disconnected_at
            if member.connected or gone_since is None or now - gone_since < self.grace_s:
                continue
            if member.status not in (Status.ADMITTED, Status.LOBBY):
                continue
            member.status = Status.LEFT
            member.disconnected_at = None
            events = self._changed(
                ("participant.dropped",
                 {"participant_id": member.participant_id, "after_ms": int(self.grace_s * 1000)}),
            )  # fmt: skip
            dropped.append((member.participant_id, events))
        return dropped

    # the judge's acts ---------------------------------------------------------------------

    def admit(self, actor_id: int, participant_id: int) -> list[Event]:
        self._require_judge(actor_id)
        member = self.member(participant_id)
        if member.status is not Status.LOBBY:
            raise WrongState(f"participant {participant_id} is not waiting in the lobby")
        member.status = Status.ADMITTED
        return self._changed(("lobby.admitted", {"participant_id": participant_id}))

    def deny(self, actor_id: int, participant_id: int) -> list[Event]:
        self._require_judge(actor_id)
        member = self.member(participant_id)
        if member.status is not Status.LOBBY:
            raise WrongState(f"participant {participant_id} is not waiting in the lobby")
        member.status = Status.DENIED
        return self._changed(("lobby.denied", {"participant_id": participant_id}))

    def remove(self, actor_id: int, participant_id: int) -> list[Event]:
        self._require_judge(actor_id)
        member = self.member(participant_id)
        if member.role == "judge":
            raise NotAllowed("the judge cannot be removed")
        if member.status in (Status.REMOVED, Status.LEFT, Status.DENIED):
            raise WrongState(f"participant {participant_id} is not present")
        member.status = Status.REMOVED
        member.connected = False
        return self._changed(("participant.removed", {"participant_id": participant_id}))

    def confirm_identity(self, actor_id: int, participant_id: int) -> list[Event]:
        self._require_staff(actor_id)
        member = self.member(participant_id)
        if member.identity_verified:
            raise WrongState(f"participant {participant_id}'s identity is already confirmed")
        member.identity_verified = True
        return self._changed(("identity.confirmed", {"participant_id": participant_id}))

    def set_muted(self, actor_id: int, participant_id: int, muted: bool) -> list[Event]:
        self._require_judge(actor_id)
        member = self.member(participant_id)
        if member.muted == muted:
            return []
        member.muted = muted
        kind = "participant.muted" if muted else "participant.unmuted"
        return self._changed((kind, {"participant_id": participant_id}))

    def set_audio_only(self, actor_id: int, participant_id: int, audio_only: bool) -> list[Event]:
        if actor_id != participant_id:
            self._require_judge(actor_id)
        member = self.member(participant_id)
        if member.audio_only == audio_only:
            return []
        member.audio_only = audio_only
        return self._changed(
            ("participant.audio_only",
             {"participant_id": participant_id, "audio_only": audio_only, "by": actor_id}),
        )  # fmt: skip

    def set_stage(self, actor_id: int, stage: Stage) -> list[Event]:
        self._require_judge(actor_id)
        previous = self.stage
        self.stage = stage
        return self._changed(
            ("stage.changed", {"from": previous.value if previous else None, "to": stage.value})
        )

    def accept_rules(self, participant_id: int) -> list[Event]:
        member = self.member(participant_id)
        if member.rules_accepted:
            return []
        member.rules_accepted = True
        return self._changed(("rules.accepted", {"participant_id": participant_id}))

    # views -------------------------------------------------------------------------------

    def may_have_media(self, participant_id: int) -> bool:
        member = self.members.get(participant_id)
        return member is not None and member.status is Status.ADMITTED

    def snapshot(self) -> dict[str, Any]:
        return {
            "hearing_id": self.hearing_id,
            "version": self.version,
            "stage": self.stage.value if self.stage else None,
            "members": [m.to_json() for m in sorted(self.members.values(),
                                                    key=lambda m: m.participant_id)],
        }  # fmt: skip
