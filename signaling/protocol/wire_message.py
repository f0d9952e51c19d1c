"""The base of every client → server message, and the field types several of them share.

A message is a frozen dataclass declaring its event name and its fields, each with the rule
that checks it (``hearing_server.domain.validation``, the same rules the REST bodies use);
``from_wire`` reads it from a payload or raises ``BadMessage`` with the first bad field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Self

from hearing_server.domain.validation import Boolean, Integer, InvalidFields, Schema
from signaling.protocol.exceptions import BadMessage

Wire = Mapping[str, Any]
MAX_WIRE_INT = 2**53 - 1  # the largest integer a JavaScript number holds exactly

ParticipantId = Annotated[
    int, Integer(minimum=1, maximum=MAX_WIRE_INT, reason="must be a positive integer")
]
RecordId = ParticipantId  # an entry's or a correction's number in the transcript
Count = Annotated[
    int, Integer(minimum=0, maximum=MAX_WIRE_INT, reason="must be a non-negative integer")
]
Flag = Annotated[bool, Boolean()]


@dataclass(frozen=True)
class WireMessage(Schema):
    EVENT: ClassVar[str]
    ABSENT: ClassVar[str | None] = None  # a missing field is refused by its own rule
    TAKES_NO_FIELDS: ClassVar[bool] = False  # refuse a payload with any field at all
    EXACTLY_ONE_OF: ClassVar[tuple[str, ...]] = ()  # fields of which one, only, is given

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        if cls.TAKES_NO_FIELDS and data:
            raise BadMessage(f"{cls.EVENT} takes no fields")
        if cls.EXACTLY_ONE_OF:
            given = [name for name in cls.EXACTLY_ONE_OF if data.get(name) is not None]
            if len(given) != 1:
                raise BadMessage("give exactly one of " + " and ".join(cls.EXACTLY_ONE_OF))
        try:
            return cls.parse(data)
        except InvalidFields as exc:
            raise BadMessage(exc.sentences[0]) from None
