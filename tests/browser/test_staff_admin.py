"""The judge's admin page in real Chromium: sign in, create a hearing, add a party, invite."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import PageWatch, poll, screenshot, staff_signs_in
from tests.conftest import PASSWORDS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def test_judge_creates_hearing_and_invites_party(
    browser: Browser, page_watch: PageWatch, server: Any, staff_users: dict[str, str]
) -> None:
    base = str(server.make_url("")).rstrip("/")
    context = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = await page_watch.new_page(context, "staff")
    await staff_signs_in(page, base, "judge", PASSWORDS["judge"])

    # The Secure; HttpOnly session cookie was kept by Chromium over http://127.0.0.1.
    cookies = {c["name"]: c for c in await context.cookies()}
    assert cookies["hs_staff"]["secure"] and cookies["hs_staff"]["httpOnly"]
    # Rendered by the script from zh-CN.json (the static HTML has no day line and no such title).
    await expect(page.locator("#day-label")).to_contain_text("0 场庭审", timeout=10_000)
    await expect(page).to_have_title("庭审管理")
    await expect(page.locator("#list-title")).to_have_text("庭审排期")
    await screenshot(page, "staff-hearings-zh")

    await page.click("#create-panel summary")
    await page.fill("#h-case", "(2026)京0105民初456号")
    await page.fill("#h-title", "王五诉赵六借款合同纠纷")
    await page.fill("#h-cause", "民间借贷纠纷")
    await page.fill("#h-room", "第三法庭")
    await page.fill("#h-clerk", "clerk")
    await screenshot(page, "staff-create-zh")
    await page.click("#create-form button[type=submit]")
    await expect(page.locator("#hearing-heading")).to_contain_text("民初456号", timeout=10_000)
    await expect(page.locator("#hearings [data-hearing]")).to_have_count(1, timeout=5_000)

    await page.select_option("#p-role", "plaintiff")
    await page.fill("#p-name", "王五")
    await page.fill("#p-phone", "13800000000")
    await page.click("#participant-form button[type=submit]")
    party = page.locator("#participants li", has_text="王五")
    await expect(party).to_be_visible(timeout=10_000)
    await party.locator("[data-issue]").click()

    await expect(page.locator("#invitation-panel")).to_be_visible(timeout=10_000)
    assert re.fullmatch(r"\d{6,12}", await page.inner_text("#inv-account"))
    assert re.fullmatch(r"\d{6,12}", await page.inner_text("#inv-code"))
    assert re.search(r"/j/[A-Za-z0-9_-]{20,}$", await page.input_value("#inv-link"))
    await poll(page, "document.getElementById('inv-qr').naturalWidth", lambda w: w > 50,
               timeout_s=5, what="QR image decoded")  # fmt: skip
    assert (await page.get_attribute("#inv-qr", "src") or "").startswith("data:image/png;base64,")
    assert "民初456号" in await page.input_value("#inv-text-zh")
    assert (await page.get_attribute("#inv-ics", "href") or "").startswith("blob:")
    async with page.expect_download(timeout=5_000) as download_info:
        await page.click("#inv-ics")
    ics_path = await (await download_info.value).path()
    assert "BEGIN:VCALENDAR" in ics_path.read_text(encoding="utf-8")
    await expect(party).to_contain_text("邀请尚未生效")  # the FakeClock is before the slot
    await screenshot(page, "staff-invitation-zh")

    await page.click("#lang-switch")
    await expect(page.locator("#list-title")).to_have_text("Hearing schedule", timeout=5_000)
    await expect(page.locator("#day-label")).to_contain_text("1 hearing(s)")
    await expect(page).to_have_title("Hearings")
    await expect(page.locator("#invitation-heading")).to_contain_text("Invitation for 王五")
    assert await page.evaluate("document.documentElement.lang") == "en"
    await screenshot(page, "staff-invitation-en")

    # Revoke, then re-issue: new credentials.
    old_code = await page.inner_text("#inv-code")
    await party.locator("[data-revoke]").click()
    await expect(party).to_contain_text("invitation revoked", timeout=5_000)
    await expect(page.locator("#invitation-panel")).to_be_hidden()
    await party.locator("[data-issue]").click()
    await expect(page.locator("#invitation-panel")).to_be_visible(timeout=10_000)
    assert await page.inner_text("#inv-code") != old_code

    await page.click("#signout")
    await page.wait_for_url(f"{base}/staff/login", timeout=10_000)
    assert "hs_staff" not in {c["name"] for c in await context.cookies()}
    await context.close()
    assert page_watch.problems == []
