"""The names of the Socket.IO events the server sends (docs/signaling.md describes each).

The events a client sends are the wire messages' ``EVENT`` names
(``signaling.protocol.messages.PARSERS``). Both lists reach the web client through the
generated ``protocol.js``; ``tests/domain/test_protocol_js.py`` fails when the server or a
script uses an event name that is not here.
"""

from __future__ import annotations

from enum import StrEnum


class ServerEvent(StrEnum):
    ROOM = "room"
    ROOM_UPDATE = "room_update"
    STAGE = "stage"
    HEARING_STATE = "hearing_state"
    ADMITTED = "admitted"
    DENIED = "denied"
    REMOVED = "removed"
    ANSWER = "answer"
    TRACK_MAP = "track_map"
    MEDIA_FAILED = "media_failed"
    MESSAGE = "message"
    QUALITY = "quality"
    TRANSCRIPT_DELTA = "transcript_delta"
    RECORDING = "recording"
    RECORDING_ALERT = "recording_alert"
    SIGNING = "signing"
    EXPORT_PROGRESS = "export_progress"
    ERROR = "error"
