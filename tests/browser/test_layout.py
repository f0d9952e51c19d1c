"""Portrait phones at 360x640 and 412x915: no horizontal scrolling, touch targets >= 44 px,
in both languages, on every screen a party or a staff member sees first."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import PageWatch, screenshot, staff_signs_in
from tests.conftest import PASSWORDS
from tests.support.api import ApiClient

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

MEASURE = """() => {
  const small = [];
  for (const node of document.querySelectorAll("button, a.button, input, select, summary")) {
    const box = node.getBoundingClientRect();
    if (!box.width || !box.height || node.type === "checkbox") continue;
    const name = node.id || node.textContent;
    if (box.height < 44 || box.width < 44) small.push(`${name}: ${box.width}x${box.height}`);
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    small,
  };
}"""


async def check_layout(page: Page, screen: str, size: str) -> None:
    """Checks the screen in the current language, then in the other, and switches back."""
    await page.wait_for_selector("#lang-switch[data-ready]", state="attached", timeout=15_000)
    for _ in range(2):
        language = await page.evaluate("document.documentElement.lang")
        measured = await page.evaluate(MEASURE)
        where = f"{screen} at {size} in {language}"
        assert measured["scrollWidth"] <= measured["innerWidth"], f"{where}: {measured}"
        assert measured["small"] == [], f"{where}: targets under 44 px: {measured['small']}"
        await screenshot(page, f"layout-{size}-{screen}-{language}")
        await page.click("#lang-switch")
        await expect(page.locator("html")).not_to_have_attribute("lang", language, timeout=5_000)


@pytest.mark.parametrize("size", [(360, 640), (412, 915)], ids=["360x640", "412x915"])
async def test_phone_layout(
    browser: Browser,
    page_watch: PageWatch,
    hearing_with_parties: dict[str, Any],
    size: tuple[int, int],
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    base = judge.base_url
    hid = hearing_with_parties["hearing_id"]
    opened = await judge.post(f"/api/hearings/{hid}/transitions", {"action": "open_lobby"})
    assert opened.status == 200, opened.body
    defendant = hearing_with_parties["invitations"]["defendant"]
    label = f"{size[0]}x{size[1]}"
    phone = {"width": size[0], "height": size[1]}
    context = await browser.new_context(
        viewport=phone,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = await page_watch.new_page(context, f"phone-{label}")

    await page.goto(f"{base}/join")
    await expect(page.locator("#screen-signin")).to_be_visible(timeout=10_000)
    await check_layout(page, "join-signin", label)
    await page.fill("#account", defendant["account"])
    await page.fill("#code", defendant["access_code"])
    await page.click("#signin-form button[type=submit]")
    await expect(page.locator("#device-continue")).to_be_enabled(timeout=15_000)
    await check_layout(page, "device-check", label)
    await page.click("#device-continue")
    await check_layout(page, "rules", label)
    await page.check("#rules-accept")
    await page.click("#rules-continue")
    await expect(page.locator("#screen-lobby")).to_be_visible(timeout=10_000)
    await check_layout(page, "lobby", label)

    staff_ctx = await browser.new_context(
        viewport=phone,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    staff = await page_watch.new_page(staff_ctx, f"staff-{label}")
    await staff.goto(f"{base}/staff/login")
    await check_layout(staff, "staff-login", label)
    await staff_signs_in(staff, base, "judge", PASSWORDS["judge"])
    await staff.click("#create-panel summary")
    await check_layout(staff, "staff-admin", label)
    # The fixture's hearing is on the FakeClock's day, 09:40 in Beijing (01:40 UTC).
    await expect(staff.locator("#day-label")).not_to_be_empty(timeout=10_000)  # first list
    await staff.fill("#filter-date", "2026-05-11")
    await staff.click("#filter-form button[type=submit]")
    await staff.click(f"[data-manage='{hid}']", timeout=5_000)
    plaintiff_id = hearing_with_parties["invitations"]["plaintiff"]["participant"]["id"]
    await staff.click(f"[data-issue='{plaintiff_id}']", timeout=5_000)
    await expect(staff.locator("#invitation-panel")).to_be_visible(timeout=5_000)
    await check_layout(staff, "staff-invitation", label)

    for ctx in (context, staff_ctx):
        await ctx.close()
    assert page_watch.problems == []
