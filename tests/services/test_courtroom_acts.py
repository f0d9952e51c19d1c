"""Every courtroom act and its refusals, against the services' ports faked (``Notifier``,
``MediaPort``, the recorder) and a real database: what is logged, who is told what, in which
order, and what reaches the media. A refusal logs nothing and tells only the caller."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from hearing_server.domain.exceptions import HearingServerError
from hearing_server.store.models import Hearing
from signaling.protocol import messages as m
from signaling.protocol.exceptions import SignalingError
from tests.services.courtroom_fakes import Court
from transcript.exceptions import TranscriptError


def msg(event: str, **payload: Any) -> m.Message:
    return m.parse_message(event, payload)


async def refused(court: Court, role: str, message: m.Message, text: str) -> None:
    """The act is refused with ``text``; nothing is logged, sent or done to the media."""
    before = await court.kinds()
    court.notifier.sent.clear()
    court.media.calls.clear()
    with pytest.raises((SignalingError, HearingServerError, TranscriptError)) as caught:
        await court.act(role, message)
    assert text in str(caught.value.message)
    assert await court.kinds() == before
    assert court.notifier.sent == []
    assert court.media.calls == []


# presence ---------------------------------------------------------------------------------


async def test_connect_seats_staff_in_court_and_parties_in_the_lobby(court: Court) -> None:
    await court.connect("judge", "plaintiff")
    assert await court.kinds() == ["participant.joined", "lobby.entered"]
    statuses = {m_.participant_id: m_.status.value for m_ in court.room.state.members.values()}
    assert statuses == {court.ids["judge"]: "admitted", court.ids["plaintiff"]: "lobby"}
    seat = court.seats["plaintiff"]
    assert ("seat", seat.connection, "", court.hearing_id) in court.notifier.sent
    # seated before the broadcast, so the newcomer hears its own arrival
    assert court.notifier.events()[-3:] == ["seat", "room_update", "room"]


async def test_a_newer_connection_replaces_the_older(court: Court) -> None:
    await court.connect("judge")
    old = court.seats["judge"]
    await court.connect("judge")
    new = court.seats["judge"]
    assert ("drop", old.connection, "", court.hearing_id) in court.notifier.sent
    assert court.room.sids[court.ids["judge"]] == new.connection
    with pytest.raises(SignalingError, match="replaced by a newer one"):
        await court.acts.act(old, msg("join"))
    await court.acts.disconnect(old)  # the old socket's close changes nothing
    assert court.room.state.member(court.ids["judge"]).connected


@pytest.mark.parametrize(
    ("state", "text"),
    [("scheduled", "the courtroom is not open"), ("sealed", "the hearing is over")],
)
async def test_parties_may_not_connect_before_opening_or_after_sealing(
    court: Court, state: str, text: str
) -> None:
    async with court.database.write() as session:
        hearing = (await session.exec(select(Hearing))).one()
        hearing.state = state
        session.add(hearing)
    with pytest.raises(SignalingError, match=text):
        await court.connect("plaintiff")
    await court.connect("judge")  # staff may
    assert await court.kinds() == ["participant.joined"]


async def test_a_session_for_another_hearing_is_refused(court: Court) -> None:
    with pytest.raises(HearingServerError, match="another hearing"):
        await court.acts.connect(court.principals["plaintiff"], court.hearing_id + 1, "sid-x")
    assert court.registry.rooms == {}


async def test_disconnect_keeps_the_place_and_is_logged(court: Court) -> None:
    await court.seated("plaintiff")
    await court.acts.disconnect(court.seats["plaintiff"])
    member = court.room.state.member(court.ids["plaintiff"])
    assert (member.connected, member.status.value) == (False, "admitted")
    assert (await court.kinds())[-1] == "participant.disconnected"
    assert court.notifier.events() == ["room_update", "room"]


async def test_whoever_stays_away_past_the_grace_period_is_dropped(court: Court) -> None:
    await court.seated("plaintiff")
    await court.acts.disconnect(court.seats["plaintiff"])
    court.clock.advance(seconds=29)
    assert await court.registry.sweep_once() == []
    court.clock.advance(seconds=2)
    assert await court.registry.sweep_once() == [(court.hearing_id, court.ids["plaintiff"])]
    assert (await court.kinds())[-1] == "participant.dropped"
    assert ("detach", court.ids["plaintiff"]) in court.media.calls
    assert court.ids["plaintiff"] not in court.room.sids


async def test_join_gives_the_lobby_no_transcript(court: Court) -> None:
    await court.connect("judge", "plaintiff")
    waiting = await court.act("plaintiff", msg("join"))
    assert waiting["you"] == court.ids["plaintiff"]
    assert waiting["transcript"] is None
    assert waiting["quality"] == []
    assert waiting["ice_servers"] == [{"urls": "stun:x"}]
    staff = await court.act("judge", msg("join"))
    assert staff["transcript"] is not None
    assert {p["participant_id"] for p in staff["room"]["members"]} == {
        court.ids["judge"], court.ids["plaintiff"],
    }  # fmt: skip


# the judge's acts -------------------------------------------------------------------------


async def test_admit_logs_then_tells_the_party_then_everyone(court: Court) -> None:
    await court.connect("judge", "plaintiff")
    court.notifier.sent.clear()
    await court.act("judge", msg("admit", participant_id=court.ids["plaintiff"]))
    assert (await court.kinds())[-1] == "lobby.admitted"
    party = court.seats["plaintiff"].connection
    assert court.notifier.events() == ["admitted", "room_update", "room"]
    assert court.notifier.sent[0][1] == party
    await refused(court, "judge", msg("admit", participant_id=court.ids["plaintiff"]),
                  "is not waiting in the lobby")  # fmt: skip


async def test_only_the_judge_admits(court: Court) -> None:
    await court.connect("judge", "clerk", "plaintiff", "defendant")
    target = court.ids["defendant"]
    await refused(court, "clerk", msg("admit", participant_id=target), "only the judge")
    await refused(court, "plaintiff", msg("admit", participant_id=target), "only the judge")
    await refused(court, "judge", msg("admit", participant_id=999), "not in this courtroom")


async def test_deny_tells_drops_and_bars(court: Court) -> None:
    await court.connect("judge", "plaintiff")
    party = court.seats["plaintiff"].connection
    court.notifier.sent.clear()
    await court.act("judge", msg("deny", participant_id=court.ids["plaintiff"]))
    assert (await court.kinds())[-1] == "lobby.denied"
    assert court.notifier.events() == ["denied", "drop", "room_update", "room"]
    assert court.ids["plaintiff"] not in court.room.sids
    with pytest.raises(SignalingError, match="you were denied from this hearing"):
        await court.acts.connect(court.principals["plaintiff"], court.hearing_id, party + "-again")


async def test_remove_detaches_tells_and_drops(court: Court) -> None:
    await court.seated("plaintiff")
    await court.act("judge", msg("remove", participant_id=court.ids["plaintiff"]))
    assert (await court.kinds())[-1] == "participant.removed"
    assert court.media.calls == [("detach", court.ids["plaintiff"])]
    assert court.notifier.events() == ["removed", "drop", "room_update", "room"]
    await refused(court, "judge", msg("remove", participant_id=court.ids["judge"]),
                  "the judge cannot be removed")  # fmt: skip


async def test_confirming_identity_stores_it_and_binds_the_key(court: Court) -> None:
    await court.connect("judge", "clerk", "plaintiff")
    await court.register_key("plaintiff")
    confirm = msg("confirm_identity", participant_id=court.ids["plaintiff"])
    await refused(court, "plaintiff", confirm, "only the judge or the clerk")
    await court.act("clerk", msg("confirm_identity", participant_id=court.ids["plaintiff"]))
    assert (await court.participant("plaintiff")).identity_verified
    assert await court.key_bound("plaintiff")
    kinds = await court.kinds()
    assert kinds.index("identity.confirmed") < kinds.index("signer_key.bound")
    await refused(court, "judge", msg("confirm_identity", participant_id=court.ids["plaintiff"]),
                  "already confirmed")  # fmt: skip


async def test_mute_reaches_the_media_after_the_log(court: Court) -> None:
    await court.seated("plaintiff")
    await court.act("judge", msg("mute", participant_id=court.ids["plaintiff"], muted=True))
    assert (await court.kinds())[-1] == "participant.muted"
    assert court.media.calls == [("muted", court.ids["plaintiff"], True)]
    await refused(court, "plaintiff", msg("mute", participant_id=court.ids["judge"], muted=True),
                  "only the judge")  # fmt: skip


async def test_audio_only_waits_for_the_first_offer(court: Court) -> None:
    await court.seated("plaintiff")
    pid = court.ids["plaintiff"]
    await court.act("judge", msg("set_audio_only", participant_id=pid, audio_only=True))
    assert court.media.calls == []  # not attached yet: applied on the offer
    reply = await court.act("plaintiff", msg("offer", sdp="v=0\r\n"))
    assert reply["sdp"] == f"answer for {pid}"
    assert court.media.calls == [("attach", pid, True, True), ("audio_only", pid, True)]
    assert court.notifier.to(court.seats["plaintiff"].connection)[-1] == "answer"


async def test_hands_are_raised_by_parties_and_lowered_by_staff(court: Court) -> None:
    await court.seated("plaintiff")
    await court.act("plaintiff", msg("raise_hand"))
    assert court.room.state.member(court.ids["plaintiff"]).hand_raised
    await refused(court, "judge", msg("raise_hand"), "only the parties and witnesses")
    await court.act("judge", msg("lower_hand", participant_id=court.ids["plaintiff"]))
    await refused(court, "plaintiff", msg("raise_hand"), "before raising your hand again")
    assert (await court.kinds())[-2:] == ["hand.raised", "hand.lowered"]


async def test_the_judge_sets_the_stage_and_everyone_hears_it(court: Court) -> None:
    await court.seated("plaintiff")
    await court.act("judge", msg("set_stage", stage="debate"))
    assert court.notifier.events() == ["room_update", "room", "stage"]
    assert court.notifier.sent[-1][3]["stage"] == "debate"
    await refused(court, "plaintiff", msg("set_stage", stage="investigation"), "only the judge")


async def test_accept_rules_and_leave(court: Court) -> None:
    await court.seated("plaintiff")
    await court.act("plaintiff", msg("accept_rules"))
    await court.act("plaintiff", msg("leave"))
    assert (await court.kinds())[-2:] == ["rules.accepted", "participant.left"]
    assert court.media.calls == [("detach", court.ids["plaintiff"])]
    await refused(court, "plaintiff", msg("leave"), "you are not in this hearing")


# media, quality, messages, recording, transcript ------------------------------------------


async def test_the_lobby_gets_no_media(court: Court) -> None:
    await court.connect("judge", "plaintiff")
    await refused(court, "plaintiff", msg("offer", sdp="v=0\r\n"), "wait until the judge admits")
    await refused(court, "plaintiff", msg("quality_report", loss=0.1), "wait until the judge")


async def test_trickled_candidates_are_capped(court: Court) -> None:
    await court.seated("plaintiff")
    candidate = msg("ice_candidate", candidate="candidate:1 1 udp 1 127.0.0.1 9 typ host")
    for _ in range(64):
        assert (await court.act("plaintiff", candidate)) == {"used": False}
    await refused(court, "plaintiff", candidate, "more than 64 candidates")


async def test_quality_goes_to_the_staff_only(court: Court) -> None:
    await court.seated("clerk", "plaintiff", "defendant")
    reply = await court.act("plaintiff", msg("quality_report", loss=0.3, rtt_ms=900))
    assert reply["level"] is not None
    receivers = {to for how, to, event, _ in court.notifier.sent if event == "quality"}
    assert receivers == {court.seats["judge"].connection, court.seats["clerk"].connection}
    assert not any("quality" in kind for kind in await court.kinds())  # not an act: unlogged


async def test_a_party_writes_to_the_court_only(court: Court) -> None:
    await court.seated("clerk", "plaintiff", "defendant")
    reply = await court.act("plaintiff", msg("message", text="我听不清"))
    assert reply["message"]["text"] == "我听不清"
    assert (await court.kinds())[-1] == "message.sent"
    receivers = {to for how, to, event, _ in court.notifier.sent if event == "message"}
    seats = court.seats
    assert receivers == {seats[r].connection for r in ("judge", "clerk", "plaintiff")}
    await refused(court, "plaintiff", msg("message", text="x", to=court.ids["defendant"]),
                  "you can write to the court only")  # fmt: skip


async def test_only_the_judge_pauses_the_recording(court: Court) -> None:
    await court.seated("clerk")
    await refused(court, "clerk", msg("recording_pause", reason="mediation_caucus"),
                  "only the judge may pause")  # fmt: skip
    reply = await court.act("judge", msg("recording_pause", reason="mediation_caucus"))
    assert reply["recording"] == {"state": "paused"}
    await court.act("judge", msg("recording_resume"))
    assert court.recordings.calls == [("pause", "mediation_caucus"), ("resume",)]


async def test_transcript_entries_are_logged_and_sent_to_the_admitted(court: Court) -> None:
    await court.connect("judge", "clerk", "plaintiff", "defendant")
    await court.act("judge", msg("admit", participant_id=court.ids["plaintiff"]))
    court.notifier.sent.clear()
    add = msg(
        "transcript_add",
        text="原告陈述",
        speaker_participant_id=court.ids["plaintiff"],
        started_ms_ago=0,
    )
    reply = await court.act("clerk", add)
    assert reply["delta"]["kind"] == "transcript.entry_added"
    assert (await court.kinds())[-1] == "transcript.entry_added"
    receivers = {to for how, to, event, _ in court.notifier.sent if event == "transcript_delta"}
    seats = court.seats
    assert receivers == {seats[r].connection for r in ("judge", "clerk", "plaintiff")}
    await refused(court, "plaintiff", add, "")
    await refused(court, "defendant", msg("transcript_sync", since_version=0), "wait until")
