"""What a rendering puts above the record: court, case number, title, parties, date."""

from __future__ import annotations

from dataclasses import dataclass

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
