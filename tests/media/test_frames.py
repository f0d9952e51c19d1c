"""Whole VP8 frames for the recording, reassembled from forwarded packets."""

from __future__ import annotations

from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtp import RtpPacket

from bench.synthetic import Clip
from signaling.media.frames import Vp8FrameAssembler
from signaling.media.rtp_packets import vp8_descriptor


def packetise(frames: list[bytes], *, split: int = 300) -> list[list[RtpPacket]]:
    seq, out = 65534, []
    for index, frame in enumerate(frames):
        pieces = [frame[i : i + split] for i in range(0, len(frame), split)]
        payloads = []
        for number, piece in enumerate(pieces):  # small packets: several per frame
            whole = Vp8Encoder._packetize(piece, index)[0]
            if number:  # continuation: S=0
                whole = bytes([whole[0] & ~0x10]) + whole[1:]
            payloads.append(whole)
        packets = []
        for number, payload in enumerate(payloads):
            marker = int(number == len(payloads) - 1)
            packets.append(RtpPacket(97, marker, seq & 0xFFFF, 3000 * index, 5, payload))
            seq += 1
        out.append(packets)
    return out


def run(assembler: Vp8FrameAssembler, packets: list[RtpPacket]) -> list[tuple[bytes, bool]]:
    frames = []
    for packet in packets:
        descriptor = vp8_descriptor(packet.payload)
        assert descriptor is not None
        frame = assembler.add(packet, descriptor)
        if frame is not None:
            frames.append((frame, assembler.keyframe))
    return frames


def test_frames_come_back_whole_across_the_sequence_wrap(clip: Clip) -> None:
    originals = [clip.video_intra[0], *clip.video[1:6]]
    frames = run(Vp8FrameAssembler(), [p for f in packetise(originals) for p in f])
    assert frames == [(f, i == 0) for i, f in enumerate(originals)]


def test_a_lost_packet_loses_frames_until_the_next_keyframe(clip: Clip) -> None:
    originals = [clip.video_intra[0], clip.video[1], clip.video[2], clip.video_intra[3]]
    framed = packetise(originals, split=40)
    assert len(framed[1]) > 1
    del framed[1][0]  # the start of frame 1
    assembler = Vp8FrameAssembler()
    packets = [p for f in framed for p in f]
    late_copy = framed[0][0]  # a retransmission of frame 0 arriving late
    after_frame_0 = len(framed[0]) + 1
    frames = run(assembler, [*packets[:after_frame_0], late_copy, *packets[after_frame_0:]])
    assert frames == [(originals[0], True), (originals[3], True)]
    assert assembler.lost == 2  # frame 1 (incomplete) and frame 2 (no reference)
