"""Short written messages in the courtroom, like the instant messages between a hearing's clerk
and its participants in HMCTS's video hearings service.

- The judge or clerk writes to everyone connected, the waiting room included ("We start in ten
  minutes"), or to one participant ("Please unmute").
- Anyone else writes to the court, that is to the judge and clerk only ("I cannot hear the
  judge"): parties cannot address each other or the room, as in a courtroom.

Each message is an event in the hearing's log (``message.sent``, with who received it), so it
leaves the same trace as every other act, and a courtroom reopened after a restart rebuilds its
board from the log (``MessageBoard.from_log``). Non-staff senders are rate limited. Pure: it
decides whether a message may be sent and to whom; the namespace logs and delivers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hearing_server.domain.roles import STAFF_ROLES
from signaling.protocol.exceptions import NotAllowed, WrongState
from signaling.protocol.messages import CourtMessage
from signaling.protocol.room import PRESENT, Event, RoomState

MIN_INTERVAL_S = 2.0  # between two messages of one participant who is not staff
MAX_PER_PARTICIPANT = 50  # messages one participant who is not staff may send in a courtroom
HISTORY = 50  # the latest messages, for a phone that (re)joins


class TooManyMessages(NotAllowed):
    code = "too_many_messages"


@dataclass(frozen=True)
class Delivery:
    recipients: frozenset[int]  # participant ids (the sender included: their screen shows it)
    wire: dict[str, Any]  # the ``message`` event
    event: Event  # for the hearing's log


@dataclass
class MessageBoard:
    """What one courtroom's messages need to remember: numbering and the senders' pace."""

    sent: int = 0
    last_at: dict[int, float] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)
    history: deque[Delivery] = field(default_factory=lambda: deque(maxlen=HISTORY))

    @classmethod
    def from_log(cls, events: Iterable[Event]) -> MessageBoard:
        """The board of a courtroom reopened from its log: numbering, each sender's count and
        the latest messages (pacing starts afresh)."""
        board = cls()
        for kind, payload in events:
            if kind != "message.sent":
                continue
            board.sent += 1
            sender, role = payload.get("from"), payload.get("role")
            if isinstance(sender, int) and isinstance(role, str) and role not in STAFF_ROLES:
                board.counts[sender] = board.counts.get(sender, 0) + 1
            recipients = payload.get("recipients")
            if isinstance(sender, int) and isinstance(recipients, list):  # (older: counted only)
                wire = _wire(board.sent, sender, payload)
                board.history.append(Delivery(frozenset(recipients), wire, (kind, payload)))
        return board

    def visible_to(self, participant_id: int) -> list[dict[str, Any]]:
        """The latest messages this participant received or sent, oldest first."""
        return [d.wire for d in self.history if participant_id in d.recipients]

    def send(
        self, state: RoomState, sender: int, message: CourtMessage, *, now_s: float, at: str
    ) -> Delivery:
        """Check the message against the sender's role and pace; raise or say who gets it."""
        me = state.member(sender)
        if me.status not in PRESENT:
            raise WrongState("you are not in the courtroom")
        staff = frozenset(p for p, m in state.members.items() if m.role in STAFF_ROLES)
        if me.role in STAFF_ROLES:
            if message.to is None:
                audience = "everyone"
                recipients = frozenset(p for p, m in state.members.items() if m.status in PRESENT)
            else:
                target = state.member(message.to)
                if target.status not in PRESENT:
                    raise WrongState(f"participant {message.to} is not in the courtroom")
                audience = "participant"
                recipients = staff | {message.to}
        else:
            if message.to is not None:
                raise NotAllowed("you can write to the court only (leave out 'to')")
            if self.counts.get(sender, 0) >= MAX_PER_PARTICIPANT:
                raise TooManyMessages(f"at most {MAX_PER_PARTICIPANT} messages per hearing")
            last = self.last_at.get(sender)
            if last is not None and now_s - last < MIN_INTERVAL_S:
                raise TooManyMessages(f"wait {MIN_INTERVAL_S:g} s between messages")
            self.last_at[sender] = now_s
            self.counts[sender] = self.counts.get(sender, 0) + 1
            audience = "court"
            recipients = staff | {sender}
        self.sent += 1
        payload = {
            "from": sender, "name": me.name, "role": me.role, "audience": audience,
            "to": message.to, "text": message.text, "at": at, "recipients": sorted(recipients),
        }  # fmt: skip
        delivery = Delivery(
            recipients, _wire(self.sent, sender, payload), ("message.sent", payload)
        )
        self.history.append(delivery)
        return delivery


def _wire(number: int, sender: int, payload: dict[str, Any]) -> dict[str, Any]:
    """The ``message`` event for a logged ``message.sent``."""
    return {
        "id": number,
        "from": {
            "participant_id": sender,
            "name": payload.get("name"),
            "role": payload.get("role"),
        },
        "audience": payload.get("audience"),
        "to": payload.get("to"),
        "text": payload.get("text"),
        "at": payload.get("at"),
    }
