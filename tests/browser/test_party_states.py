"""The party's phone page in real Chromium says what the hearing is doing: a state card that
changes with the hearing (about to start, recess, closed) without a reload, in both languages."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import PageWatch, phone, screenshot, staff_signs_in
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_courtroom_e2e import party_joins
from tests.conftest import PASSWORDS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def judge_and_admitted_party(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any], name: str
) -> tuple[Page, Page, int]:
    """The judge's console with the lobby open and the plaintiff's Pixel 7 admitted (zh-CN)."""
    base = hearing_with_parties["judge"].base_url
    hid = hearing_with_parties["hearing_id"]
    plaintiff = hearing_with_parties["invitations"]["plaintiff"]
    p_id = int(plaintiff["participant"]["id"])
    judge_ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    judge = await page_watch.new_page(judge_ctx, "judge")
    await staff_signs_in(judge, base, "judge", PASSWORDS["judge"])
    await judge.goto(f"{base}/staff/hearings/{hid}/court")
    await judge.click("[data-action=open_lobby]", timeout=15_000)
    party_ctx = await browser.new_context(**phone(browser, "Pixel 7"), locale="zh-CN")
    party = await page_watch.new_page(party_ctx, "party")
    await party_joins(party, plaintiff["link"], name, account=None)
    await judge.click(f"[data-admit='{p_id}']", timeout=10_000)
    await party.wait_for_selector("#screen-hearing:not([hidden])", timeout=15_000)
    return judge, party, p_id


async def test_party_state_card_follows_the_hearing_live(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any]
) -> None:
    judge, party, _ = await judge_and_admitted_party(
        browser, page_watch, hearing_with_parties, "states-party"
    )
    card = party.locator("#state-card")
    # Admitted before the judge starts: a small card says what comes next, and the video stays
    # (the judge checks identities on video before the hearing formally starts).
    await expect(card).to_be_visible(timeout=15_000)
    await expect(card).to_contain_text("即将开庭")
    await expect(party.locator(".tiles")).to_be_visible()
    await party.set_viewport_size({"width": 412, "height": 915})
    await screenshot(party, "party-state-open-zh")

    await judge.click("[data-action=start]", timeout=10_000)
    await expect(card).to_be_hidden(timeout=10_000)
    await expect(party.locator(".tiles")).to_be_visible()

    await judge.click("[data-action=recess]", timeout=10_000)
    await expect(card).to_contain_text("休庭中", timeout=10_000)
    await expect(party.locator(".tiles")).to_be_hidden()
    await screenshot(party, "party-state-recessed-zh")
    await party.click("#lang-switch")
    await expect(card).to_contain_text("The court is in recess", timeout=5_000)
    await screenshot(party, "party-state-recessed-en")

    await judge.click("[data-action=close]", timeout=10_000)
    await expect(card).to_contain_text("The hearing has ended", timeout=10_000)
    # After close the phone no longer shows the stage it was in.
    await expect(party.locator("#stage-name")).to_be_hidden()
    await screenshot(party, "party-state-closed-en")
    await party.click("#lang-switch")
    await expect(card).to_contain_text("庭审已经结束", timeout=5_000)
    await screenshot(party, "party-state-closed-zh")
    seen: list[str] = []
    await assert_accessible(party, "party-state-closed", seen)
    assert len(seen) == 2, seen
    for page in (judge, party):
        await page.context.close()
    assert page_watch.problems == []


async def test_mute_banner_says_who_muted_the_party(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any]
) -> None:
    judge, party, p_id = await judge_and_admitted_party(
        browser, page_watch, hearing_with_parties, "mute-party"
    )
    await judge.click("[data-action=start]", timeout=10_000)
    banner = party.locator("#muted-note")
    await expect(banner).to_be_hidden(timeout=10_000)
    await party.click("#toggle-mic")
    await expect(banner).to_have_text("您已将自己静音，点“取消静音”即可发言。", timeout=5_000)
    await party.click("#toggle-mic")
    await expect(banner).to_be_hidden(timeout=5_000)

    await judge.click(f"[data-mute='{p_id}']", timeout=10_000)
    await expect(banner).to_have_text("审判员已将您静音。", timeout=10_000)
    await expect(banner).to_have_attribute("data-muted-by", "judge")
    # The banner is at the top of the screen, not below the fold.
    box = await banner.bounding_box()
    assert box is not None and box["y"] < 200, box
    await party.set_viewport_size({"width": 412, "height": 915})
    await screenshot(party, "party-muted-by-judge-zh")
    await party.click("#lang-switch")
    await expect(banner).to_have_text("The judge has muted you.", timeout=5_000)
    await screenshot(party, "party-muted-by-judge-en")
    seen: list[str] = []
    await assert_accessible(party, "party-muted", seen)
    assert len(seen) == 2, seen
    await judge.click(f"[data-mute='{p_id}']", timeout=10_000)
    await expect(banner).to_be_hidden(timeout=10_000)
    for page in (judge, party):
        await page.context.close()
    assert page_watch.problems == []
