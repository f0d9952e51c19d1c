"""Database tables (sqlmodel). Names are explicit so that migrations stay readable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, MetaData, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from hearing_server.domain.roles import STAFF_ROLES, Role
from hearing_server.domain.roles import StaffRole as StaffRole  # the column stores its value

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


# A participant's role is the domain's Role; the column stores its value.
ParticipantRole = Role
STAFF_PARTICIPANT_ROLES = STAFF_ROLES


def _utc_column(*, nullable: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=128)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=256)
    active: bool = True
    created_at: datetime = Field(sa_column=_utc_column())


class StaffSession(SQLModel, table=True):
    __tablename__ = "staff_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="staff_users.id", index=True)
    created_at: datetime = Field(sa_column=_utc_column())
    expires_at: datetime = Field(sa_column=_utc_column())
    revoked: bool = False


class Hearing(SQLModel, table=True):
    __tablename__ = "hearings"

    id: int | None = Field(default=None, primary_key=True)
    case_number: str = Field(max_length=64, index=True)
    title: str = Field(max_length=256)
    cause_of_action: str = Field(default="", max_length=256)
    courtroom: str = Field(default="", max_length=128)
    scheduled_start: datetime = Field(sa_column=_utc_column(index=True))
    expected_duration_minutes: int = 60
    is_public: bool = False
    state: str = Field(default="scheduled", max_length=16, index=True)
    created_by: int = Field(foreign_key="staff_users.id")
    created_at: datetime = Field(sa_column=_utc_column())
    event_count: int = 0
    event_head_hash: str = Field(default="0" * 64, max_length=64)


class Participant(SQLModel, table=True):
    __tablename__ = "participants"

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: int = Field(foreign_key="hearings.id", index=True)
    role: str = Field(max_length=16)
    display_name: str = Field(max_length=128)
    phone: str = Field(default="", max_length=32)
    email: str = Field(default="", max_length=254)
    staff_user_id: int | None = Field(default=None, foreign_key="staff_users.id", index=True)
    identity_verified: bool = False
    position: int = 0
    created_at: datetime = Field(sa_column=_utc_column())


class Invitation(SQLModel, table=True):
    __tablename__ = "invitations"

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: int = Field(foreign_key="hearings.id", index=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    account: str = Field(max_length=16, unique=True, index=True)
    code_hash: str = Field(max_length=256)
    valid_from: datetime = Field(sa_column=_utc_column())
    valid_until: datetime = Field(sa_column=_utc_column())
    created_at: datetime = Field(sa_column=_utc_column())
    created_by: int = Field(foreign_key="staff_users.id")
    used_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class PartySession(SQLModel, table=True):
    __tablename__ = "party_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    hearing_id: int = Field(foreign_key="hearings.id", index=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    invitation_id: int = Field(foreign_key="invitations.id")
    created_at: datetime = Field(sa_column=_utc_column())
    expires_at: datetime = Field(sa_column=_utc_column())
    revoked: bool = False


class HearingEvent(SQLModel, table=True):
    """Append-only log row; ``hash`` chains it to the row before (see ``eventlog``)."""

    __tablename__ = "hearing_events"
    __table_args__ = (UniqueConstraint("hearing_id", "seq", name="uq_hearing_events_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: int = Field(foreign_key="hearings.id", index=True)
    seq: int
    at: str = Field(max_length=32)
    actor: str = Field(max_length=64)
    kind: str = Field(max_length=64)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class RecordingSegment(SQLModel, table=True):
    """One closed (or recovered) recording file of one track; written with its log event."""

    __tablename__ = "recording_segments"

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: int = Field(foreign_key="hearings.id", index=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    kind: str = Field(max_length=8)
    track_id: str = Field(max_length=64)
    path: str = Field(max_length=255, unique=True)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str = Field(max_length=64)
    duration_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    start_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    end_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    recovered: bool = False
    created_at: datetime = Field(sa_column=_utc_column())
