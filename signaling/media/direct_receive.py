"""Skip the receiver's decoder thread: hand encoded frames to the track on the event loop.

aiortc's ``RTCRtpReceiver`` puts every complete frame into a ``queue.Queue`` read by a decoder
thread, which hands the result back to the loop with ``run_coroutine_threadsafe``. With
pass-through "decoding" that round trip is pure overhead (two thread wake-ups and GIL hand-offs
per frame). ``DirectFrameQueue`` stands in for that queue: ``put`` converts the frame on the
loop and queues the packet on the track at once; the decoder thread only waits for the stop.
Like ``passthrough``, this relies on aiortc 1.16 internals, checked by ``check_receiver``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from aiortc import RTCRtpReceiver

from signaling.media.passthrough import passthrough_decoder

_QUEUE_ATTRIBUTE = "_RTCRtpReceiver__decoder_queue"


class DirectFrameQueue:
    def __init__(self, receiver: RTCRtpReceiver) -> None:
        self._receiver = receiver
        self._decoders: dict[str, Any] = {}
        self._stopped = threading.Event()

    def put(self, item: Any) -> None:
        track_queue: asyncio.Queue[Any] = self._receiver._track._queue  # type: ignore[union-attr]
        if item is None:
            self._stopped.set()
            track_queue.put_nowait(None)
            return
        codec, encoded_frame = item
        decoder = self._decoders.get(codec.mimeType)
        if decoder is None:
            decoder = self._decoders[codec.mimeType] = passthrough_decoder(codec)
        for packet in decoder.decode(encoded_frame):
            track_queue.put_nowait(packet)

    def get(self) -> None:
        """Called by aiortc's decoder thread: there is nothing to decode, wait for the stop."""
        self._stopped.wait()


def check_receiver(receiver: RTCRtpReceiver) -> None:
    if not hasattr(receiver, _QUEUE_ATTRIBUTE) or not hasattr(receiver, "_track"):
        raise RuntimeError("aiortc internals moved: RTCRtpReceiver has no decoder queue")


def use_direct_frames(receiver: RTCRtpReceiver) -> None:
    """Install before the receiver starts (i.e. before the remote description is applied)."""
    check_receiver(receiver)
    setattr(receiver, _QUEUE_ATTRIBUTE, DirectFrameQueue(receiver))
