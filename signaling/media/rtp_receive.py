"""The receive shortcut: a publisher's SRTP packets go from the UDP socket straight to its hook.

aiortc receives every datagram through aioice's queue: the socket callback tries to parse it as
STUN, queues it, wakes the DTLS transport's receive task, which reads the clock, checks its
handshake, decrypts, parses and awaits the receiver's handler. For a forwarded packet that is
most of the per-packet cost. ``ReceiveShortcut`` replaces the socket callbacks of the
connection's plain UDP sockets (all of them: the browser may nominate another pair later, and
sends on that one from then on): an SRTP packet whose SSRC aiortc has already routed to a hooked
receiver is decrypted, parsed and handed to that ``ReceiverHook`` synchronously, in the
callback. Everything else — STUN, DTLS, RTCP, unknown SSRCs, a TURN or TCP pair — takes
aiortc's own path unchanged, and that path keeps learning SSRCs (from the MID extension and
payload types) as before.

``check_internals`` (rtp_hooks) covers the internals used here.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from typing import Any, Protocol

import aiortc.rtcdtlstransport as rtcdtlstransport
import pylibsrtp
from aioice.ice import CandidatePair, StunProtocol
from aiortc import RTCPeerConnection, RTCRtpReceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtp import RtpPacket

log = logging.getLogger(__name__)

# aiortc.clock.current_ms() counts from the NTP epoch (1900); time.time() from 1970.
_NTP_EPOCH_OFFSET_MS = 2_208_988_800_000
_RTP_HEADER = 12


def arrival_ms() -> int:
    """aiortc's ``clock.current_ms()`` (same origin, for the bitrate estimator), cheaper."""
    return int(time.time() * 1000) + _NTP_EPOCH_OFFSET_MS


class PacketHandler(Protocol):
    def handle(self, packet: RtpPacket, arrival_time_ms: int) -> None: ...


# Every shortcut in this process, for tests and figures; a shortcut lives as long as its
# transport (which holds it, and which it holds: the cycle goes with the peer connection).
_all: weakref.WeakSet[ReceiveShortcut] = weakref.WeakSet()
_ATTRIBUTE = "_hearing_receive_shortcut"


def _of(dtls: RTCDtlsTransport) -> ReceiveShortcut | None:
    shortcut: ReceiveShortcut | None = getattr(dtls, _ATTRIBUTE, None)
    return shortcut


def attach(receiver: RTCRtpReceiver, handler: PacketHandler) -> ReceiveShortcut | None:
    """Route ``receiver``'s packets to ``handler`` from the socket callback of its transport's
    selected pair; None (aiortc's path stays) when the pair is not plain UDP or not up."""
    dtls = receiver.transport
    shortcut = _of(dtls)
    if shortcut is None:
        shortcut = ReceiveShortcut.install(dtls)
        if shortcut is None:
            return None
        setattr(dtls, _ATTRIBUTE, shortcut)
        _all.add(shortcut)
    shortcut.handlers[receiver] = handler
    return shortcut


def shortcut_of(pc: RTCPeerConnection) -> ReceiveShortcut | None:
    """The shortcut of a peer connection's (bundled) transport, if it has one."""
    for transceiver in pc.getTransceivers():
        shortcut = _of(transceiver.receiver.transport)
        if shortcut is not None:
            return shortcut
    return None


def live_shortcuts() -> list[ReceiveShortcut]:
    """The shortcuts of transports still connected (every hearing in this process)."""
    return [s for s in list(_all) if s.connected]


def all_shortcuts() -> list[ReceiveShortcut]:
    """Every shortcut not yet collected, connected or not (for leak checks)."""
    return list(_all)


def detach(receiver: RTCRtpReceiver) -> None:
    shortcut = _of(receiver.transport)
    if shortcut is not None:
        shortcut.handlers.pop(receiver, None)


def plain_udp_pair(dtls: RTCDtlsTransport) -> CandidatePair | None:
    """The selected ICE pair when its socket is plain UDP (not TURN, not TCP), else None."""
    pair: CandidatePair | None = dtls.transport._connection._nominated.get(1)
    if pair is None or type(pair.protocol) is not StunProtocol:
        return None
    return pair


class ReceiveShortcut:
    """One DTLS transport's socket callback, taking the packets of hooked receivers."""

    def __init__(self, dtls: Any, protocols: list[StunProtocol]) -> None:
        self.handlers: dict[object, PacketHandler] = {}
        self.packets = 0  # RTP packets taken by the shortcut
        self.passed_on = 0  # RTP packets left to aiortc's path (SSRC not routed yet, not ours)
        self.failures = 0
        self._dtls = dtls
        self._ssrc_table: dict[int, object] = dtls._rtp_router.ssrc_table
        self._extensions = dtls._rtp_header_extensions_map
        self._connected = rtcdtlstransport.State.CONNECTED
        # Every plain UDP socket of the connection, not only the selected pair's: the browser
        # (controlling ICE) may nominate another pair later, e.g. IPv6 after IPv4, and sends
        # on it from then on.
        for protocol in protocols:
            protocol.datagram_received = self._receiver_for(protocol.datagram_received)  # type: ignore[method-assign,assignment]

    @classmethod
    def install(cls, dtls: RTCDtlsTransport) -> ReceiveShortcut | None:
        if dtls._state is not rtcdtlstransport.State.CONNECTED or dtls._rx_srtp is None:
            return None
        if plain_udp_pair(dtls) is None:
            return None
        connection = dtls.transport._connection
        return cls(dtls, [p for p in connection._protocols if type(p) is StunProtocol])

    @property
    def connected(self) -> bool:
        return self._dtls._state is self._connected

    def _receiver_for(self, fallback: Callable[[bytes, Any], None]) -> Callable[[bytes, Any], None]:
        def datagram_received(data: bytes, addr: Any) -> None:
            # SRTP (first byte 128-191) and not SRTCP (second byte 192-223, RFC 5761)
            if (
                len(data) > _RTP_HEADER
                and 127 < data[0] < 192
                and not 191 < data[1] < 224
                and self._dtls._state is self._connected
            ):
                handler = self.handlers.get(self._ssrc_table.get(int.from_bytes(data[8:12])))
                if handler is not None:
                    self._take(handler, data)
                    return
                self.passed_on += 1
            fallback(data, addr)

        return datagram_received

    def _take(self, handler: PacketHandler, data: bytes) -> None:
        dtls = self._dtls
        dtls._RTCDtlsTransport__rx_bytes += len(data)
        dtls._RTCDtlsTransport__rx_packets += 1
        try:
            packet = RtpPacket.parse(dtls._rx_srtp.unprotect(data), self._extensions)
        except (pylibsrtp.Error, ValueError):
            return  # as aiortc does: a packet that does not decrypt or parse is dropped
        self.packets += 1
        try:
            handler.handle(packet, arrival_ms())
        except Exception:  # never into the socket callback
            self.failures += 1
            if self.failures in (1, 10, 100) or self.failures % 10_000 == 0:
                log.exception("handling a received packet failed (%d times)", self.failures)
