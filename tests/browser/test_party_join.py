"""Parties on emulated phones in Chromium: link or account+code, device check, rules, lobby."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import PageWatch, phone, poll, screenshot
from tests.support.api import ApiClient
from tests.support.sockets import SocketClient

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
CASE_NUMBER = "(2026)京0105民初123号"
LOBBY_COUNT = """() => (window.hearingCall?.room?.members || [])
    .filter((m) => m.status === "lobby" && m.connected && m.rules_accepted).length"""


async def device_check_and_rules(page: Page, name: str) -> None:
    await expect(page.locator("#device-continue")).to_be_enabled(timeout=15_000)
    await poll(page, "document.getElementById('device-preview').videoWidth", bool,
               timeout_s=10, what="live camera preview")  # fmt: skip
    await poll(page, "document.getElementById('mic-level').value", lambda v: v > 0.01,
               timeout_s=10, what="microphone level")  # fmt: skip
    await screenshot(page, f"{name}-device-check")
    await page.click("#device-continue")
    await expect(page.locator("#screen-rules")).to_be_visible(timeout=5_000)
    assert await page.is_disabled("#rules-continue")
    await page.check("#rules-accept")
    await screenshot(page, f"{name}-rules")
    await page.click("#rules-continue")
    await expect(page.locator("#screen-lobby")).to_be_visible(timeout=10_000)
    await expect(page.locator("#lobby-case")).to_have_text(CASE_NUMBER)


async def test_parties_join_from_phones(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any]
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    plaintiff = hearing_with_parties["invitations"]["plaintiff"]
    defendant = hearing_with_parties["invitations"]["defendant"]

    # Plaintiff: Pixel 7, Chinese, from the invitation link.
    pixel_ctx = await browser.new_context(**phone(browser, "Pixel 7"), locale="zh-CN")
    pixel = await page_watch.new_page(pixel_ctx, "pixel")
    await pixel.goto(plaintiff["link"])
    await expect(pixel.locator("#screen-device")).to_be_visible(timeout=15_000)
    await expect(pixel.locator("#screen-device h1")).to_have_text("检查摄像头和麦克风")
    cookies = {c["name"]: c for c in await pixel_ctx.cookies()}
    assert cookies["hs_party"]["secure"], "Chromium kept the Secure party cookie on 127.0.0.1"
    await device_check_and_rules(pixel, "party-pixel7-zh")
    await expect(pixel.locator("#lobby-hearing")).to_have_text("张三诉李四买卖合同纠纷")
    # Early: the court has not opened the waiting room; the page says so and keeps trying.
    await expect(pixel.locator("#notice")).to_contain_text("尚未开放候审室", timeout=10_000)
    await screenshot(pixel, "party-pixel7-zh-lobby-not-open")
    opened = await judge.post(f"/api/hearings/{hid}/transitions", {"action": "open_lobby"})
    assert opened.status == 200, opened.body
    await expect(pixel.locator("#notice")).to_be_hidden(timeout=10_000)
    await screenshot(pixel, "party-pixel7-zh-lobby")
    await pixel.click("#lang-switch")
    await expect(pixel.locator("#screen-lobby h1")).to_have_text("Waiting room", timeout=5_000)
    await screenshot(pixel, "party-pixel7-en-lobby")

    # Defendant: iPhone 13, English, account + access code on /join.
    iphone_ctx = await browser.new_context(**phone(browser, "iPhone 13"), locale="en-US")
    iphone = await page_watch.new_page(iphone_ctx, "iphone")
    await iphone.goto(f"{judge.base_url}/join")
    await expect(iphone.locator("#screen-signin")).to_be_visible(timeout=10_000)
    await expect(iphone.locator("#screen-signin h1")).to_have_text("Join your hearing")
    await screenshot(iphone, "party-iphone13-en-signin")
    await iphone.fill("#account", defendant["account"])
    await iphone.fill("#code", defendant["access_code"])
    await iphone.click("#signin-form button[type=submit]")
    await device_check_and_rules(iphone, "party-iphone13-en")
    await screenshot(iphone, "party-iphone13-en-lobby")
    await iphone.click("#lang-switch")
    await expect(iphone.locator("#screen-lobby h1")).to_have_text("候审室", timeout=5_000)
    await screenshot(iphone, "party-iphone13-zh-lobby")

    # Both wait in the signaling lobby: connected, not admitted, rules accepted, no media.
    for page in (pixel, iphone):
        await poll(page, LOBBY_COUNT, lambda n: n == 2, timeout_s=10, what="both in the lobby")
        assert await page.evaluate("window.hearingCall.pc === null")
    # Messages: the judge's notice reaches the waiting room; a party writes to the court only.
    court = SocketClient(judge.base_url, hid, cookie=f"hs_staff={judge.cookie('hs_staff')}")
    await court.connect()
    notice = await court.call("message", {"text": "十分钟后开庭，请耐心等候。"})
    assert notice["ok"] is True, notice
    messages = "#messages-panel [data-message]"
    for page in (pixel, iphone):
        await expect(page.locator(messages)).to_contain_text("十分钟后开庭", timeout=10_000)
    await iphone.fill("#message-text", "我听不到审判员的声音。")
    await iphone.click("#messages-panel button[type=submit]")
    asked = await court.wait_for("message", lambda m: m["audience"] == "court")
    assert asked["text"] == "我听不到审判员的声音。"
    assert asked["from"]["participant_id"] == defendant["participant"]["id"]
    await expect(iphone.locator(messages)).to_have_count(2, timeout=10_000)
    await expect(iphone.locator("#message-text")).to_have_value("")
    await screenshot(iphone, "party-iphone13-zh-lobby-messages")
    await expect(pixel.locator(messages)).to_have_count(1)  # not the other party's message
    await court.close()

    # The transport drops: the banner says so, and goes once Socket.IO has reconnected.
    await pixel.evaluate("window.hearingCall.socket.io.engine.close()")
    await expect(pixel.locator("#reconnecting")).to_be_visible(timeout=5_000)
    await expect(pixel.locator("#reconnecting")).to_be_hidden(timeout=15_000)
    await poll(pixel, LOBBY_COUNT, lambda n: n == 2, timeout_s=10, what="back in the lobby")
    await expect(pixel.locator(messages)).to_contain_text("十分钟后开庭")  # still there

    for context in (pixel_ctx, iphone_ctx):
        await context.close()
    assert page_watch.problems == []
