"""The party's phone page in real Chromium says what the hearing is doing: a state card that
changes with the hearing (about to start, recess, closed) without a reload, in both languages."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import PageWatch, phone, screenshot, staff_signs_in
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_courtroom_e2e import party_joins
from tests.conftest import PASSWORDS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def test_party_state_card_follows_the_hearing_live(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any]
) -> None:
    judge_api = hearing_with_parties["judge"]
    base = judge_api.base_url
    hid = hearing_with_parties["hearing_id"]
    plaintiff = hearing_with_parties["invitations"]["plaintiff"]
    p_id = plaintiff["participant"]["id"]
    judge_ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    judge = await page_watch.new_page(judge_ctx, "judge")
    await staff_signs_in(judge, base, "judge", PASSWORDS["judge"])
    await judge.goto(f"{base}/staff/hearings/{hid}/court")
    await judge.click("[data-action=open_lobby]", timeout=15_000)

    party_ctx = await browser.new_context(**phone(browser, "Pixel 7"), locale="zh-CN")
    party = await page_watch.new_page(party_ctx, "party")
    await party_joins(party, plaintiff["link"], "states-party", account=None)
    await judge.click(f"[data-admit='{p_id}']", timeout=10_000)
    card = party.locator("#state-card")
    # Admitted before the judge starts: the card, not an empty stage, says what comes next.
    await expect(card).to_be_visible(timeout=15_000)
    await expect(card).to_contain_text("即将开庭")
    await expect(party.locator(".tiles")).to_be_hidden()

    await judge.click("[data-action=start]", timeout=10_000)
    await expect(card).to_be_hidden(timeout=10_000)
    await expect(party.locator(".tiles")).to_be_visible()

    await judge.click("[data-action=recess]", timeout=10_000)
    await expect(card).to_contain_text("休庭中", timeout=10_000)
    await expect(party.locator(".tiles")).to_be_hidden()
    await party.set_viewport_size({"width": 412, "height": 915})
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
    for context in (judge_ctx, party_ctx):
        await context.close()
    assert page_watch.problems == []
