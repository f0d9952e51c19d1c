"""A bounded log for what unauthenticated clients send: one line each, no traceback, a budget.

Junk on ``/socket.io/`` (packets that do not parse, unknown sessions, old protocol versions)
is the client's fault, not the server's: it must not fill the disk with tracebacks. A
``BoundedLog`` writes at most ``lines_per_window`` warnings per window, counts the rest and
says how many it left out when the next window opens. It also stands in for the
``logging.Logger`` python-engineio and python-socketio are given: their info and debug lines
go to debug, anything louder becomes one budgeted warning.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

MAX_DETAIL_CHARS = 160


class BoundedLog:
    def __init__(
        self,
        logger: logging.Logger,
        *,
        now_s: Callable[[], float],
        lines_per_window: int = 10,
        window_s: float = 60.0,
    ) -> None:
        self.logger = logger
        self.level = logging.NOTSET  # read by engineio, which then leaves this logger alone
        self._now_s = now_s
        self.lines_per_window = lines_per_window
        self.window_s = window_s
        self._window_start: float | None = None
        self._written = 0
        self._left_out = 0

    def note(self, message: str, *args: object) -> None:
        """One warning line, unless this window's budget is spent (then it is counted)."""
        now = self._now_s()
        if self._window_start is None or now - self._window_start >= self.window_s:
            if self._left_out:
                self.logger.warning(
                    "%d more lines about unauthenticated socket.io traffic were left out in "
                    "the last %d s",
                    self._left_out,
                    int(now - self._window_start) if self._window_start is not None else 0,
                )
            self._window_start, self._written, self._left_out = now, 0, 0
        if self._written >= self.lines_per_window:
            self._left_out += 1
            return
        self._written += 1
        self.logger.warning(message, *args)

    # The logging.Logger methods engineio and socketio call --------------------------------

    def debug(self, message: str, *args: object, **_kwargs: Any) -> None:
        self.logger.debug(message, *args)

    def info(self, message: str, *args: object, **_kwargs: Any) -> None:
        self.logger.debug(message, *args)

    def warning(self, message: str, *args: object, **_kwargs: Any) -> None:
        self.note("socket.io: %s", _formatted(message, args))

    def error(self, message: str, *args: object, **_kwargs: Any) -> None:
        self.note("socket.io: %s", _formatted(message, args))

    def exception(self, message: str, *args: object, **_kwargs: Any) -> None:
        self.note("socket.io: %s (%s)", _formatted(message, args), exception_summary())

    critical = error


def _formatted(message: str, args: tuple[object, ...]) -> str:
    try:
        return message % args if args else message
    except (TypeError, ValueError):
        return message


def exception_summary() -> str:
    """The exception being handled as ``Type: message``, shortened: never a traceback."""
    exc = sys.exc_info()[1]
    if exc is None:
        return "no exception"
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 1] + "…"
