"""What a rendering puts above the record: court, case number, title, parties, date.

``hearing_header`` is the one place that decides who is a party on the record: both the
transcript PDF served to staff and the sealed bundle's PDF are headed by it. Parties are the
roles in ``PARTY_ROLES``; the judge and the clerk make the record and observers only watch, so
neither is listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hearing_server.domain.clock import iso_utc
from hearing_server.domain.roles import PARTY_ROLES
from transcript.values import check_name


@dataclass(frozen=True)
class HeaderParty:
    role: str
    name: str

    def __post_init__(self) -> None:
        check_name(self.role, "party role")
        check_name(self.name, "party name")


@dataclass(frozen=True)
class HearingHeader:
    court_name: str
    case_number: str
    title: str
    parties: tuple[HeaderParty, ...]
    date: str

    def __post_init__(self) -> None:
        for what, value in (
            ("court name", self.court_name),
            ("case number", self.case_number),
            ("title", self.title),
            ("date", self.date),
        ):
            check_name(value, what)


class HeaderHearing(Protocol):
    """The facts of a hearing the header shows (the ``hearings`` row has them)."""

    @property
    def case_number(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def scheduled_start(self) -> datetime: ...


class HeaderParticipant(Protocol):
    """One participant of the hearing (a ``participants`` row)."""

    @property
    def id(self) -> int | None: ...
    @property
    def role(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def position(self) -> int: ...


def hearing_header(
    hearing: HeaderHearing, participants: Iterable[HeaderParticipant], *, court_name: str
) -> HearingHeader:
    """The header of the record: the parties in the hearing's own order (position, then id)."""
    ordered = sorted(participants, key=lambda p: (p.position, p.id or 0))
    parties = tuple(HeaderParty(p.role, p.display_name) for p in ordered if p.role in PARTY_ROLES)
    return HearingHeader(
        court_name=court_name,
        case_number=hearing.case_number,
        title=hearing.title,
        parties=parties,
        date=iso_utc(hearing.scheduled_start)[:10],
    )
