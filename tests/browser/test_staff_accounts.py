"""An admin manages staff accounts from the staff page in real Chromium; judges never see it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import PageWatch, screenshot, staff_signs_in
from tests.browser.test_accessibility import BLOCKING, violations
from tests.conftest import PASSWORDS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def test_admin_creates_deactivates_and_resets_an_account(
    browser: Browser, page_watch: PageWatch, server: Any, staff_users: dict[str, str]
) -> None:
    base = str(server.make_url("")).rstrip("/")
    context = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = await page_watch.new_page(context, "admin")
    await staff_signs_in(page, base, "admin", PASSWORDS["admin"])
    panel = page.locator("#accounts-panel")
    await expect(panel).to_be_visible(timeout=10_000)
    await page.click("#accounts-panel summary")
    await expect(page.locator("#accounts [data-account]")).to_have_count(4, timeout=5_000)
    # No buttons on the admin's own line: no lock-out from the page either.
    own = page.locator("#accounts li", has_text="（本人）")
    await expect(own.locator("button")).to_have_count(0)

    await page.fill("#a-username", "zhou")
    await page.fill("#a-name", "周法官")
    await page.select_option("#a-role", "judge")
    await page.fill("#a-password", "zhou-password-1")
    await page.click("#account-form button[type=submit]")
    zhou = page.locator("#accounts li", has_text="周法官")
    await expect(zhou).to_contain_text("法官", timeout=5_000)
    await expect(zhou).to_contain_text("正常")
    await screenshot(page, "staff-accounts-zh")
    assert [v for v in await violations(page) if v["impact"] in BLOCKING] == []

    await zhou.locator("[data-deactivate]").click()
    await expect(zhou).to_contain_text("已停用", timeout=5_000)
    await zhou.locator("[data-activate]").click()
    await expect(zhou).to_contain_text("正常", timeout=5_000)
    await zhou.locator("[data-reset]").click()
    await expect(page.locator("#reset-heading")).to_contain_text("周法官")
    await page.fill("#reset-password", "zhou-password-2")
    await page.click("#reset-form button[type=submit]")
    await expect(page.locator("#reset-form")).to_be_hidden(timeout=5_000)

    await page.click("#lang-switch")
    await expect(zhou).to_contain_text("active", timeout=5_000)
    await screenshot(page, "staff-accounts-en")
    await context.close()

    # The new judge signs in with the new password; the page shows them no accounts panel.
    judge_ctx = await browser.new_context(locale="zh-CN")
    judge = await page_watch.new_page(judge_ctx, "zhou")
    await staff_signs_in(judge, base, "zhou", "zhou-password-2")
    await expect(judge.locator("#day-label")).to_be_visible(timeout=10_000)
    await expect(judge.locator("#accounts-panel")).to_be_hidden()
    await judge_ctx.close()
    assert page_watch.problems == []
