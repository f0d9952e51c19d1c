"""The judge's console in real Chromium: the hearing clock and each party's connection quality,
measured by the party's own browser and shown to staff only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import PageWatch, phone, poll, staff_signs_in
from tests.browser.test_courtroom_e2e import party_joins
from tests.conftest import PASSWORDS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def test_console_shows_hearing_clock_and_party_network(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any]
) -> None:
    base = hearing_with_parties["judge"].base_url
    hid = hearing_with_parties["hearing_id"]
    plaintiff = hearing_with_parties["invitations"]["plaintiff"]
    p_id = plaintiff["participant"]["id"]
    judge_ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    judge = await page_watch.new_page(judge_ctx, "judge")
    await staff_signs_in(judge, base, "judge", PASSWORDS["judge"])
    await judge.goto(f"{base}/staff/hearings/{hid}/court")
    await judge.click("[data-action=open_lobby]", timeout=15_000)
    await expect(judge.locator("#hearing-timer")).to_be_hidden()
    await judge.click("[data-action=start]", timeout=10_000)
    timer = judge.locator("#timer-value")
    await expect(timer).to_have_text(re.compile(r"^00:00:0\d$"), timeout=10_000)
    first = await timer.inner_text()
    await expect(timer).not_to_have_text(first, timeout=5_000)  # it ticks

    party_ctx = await browser.new_context(**phone(browser, "Pixel 7"), locale="zh-CN")
    party = await page_watch.new_page(party_ctx, "party")
    await party_joins(party, plaintiff["link"], "console-party", account=None)
    await judge.click(f"[data-admit='{p_id}']", timeout=10_000)
    line = judge.locator(f"#people-list [data-participant='{p_id}']")
    # The loopback is a good network: the party's browser reports so within a few seconds.
    await expect(line).to_contain_text("网络良好", timeout=20_000)
    await expect(line).to_contain_text("丢包 0%")
    # The party's own page never hears about anyone's network.
    assert await poll(party, "window.hearingCall.quality.size", lambda n: n == 0,
                      timeout_s=1, what="no quality on a party's page") == 0  # fmt: skip
    await judge.click("#lang-switch")
    await expect(line).to_contain_text("network good", timeout=5_000)
    for context in (judge_ctx, party_ctx):
        await context.close()
    assert page_watch.problems == []
