"""Edge validation of client messages, and TURN REST credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest

from signaling.protocol.exceptions import BadMessage
from signaling.protocol.ice import ice_servers_for, turn_credentials
from signaling.protocol.messages import (
    EVENTS,
    Admit,
    CourtMessage,
    IceCandidate,
    Join,
    Mute,
    Offer,
    SetStage,
    Stage,
    parse_message,
)

GOOD = [
    ("admit", {"participant_id": 3}, Admit(3)),
    ("mute", {"participant_id": 3, "muted": True}, Mute(3, True)),
    ("set_stage", {"stage": "debate"}, SetStage(Stage.DEBATE)),
    ("offer", {"sdp": "v=0\r\n"}, Offer("v=0\r\n")),
    ("unmute", {"participant_id": 3, "muted": True}, Mute(3, False)),
    ("join", None, Join()),
    ("join", {"anything": "ignored"}, Join()),
    ("admit", {"participant_id": 3, "extra": [1]}, Admit(3)),
    ("ice_candidate", {"candidate": "candidate:1 1 udp 1 10.0.0.1 9 typ host"},
     IceCandidate("candidate:1 1 udp 1 10.0.0.1 9 typ host", None, None)),
    ("ice_candidate", {"candidate": "c", "sdp_mid": "0", "sdp_mline_index": 0},
     IceCandidate("c", "0", 0)),
    ("message", {"text": " 十分钟后开庭 "}, CourtMessage("十分钟后开庭", None)),
    ("message", {"text": "Please unmute", "to": 7}, CourtMessage("Please unmute", 7)),
    ("message", {"text": "x" * 500, "to": None}, CourtMessage("x" * 500, None)),
]  # fmt: skip


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
    ("admit", {"participant_id": 2**53}, "participant_id"),
    ("admit", {"participant_id": 1.5}, "participant_id"),
    ("set_audio_only", {"participant_id": 3}, "audio_only"),
    ("raise_hand", {"participant_id": 3}, "takes no fields"),
    ("lower_hand", {"participant_id": 0}, "participant_id"),
    ("set_stage", {}, "stage must be one of"),
    ("set_stage", {"stage": ["debate"]}, "stage must be one of"),
    ("unmute", {}, "participant_id"),
    ("ice_candidate", {}, "candidate"),
    ("ice_candidate", {"candidate": "c" * 1025}, "larger than 1024"),
    ("ice_candidate", {"candidate": "c", "sdp_mid": 0}, "sdp_mid"),
    ("ice_candidate", {"candidate": "c", "sdp_mid": "m" * 65}, "sdp_mid"),
    ("ice_candidate", {"candidate": "c", "sdp_mline_index": 64}, "sdp_mline_index"),
    ("ice_candidate", {"candidate": "c", "sdp_mline_index": True}, "sdp_mline_index"),
    ("offer", {"sdp": "€" * 22_000}, "larger than"),  # 66 KB in UTF-8
    ("join", {"x": float("nan")}, "plain JSON"),
    ("message", {}, "text must be a non-empty string"),
    ("message", {"text": "   "}, "text must be a non-empty string"),
    ("message", {"text": "x" * 501}, "longer than 500"),
    ("message", {"text": "hi", "to": "7"}, "to must be"),
    ("message", {"text": "hi", "to": 0}, "to must be"),
    ("message", {"text": "hi", "to": True}, "to must be"),
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


def test_every_documented_event_has_a_parser() -> None:
    documented = {
        "join", "offer", "ice_candidate", "admit", "deny", "remove", "confirm_identity", "mute",
        "unmute", "set_audio_only", "raise_hand", "lower_hand", "set_stage", "accept_rules",
        "leave",
    }  # fmt: skip
    assert documented == EVENTS
    assert {s.value for s in Stage} == {
        "identity_check", "court_discipline", "investigation", "evidence", "debate",
        "final_statements", "mediation", "closing",
    }  # fmt: skip


def test_messages_are_frozen() -> None:
    message = Admit.from_wire({"participant_id": 3})
    with pytest.raises(AttributeError):
        message.participant_id = 4  # type: ignore[misc]


def test_turn_needs_a_secret_and_stun_is_passed_as_is() -> None:
    urls = ("stun:a.test", "stuns:b.test", "turn:c.test", "turns:d.test:5349", "http://x")
    servers = ice_servers_for(urls, turn_secret="", user="7", now_s=0, ttl_s=60)
    assert servers == [{"urls": ["stun:a.test", "stuns:b.test"]}]
    with_turn = ice_servers_for(urls, turn_secret="k", user="7", now_s=100, ttl_s=60)
    assert with_turn[1]["urls"] == ["turn:c.test", "turns:d.test:5349"]
    expiry, user = with_turn[1]["username"].split(":")
    assert (int(expiry), user) == (160, "7")
    digest = base64.b64decode(with_turn[1]["credential"])
    assert digest == hmac.new(b"k", b"160:7", hashlib.sha1).digest()
