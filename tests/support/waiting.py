"""Wait for a condition, bounded in time (a poll, never a blind sleep)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(predicate: Callable[[], bool], *, timeout_s: float, what: str) -> None:
    async def poll() -> None:
        while not predicate():  # noqa: ASYNC110 - a bounded poll of plain state
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), timeout_s)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout_s} s waiting for {what}") from None
