"""Who may do what: clerk and judge write and rule, parties file corrections, observers read."""

from __future__ import annotations

import pytest

from hearing_server.store.models import ParticipantRole
from tests.transcript.builders import (
    CLERK,
    JUDGE,
    JUDGE_SPEAKER,
    OBSERVER,
    PLAINTIFF,
    WITNESS,
    at,
    sample_transcript,
)
from transcript.exceptions import NotPermitted
from transcript.model import Transcript
from transcript.roles import PARTY_ROLES, Actor, Permission, Role, is_permitted

WRITERS = {Role.JUDGE, Role.CLERK}


def test_roles_match_the_participant_roles_of_the_server() -> None:
    assert {r.value for r in Role} == {r.value for r in ParticipantRole}


@pytest.mark.parametrize("role", list(Role))
def test_permission_table(role: Role) -> None:
    assert is_permitted(role, Permission.READ)
    assert is_permitted(role, Permission.WRITE_ENTRIES) is (role in WRITERS)
    assert is_permitted(role, Permission.RULE_ON_CORRECTION) is (role in WRITERS)
    assert is_permitted(role, Permission.LOCK) is (role in WRITERS)
    assert is_permitted(role, Permission.UNLOCK) is (role is Role.JUDGE)
    assert is_permitted(role, Permission.REQUEST_CORRECTION) is (role in PARTY_ROLES)
    assert is_permitted(role, Permission.SIGN) is (role is not Role.OBSERVER)


@pytest.mark.parametrize("actor", [PLAINTIFF, WITNESS, OBSERVER])
def test_non_staff_cannot_write_edit_delete_or_rule(actor: Actor) -> None:
    transcript = sample_transcript()
    before = transcript.canonical_sha256()
    with pytest.raises(NotPermitted, match=f"a {actor.role.value} may not add entries"):
        transcript.add_entry(
            actor, speaker=JUDGE_SPEAKER, text="x", media_offset_ms=0, stage="debate", at=at(9)
        )
    with pytest.raises(NotPermitted, match="may not edit entries"):
        transcript.edit_entry(actor, 1, text="x", at=at(9))
    with pytest.raises(NotPermitted, match="may not delete entries"):
        transcript.delete_entry(actor, 1, reason="x", at=at(9))
    transcript.file_correction(PLAINTIFF, 2, proposed_text="改", reason="r", at=at(9))
    with pytest.raises(NotPermitted, match="may not rule on correction requests"):
        transcript.accept_correction(actor, 3, at=at(9))
    with pytest.raises(NotPermitted, match="may not rule on correction requests"):
        transcript.refuse_correction(actor, 3, note="no", at=at(9))
    with pytest.raises(NotPermitted, match="may not lock"):
        transcript.lock(actor, at=at(9))
    assert transcript.version == 11
    assert before != transcript.canonical_sha256()  # only the filed correction changed it


@pytest.mark.parametrize("actor", [CLERK, JUDGE, OBSERVER])
def test_only_parties_file_correction_requests(actor: Actor) -> None:
    transcript = sample_transcript()
    with pytest.raises(NotPermitted, match="may not file correction requests"):
        transcript.file_correction(actor, 1, proposed_text="x", reason="r", at=at(9))


def test_only_a_judge_unlocks() -> None:
    transcript = sample_transcript()
    transcript.lock(CLERK, at=at(9))
    with pytest.raises(NotPermitted, match="a clerk may not unlock the transcript"):
        transcript.unlock(CLERK, reason="typo", at=at(10))
    transcript.unlock(JUDGE, reason="typo", at=at(10))


def test_observers_cannot_sign() -> None:
    transcript = sample_transcript()
    transcript.lock(CLERK, at=at(9))
    with pytest.raises(NotPermitted, match="may not sign"):
        transcript.add_signature(OBSERVER, manifest_hash="ab" * 32, at=at(10))


def test_a_rejected_act_leaves_no_trace() -> None:
    transcript: Transcript = sample_transcript()
    snapshot = transcript.snapshot()
    with pytest.raises(NotPermitted):
        transcript.edit_entry(OBSERVER, 1, text="x", at=at(9))
    assert transcript.snapshot() == snapshot
    assert transcript.deltas_since(10) == ()
