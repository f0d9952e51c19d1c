"""Edge validation of client messages, and TURN REST credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest

from signaling.exceptions import BadMessage
from signaling.ice import ice_servers_for, turn_credentials
from signaling.messages import Admit, Mute, Offer, SetStage, Stage, parse_message

GOOD = [
    ("admit", {"participant_id": 3}, Admit(3)),
    ("mute", {"participant_id": 3, "muted": True}, Mute(3, True)),
    ("set_stage", {"stage": "debate"}, SetStage(Stage.DEBATE)),
    ("offer", {"sdp": "v=0\r\n"}, Offer("v=0\r\n")),
]


@pytest.mark.parametrize(("event", "data", "expected"), GOOD)
def test_good_messages(event: str, data: dict[str, Any], expected: object) -> None:
    assert parse_message(event, data) == expected


BAD = [
    ("admit", [1, 2], "JSON object"),
    ("admit", "3", "JSON object"),
    ("admit", {}, "participant_id"),
    ("admit", {"participant_id": "3"}, "participant_id"),
    ("admit", {"participant_id": True}, "participant_id"),
    ("admit", {"participant_id": -1}, "participant_id"),
    ("mute", {"participant_id": 3, "muted": "yes"}, "muted"),
    ("set_stage", {"stage": "lunch"}, "stage must be one of"),
    ("offer", {"sdp": ""}, "sdp"),
    ("offer", {"sdp": 5}, "sdp"),
    ("offer", {"sdp": "x" * 70_000}, "larger than"),
    ("admit", {"participant_id": 3, "pad": "x" * 100_000}, "larger than"),
    ("launch_missiles", {}, "unknown event"),
]


@pytest.mark.parametrize(("event", "data", "message"), BAD)
def test_bad_messages(event: str, data: Any, message: str) -> None:
    with pytest.raises(BadMessage, match=message):
        parse_message(event, data)


def test_turn_rest_credentials_match_coturn_scheme() -> None:
    username, credential = turn_credentials("s3cret", "42", now_s=1_700_000_000, ttl_s=3600)
    assert username == "1700003600:42"
    expected = base64.b64encode(
        hmac.new(b"s3cret", b"1700003600:42", hashlib.sha1).digest()
    ).decode()
    assert credential == expected
    servers = ice_servers_for(
        ("stun:stun.court.test:3478", "turn:turn.court.test:3478?transport=udp"),
        turn_secret="s3cret", user="42", now_s=1_700_000_000, ttl_s=3600,
    )  # fmt: skip
    assert servers[0] == {"urls": ["stun:stun.court.test:3478"]}
    assert servers[1]["username"] == username
    assert ice_servers_for((), turn_secret="", user="1", now_s=0, ttl_s=1) == []
