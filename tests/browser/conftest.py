"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, fake camera/mic."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

from tests.support.api import ApiClient

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


CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__hsCspViolation(`${event.violatedDirective} blocked ${event.blockedURI} at ${where}`);
});
"""


class PageWatch:
    """Collects console errors, page errors and CSP violations of every page it watches."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    async def watch(self, page: Page, name: str) -> Page:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.problems.append(f"{name}: console error: {message.text}")

        def on_violation(text: str) -> None:
            self.problems.append(f"{name}: CSP violation: {text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"{name}: {error}"))
        await page.expose_function("__hsCspViolation", on_violation)
        await page.add_init_script(CSP_LISTENER)
        return page

    async def new_page(self, context: BrowserContext, name: str) -> Page:
        return await self.watch(await context.new_page(), name)


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


async def poll(page: Page, script: str, check: Any, *, timeout_s: float, what: str) -> Any:
    """Evaluate ``script`` until ``check(value)`` holds (bounded; Playwright's
    wait_for_function treats a returned Promise as truthy, so we poll evaluate instead)."""
    deadline = time.monotonic() + timeout_s
    value = None
    while time.monotonic() < deadline:
        value = await page.evaluate(script)
        if check(value):
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}; last value: {value}")


async def staff_signs_in(page: Page, base: str, username: str, password: str) -> None:
    """Signs in with the keyboard only: the form must be operable without a pointer."""
    await page.goto(f"{base}/staff/login")
    await page.focus("#username")
    await page.keyboard.type(username)
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "password"
    await page.keyboard.type(password)
    await page.keyboard.press("Tab")
    focused = await page.evaluate("""() => {
        const node = document.activeElement;
        const style = getComputedStyle(node);
        return { type: node.type, outline: style.outlineStyle, width: style.outlineWidth };
    }""")
    assert focused["type"] == "submit" and focused["outline"] != "none", focused
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{base}/staff", timeout=15_000)


@dataclass(frozen=True)
class Lobby:
    """A hearing (from ``hearing_with_parties``) whose lobby the judge has opened."""

    judge_api: ApiClient
    base: str
    hearing_id: int
    invitations: dict[str, Any]

    def pid(self, role: str) -> int:
        return int(self.invitations[role]["participant"]["id"])


async def open_lobby(hearing_with_parties: dict[str, Any]) -> Lobby:
    judge_api: ApiClient = hearing_with_parties["judge"]
    hid: int = hearing_with_parties["hearing_id"]
    opened = await judge_api.post(f"/api/hearings/{hid}/transitions", {"action": "open_lobby"})
    assert opened.status == 200, opened.body
    return Lobby(judge_api, judge_api.base_url, hid, hearing_with_parties["invitations"])
