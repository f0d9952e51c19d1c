"""Who is calling: a staff member (cookie session) or a party (exchanged session)."""

from __future__ import annotations

from dataclasses import dataclass

from hearing_server.store.models import StaffRole


@dataclass(frozen=True)
class StaffPrincipal:
    session_id: int
    user_id: int
    username: str
    display_name: str
    role: StaffRole

    @property
    def actor(self) -> str:
        return f"staff:{self.username}"


@dataclass(frozen=True)
class PartyPrincipal:
    session_id: int
    hearing_id: int
    participant_id: int
    role: str
    display_name: str

    @property
    def actor(self) -> str:
        return f"participant:{self.participant_id}"


Principal = StaffPrincipal | PartyPrincipal
