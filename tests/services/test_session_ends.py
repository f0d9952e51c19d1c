"""A session that ends ends in the courtroom too: its acts are refused and its seats dropped."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hearing_server.domain.stages import Stage
from hearing_server.services.hearings import access_hearing
from hearing_server.services.participants import issue_invitation, revoke_invitation
from hearing_server.services.principals import StaffPrincipal
from hearing_server.services.session_ends import EndedSessions, SessionRef, session_is_live
from hearing_server.services.staff import revoke_staff_session, update_staff
from hearing_server.store.models import Invitation, PartySession, StaffSession, StaffUser
from signaling.protocol import messages as m
from signaling.protocol.exceptions import NotAllowed
from tests.services.courtroom_fakes import Court

ENDED = "your session has ended; sign in again"


async def _revoke_behind_the_servers_back(court: Court, role: str) -> None:
    """Ended without anyone telling the courtrooms (as an expiry would)."""
    seat = court.seats[role]
    async with court.database.write() as session:
        row = await session.get(StaffSession if seat.session.kind == "staff" else PartySession,
                                seat.session.id)  # fmt: skip
        assert row is not None
        row.revoked = True
        session.add(row)


async def _refused(court: Court, role: str, message: m.Message) -> None:
    kinds = await court.kinds()
    connection = court.seats[role].connection
    with pytest.raises(NotAllowed, match=ENDED):
        await court.act(role, message)
    assert ("drop", connection, "", court.hearing_id) in court.notifier.sent
    assert court.room.sids.get(court.ids[role]) is None
    assert not court.room.state.member(court.ids[role]).connected
    assert await court.kinds() == [*kinds, "participant.disconnected"]


async def test_an_act_after_the_judges_session_was_revoked_is_refused_and_dropped(
    court: Court,
) -> None:
    await court.connect("judge", "plaintiff")
    await _revoke_behind_the_servers_back(court, "judge")
    await _refused(court, "judge", m.Admit(participant_id=court.ids["plaintiff"]))
    assert court.room.state.member(court.ids["plaintiff"]).status == "lobby"
    with pytest.raises(NotAllowed):  # and the connection is gone for good
        await court.act("judge", m.Join())


async def test_an_expired_session_or_a_deactivated_judge_cannot_act(court: Court) -> None:
    await court.seated("plaintiff")
    court.clock.advance(hours=9)
    await _refused(court, "plaintiff", m.RaiseHand())
    court.clock.advance(hours=-9)
    async with court.database.write() as session:
        judge = await session.get(StaffUser, court.seats["judge"].session.user_id)
        assert judge is not None
        judge.active = False
        session.add(judge)
    await _refused(court, "judge", m.SetStage(stage=Stage.COURT_DISCIPLINE))


async def test_a_party_whose_invitation_was_withdrawn_cannot_act(court: Court) -> None:
    await court.seated("plaintiff")
    async with court.database.write() as session:
        plaintiff = court.ids["plaintiff"]
        found = await session.exec(select(Invitation).where(Invitation.participant_id == plaintiff))
        invitation = found.one()
        invitation.revoked_at = court.clock.now()  # (its session left as it was)
        session.add(invitation)
    await _refused(court, "plaintiff", m.RaiseHand())


async def test_an_act_in_a_live_session_still_goes_through(court: Court) -> None:
    await court.seated("plaintiff")
    assert (await court.act("plaintiff", m.RaiseHand()))["version"] > 0


async def test_ending_sessions_drops_only_their_seats(court: Court) -> None:
    await court.seated("plaintiff", "defendant")
    court.media.attached.add(court.ids["plaintiff"])
    party = court.seats["plaintiff"]
    await court.registry.end_sessions(EndedSessions(party={party.session.id}))
    assert court.notifier.sent[0] == ("drop", party.connection, "", court.hearing_id)
    assert ("detach", court.ids["plaintiff"]) in court.media.calls
    assert set(court.room.sids) == {court.ids["judge"], court.ids["defendant"]}
    assert not court.room.state.member(court.ids["plaintiff"]).connected
    assert "room_update" in court.notifier.events()  # the judge's console sees it
    with pytest.raises(NotAllowed):
        await court.act("plaintiff", m.RaiseHand())
    assert (await court.act("defendant", m.RaiseHand()))["version"] > 0
    judge = court.seats["judge"]
    await court.registry.end_sessions(EndedSessions(party={judge.session.id}))  # not a party's
    assert court.ids["judge"] in court.room.sids


async def test_logout_deactivation_and_new_password_end_the_staff_sessions(court: Court) -> None:
    judge, clerk = court.principals["judge"], court.principals["clerk"]
    assert isinstance(judge, StaffPrincipal) and isinstance(clerk, StaffPrincipal)
    for change in ({"password": "a-new-password-1"}, {"active": False}):
        ended = EndedSessions()
        async with court.database.write() as session:
            await update_staff(session, judge.user_id, by=clerk, ended=ended, **change)  # type: ignore[arg-type]
        assert ended.staff == ({judge.session_id} if "password" in change else set())
    ended = EndedSessions()
    async with court.database.write() as session:
        await revoke_staff_session(session, clerk.session_id, ended=ended)
    assert ended.staff == {clerk.session_id}
    async with court.database.read() as session:
        for principal in (judge, clerk):
            ref = SessionRef("staff", principal.session_id, principal.user_id)
            assert not await session_is_live(session, ref, now=court.clock.now())


async def test_reissuing_or_revoking_an_invitation_ends_the_party_sessions(court: Court) -> None:
    await court.seated("plaintiff", "defendant")
    for role, end in (("plaintiff", "reissue"), ("defendant", "revoke")):
        seat = court.seats[role]
        ended = EndedSessions()
        async with court.database.write() as session:
            access = await access_hearing(session, court.principals["judge"], court.hearing_id)
            participant = await court.participant(role)
            if end == "reissue":
                await issue_invitation(
                    session, access, participant, now=court.clock.now(), early_minutes=30,
                    ended=ended,
                )  # fmt: skip
            else:
                await revoke_invitation(session, access, participant, now=court.clock.now(),
                                        ended=ended)  # fmt: skip
        assert ended.party == {seat.session.id}
        async with court.database.read() as session:
            assert not await session_is_live(session, seat.session, now=court.clock.now())
        await court.registry.end_sessions(ended)
        assert court.ids[role] not in court.room.sids
        assert ("drop", seat.connection, "", court.hearing_id) in court.notifier.sent
