"""The canonical form is what gets signed: stable bytes, and any change shows in the hash."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from hearing_server.domain.canonical import canonical_json, canonical_sha256
from tests.transcript.builders import (
    CLERK,
    DEFENDANT_SPEAKER,
    JUDGE,
    PLAINTIFF,
    at,
    sample_transcript,
)
from transcript.model import Transcript

# sha256 of the canonical bytes of sample_transcript(); change only on purpose (format bump).
GOLDEN_SHA256 = "10f447b5773ce7c730283f39622521f629db957f7454009d0828ee7d8deae784"


def test_golden_hash_of_a_fixed_transcript() -> None:
    transcript = sample_transcript()
    data = transcript.canonical_bytes()
    assert "我请求被告支付货款人民币一万元。".encode() in data  # UTF-8, not \u escapes
    assert b'"format":"hearing-transcript/1"' in data
    assert transcript.canonical_sha256() == GOLDEN_SHA256


def test_same_bytes_in_a_fresh_interpreter_with_another_hash_seed() -> None:
    code = (
        "from tests.transcript.builders import sample_transcript as s;"
        " print(s().canonical_sha256())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=env,
    )
    assert result.stdout.strip() == GOLDEN_SHA256


def test_signatures_and_version_are_not_part_of_the_signed_form() -> None:
    transcript = sample_transcript()
    transcript.lock(CLERK, at=at(10))
    before = transcript.canonical_bytes()
    transcript.add_signature(JUDGE, manifest_hash="a" * 64, at=at(11))
    assert transcript.canonical_bytes() == before


CHANGES: dict[str, Callable[[Transcript], object]] = {
    "new entry": lambda t: t.add_entry(
        CLERK, speaker=DEFENDANT_SPEAKER, text="OK", media_offset_ms=1, stage="debate", at=at(9)
    ),
    "edit": lambda t: t.edit_entry(CLERK, 1, text="现在开庭", at=at(9)),
    "delete": lambda t: t.delete_entry(CLERK, 3, reason="dup", at=at(9)),
    "correction filed": lambda t: t.file_correction(
        PLAINTIFF, 1, proposed_text="开庭", reason="r", at=at(9)
    ),
    "lock": lambda t: t.lock(CLERK, at=at(9)),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_any_single_change_changes_the_hash(change: str) -> None:
    transcript = sample_transcript()
    CHANGES[change](transcript)
    assert transcript.canonical_sha256() != GOLDEN_SHA256


def test_same_acts_at_another_time_hash_differently() -> None:
    one, two = Transcript("tr", "h"), Transcript("tr", "h")
    for transcript, moment in ((one, at(1)), (two, at(1, 1))):
        transcript.add_entry(
            CLERK, speaker=DEFENDANT_SPEAKER, text="x", media_offset_ms=0, stage="debate", at=moment
        )
    assert one.canonical_sha256() != two.canonical_sha256()


def test_canonical_bytes_are_those_of_the_shared_canonicaliser_and_never_stale() -> None:
    transcript = sample_transcript()
    assert transcript.canonical_bytes() == canonical_json(transcript.to_canonical())
    before = transcript.canonical_sha256()
    transcript.edit_entry(CLERK, 1, text="现在开庭", at=at(9))
    assert transcript.canonical_sha256() == canonical_sha256(transcript.to_canonical()) != before
