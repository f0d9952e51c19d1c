"""Offline verification of a sealed hearing bundle: ``python -m transcript.verify F.zip``.

Needs only the zip (and optionally the court seal's fingerprint to pin): no server, no
database, no network. Checks the court seal over manifest.json, every file's SHA-256, the
transcript's canonical form and hash, the recording segments and their Merkle root, the event
log's hash chain and head, the signed tree heads, and every signer's signature over their
exact manifest bytes (and that manifest's agreement with the bundle and the log). Prints one
line per check and exits 0 only if all hold; each failure names the file it concerns.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hearing_server.domain.canonical import CanonicalJSONError, canonical_json
from transcript.manifest import ManifestError, SegmentRef, SigningManifest, segments_merkle_root
from transcript.verify_log import check_event_log, check_tree_heads
from transcript.verify_media import decode_media
from transcript.verify_report import Report, read_json
from transcript.verify_shape import manifest_problem
from transcript.verify_zip import BundleArchive, open_bundle

__all__ = ["BundleVerifier", "Report", "add_arguments", "main", "run", "verify_bundle"]

UNHASHED = frozenset({"manifest.json", "seal.sig", "seal.pub.pem"})


def _spki_fingerprint(pem: bytes) -> tuple[Any, str]:
    key = serialization.load_pem_public_key(pem)
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, hashlib.sha256(der).hexdigest()


class BundleVerifier:
    def __init__(self, archive: zipfile.ZipFile, *, seal_fingerprint: str | None = None) -> None:
        self.report = Report()
        self.zip = BundleArchive(archive, self.report)
        self.names = self.zip.names
        self.pinned_seal = seal_fingerprint
        self.manifest: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []
        self.seal_key: Ed25519PublicKey | None = None

    def read(self, name: str) -> bytes | None:
        return self.zip.read(name)

    def run(self) -> Report:
        if not self.zip.sound or not self.check_seal():
            return self.report
        self.check_files()
        self.check_transcript()
        self.check_recording()
        self.check_events()
        self.check_tree_heads()
        self.check_signers()
        return self.report

    # -- seal and manifest -------------------------------------------------------------

    def check_seal(self) -> bool:
        raw, signature, pem = (self.read(n) for n in ("manifest.json", "seal.sig", "seal.pub.pem"))
        if raw is None or signature is None or pem is None:
            return False
        try:
            manifest = read_json(raw)
            if canonical_json(manifest) != raw:
                raise ValueError("not canonical JSON")
        except (ValueError, UnicodeDecodeError, CanonicalJSONError, RecursionError) as exc:
            self.report.fail("manifest.json", f"unreadable ({str(exc)[:200]})")
            return False
        problem = manifest_problem(manifest)
        if problem is not None:
            self.report.fail("manifest.json", f"malformed: {problem}")
            return False
        self.manifest = manifest
        try:
            key, fingerprint = _spki_fingerprint(pem)
        except ValueError:
            self.report.fail("seal.pub.pem", "not a PEM public key")
            return False
        if not isinstance(key, Ed25519PublicKey):
            self.report.fail("seal.pub.pem", "the court seal must be an Ed25519 key")
            return False
        self.seal_key = key
        try:
            key.verify(signature, raw)
            self.report.ok(f"court seal over manifest.json (key {fingerprint})")
        except InvalidSignature:
            self.report.fail(
                "seal.sig", "the court seal does not verify over manifest.json (one was changed)"
            )
        if self.manifest["seal"].get("fingerprint") != fingerprint:
            self.report.fail("seal.pub.pem", "its fingerprint differs from manifest.json's")
        if self.pinned_seal is not None and self.pinned_seal.lower() != fingerprint:
            self.report.fail("seal.pub.pem", f"not the court's seal {self.pinned_seal}")
        return True

    def check_files(self) -> None:
        listed = {str(f.get("path")): f for f in self.manifest.get("files", [])}
        bad = 0
        for path, entry in sorted(listed.items()):
            if path not in self.names:
                self.report.fail(path, "listed in manifest.json but missing")
                bad += 1
                continue
            digest = self.zip.sha256(path)
            if digest is None:
                bad += 1
            elif digest != entry.get("sha256"):
                self.report.fail(path, "SHA-256 differs from manifest.json (the file was changed)")
                bad += 1
        for path in sorted(self.names - set(listed) - UNHASHED):
            if not path.endswith("/"):
                self.report.fail(path, "not listed in manifest.json")
                bad += 1
        if not bad:
            self.report.ok(f"{len(listed)} files match their SHA-256 in manifest.json")

    # -- transcript, recording, events -------------------------------------------------

    def check_transcript(self) -> None:
        info = self.manifest.get("transcript", {})
        raw = self.read("transcript.json")
        if raw is None:
            return
        try:
            canonical = canonical_json(read_json(raw)) == raw
        except (ValueError, UnicodeDecodeError, CanonicalJSONError):
            canonical = False
        if not canonical:
            self.report.fail("transcript.json", "not the transcript's canonical JSON")
        elif hashlib.sha256(raw).hexdigest() != info.get("sha256"):
            self.report.fail("transcript.json", "hash differs from manifest.json's transcript")
        else:
            self.report.ok(f"transcript.json is canonical, SHA-256 {info.get('sha256')}")

    def segments(self) -> tuple[SegmentRef, ...]:
        raw = self.manifest.get("recording", {}).get("segments", [])
        return tuple(SegmentRef.from_json(item, f"segments[{i}]") for i, item in enumerate(raw))

    def check_recording(self) -> None:
        recording = self.manifest.get("recording", {})
        try:
            segments = self.segments()
        except ManifestError as exc:
            self.report.fail("manifest.json", f"recording segments: {exc}")
            return
        files = {str(f.get("path")): f for f in self.manifest.get("files", [])}
        for segment in segments:
            if files.get(segment.path, {}).get("sha256") != segment.sha256:
                self.report.fail(segment.path, "not in the bundle with the segment's SHA-256")
        if segments_merkle_root(segments) != recording.get("merkle_root"):
            self.report.fail("manifest.json", "recording Merkle root does not match the segments")
        else:
            self.report.ok(f"{len(segments)} recording segments, Merkle root matches")

    def check_events(self) -> None:
        raw = self.read("events.jsonl")
        if raw is None:
            return
        info = self.manifest.get("event_log", {})
        self.events = check_event_log(
            self.report, raw, hearing_id=self.manifest.get("hearing", {}).get("id"),
            size=info.get("size"), head_hash=info.get("head_hash"),
        )  # fmt: skip

    def check_tree_heads(self) -> None:
        raw = self.read("tree_heads.json")
        if raw is None or self.seal_key is None:
            return
        hearing_id = self.manifest.get("hearing", {}).get("id")
        check_tree_heads(self.report, raw, self.events, self.seal_key, hearing_id=hearing_id)

    # -- signers -----------------------------------------------------------------------

    def check_signers(self) -> None:
        for signer in self.manifest.get("signers", []):
            name = f"{signer.get('name')} ({signer.get('role')})"
            if signer.get("decision") == "refused":
                if self._logged("signature.refused", signer["participant_id"]) is None:
                    self.report.fail("events.jsonl", f"{name}'s refusal is not in the log")
                else:
                    self.report.ok(f"{name} refused to sign: {signer.get('reason')}")
                continue
            self.check_signature(signer, name)

    def _logged(self, kind: str, participant_id: int, **match: Any) -> dict[str, Any] | None:
        for event in self.events:
            payload = event.get("payload", {})
            if kind == "transcript.signature_added":
                actor = payload.get("payload", {}).get("actor", {})
                who, body = actor.get("id"), payload.get("payload", {})
            else:
                who, body = payload.get("participant_id"), payload
            if (
                event.get("kind") == kind
                and str(who) == str(participant_id)
                and all(body.get(k) == v for k, v in match.items())
            ):
                return event
        return None

    def check_signature(self, signer: dict[str, Any], name: str) -> None:
        paths = [signer.get(k, "") for k in ("manifest", "signature", "public_key", "image")]
        manifest_raw, signature, pem, image = (self.read(str(p)) for p in paths)
        if manifest_raw is None or signature is None or pem is None or image is None:
            return
        where = str(paths[0])
        try:
            key, fingerprint = _spki_fingerprint(pem)
        except ValueError:
            self.report.fail(str(paths[2]), "not a PEM public key")
            return
        if not isinstance(key, ec.EllipticCurvePublicKey):
            self.report.fail(str(paths[2]), "not an ECDSA key")
            return
        try:
            key.verify(signature, manifest_raw, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            self.report.fail(str(paths[1]), f"{name}'s signature does not verify over {where}")
            return
        try:
            signed = SigningManifest.from_bytes(manifest_raw)
        except ManifestError as exc:
            self.report.fail(where, str(exc))
            return
        problems = self._signed_problems(signer, signed, fingerprint, image)
        for message in problems:
            self.report.fail(where if "image" not in message else str(paths[3]), message)
        if self._logged("signer_key.bound", signer["participant_id"],
                        fingerprint=fingerprint) is None:  # fmt: skip
            self.report.fail(str(paths[2]), f"{name}'s key was never bound to them in the log")
            problems.append("key")
        if self._logged("transcript.signature_added", signer["participant_id"]) is None:
            self.report.fail("events.jsonl", f"{name}'s signature is not in the log")
            problems.append("log")
        if not problems:
            self.report.ok(f"{name} signed (key {fingerprint[:16]}…, {signed.signed_at})")

    def _signed_problems(
        self, signer: dict[str, Any], signed: SigningManifest, fingerprint: str, image: bytes
    ) -> list[str]:
        problems = []
        hearing = self.manifest.get("hearing", {})
        if (signed.hearing_id, signed.case_number) != (hearing.get("id"),
                                                       hearing.get("case_number")):  # fmt: skip
            problems.append("signed for another hearing")
        if signed.transcript_sha256 != self.manifest.get("transcript", {}).get("sha256"):
            problems.append("signed another transcript than transcript.json")
        if signed.segments != self.segments():
            problems.append("signed another set of recording segments")
        event = self.events[signed.event_log_size - 1] if (
            0 < signed.event_log_size <= len(self.events)) else {}  # fmt: skip
        if event.get("hash") != signed.event_log_head:
            problems.append("signed an event log head that is not in events.jsonl")
        if fingerprint != signed.signer.key_fingerprint or fingerprint != signer.get(
            "key_fingerprint"
        ):
            problems.append("the public key is not the one the signer's manifest names")
        if (signed.signer.participant_id, signed.signer.role) != (
            signer.get("participant_id"), signer.get("role")):  # fmt: skip
            problems.append("the signed manifest names another signer")
        if hashlib.sha256(image).hexdigest() != signed.signature_image_sha256:
            problems.append("the signature image is not the one that was signed")
        return problems


def verify_bundle(
    path: Path, *, seal_fingerprint: str | None = None, decode: bool = False
) -> Report:
    """Every check on the bundle at ``path``; whatever goes wrong is a failure in the report."""
    report = Report()
    archive = open_bundle(path, report)
    if archive is None:
        return report
    with archive:
        try:
            verifier = BundleVerifier(archive, seal_fingerprint=seal_fingerprint)
            report = verifier.run()
            if decode and verifier.zip.sound:
                decode_media(verifier.zip, report)
        except Exception as exc:  # a bundle crafted to crash a check is still only a failure
            report.fail(str(path), f"cannot be checked ({type(exc).__name__}: {str(exc)[:200]})")
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", type=Path, help="the bundle zip")
    parser.add_argument("--seal-fingerprint", help="the court seal's SHA-256 fingerprint to pin")
    parser.add_argument("--decode", action="store_true", help="also decode recordings (ffmpeg)")


def run(args: argparse.Namespace) -> int:
    report = verify_bundle(args.bundle, seal_fingerprint=args.seal_fingerprint, decode=args.decode)
    for line in report.lines:
        print(line)
    if report.failures:
        print(f"\nNOT VERIFIED: {len(report.failures)} problem(s) in {args.bundle}")
        return 1
    print(f"\nVERIFIED: {args.bundle} is intact, sealed and signed as it states")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m transcript.verify", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
