"""The seam for speech-to-text: an engine proposes drafts, a clerk or judge decides.

A draft is never part of the record. The clerk may take one (possibly edited) into the
transcript with ``Transcript.add_entry``, which is where authorship and roles are checked.
No engine is bundled; this module only fixes the interface one must provide.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from transcript.exceptions import InvalidInput
from transcript.values import check_name, check_offset_ms, check_text


@dataclass(frozen=True)
class DraftEntry:
    """A proposed entry: who the engine thinks spoke, what, and when on the hearing timeline."""

    draft_id: str
    participant_id: str
    text: str
    media_offset_ms: int
    duration_ms: int
    confidence_permille: int
    engine: str

    def __post_init__(self) -> None:
        check_name(self.draft_id, "draft id")
        check_name(self.participant_id, "draft participant id")
        check_text(self.text, "draft text")
        check_offset_ms(self.media_offset_ms)
        check_offset_ms(self.duration_ms)
        check_name(self.engine, "draft engine")
        if not 0 <= self.confidence_permille <= 1000:
            raise InvalidInput("confidence_permille must be within 0..1000")


class DraftSource(Protocol):
    """A speech-to-text engine attached to one hearing's audio."""

    def drafts(self) -> AsyncIterator[DraftEntry]:
        """Drafts as they are recognised, in timeline order, until the source is closed."""
        ...

    async def close(self) -> None:
        """Stop recognising and end the ``drafts()`` iteration; safe to call twice."""
        ...
