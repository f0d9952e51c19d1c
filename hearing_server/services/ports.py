"""What the services need from the outside: a ``Notifier`` and a media engine (``MediaPort``).

The services only talk to a ``MediaPort``; ``signaling.media.factory`` builds the real forwarding
engine (``HearingMedia``), which satisfies it structurally. Tests or a deployment without media
can pass any other factory. Every method may raise ``signaling.protocol.media_errors.MediaError``
with a message that is safe for the client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol


class Notifier(Protocol):
    """How the services tell people what happened; the Socket.IO adapter implements it.

    Called only after the act's transaction has committed. A connection is the opaque id the
    adapter gave when the participant connected (``Courtroom.sids``). Each call is best effort:
    a participant who is not connected simply misses it (they get the state on rejoining)."""

    async def to_hearing(self, hearing_id: int, event: str, data: Any) -> None:
        """Everyone connected to the hearing's courtroom, the waiting room included."""
        ...

    async def to_connection(self, connection: str, event: str, data: Any) -> None:
        """One connection."""
        ...

    async def seat(self, hearing_id: int, connection: str) -> None:
        """The connection starts receiving ``to_hearing`` messages of that hearing."""
        ...

    async def drop(self, hearing_id: int, connection: str) -> None:
        """The connection stops receiving the hearing's messages now and is closed soon
        (denied, removed, replaced by a newer one); must not wait for the close."""
        ...


class SlotTrack(Protocol):
    """What arrives on one of a subscriber's receive sections."""

    @property
    def mid(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def participant_id(self) -> int: ...


TrackMapCallback = Callable[[int, Mapping[str, SlotTrack]], None]  # (subscriber id, map)
FailedCallback = Callable[[int], None]  # participant id whose connection failed


class TappedTrack(Protocol):
    """The publication a frame handed to the recording's tap comes from."""

    @property
    def kind(self) -> str: ...  # "audio" or "video"
    @property
    def participant_id(self) -> int: ...


# (publication, one whole encoded frame, its RTP timestamp, keyframe) → the recording
FrameTap = Callable[[TappedTrack, bytes, int, bool], None]


class MediaPort(Protocol):
    async def attach(
        self, participant_id: int, offer_sdp: str, *, publish: bool, receive: bool
    ) -> str:
        """Negotiate (or replace) the participant's connection; return the answer SDP."""
        ...

    async def detach(self, participant_id: int) -> None: ...
    def set_audio_muted(self, participant_id: int, muted: bool) -> None: ...
    def set_audio_only(self, participant_id: int, audio_only: bool) -> None:
        """Raises ``NotAttached`` before the participant's first offer."""
        ...

    def track_map(self, participant_id: int) -> Mapping[str, SlotTrack]: ...
    def set_packet_tap(self, tap: FrameTap | None) -> None:
        """Every frame the court hears or sees, of every publication present and future, also
        goes to ``tap`` (the recording's feed; muted audio does not); None stops it."""
        ...

    def request_keyframe(self, participant_id: int, kind: str) -> None:
        """Ask the participant's ``kind`` publication for a keyframe (the recording restarts
        from one); nothing if they publish none."""
        ...

    async def close(self) -> None: ...


class MediaFactory(Protocol):
    def __call__(
        self, hearing_id: int, *, on_track_map: TrackMapCallback, on_failed: FailedCallback
    ) -> MediaPort: ...


def track_map_to_wire(track_map: Mapping[str, SlotTrack]) -> dict[str, Any]:
    """The ``track_map`` event: slots grouped per participant, and the same per mid."""
    slots: dict[int, dict[str, Any]] = {}
    for track in track_map.values():
        entry = slots.setdefault(track.participant_id, {"participant_id": track.participant_id})
        entry[f"{track.kind}_mid"] = track.mid
    return {
        "slots": [slots[pid] for pid in sorted(slots)],
        "tracks": {
            mid: {"participant_id": track.participant_id, "kind": track.kind}
            for mid, track in sorted(track_map.items())
        },
    }
