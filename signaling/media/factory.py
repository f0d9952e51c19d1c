"""The real media engine for a hearing, as the composition root builds it."""

from __future__ import annotations

from collections.abc import Callable

from aiortc import RTCIceServer

from signaling.media.hearing_media import HearingMedia, TrackMap


def server_ice_servers(urls: tuple[str, ...]) -> list[RTCIceServer]:
    """The server's own peer connections use the configured STUN servers only, and none when
    none are configured (aiortc would otherwise reach for a public STUN server)."""
    stun = [url for url in urls if url.startswith(("stun:", "stuns:"))]
    return [RTCIceServer(urls=stun)] if stun else []


def aiortc_media_factory(ice_urls: tuple[str, ...]) -> Callable[..., HearingMedia]:
    def build(
        hearing_id: int,
        *,
        on_track_map: Callable[[int, TrackMap], None],
        on_failed: Callable[[int], None],
    ) -> HearingMedia:
        return HearingMedia(
            hearing_id,
            ice_servers=server_ice_servers(ice_urls),
            on_track_map=on_track_map,
            on_failed=on_failed,
        )

    return build
