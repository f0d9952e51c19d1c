"""The court seal: created once, stable, and its signatures verify with openssl."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hearing_server.services.seal import load_or_create_seal, verify_seal
from tests.support.processes import run_cli


def test_seal_is_created_once_and_verifies_with_openssl(tmp_path: Path) -> None:
    seal = load_or_create_seal(tmp_path)
    again = load_or_create_seal(tmp_path)
    assert again.fingerprint == seal.fingerprint
    assert seal.path.stat().st_mode & 0o077 == 0
    data = "hearing manifest 庭审".encode()
    signature = seal.sign(data)
    assert verify_seal(seal.public_pem, signature, data)
    assert not verify_seal(seal.public_pem, signature, data + b"!")
    (tmp_path / "pub.pem").write_bytes(seal.public_pem)
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "sig").write_bytes(signature)
    command = [
        "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"),
        "-rawin", "-in", str(tmp_path / "data"), "-sigfile", str(tmp_path / "sig"),
    ]  # fmt: skip
    good = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert good.returncode == 0, good.stderr
    (tmp_path / "data").write_bytes(data + b"!")
    bad = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert bad.returncode != 0


async def test_seal_key_show(tmp_path: Path) -> None:
    env = {"HEARING_DATA_DIR": str(tmp_path)}
    shown = await run_cli("seal-key", "show", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "BEGIN PUBLIC KEY" in shown.stdout
    assert load_or_create_seal(tmp_path).fingerprint in shown.stdout
