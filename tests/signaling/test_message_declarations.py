"""Every wire message is a declaration the one validation mechanism reads; hostile payloads
get a clear ``BadMessage``."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from hearing_server.domain.validation import Integer, InvalidFields, Number, declarations, read
from signaling.protocol import messages as m
from signaling.protocol.exceptions import BadMessage
from signaling.protocol.wire_message import WireMessage

ROOT = Path(__file__).resolve().parents[2]
CLASSES: dict[str, type[WireMessage]] = {
    name: cls
    for name in m.__all__
    if isinstance(cls := getattr(m, name), type) and issubclass(cls, WireMessage)
}
# The modules that read the fields of parsed messages.
READERS = ("signaling/namespace.py", "hearing_server/services/transcript_live.py",
           "signaling/protocol/court_messages.py")  # fmt: skip


def _declared(cls: type[WireMessage]) -> set[str]:
    return {field.name for field in declarations(cls)}


def test_every_event_parses_into_a_class_whose_every_field_is_declared() -> None:
    parsed = {parser.__self__ for parser in m.PARSERS.values() if hasattr(parser, "__self__")}
    assert parsed | {m.Mute} == set(CLASSES.values()) - {m.ParticipantAct}
    for cls in CLASSES.values():
        assert _declared(cls) == {field.name for field in dataclasses.fields(cls)}, cls
    assert len({cls.EVENT for cls in parsed}) == len(parsed)


def test_every_message_field_the_server_reads_is_declared() -> None:
    """``case m.Admit(participant_id=...)`` and ``message.x`` may only name declared fields."""
    any_field = set().union(*(_declared(cls) for cls in CLASSES.values()))
    checked = 0
    for path in READERS:
        for node in ast.walk(ast.parse((ROOT / path).read_text(encoding="utf-8"))):
            if isinstance(node, ast.MatchClass) and isinstance(node.cls, ast.Attribute):
                cls = CLASSES[node.cls.attr]
                assert set(node.kwd_attrs) <= _declared(cls), (path, node.cls.attr)
                checked += 1
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "message"
            ):
                assert node.attr in any_field, (path, node.lineno, node.attr)
                checked += 1
    assert checked > 30


def _number_fields() -> list[tuple[type[WireMessage], str]]:
    return [
        (cls, field.name)
        for cls in CLASSES.values()
        for field in declarations(cls)
        if isinstance(field.rule, Integer | Number)
    ]


@pytest.mark.parametrize(("cls", "name"), _number_fields())
@pytest.mark.parametrize("value", [True, False, "1", [1], {"n": 1}])
def test_no_number_field_takes_a_bool_or_another_type(
    cls: type[WireMessage], name: str, value: Any
) -> None:
    with pytest.raises(InvalidFields) as caught:
        read(cls, {name: value})
    assert name in caught.value.fields


def _nested(depth: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for _ in range(depth):
        data = {"x": data}
    return data


@pytest.mark.parametrize("event", sorted(m.PARSERS))
def test_hostile_payloads_get_a_clear_error(event: str) -> None:
    with pytest.raises(BadMessage, match="not plain JSON"):
        m.parse_message(event, _nested(5_000))
    with pytest.raises(BadMessage, match=f"larger than {m.MAX_MESSAGE_BYTES} bytes"):
        m.parse_message(event, {"pad": "x" * m.MAX_MESSAGE_BYTES})
    with pytest.raises(BadMessage, match="JSON object"):
        m.parse_message(event, [{"participant_id": 1}])


def test_unknown_fields_are_ignored_and_the_first_bad_field_is_reported() -> None:
    assert m.parse_message("leave", {"participant_id": "anything"}) == m.Leave()
    with pytest.raises(BadMessage) as caught:
        m.parse_message("transcript_correction", {"entry_id": 0, "reason": ""})
    assert caught.value.message == "proposed_text must be a non-empty string"
    with pytest.raises(BadMessage) as caught:
        m.parse_message("recording_pause", {"reason": "lunch"})
    assert caught.value.message.startswith("the recording may only pause for: ")
    with pytest.raises(BadMessage) as caught:
        m.parse_message("transcript_add", {"text": "a", "media_offset_ms": 0, "started_ms_ago": 1})
    assert caught.value.message == "give exactly one of media_offset_ms and started_ms_ago"
