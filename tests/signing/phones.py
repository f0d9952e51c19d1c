"""Play a phone's part without a browser: a P-256 key as WebCrypto makes one, a drawn PNG."""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from PIL import Image, ImageDraw


class PhoneKey:
    """An ECDSA P-256 key; signs like WebCrypto (raw r||s) or as DER."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.spki = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def spki_b64(self) -> str:
        return base64.b64encode(self.spki).decode()

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.spki).hexdigest()

    def sign_der(self, data: bytes) -> bytes:
        return self.private.sign(data, ec.ECDSA(hashes.SHA256()))

    def sign_raw(self, data: bytes) -> bytes:
        r, s = decode_dss_signature(self.sign_der(data))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def drawn_signature(seed: int = 1) -> bytes:
    """A PNG of a few strokes, as a signature pad would export."""
    image = Image.new("LA", (360, 120), (0, 0))
    pen = ImageDraw.Draw(image)
    points = [(20 + 30 * i, 60 + ((i * seed * 37) % 50) - 25) for i in range(11)]
    pen.line(points, fill=(0, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def make_segment(path: Path, seconds: float = 2.0, *, codec: str = "libvpx") -> None:
    """A real VP8 Matroska segment (ffmpeg's test source), as the recorder would leave one
    (``codec="libx264"`` and an .mp4 ``path``: a stand-in for a composite export)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         f"testsrc=size=160x120:rate=10:duration={seconds}", "-c:v", codec, "-b:v", "100k",
         "-pix_fmt", "yuv420p", "-y", str(path)],
        check=True, timeout=60,
    )  # fmt: skip


def make_audio_segment(path: Path, seconds: float = 2.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         f"sine=frequency=440:duration={seconds}", "-c:a", "libopus", "-y", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
