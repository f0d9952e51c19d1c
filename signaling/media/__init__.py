"""WebRTC media: forward every published track's RTP packets as they are, never decoding them.

The API the signaling layer drives is ``hearing_media.HearingMedia``, one per hearing, owned by
one event loop, in a process where ``passthrough.install()`` has switched aiortc to pass-through
(once; the composition root, ``hearing_server/app.py``, does it at start-up)::

    media = HearingMedia(hearing_id, ice_servers=[...], on_track_map=..., on_failed=...)
    answer_sdp = await media.attach(participant_id, offer_sdp, publish=True, receive=True)
    answer_sdp = await media.replace(participant_id, offer_sdp)   # reconnect, same role
    await media.detach(participant_id)                            # left / removed / lobby
    media.set_audio_muted(participant_id, True)     # nobody gets this publisher's audio
    media.set_audio_only(participant_id, True)      # this subscriber gets no video
    media.track_map(participant_id)                 # {mid: IncomingTrack(mid, kind, publisher)}
    await media.close()

Every error is a ``exceptions.MediaError`` (``BadSdp``, ``NegotiationFailed``, ``NotAttached``)
whose ``message`` is safe to show the client.

The client's offer: one send (``sendonly``/``sendrecv``) audio and video section for its own
media, then pairs of ``recvonly`` audio+video sections, the slots (7 for up to 8 people). The
server answers with VP8 and Opus only. Joining and leaving never renegotiate a connection: the
server re-points slots and reports the new map through ``on_track_map(subscriber_id, map)``.

Forwarding is RTP-level: a publisher's packets, once SRTP-decrypted, go straight out on every
subscriber's connection with a rewritten header (SSRC, payload type, sequence number,
timestamp, the extensions that subscriber negotiated); there is no jitter buffer, frame
assembly, packetiser or queue on the way (about -30% server CPU against forwarding frames).
Video to a subscriber starts at a keyframe (asked for with a PLI); numbering stays continuous
across source switches and skipped stretches; NACKs are answered from a per-slot history on the
RTX stream; sender reports follow the publisher's own ones (lip sync). Only a recorded track
is assembled into whole frames (``frames``), for the recording's tap. On the way in, a packet
whose SSRC aiortc has routed to a publishing receiver goes from the UDP socket's callback
straight to that receiver's hook (``rtp_receive``), skipping aioice's queue and the DTLS receive
task; the first packets of each SSRC, RTCP, DTLS, STUN and TURN/TCP pairs keep aiortc's path.

Modules: ``rtp_hooks`` (receiving), ``rtp_send`` (sending), ``rtp_receive``, ``estimator`` and
``passthrough`` (the only places touching aiortc internals, all checked at start-up by
``rtp_hooks.check_internals``), ``rtp_packets`` (header and VP8 descriptor arithmetic),
``forwarding`` (a subscriber slot: keyframe gating, rewriting, NACK history, sender reports),
``publication`` (a published track: fan-out to its slots, the recording's tap, keyframe
requests), ``frames`` (frames for the recording), ``peer`` (one participant's peer connection),
``sdp_guard`` (offer limits), ``hearing_media`` (the hearing), ``exceptions``.
"""
