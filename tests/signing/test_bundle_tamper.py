"""Every way of tampering with a sealed bundle that the verifier can catch, each a named failure.

Without any key: duplicate and unlisted entries, a checksum error, a truncated zip, a file that
is no zip, a corrupt manifest. The verifier is run as a person runs it (``python -m
transcript.verify``): exit 1, one FAIL line naming the reason, no traceback.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.signing.forgery import flip_stored_byte, members, write_zip
from tests.signing.histories import Genuine, Story, record
from transcript.verify import verify_bundle

ROOT = Path(__file__).resolve().parents[2]
Genuines = Callable[[Story], Genuine]


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Genuines:
    made: dict[Story, Genuine] = {}

    def get(story: Story) -> Genuine:
        if story not in made:
            made[story] = asyncio.run(record(tmp_path_factory.mktemp(story.value), story))
        return made[story]

    return get


def run_verifier(bundle: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "transcript.verify", str(bundle)], cwd=ROOT, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_genuine_bundle_verifies(genuine: Genuines) -> None:
    result = run_verifier(genuine(Story.PLAIN).bundle)
    assert result.returncode == 0, result.stdout
    assert "FAIL" not in result.stdout and "\nVERIFIED" in result.stdout


def _duplicate(bundle: Path, out: Path) -> Path:
    files = members(bundle)
    forged = files["transcript.json"].replace(b"50,000", b"5,000")
    return write_zip([("transcript.json", forged), *files.items()], out)


def _unlisted(bundle: Path, out: Path) -> Path:
    return write_zip([*members(bundle).items(), ("recording/extra.mkv", b"junk")], out)


def _crc(bundle: Path, out: Path) -> Path:
    return flip_stored_byte(bundle, "recording/1-video-00001.mkv", out)


def _truncated(bundle: Path, out: Path) -> Path:
    out.write_bytes(bundle.read_bytes()[: bundle.stat().st_size // 2])
    return out


def _not_a_zip(bundle: Path, out: Path) -> Path:
    out.write_text("%PDF-1.4 not a bundle\n")
    return out


def _manifest(data: bytes) -> Callable[[Path, Path], Path]:
    def change(bundle: Path, out: Path) -> Path:
        return write_zip({**members(bundle), "manifest.json": data}.items(), out)

    return change


NO_KEY = {
    "duplicate entry": (_duplicate, "transcript.json: the zip holds 2 entries of this name"),
    "unlisted entry": (_unlisted, "recording/extra.mkv: not listed in manifest.json"),
    "checksum error": (_crc, "recording/1-video-00001.mkv: cannot be read from the zip"
                             " (checksum error"),
    "truncated zip": (_truncated, "not a readable zip"),
    "not a zip": (_not_a_zip, "not a readable zip"),
    "corrupt manifest": (_manifest(b'{"format": "hearing-bundle/1",'), "manifest.json: unreadable"),
    "malformed manifest": (_manifest(b'{"files":"x","hearing":{}}'), "manifest.json: malformed"),
}  # fmt: skip


@pytest.mark.parametrize("case", NO_KEY, ids=list(NO_KEY))
def test_tampering_without_a_key_is_one_named_failure(
    case: str, genuine: Genuines, tmp_path: Path
) -> None:
    change, reason = NO_KEY[case]
    tampered = change(genuine(Story.PLAIN).bundle, tmp_path / "tampered.zip")
    result = run_verifier(tampered)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert any(line.startswith("FAIL") and reason in line for line in result.stdout.splitlines()), (
        result.stdout
    )
    assert "NOT VERIFIED" in result.stdout
    assert verify_bundle(tampered).failures  # the same from the library
