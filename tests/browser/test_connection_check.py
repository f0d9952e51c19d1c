"""The device check's connection test in real Chromium: a good verdict on the loopback, a poor
one with advice when DevTools throttles the page's network."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import PageWatch, phone

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def test_connection_verdict_follows_the_network(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any]
) -> None:
    judge = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    opened = await judge.post(f"/api/hearings/{hid}/transitions", {"action": "open_lobby"})
    assert opened.status == 200, opened.body
    link = hearing_with_parties["invitations"]["plaintiff"]["link"]
    context = await browser.new_context(**phone(browser, "Pixel 7"), locale="zh-CN")
    page = await page_watch.new_page(context, "party")
    await page.goto(link)
    result = page.locator("#net-result")
    await expect(result).to_have_attribute("data-verdict", "good", timeout=20_000)
    await expect(result).to_contain_text("网络良好")
    await expect(page.locator("#net-advice li")).to_have_count(0)

    devtools = await context.new_cdp_session(page)
    await devtools.send("Network.enable")
    await devtools.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 400, "downloadThroughput": 100_000,
         "uploadThroughput": 100_000},
    )  # fmt: skip
    await page.click("#net-retry")
    await expect(result).to_have_attribute("data-verdict", "poor", timeout=30_000)
    await expect(result).to_contain_text("网络较差")
    advice = page.locator("#net-advice li")
    await expect(advice).to_have_count(3)
    await expect(advice.nth(2)).to_contain_text("仅音频")
    await page.click("#lang-switch")
    await expect(result).to_contain_text("Poor connection", timeout=5_000)
    await context.close()
    assert page_watch.problems == []
