"""axe-core (vendored from npm by scripts/vendor-js) on every main screen, in both languages:
no serious or critical violations. axe is evaluated through the DevTools protocol, so the pages'
strict Content-Security-Policy stays as it is (and PageWatch would report any violation)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import PageWatch, phone, poll, staff_signs_in
from tests.conftest import PASSWORDS
from tests.support.api import ApiClient

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
}"""


@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


async def violations(page: Page) -> list[dict[str, Any]]:
    if not await page.evaluate("typeof axe !== 'undefined'"):
        await page.evaluate(axe_source())
    found: list[dict[str, Any]] = await page.evaluate(RUN_AXE)
    return found


async def assert_accessible(page: Page, screen: str, seen: list[str]) -> None:
    """Runs axe in the current language, then in the other one, and switches back."""
    await page.wait_for_selector("#lang-switch[data-ready]", state="attached", timeout=15_000)
    for _ in range(2):
        language = await page.evaluate("document.documentElement.lang")
        blocking = [v for v in await violations(page) if v["impact"] in BLOCKING]
        assert blocking == [], f"{screen} ({language}): {blocking}"
        seen.append(f"{screen}:{language}")
        await page.click("#lang-switch")
        await expect(page.locator("html")).not_to_have_attribute("lang", language, timeout=5_000)


async def test_axe_finds_a_planted_violation(browser: Browser, server: Any) -> None:
    """The check itself can fail: an unlabelled button on a served page is reported."""
    base = str(server.make_url("")).rstrip("/")
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await page.goto(f"{base}/staff/login")
    await page.evaluate("""() => {
      const button = document.createElement("button");
      button.id = "planted";
      document.body.append(button);
    }""")
    found = await violations(page)
    assert any(v["id"] == "button-name" and v["impact"] in BLOCKING for v in found), found
    await context.close()


async def test_every_main_screen_passes_axe(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any]
) -> None:
    judge_api: ApiClient = hearing_with_parties["judge"]
    base = judge_api.base_url
    hid = hearing_with_parties["hearing_id"]
    plaintiff = hearing_with_parties["invitations"]["plaintiff"]
    p_id = plaintiff["participant"]["id"]
    # Re-issuing withdraws the old credentials: the admin screen re-issues the defendant's.
    d_id = hearing_with_parties["invitations"]["defendant"]["participant"]["id"]
    seen: list[str] = []

    staff_ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    judge = await page_watch.new_page(staff_ctx, "judge")
    await judge.goto(f"{base}/staff/login")
    await assert_accessible(judge, "staff-login", seen)
    await staff_signs_in(judge, base, "judge", PASSWORDS["judge"])
    await judge.click("#create-panel summary")
    await expect(judge.locator("#day-label")).not_to_be_empty(timeout=10_000)  # first list
    await judge.fill("#filter-date", "2026-05-11")
    await judge.click("#filter-form button[type=submit]")
    await judge.click(f"[data-manage='{hid}']", timeout=5_000)
    await judge.click(f"[data-issue='{d_id}']", timeout=5_000)
    await expect(judge.locator("#invitation-panel")).to_be_visible(timeout=5_000)
    await assert_accessible(judge, "staff-admin", seen)

    await judge.goto(f"{base}/staff/hearings/{hid}/court")
    await judge.click("[data-action=open_lobby]", timeout=15_000)
    await judge.wait_for_selector("[data-action=start]", timeout=10_000)
    await poll(judge, "() => window.hearingCall && window.hearingCall.me", bool,
               timeout_s=15, what="judge joined")  # fmt: skip

    party_ctx = await browser.new_context(**phone(browser, "Pixel 7"), locale="zh-CN")
    party = await page_watch.new_page(party_ctx, "party")
    await party.goto(f"{base}/join")
    await expect(party.locator("#screen-signin")).to_be_visible(timeout=10_000)
    await assert_accessible(party, "join-signin", seen)
    # A refusal is worded by the page in the page's language (an unwatched page: Chromium
    # logs every 401 response as a console error).
    wrong = await party_ctx.new_page()
    await wrong.goto(f"{base}/join")
    await wrong.fill("#account", plaintiff["account"])
    await wrong.fill("#code", "0" * len(plaintiff["access_code"]))
    await wrong.click("#signin-form button[type=submit]")
    await expect(wrong.locator("#notice")).to_contain_text("账号或访问码不正确", timeout=10_000)
    await wrong.close()
    await party.fill("#account", plaintiff["account"])
    await party.fill("#code", plaintiff["access_code"])
    await party.click("#signin-form button[type=submit]")
    await expect(party.locator("#device-continue")).to_be_enabled(timeout=15_000)
    await assert_accessible(party, "device-check", seen)
    await party.click("#device-continue")
    await assert_accessible(party, "rules", seen)
    await party.check("#rules-accept")
    await party.click("#rules-continue")
    await expect(party.locator("#screen-lobby")).to_be_visible(timeout=10_000)
    await assert_accessible(party, "lobby", seen)

    await judge.wait_for_selector(f"[data-admit='{p_id}']", timeout=10_000)
    await assert_accessible(judge, "court-console-lobby", seen)
    await judge.click(f"[data-admit='{p_id}']")
    await judge.click("[data-action=start]", timeout=10_000)
    await party.wait_for_selector("#screen-hearing:not([hidden])", timeout=15_000)
    await judge.wait_for_selector(f"#people-list [data-mute='{p_id}']", timeout=15_000)
    await assert_accessible(party, "party-hearing", seen)
    await assert_accessible(judge, "court-console-hearing", seen)

    for context in (staff_ctx, party_ctx):
        await context.close()
    assert len(seen) == 18, seen  # nine screens, two languages each
    assert page_watch.problems == []
