"""VERIFY.md: the bundle's own instructions for checking it by hand, with this bundle's names."""

from __future__ import annotations

from typing import Any

_INTRO = """# Verifying this bundle

Hearing {hearing_id}, case {case_number}. Made by Hearing Server on {created_at}.

The quickest check, on any computer with Hearing Server installed (no network, no database):

    hearing-server verify bundle.zip        # or: python -m transcript.verify bundle.zip

It exits 0 only if every check below holds, and names each file that fails. The same checks
by hand, with standard tools (OpenSSL 3, coreutils, ffmpeg), after `unzip bundle.zip -d b && cd b`:

## 1. The court seal over manifest.json

`manifest.json` lists every other file with its SHA-256. The court's Ed25519 key signed its
exact bytes; `seal.pub.pem` is that key (compare its fingerprint with the court's published one:
`{seal_fingerprint}`).

    openssl pkey -pubin -in seal.pub.pem -outform DER | sha256sum
    openssl pkeyutl -verify -pubin -inkey seal.pub.pem -rawin -in manifest.json -sigfile seal.sig

## 2. Every file's hash

    jq -r '.files[] | "\\(.sha256)  \\(.path)"' manifest.json | sha256sum -c

## 3. Each signer's signature (ECDSA P-256, SHA-256)

Each signer signed the exact bytes of their `manifest.json`, which names the transcript's
SHA-256 (`transcript.json`), every recording segment with its SHA-256 and their Merkle root,
the event log's head, the signer's key fingerprint and the SHA-256 of their handwritten
signature image.

"""

_SIGNER = """### {name} ({role})

    openssl dgst -sha256 -verify {public_key} -signature {signature} {manifest}
    openssl pkey -pubin -in {public_key} -outform DER | sha256sum    # {key_fingerprint}
    sha256sum {image} transcript.json

"""

_REFUSED = """### {name} ({role}) refused to sign

Reason on record: {reason}

"""

_TAIL = """## 4. The recording

Every segment under `recording/` is the original Matroska file the server recorded (VP8 or
Opus, never re-encoded). Each must decode without errors (no output):

    for f in recording/*; do ffmpeg -v error -i "$f" -f null -; done
    ffprobe -v error -show_streams -show_format -of json recording/<file>

## 5. The event log

`events.jsonl` holds one event per line. Each event's `hash` is the SHA-256 of the canonical
JSON (RFC 8785 style: sorted keys, no spaces, UTF-8) of `{{hearing_id, seq, at, actor, kind,
payload, prev_hash}}`, and each `prev_hash` is the hash of the event before (the first is 64
zeros). The last hash is `event_log.head_hash` in `manifest.json`. `tree_heads.json` holds
tree heads signed by the court seal: RFC 9162 Merkle roots over the events' hashes. The
hearing-server verifier recomputes all of this; docs/bundle.md gives the formulas.
"""


def verify_readme(manifest: dict[str, Any]) -> str:
    hearing = manifest["hearing"]
    parts = [
        _INTRO.format(
            hearing_id=hearing["id"],
            case_number=hearing["case_number"],
            created_at=manifest["created_at"],
            seal_fingerprint=manifest["seal"]["fingerprint"],
        )
    ]
    for signer in manifest["signers"]:
        template = _SIGNER if signer["decision"] == "signed" else _REFUSED
        parts.append(template.format(**signer))
    parts.append(_TAIL)
    return "".join(parts)
