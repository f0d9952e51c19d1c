"""The shape manifest.json must have before anything in it is relied on (each field's type),
so that a malformed manifest is one named failure, never a crash."""

from __future__ import annotations

from typing import Any

_SECTIONS = ("hearing", "transcript", "recording", "event_log", "seal")
_SIGNED_PATHS = ("manifest", "signature", "public_key", "image")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def manifest_problem(manifest: Any) -> str | None:
    """What is wrong with the manifest's structure (the first thing found), or None."""
    if not isinstance(manifest, dict):
        return "not a JSON object"
    for section in _SECTIONS:
        if not isinstance(manifest.get(section), dict):
            return f"{section}: expected an object"
    if not _is_int(manifest["hearing"].get("id")):
        return "hearing.id: expected an integer"
    for key in ("files", "signers"):
        value = manifest.get(key)
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            return f"{key}: expected a list of objects"
    for index, entry in enumerate(manifest["files"]):
        if not isinstance(entry.get("path"), str) or not isinstance(entry.get("sha256"), str):
            return f"files[{index}]: expected a path and a sha256"
    for index, signer in enumerate(manifest["signers"]):
        problem = _signer_problem(signer)
        if problem:
            return f"signers[{index}]: {problem}"
    recording = manifest["recording"]
    if not isinstance(recording.get("segments"), list):
        return "recording.segments: expected a list"
    composite = recording.get("composite")
    if composite is not None and not isinstance(composite, str):
        return "recording.composite: expected a path or null"
    event_log = manifest["event_log"]
    if not _is_int(event_log.get("size")) or not isinstance(event_log.get("head_hash"), str):
        return "event_log: expected a size and a head_hash"
    return None


def _signer_problem(signer: dict[str, Any]) -> str | None:
    if not _is_int(signer.get("participant_id")):
        return "participant_id: expected an integer"
    for key in ("name", "role"):
        if not isinstance(signer.get(key), str):
            return f"{key}: expected a string"
    decision = signer.get("decision")
    if decision == "refused":
        return None if isinstance(signer.get("reason"), str) else "reason: expected a string"
    if decision != "signed":
        return "decision: expected signed or refused"
    for key in (*_SIGNED_PATHS, "key_fingerprint"):
        if not isinstance(signer.get(key), str):
            return f"{key}: expected a string"
    return None
