"""A decision is one transaction: a failure between its state and its log leaves nothing.

The failure is injected where the database takes the act's rows (an insert that raises, as a
full disk or a lost connection would), against the real app over SQLite: the signing row and
its event are committed together or neither is, and the courtroom hears nothing of an act
that was not committed (no ``transcript_delta``, no ``signing``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from hearing_server.store.eventlog import load_events, verify_hearing_log
from hearing_server.store.models import HearingEvent
from hearing_server.store.signing_models import SigningRecord
from hearing_server.web.keys import COURTROOMS, DATABASE
from tests.signing.conftest import SigningRoom
from tests.support.api import Reply


class InjectedFailure(Exception):
    pass


@contextmanager
def failing_insert(model: type[Any], when: Callable[[Any], bool]) -> Iterator[list[Any]]:
    """Make the database refuse rows of ``model`` for which ``when(row)`` holds."""
    refused: list[Any] = []

    def refuse(_mapper: Any, _connection: Any, row: Any) -> None:
        if when(row):
            refused.append(row)
            raise InjectedFailure(f"injected: {model.__name__} not written")

    event.listen(model, "before_insert", refuse)
    try:
        yield refused
    finally:
        event.remove(model, "before_insert", refuse)


def event_of(kind: str) -> Callable[[Any], bool]:
    return lambda row: row.kind == kind


def any_row(_row: Any) -> bool:
    return True


@pytest.fixture
def emitted(signing_room: SigningRoom, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every event the courtroom registry sends from now on (through its Notifier), by name."""
    notifier = signing_room.app[COURTROOMS].notifier
    names: list[str] = []
    for method in ("to_hearing", "to_connection"):
        send = getattr(notifier, method)

        async def spy(to: Any, name: str, data: Any, send: Any = send) -> None:
            names.append(name)
            await send(to, name, data)

        monkeypatch.setattr(notifier, method, spy)
    return names


async def _on_record(room: SigningRoom) -> tuple[list[str], list[tuple[int, str]]]:
    """The hearing's event kinds (the chain checked intact) and its signing rows."""
    async with room.app[DATABASE].read() as session:
        assert await verify_hearing_log(session, room.hearing_id) == []
        kinds = [row.kind for row in await load_events(session, room.hearing_id)]
        rows = (await session.exec(select(SigningRecord))).all()
    return kinds, [(row.participant_id, row.decision) for row in rows]


async def _status_of(room: SigningRoom, role: str) -> str:
    reply = await room.signers["judge"].api.get(f"/api/hearings/{room.hearing_id}/signing")
    signer = next(s for s in reply.body["signers"] if s["role"] == role)
    return str(signer["status"])


def _failed(reply: Reply) -> None:
    assert reply.status == 500, reply.body
    assert reply.error_code == "internal_error"


SIGN = "sign"
REFUSE = "refuse"
FAILURES = {
    "signing row": (SigningRecord, any_row),
    "signature event": (HearingEvent, event_of("transcript.signature_added")),
    "refusal event": (HearingEvent, event_of("signature.refused")),
}


async def _decide(room: SigningRoom, role: str, act: str) -> Reply:
    signer = room.signers[role]
    if act == SIGN:
        return await signer.sign(room.hearing_id)
    return await signer.refuse(room.hearing_id, "the record omits my objection")


@pytest.mark.parametrize(
    ("act", "failure"),
    [(SIGN, "signing row"), (SIGN, "signature event"),
     (REFUSE, "signing row"), (REFUSE, "refusal event")],
)  # fmt: skip
async def test_a_decision_that_fails_leaves_nothing_half_done(
    signing_room: SigningRoom, emitted: list[str], act: str, failure: str
) -> None:
    room = signing_room
    before = await _on_record(room)
    transcript_before = room.app[COURTROOMS].rooms[room.hearing_id].transcript.canonical_sha256()
    model, when = FAILURES[failure]
    with failing_insert(model, when) as refused:
        reply = await _decide(room, "plaintiff", act)
    assert refused, "the injected failure was not reached"
    _failed(reply)
    assert await _on_record(room) == before  # no row without its event, no event without it
    assert emitted == []  # nobody was told of it
    live = room.app[COURTROOMS].rooms[room.hearing_id].transcript
    assert live.canonical_sha256() == transcript_before
    assert live.signatures == ()
    assert await _status_of(room, "plaintiff") == "pending"

    retried = await _decide(room, "plaintiff", act)  # and it can be done again, once
    assert retried.status == 201, retried.body
    kinds, rows = await _on_record(room)
    decision = "signed" if act == SIGN else "refused"
    logged = "transcript.signature_added" if act == SIGN else "signature.refused"
    assert kinds == [*before[0], logged]
    assert rows == [*before[1], (room.signers["plaintiff"].participant_id, decision)]
    assert "signing" in emitted


@pytest.mark.parametrize("act", [SIGN, REFUSE])
async def test_the_last_decision_and_the_finalisation_are_one(
    signing_room: SigningRoom, emitted: list[str], act: str
) -> None:
    room, hid = signing_room, signing_room.hearing_id
    for role in ("judge", "clerk", "defendant"):
        assert (await room.signers[role].sign(hid)).status == 201
    before = await _on_record(room)
    emitted.clear()
    with failing_insert(HearingEvent, event_of("transcript.signed")) as refused:
        reply = await _decide(room, "plaintiff", act)
    assert refused, "the injected failure was not reached"
    _failed(reply)
    assert await _on_record(room) == before
    assert emitted == []
    live = room.app[COURTROOMS].rooms[hid].transcript
    assert live.state.value == "locked_for_review"
    assert len(live.signatures) == 3
    assert await _status_of(room, "plaintiff") == "pending"

    retried = await _decide(room, "plaintiff", act)
    assert retried.status == 201, retried.body
    assert retried.body["transcript_state"] == "signed"
    kinds, _rows = await _on_record(room)
    assert kinds[-1] == "transcript.signed"
    assert emitted.count("signing") == 1
