"""Tables of the signing step: signer keys and each signer's decision (signed or refused).

Kept apart from ``models`` so that the signing code owns its schema; ``db`` imports this module
so the tables are created with the others.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text
from sqlmodel import Field, SQLModel

from hearing_server.store.models import _utc_column


class SignerKey(SQLModel, table=True):
    """An ECDSA P-256 public key a participant's browser made; usable once ``bound_at`` is set.

    ``session_kind``/``session_id`` name the party or staff session that registered it: a
    signature from any other session is refused even with the same key.
    """

    __tablename__ = "signer_keys"

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: int = Field(foreign_key="hearings.id", index=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    fingerprint: str = Field(max_length=64, index=True)
    spki_der: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    session_kind: str = Field(max_length=8)
    session_id: int
    registered_at: datetime = Field(sa_column=_utc_column())
    bound_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    bound_by: str = Field(default="", max_length=64)


class SigningRecord(SQLModel, table=True):
    """One signer's decision on one locked transcript: a verified signature, or a refusal."""

    __tablename__ = "signing_records"

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: int = Field(foreign_key="hearings.id", index=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    decision: str = Field(max_length=8)  # "signed" | "refused"
    lock_seq: int  # event seq of the transcript.locked event this decision belongs to
    transcript_sha256: str = Field(max_length=64)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    key_fingerprint: str = Field(default="", max_length=64)
    manifest: str = Field(default="", sa_column=Column(Text, nullable=False))
    manifest_sha256: str = Field(default="", max_length=64)
    signature_der: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    image_png: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    decided_at: datetime = Field(sa_column=_utc_column())
