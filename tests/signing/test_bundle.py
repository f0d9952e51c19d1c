"""The sealed bundle: exported by the CLI, verified by the CLI and independently by openssl,
ffmpeg and pdftotext; then tampered with in every kind of file."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hearing_server.domain.canonical import canonical_json
from tests.signing.conftest import SigningRoom
from tests.signing.phones import PhoneKey
from tests.support.processes import run_cli
from transcript.verify import verify_bundle


def _cli_settings(room: SigningRoom) -> list[str]:
    return ["--data-dir", str(room.settings.data_dir),
            "--database-url", room.settings.effective_database_url]  # fmt: skip


async def _sealed_bundle(room: SigningRoom, out: Path) -> Path:
    hid = room.hearing_id
    refused = await room.signers["defendant"].refuse(
        hid, "第三条记录与我的陈述不符 / entry 3 is wrong"
    )
    assert refused.status == 201, refused.body
    for role in ("plaintiff", "clerk", "judge"):
        reply = await room.signers[role].sign(hid)
        assert reply.status == 201, reply.body
    assert reply.body["complete"] is True
    result = await run_cli("export-bundle", str(hid), "--out", str(out), *_cli_settings(room))
    assert result.returncode == 0, result.stderr
    assert "signed: 3, refused: 1" in result.stdout
    return out


def _unzip(bundle: Path, into: Path) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(into)
    return into


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


async def test_bundle_verifies_by_cli_and_by_independent_tools(
    signing_room: SigningRoom, tmp_path: Path
) -> None:
    room = signing_room
    bundle = await _sealed_bundle(room, tmp_path / "bundle.zip")
    verified = await run_cli("verify", str(bundle), "--decode")
    assert verified.returncode == 0, verified.stdout
    assert "VERIFIED" in verified.stdout
    module = subprocess.run(
        [sys.executable, "-m", "transcript.verify", str(bundle)], capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert module.returncode == 0, module.stdout

    files = _unzip(bundle, tmp_path / "b")
    manifest = json.loads((files / "manifest.json").read_bytes())
    seal = _run(
        "openssl",
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        str(files / "seal.pub.pem"),
        "-rawin",
        "-in",
        str(files / "manifest.json"),
        "-sigfile",
        str(files / "seal.sig"),
    )
    assert seal.returncode == 0 and "Signature Verified Successfully" in seal.stdout, seal
    signed = [s for s in manifest["signers"] if s["decision"] == "signed"]
    assert {s["role"] for s in signed} == {"plaintiff", "clerk", "judge"}
    for signer in signed:
        check = _run(
            "openssl",
            "dgst",
            "-sha256",
            "-verify",
            str(files / signer["public_key"]),
            "-signature",
            str(files / signer["signature"]),
            str(files / signer["manifest"]),
        )
        assert check.returncode == 0 and "Verified OK" in check.stdout, (signer, check)
    refused = [s for s in manifest["signers"] if s["decision"] == "refused"]
    assert [s["reason"] for s in refused] == ["第三条记录与我的陈述不符 / entry 3 is wrong"]
    segments = sorted((files / "recording").iterdir())
    assert len(segments) == 2
    for segment in segments:
        decoded = _run("ffmpeg", "-nostdin", "-v", "error", "-i", str(segment), "-f", "null", "-")
        assert decoded.returncode == 0 and decoded.stderr == "", decoded.stderr
    text = _run("pdftotext", str(files / "transcript.pdf"), "-").stdout
    for name in ("张三", "Li Si", "Judge", "Clerk"):
        assert name in text
    assert "Refused to sign" in text and manifest["seal"]["fingerprint"] in text
    assert "openssl dgst -sha256 -verify" in (files / "VERIFY.md").read_text()


def _rewrite(bundle: Path, out: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """Copy the zip, passing every member through ``change`` (None drops it)."""
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info.filename))
            if data is not None:
                target.writestr(info.filename, data)
    return out


def _flip(data: bytes, at: int | None = None) -> bytes:
    index = len(data) // 2 if at is None else at
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _failures(bundle: Path) -> str:
    report = verify_bundle(bundle)
    assert report.failures, "tampering was not detected"
    return "\n".join(report.failures)


async def test_tampering_with_any_file_is_detected_and_named(
    signing_room: SigningRoom, tmp_path: Path
) -> None:
    room = signing_room
    bundle = await _sealed_bundle(room, tmp_path / "bundle.zip")
    assert verify_bundle(bundle).failures == []
    manifest = json.loads(zipfile.ZipFile(bundle).read("manifest.json"))
    signer = next(s for s in manifest["signers"] if s["role"] == "plaintiff")
    segment = manifest["recording"]["segments"][0]["path"]
    for target in (segment, "transcript.json", "events.jsonl", signer["signature"],
                   signer["manifest"], "manifest.json", "seal.sig", "transcript.pdf",
                   signer["image"], "tree_heads.json"):  # fmt: skip
        tampered = _rewrite(
            bundle,
            tmp_path / "t.zip",
            lambda name, data, t=target: _flip(data) if name == t else data,
        )
        assert target in _failures(tampered), target

    def events(change: Callable[[list[bytes]], list[bytes]]) -> Path:
        return _rewrite(
            bundle,
            tmp_path / "e.zip",
            lambda name, data: (
                b"".join(change(data.splitlines(keepends=True))) if name == "events.jsonl" else data
            ),
        )

    middle = _failures(events(lambda lines: lines[:5] + lines[6:]))
    assert "events.jsonl" in middle and "seq" in middle
    assert "events.jsonl" in _failures(events(lambda lines: lines[:-3]))


async def test_a_manifest_re_signed_with_another_key_is_detected(
    signing_room: SigningRoom, tmp_path: Path
) -> None:
    room = signing_room
    bundle = await _sealed_bundle(room, tmp_path / "bundle.zip")
    manifest = json.loads(zipfile.ZipFile(bundle).read("manifest.json"))
    signer = next(s for s in manifest["signers"] if s["role"] == "plaintiff")
    forger = PhoneKey()
    pem = forger.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signed_bytes = zipfile.ZipFile(bundle).read(signer["manifest"])
    forged = {signer["signature"]: forger.private.sign(signed_bytes, ec.ECDSA(hashes.SHA256())),
              signer["public_key"]: pem}  # fmt: skip
    swapped = _rewrite(bundle, tmp_path / "f.zip", lambda name, data: forged.get(name, data))
    assert signer["public_key"] in _failures(swapped)

    # A forger who also rewrites manifest.json's hashes must re-seal it with a key of their own:
    # the tree heads (signed by the court) and the log's key binding still give them away.
    import hashlib

    members = {n: zipfile.ZipFile(swapped).read(n) for n in zipfile.ZipFile(swapped).namelist()}
    for entry in manifest["files"]:
        entry["sha256"] = hashlib.sha256(members[entry["path"]]).hexdigest()
    fake_seal = Ed25519PrivateKey.generate()
    fake_pub = fake_seal.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    manifest["seal"]["fingerprint"] = hashlib.sha256(
        fake_seal.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).hexdigest()
    raw = canonical_json(manifest)
    members.update(
        {"manifest.json": raw, "seal.sig": fake_seal.sign(raw), "seal.pub.pem": fake_pub}
    )
    resealed = _rewrite(swapped, tmp_path / "r.zip", lambda name, data: members[name])
    report = _failures(resealed)
    assert "tree_heads.json" in report and signer["public_key"] in report
    pinned = verify_bundle(bundle, seal_fingerprint=manifest["seal"]["fingerprint"])
    assert any("seal.pub.pem" in f for f in pinned.failures)


@pytest.mark.parametrize("corrupt", ["not a zip", ""])
def test_an_unreadable_bundle_is_a_failure(tmp_path: Path, corrupt: str) -> None:
    path = tmp_path / "x.zip"
    path.write_text(corrupt)
    assert verify_bundle(path).failures
