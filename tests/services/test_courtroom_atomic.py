"""A courtroom act is one transaction: a failure between its state and its log leaves nothing.

The failure is injected where the database takes the act's rows (an insert of one of its
events raises, as a full disk or a lost connection would). Then: no event of the act is in the
log, no other row it writes is either (identity flag, key binding), the room's state is as it
was, nobody was told anything, the media was not touched; and the act can simply be retried.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from hearing_server.store.eventlog import load_events, verify_hearing_log
from hearing_server.store.models import HearingEvent
from signaling.protocol import messages as m
from tests.services.courtroom_fakes import Court


class InjectedFailure(Exception):
    pass


@contextmanager
def failing_event(kind: str) -> Iterator[list[str]]:
    """Make the database refuse the insert of any hearing event of ``kind``."""
    refused: list[str] = []

    def refuse(_mapper: Any, _connection: Any, row: HearingEvent) -> None:
        if row.kind == kind:
            refused.append(row.kind)
            raise InjectedFailure(f"injected: {kind} not written")

    event.listen(HearingEvent, "before_insert", refuse)
    try:
        yield refused
    finally:
        event.remove(HearingEvent, "before_insert", refuse)


async def attempt(court: Court, role: str, message: m.Message, failing: str) -> None:
    """The act fails at ``failing``; assert it left no trace anywhere."""
    before_log = await court.kinds()
    before_state = court.room.state.snapshot()
    court.notifier.sent.clear()
    court.media.calls.clear()
    with failing_event(failing) as refused, pytest.raises(InjectedFailure):
        await court.act(role, message)
    assert refused == [failing]
    assert await court.kinds() == before_log
    async with court.database.read() as session:
        assert await verify_hearing_log(session, court.hearing_id) == []
    assert court.room.state.snapshot() == before_state
    assert court.notifier.sent == []
    assert court.media.calls == []


async def test_admit(court: Court) -> None:
    await court.connect("judge", "plaintiff")
    admit = m.parse_message("admit", {"participant_id": court.ids["plaintiff"]})
    await attempt(court, "judge", admit, "lobby.admitted")
    await court.act("judge", admit)  # retried: it was never half-done
    assert court.notifier.events() == ["admitted", "room_update", "room"]


@pytest.mark.parametrize("failing", ["identity.confirmed", "signer_key.bound"])
async def test_identity_confirmation(court: Court, failing: str) -> None:
    await court.connect("judge", "plaintiff")
    await court.register_key("plaintiff")
    confirm = m.parse_message("confirm_identity", {"participant_id": court.ids["plaintiff"]})
    await attempt(court, "judge", confirm, failing)
    assert not (await court.participant("plaintiff")).identity_verified
    assert not await court.key_bound("plaintiff")
    await court.act("judge", confirm)
    assert (await court.participant("plaintiff")).identity_verified
    assert await court.key_bound("plaintiff")


async def test_transcript_commit(court: Court) -> None:
    await court.seated("clerk")
    version = court.room.transcript.version
    entry = {"text": "审判长宣布开庭", "started_ms_ago": 0}
    add = m.parse_message("transcript_add", {**entry, "speaker_participant_id": court.ids["judge"]})
    await attempt(court, "clerk", add, "transcript.entry_added")
    assert court.room.transcript.version == version  # rebuilt from the log
    assert list(court.room.transcript.entries()) == []
    reply = await court.act("clerk", add)
    assert reply["version"] == version + 1


async def test_removal(court: Court) -> None:
    await court.seated("plaintiff")
    remove = m.parse_message("remove", {"participant_id": court.ids["plaintiff"]})
    await attempt(court, "judge", remove, "participant.removed")
    assert court.ids["plaintiff"] in court.room.sids  # still connected, not dropped


async def test_mute(court: Court) -> None:
    await court.seated("plaintiff")
    mute = m.parse_message("mute", {"participant_id": court.ids["plaintiff"], "muted": True})
    await attempt(court, "judge", mute, "participant.muted")


async def test_court_message(court: Court) -> None:
    await court.seated("plaintiff")
    message = m.parse_message("message", {"text": "请出示身份证"})
    await attempt(court, "judge", message, "message.sent")
    assert court.room.messages.visible_to(court.ids["judge"]) == []


async def test_connect(court: Court) -> None:
    await court.connect("judge")
    before = court.room.state.snapshot()
    with failing_event("lobby.entered"), pytest.raises(InjectedFailure):
        await court.connect("plaintiff")
    assert court.room.state.snapshot() == before
    assert court.ids["plaintiff"] not in court.room.sids
    async with court.database.read() as session:
        assert [row.kind for row in await load_events(session, court.hearing_id)] == [
            "participant.joined"
        ]
