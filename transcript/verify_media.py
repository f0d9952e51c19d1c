"""The recording, checked with ffmpeg in its own process (PyAV is never loaded): every file under
``recording/`` decodes without a single error line (``--decode``)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from transcript.verify_report import Report
from transcript.verify_zip import BundleArchive

DECODE_TIMEOUT_S = 600


def decode_media(archive: BundleArchive, report: Report) -> None:
    """Decode every file under recording/ with ffmpeg (needs ffmpeg on PATH)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        report.fail("recording/", "ffmpeg not found: cannot decode the recording")
        return
    names = sorted(n for n in archive.names if n.startswith("recording/") and not n.endswith("/"))
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            target = Path(scratch) / Path(name).name
            if not archive.extract(name, target):
                continue
            try:
                result = subprocess.run(
                    [ffmpeg, "-nostdin", "-v", "error", "-i", str(target), "-f", "null", "-"],
                    capture_output=True, text=True, timeout=DECODE_TIMEOUT_S, check=False,
                )  # fmt: skip
            except subprocess.TimeoutExpired:
                report.fail(name, f"ffmpeg did not finish decoding it in {DECODE_TIMEOUT_S} s")
                continue
            finally:
                target.unlink(missing_ok=True)
            if result.returncode != 0 or result.stderr.strip():
                first = result.stderr.strip().splitlines()[:2]
                report.fail(name, f"ffmpeg cannot decode it cleanly: {' | '.join(first)[:200]}")
            else:
                report.ok(f"{name} decodes cleanly")
