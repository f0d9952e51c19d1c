"""The PDF's last page: each signer's handwritten signature, name, role, time and key."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.lib.utils import ImageReader  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from hearing_server.domain.labels import Locale, role_label
from transcript.pdf import MARGIN, PAGE_HEIGHT, PAGE_WIDTH

ROW_HEIGHT = 42 * mm
IMAGE_WIDTH, IMAGE_HEIGHT = 60 * mm, 22 * mm


@dataclass(frozen=True)
class SignatureLine:
    name: str
    role: str
    decision: str  # signed | refused
    at: str
    key_fingerprint: str
    image_png: bytes
    reason: str = ""


def signature_pages(
    lines: Sequence[SignatureLine], *, seal_fingerprint: str
) -> Callable[[Canvas, str], None]:
    """A ``render_pdf(last_pages=...)`` callback drawing the signature page(s)."""

    def draw(canvas: Canvas, font: str) -> None:
        y = PAGE_HEIGHT - MARGIN

        def text(value: str, x: float, size: float = 10.0) -> None:
            canvas.setFont(font, size)
            canvas.drawString(x, y, value)

        def new_page() -> None:
            nonlocal y
            canvas.showPage()
            y = PAGE_HEIGHT - MARGIN

        y -= 16
        text("签名 / Signatures", MARGIN, 14.0)
        y -= 24
        for line in lines:
            if y - ROW_HEIGHT < MARGIN:
                new_page()
            role = f"{role_label(line.role, Locale.ZH)} / {role_label(line.role, Locale.EN)}"
            text(f"{line.name}  ({role})", MARGIN, 11.0)
            y -= 14
            if line.decision == "signed":
                text(f"签名时间 Signed at: {line.at}", MARGIN, 9.0)
                y -= 12
                text(f"密钥指纹 Key SHA-256: {line.key_fingerprint}", MARGIN, 7.5)
                image = ImageReader(io.BytesIO(line.image_png))
                canvas.drawImage(
                    image, PAGE_WIDTH - MARGIN - IMAGE_WIDTH, y - 4, IMAGE_WIDTH, IMAGE_HEIGHT,
                    preserveAspectRatio=True, anchor="sw", mask="auto",
                )  # fmt: skip
            else:
                text(f"拒绝签名 Refused to sign: {line.at}", MARGIN, 9.0)
                y -= 12
                text(f"理由 Reason: {line.reason[:120]}", MARGIN, 9.0)
            y -= ROW_HEIGHT - 26
        if y - 30 < MARGIN:
            new_page()
        y -= 10
        text(f"法院印章 Court seal (Ed25519) SHA-256: {seal_fingerprint}", MARGIN, 7.5)
        canvas.showPage()

    return draw
