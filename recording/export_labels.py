"""Text drawn into the export video: names and roles, the hearing clock, the placeholder.

The FFmpeg inside PyAV's wheels is built without libfreetype, so libavfilter's ``drawtext`` is
not available to us. Text is rasterised instead by FreeType through Pillow (C code, once per
label and once per second for the clock) into small RGBA pictures that the filter graph
overlays; no pixel is touched in Python. CJK text needs a CJK font: WenQuanYi Zen Hei
(Debian ``fonts-wqy-zenhei``) by default.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

from recording.exceptions import ExportFailed

DEFAULT_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
TEXT = (255, 255, 255, 255)
BOX = (0, 0, 0, 150)
PLACEHOLDER_BACKGROUND = (52, 56, 64, 255)
ABSENT_BACKGROUND = (24, 24, 24, 255)
PADDING_X, PADDING_Y = 10, 6


@functools.lru_cache(maxsize=8)
def load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(str(path), size)
    except OSError as exc:
        message = f"font {path} cannot be loaded ({exc}); install fonts-wqy-zenhei"
        raise ExportFailed(message) from exc


def rgba_frame(image: Image.Image) -> av.VideoFrame:
    """An ``rgba`` VideoFrame of the image (rows copied into FFmpeg's padded lines)."""
    frame = av.VideoFrame(image.width, image.height, "rgba")
    plane = frame.planes[0]
    row_bytes = image.width * 4
    data = image.tobytes()
    if plane.line_size == row_bytes:
        plane.update(data)
    else:
        pad = bytes(plane.line_size - row_bytes)
        plane.update(
            b"".join(data[row : row + row_bytes] + pad for row in range(0, len(data), row_bytes))
        )
    return frame


def text_box(text: str, font: ImageFont.FreeTypeFont) -> Image.Image:
    """White text on a translucent dark box, even-sized (for 4:2:0 chroma)."""
    left, top, right, bottom = font.getbbox(text)
    width = int(right - left + 2 * PADDING_X + 1) // 2 * 2
    height = int(bottom - top + 2 * PADDING_Y + 1) // 2 * 2
    image = Image.new("RGBA", (width, height), BOX)
    ImageDraw.Draw(image).text((PADDING_X - left, PADDING_Y - top), text, font=font, fill=TEXT)
    return image


def label_frame(name: str, role: str, font: ImageFont.FreeTypeFont) -> av.VideoFrame:
    text = f"{name} · {role}" if role else name
    return rgba_frame(text_box(text, font))


def card(width: int, height: int, text: str, font: ImageFont.FreeTypeFont) -> av.VideoFrame:
    """A tile-sized picture: the placeholder (with text) or, for no text, the empty tile."""
    background = PLACEHOLDER_BACKGROUND if text else ABSENT_BACKGROUND
    image = Image.new("RGBA", (width, height), background)
    if text:
        left, top, right, bottom = font.getbbox(text)
        position = ((width - (right - left)) // 2 - left, (height - (bottom - top)) // 2 - top)
        ImageDraw.Draw(image).text(position, text, font=font, fill=(200, 200, 200, 255))
    return rgba_frame(image).reformat(format="yuv420p")


def clock_text(epoch_s: float, utc_offset_minutes: int) -> str:
    zone = timezone(timedelta(minutes=utc_offset_minutes))
    moment = datetime.fromtimestamp(epoch_s, UTC).astimezone(zone)
    sign = "+" if utc_offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(utc_offset_minutes), 60)
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC{sign}{hours:02d}:{minutes:02d}"


def clock_canvas(title: str, font: ImageFont.FreeTypeFont) -> tuple[int, int]:
    """A size every clock picture fits in (digits differ in width in most fonts)."""
    sample = "2088-08-28 28:58:58 UTC+08:00"
    widest = text_box(f"{title}  {sample}" if title else sample, font)
    return widest.width + 2 * PADDING_X, widest.height


def clock_frame(
    title: str,
    epoch_s: float,
    utc_offset_minutes: int,
    font: ImageFont.FreeTypeFont,
    canvas: tuple[int, int],
) -> av.VideoFrame:
    """The case number and the wall-clock time on a box of the fixed ``canvas`` size."""
    text = clock_text(epoch_s, utc_offset_minutes)
    line = f"{title}  {text}" if title else text
    left, top, _right, _bottom = font.getbbox(line)
    image = Image.new("RGBA", canvas, BOX)
    ImageDraw.Draw(image).text((PADDING_X - left, PADDING_Y - top), line, font=font, fill=TEXT)
    return rgba_frame(image)
