"""WebRTC media: forward every published track as encoded packets, never decoding them.

The API the signaling layer drives is ``hearing_media.HearingMedia``, one per hearing, owned by
one event loop::

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

Modules: ``passthrough`` (the only place touching aiortc internals), ``forwarding`` (fan-out,
queues, keyframe gating), ``peer`` (one participant's peer connection), ``sdp_guard`` (offer
limits), ``hearing_media`` (the hearing), ``exceptions``.
"""
