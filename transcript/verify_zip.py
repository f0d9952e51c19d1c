"""The bundle's zip, read strictly: every entry named once, with a safe name, and every read
that fails (a CRC error, a truncated or corrupt entry) a named failure instead of a traceback.

A zip may hold two entries of the same name: ``zipfile`` reads the last, ``unzip`` extracts the
first, so a forged copy could be what a person reads while the verifier checks another. Such a
bundle is refused outright, as is a name that could land outside the folder it is unzipped in.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from transcript.verify_report import Report

# What reading a damaged zip can raise: a bad CRC or header (BadZipFile), a corrupt deflate
# stream (zlib.error), a file cut short (EOFError, OSError), an encrypted or unknown-method
# entry (RuntimeError, NotImplementedError), a bad size field (ValueError).
ZIP_ERRORS = (
    zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError,
    ValueError,
)  # fmt: skip


def _unsafe(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        name.startswith("/") or "\\" in name or "\x00" in name or ".." in path.parts
        or (len(name) > 1 and name[1] == ":")
    )  # fmt: skip


class BundleArchive:
    """The zip's entries, checked once on opening; reads report their own failures."""

    def __init__(self, archive: zipfile.ZipFile, report: Report) -> None:
        self.archive = archive
        self.report = report
        counts = Counter(info.filename for info in archive.infolist())
        self.names = set(counts)
        self.sound = True
        for name, count in sorted(counts.items()):
            if count > 1:
                self.report.fail(
                    name, f"the zip holds {count} entries of this name (unzip would extract"
                    " one, a verifier might read another): refused",
                )  # fmt: skip
                self.sound = False
            if _unsafe(name):
                self.report.fail(name, "an unsafe entry name (absolute, or with ..): refused")
                self.sound = False

    def read(self, name: str) -> bytes | None:
        if name not in self.names:
            self.report.fail(name, "missing from the bundle")
            return None
        try:
            return self.archive.read(name)
        except ZIP_ERRORS as exc:
            self.report.fail(name, f"cannot be read from the zip ({_reason(exc)})")
            return None

    def sha256(self, name: str) -> str | None:
        """The entry's SHA-256, read in pieces (segments are large), or None if unreadable."""
        digest = hashlib.sha256()
        return digest.hexdigest() if self._stream(name, digest.update) else None

    def extract(self, name: str, target: Path) -> bool:
        try:
            with open(target, "wb") as out:
                return self._stream(name, out.write)
        except OSError as exc:
            self.report.fail(name, f"cannot be copied out of the zip ({_reason(exc)})")
            return False

    def _stream(self, name: str, sink: Callable[[bytes], object]) -> bool:
        """Feed the entry to ``sink`` in 1 MiB pieces; False (reported) if it cannot be read."""
        try:
            with self.archive.open(name) as source:
                while chunk := source.read(1 << 20):
                    sink(chunk)
        except ZIP_ERRORS as exc:
            self.report.fail(name, f"cannot be read from the zip ({_reason(exc)})")
            return False
        return True


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "CRC" in text:
        return f"checksum error: {text}"
    return text[:200]


def open_bundle(path: Path, report: Report) -> zipfile.ZipFile | None:
    """The zip at ``path``, or None with the reason reported (not a zip, truncated, absent)."""
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        report.fail(str(path), "no such file")
    except IsADirectoryError:
        report.fail(str(path), "is a folder, not a bundle zip")
    except ZIP_ERRORS as exc:
        report.fail(str(path), f"not a readable zip ({_reason(exc)}; truncated or not a bundle?)")
    return None
