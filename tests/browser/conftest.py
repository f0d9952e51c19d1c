"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, fake camera/mic."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("HEARING_TEST_ARTIFACTS", "test-artifacts")) / "screenshots"
FLAGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Chromium obeys only the last --disable-features: one combined list.
    "--disable-features=WebRtcHideLocalIpsWithMdns,Translate,MediaRouter,OptimizationHints",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():  # noqa: ASYNC240 - one stat before launching
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=FLAGS, headless=True
        )
        launched.devices = playwright.devices  # type: ignore[attr-defined]
        try:
            yield launched
        finally:
            await launched.close()


class PageWatch:
    """Collects console errors, page errors and CSP violations of every page it watches."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, page: Page, name: str) -> Page:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.problems.append(f"{name}: console error: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"{name}: {error}"))
        return page


@pytest.fixture
def page_watch() -> PageWatch:
    return PageWatch()


def phone(browser: Browser, name: str) -> dict[str, Any]:
    descriptor = dict(browser.devices[name])  # type: ignore[attr-defined]
    descriptor.pop("default_browser_type", None)
    return descriptor


async def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
