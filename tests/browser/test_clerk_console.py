"""The clerk's courtroom console offers only what a clerk may do (docs/api.md)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import PageWatch, poll, screenshot, staff_signs_in
from tests.conftest import PASSWORDS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def test_clerk_opens_lobby_but_cannot_start_or_admit(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any]
) -> None:
    base = hearing_with_parties["judge"].base_url
    hid = hearing_with_parties["hearing_id"]
    context = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = await page_watch.new_page(context, "clerk")
    await staff_signs_in(page, base, "clerk", PASSWORDS["clerk"])
    await page.goto(f"{base}/staff/hearings/{hid}/court")
    await page.click("[data-action=open_lobby]", timeout=10_000)
    await expect(page.locator("#hearing-state")).to_have_text("候审室已开放", timeout=10_000)
    # In state "open" the next step (start) is the judge's: the clerk sees no transition.
    await expect(page.locator("#transitions button")).to_have_count(0)
    await expect(page.locator("#stage-control")).to_be_hidden()
    await poll(page, "() => window.hearingCall && window.hearingCall.me", bool, timeout_s=15,
               what="clerk joined the courtroom")  # fmt: skip
    await expect(page.locator("#people-list [data-mute]")).to_have_count(0)
    await screenshot(page, "clerk-console-zh")
    # The judge starts the hearing elsewhere: the clerk's console follows without a reload.
    judge = hearing_with_parties["judge"]
    started = await judge.post(f"/api/hearings/{hid}/transitions", {"action": "start"})
    assert started.status == 200, started.body
    await expect(page.locator("#hearing-state")).to_have_text("庭审中", timeout=10_000)
    await expect(page.locator("[data-action=begin_signing]")).to_have_count(0)
    await context.close()
    assert page_watch.problems == []


async def test_console_sends_anonymous_visitors_to_sign_in_and_back(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any]
) -> None:
    base = hearing_with_parties["judge"].base_url
    hid = hearing_with_parties["hearing_id"]
    context = await browser.new_context(locale="en-US")
    page = await page_watch.new_page(context, "anonymous")
    await page.goto(f"{base}/staff/hearings/{hid}/court")
    await page.wait_for_url("**/staff/login?next=*", timeout=10_000)
    await page.fill("#username", "judge")
    await page.fill("#password", PASSWORDS["judge"])
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{base}/staff/hearings/{hid}/court", timeout=10_000)
    await expect(page.locator("[data-action=open_lobby]")).to_be_visible(timeout=10_000)
    await context.close()
    assert page_watch.problems == []
