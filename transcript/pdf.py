"""The transcript as a PDF court record, with an embedded CJK TrueType font (reportlab).

Header (court, document title, case number, title, date, parties), stages as headings,
speaker-labelled entries with hh:mm:ss hearing times, then the correction requests with their
rulings and the record's canonical hash. The font is a TrueType-outline CJK font (Debian
``fonts-wqy-zenhei`` by default); its glyphs cover Latin too, so one font serves all text and
``pdftotext`` recovers the text through the ToUnicode maps reportlab writes. Output is
byte-for-byte deterministic (reportlab's invariant mode).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFError, TTFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from transcript.exceptions import FontMissing, RenderError
from transcript.header import HearingHeader
from transcript.presentation import RECORD_TEXTS, Locale, record_text
from transcript.replica import TranscriptReplica

DEFAULT_FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
FONT_PACKAGE = "fonts-wqy-zenhei"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
BODY_SIZE = 10.5
BODY_LEADING = 15.0
HEADING_SIZE = 12.5
TITLE_SIZE = 16.0
INDENT = 12.0

# A break may come before or after any CJK character or full-width punctuation, and at spaces;
# runs of other characters (Latin words, numbers) are kept whole unless longer than a line.
_TOKEN = re.compile(r"\s+|[^\s\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef]+|.")


@dataclass(frozen=True)
class PdfFont:
    """Which TrueType(-collection) font to embed; ``subfont_index`` picks a face in a .ttc."""

    path: Path = DEFAULT_FONT_PATH
    subfont_index: int = 0

    @property
    def registered_name(self) -> str:
        key = hashlib.sha256(f"{self.path}#{self.subfont_index}".encode()).hexdigest()[:12]
        return f"HearingCJK-{key}"


def register_font(font: PdfFont) -> str:
    """Register ``font`` with reportlab once per process; return its name. Raise ``FontMissing``."""
    name = font.registered_name
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    if not font.path.is_file():
        raise FontMissing(
            f"CJK font not found at {font.path}: install the Debian package {FONT_PACKAGE}"
            " or pass PdfFont(path=...) naming a TrueType font (.ttf/.ttc) with CJK glyphs"
        )
    try:
        pdfmetrics.registerFont(TTFont(name, str(font.path), subfontIndex=font.subfont_index))
    except (TTFError, OSError) as error:
        raise FontMissing(f"cannot embed font {font.path}: {error}") from error
    return name


class _Widths:
    """Per-character advance widths at one size, cached: wrapping measures every character."""

    def __init__(self, font_name: str, size: float) -> None:
        self._font_name = font_name
        self._size = size
        self._cache: dict[str, float] = {}

    def __call__(self, text: str) -> float:
        cache = self._cache
        try:
            return sum(map(cache.__getitem__, text))
        except KeyError:
            for char in text:
                if char not in cache:
                    cache[char] = float(pdfmetrics.stringWidth(char, self._font_name, self._size))
            return sum(map(cache.__getitem__, text))


def wrap_text(
    text: str,
    measure: Callable[[str], float],
    first_width: float,
    rest_width: float | None = None,
) -> list[str]:
    """Greedy line breaking for mixed CJK/Latin text; explicit line breaks are kept.

    The first line may be ``first_width`` wide, later ones ``rest_width`` (a hanging indent).
    """
    lines: list[str] = []

    def limit() -> float:
        return first_width if not lines or rest_width is None else rest_width

    for paragraph in text.split("\n"):
        line, width = "", 0.0
        for token in _TOKEN.findall(paragraph):
            token_width = measure(token)
            if width + token_width <= limit():
                line, width = line + token, width + token_width
                continue
            if token.isspace():
                lines.append(line)
                line, width = "", 0.0
                continue
            if line.strip():
                lines.append(line.rstrip())
                line, width = "", 0.0
            if token_width <= limit():
                line, width = token, token_width
                continue
            for char in token:  # a token wider than a line: break it anywhere
                char_width = measure(char)
                if width + char_width > limit() and line:
                    lines.append(line)
                    line, width = "", 0.0
                line, width = line + char, width + char_width
        lines.append(line.rstrip())
    return lines


class _PageWriter:
    """Top-to-bottom text placement with page breaks and a page-number footer.

    Each page's text goes into one PDF text object, and the font is set only when the size
    changes: per-line ``drawString`` calls cost several times more on long transcripts.
    """

    def __init__(self, canvas: Canvas, font_name: str, locale: Locale) -> None:
        self._canvas = canvas
        self._font = font_name
        self._locale = locale
        self._page = 1
        self._y = PAGE_HEIGHT - MARGIN
        self._size = 0.0
        self._text = canvas.beginText()
        self.body_width = _Widths(font_name, BODY_SIZE)

    def line(
        self, text: str, *, size: float = BODY_SIZE, x: float = MARGIN, centred: bool = False
    ) -> None:
        leading = max(BODY_LEADING, size * 1.4)
        if self._y - leading < MARGIN:
            self._finish_page()
        self._y -= leading
        self._put(text, size, x, centred=centred)

    def _put(self, text: str, size: float, x: float, *, centred: bool = False) -> None:
        if size != self._size:
            self._text.setFont(self._font, size)
            self._size = size
        if centred:
            width = float(pdfmetrics.stringWidth(text, self._font, size))
            x = (PAGE_WIDTH - width) / 2
        self._text.setTextOrigin(x, self._y)
        self._text.textOut(text)

    def gap(self, points: float) -> None:
        self._y -= points

    def paragraph(self, text: str) -> None:
        """Wrapped body text with a hanging indent for the lines after the first."""
        width = PAGE_WIDTH - 2 * MARGIN
        wrapped = wrap_text(text, self.body_width, width, width - INDENT)
        self.line(wrapped[0])
        for piece in wrapped[1:]:
            self.line(piece, x=MARGIN + INDENT)

    def _footer(self) -> None:
        label = RECORD_TEXTS[self._locale]["page"].format(number=self._page)
        self._y = MARGIN / 2
        self._put(label, 9.0, 0.0, centred=True)
        self._canvas.drawText(self._text)

    def _finish_page(self) -> None:
        self._footer()
        self._canvas.showPage()
        self._page += 1
        self._y = PAGE_HEIGHT - MARGIN
        self._size = 0.0
        self._text = self._canvas.beginText()

    def close(self) -> None:
        self._footer()
        self._canvas.showPage()


def render_pdf(
    transcript: TranscriptReplica,
    header: HearingHeader,
    *,
    locale: Locale = Locale.ZH,
    font: PdfFont | None = None,
    last_pages: Callable[[Canvas, str], None] | None = None,
) -> bytes:
    """``last_pages(canvas, font_name)`` may draw pages after the record (the signatures)."""
    font_name = register_font(font or PdfFont())
    labels = RECORD_TEXTS[locale]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(f"{labels['document']} {header.case_number}")
    canvas.setSubject(header.title)
    canvas.setCreator("hearing-server")
    writer = _PageWriter(canvas, font_name, locale)
    try:
        record = record_text(transcript, header, locale)
        for title in record.title:
            writer.line(title, size=TITLE_SIZE, centred=True)
        writer.gap(6)
        for text in record.header:
            writer.paragraph(text)
        for heading, entries in record.stages:
            writer.gap(8)
            writer.line(heading, size=HEADING_SIZE)
            for entry in entries:
                writer.paragraph(f"{entry.lead}{entry.text}")
        if record.corrections is not None:
            writer.gap(8)
            writer.line(record.corrections.heading, size=HEADING_SIZE)
            for text in record.corrections.lines:
                writer.paragraph(text)
        writer.gap(8)
        writer.paragraph(record.record_hash)
        writer.close()
        if last_pages is not None:
            last_pages(canvas, font_name)
        canvas.save()
    except (ValueError, KeyError, OSError) as error:
        raise RenderError(f"cannot render the transcript as PDF: {error}") from error
    return buffer.getvalue()
