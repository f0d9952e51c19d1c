"""A media engine for service and wiring tests: it records every call made through the
``MediaPort`` and plays faults (an offer of "refuse me" is refused). A port, so a fake."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hearing_server.services.ports import FailedCallback, FrameTap, SlotTrack, TrackMapCallback
from signaling.protocol.media_errors import BadSdp, NotAttached


def _ignore_track_map(_subscriber: int, _map: Mapping[str, SlotTrack]) -> None:
    return None


def _ignore_failure(_participant: int) -> None:
    return None


@dataclass(frozen=True)
class Track:
    mid: str
    kind: str
    participant_id: int


@dataclass
class RecordingMedia:
    hearing_id: int = 0
    on_track_map: TrackMapCallback = _ignore_track_map
    on_failed: FailedCallback = _ignore_failure
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    attached: set[int] = field(default_factory=set)
    tap: FrameTap | None = None  # the recording's, while the hearing is recorded
    keyframes_asked: list[tuple[int, str]] = field(default_factory=list)

    async def attach(
        self, participant_id: int, offer_sdp: str, *, publish: bool, receive: bool
    ) -> str:
        if offer_sdp == "refuse me":
            raise BadSdp("the offer has no VP8")
        self.calls.append(("attach", participant_id, publish, receive))
        self.attached.add(participant_id)
        return f"answer for {participant_id}"

    async def detach(self, participant_id: int) -> None:
        self.calls.append(("detach", participant_id))
        self.attached.discard(participant_id)

    def set_audio_muted(self, participant_id: int, muted: bool) -> None:
        self.calls.append(("muted", participant_id, muted))

    def set_audio_only(self, participant_id: int, audio_only: bool) -> None:
        if participant_id not in self.attached:
            raise NotAttached("not attached")
        self.calls.append(("audio_only", participant_id, audio_only))

    def track_map(self, participant_id: int) -> Mapping[str, SlotTrack]:
        others = sorted(self.attached - {participant_id})
        return {
            f"{index}{kind[0]}": Track(f"{index}{kind[0]}", kind, other)
            for index, other in enumerate(others)
            for kind in ("audio", "video")
        }

    def set_packet_tap(self, tap: FrameTap | None) -> None:
        self.tap = tap

    def request_keyframe(self, participant_id: int, kind: str) -> None:
        self.keyframes_asked.append((participant_id, kind))

    async def close(self) -> None:
        self.calls.append(("close",))
