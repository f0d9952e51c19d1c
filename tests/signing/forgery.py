"""Tools for tampering with a sealed bundle as an attacker would: rewrite the zip's entries, and,
holding the court's seal key, re-hash manifest.json and re-seal it."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hearing_server.domain.canonical import canonical_json

Members = dict[str, bytes]


def members(bundle: Path) -> Members:
    with zipfile.ZipFile(bundle) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(entries: Iterable[tuple[str, bytes]], out: Path) -> Path:
    """Every (name, data) in order, duplicates kept (``zipfile`` warns, and writes them)."""
    import warnings

    with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as archive:
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name"
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    return out


def manifest_of(files: Members) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(files["manifest.json"])
    return value


def reseal(files: Members, manifest: dict[str, Any], seal_key: Path) -> Members:
    """What a seal-key holder can do: list every file's new hash and sign the manifest again."""
    key = serialization.load_pem_private_key(seal_key.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    manifest["files"] = sorted(
        ({"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
         for name, data in files.items()
         if name not in ("manifest.json", "seal.sig", "seal.pub.pem")),
        key=lambda entry: str(entry["path"]),
    )  # fmt: skip
    raw = canonical_json(manifest)
    return {**files, "manifest.json": raw, "seal.sig": key.sign(raw)}


def flip_stored_byte(bundle: Path, name: str, out: Path) -> Path:
    """One bit of a stored (uncompressed) entry's data changed in place: its CRC no longer holds."""
    raw = bytearray(bundle.read_bytes())
    with zipfile.ZipFile(bundle) as archive:
        info = archive.getinfo(name)
        assert info.compress_type == zipfile.ZIP_STORED, name
    header = info.header_offset
    name_length = int.from_bytes(raw[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(raw[header + 28 : header + 30], "little")
    start = header + 30 + name_length + extra_length
    raw[start + info.file_size // 2] ^= 0x01
    out.write_bytes(bytes(raw))
    return out
