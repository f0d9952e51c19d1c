"""The live transcript through the real server in real Chromium: the clerk types an entry with
a quick key and Enter, the party's phone (Pixel 7) shows it, the party files a correction from
the page, the clerk accepts it, and both are in the hearing's event log."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import PageWatch, phone, poll, screenshot, staff_signs_in
from tests.browser.test_accessibility import BLOCKING, violations
from tests.browser.test_courtroom_e2e import party_joins
from tests.conftest import PASSWORDS
from tests.support.api import ApiClient
from tests.support.sockets import SocketClient

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

SAID = "原告：我方请求被告支付货款十万元。"
CORRECTED = "原告：我方请求被告支付货款十二万元。"


async def no_blocking_violations(page: Page, screen: str) -> None:
    blocking = [v for v in await violations(page) if v["impact"] in BLOCKING]
    assert blocking == [], f"{screen}: {blocking}"


async def test_clerk_types_party_corrects_clerk_accepts(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any]
) -> None:
    judge_api: ApiClient = hearing_with_parties["judge"]
    base = judge_api.base_url
    hid = hearing_with_parties["hearing_id"]
    plaintiff = hearing_with_parties["invitations"]["plaintiff"]
    p_id = plaintiff["participant"]["id"]
    assert (await judge_api.post(f"/api/hearings/{hid}/transitions",
                                 {"action": "open_lobby"})).status == 200  # fmt: skip
    judge = SocketClient(base, hid, cookie=f"hs_staff={judge_api.cookie('hs_staff')}")
    await judge.connect()

    clerk_ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    clerk = await page_watch.new_page(clerk_ctx, "clerk")
    await staff_signs_in(clerk, base, "clerk", PASSWORDS["clerk"])
    await clerk.goto(f"{base}/staff/hearings/{hid}/court")
    await expect(clerk.locator("#transcript-input")).to_be_visible(timeout=15_000)

    party_ctx = await browser.new_context(**phone(browser, "Pixel 7"), locale="zh-CN")
    party = await page_watch.new_page(party_ctx, "party")
    await party_joins(party, plaintiff["link"], "transcript-pixel7", account=None)
    assert (await judge.call("admit", {"participant_id": p_id}))["ok"] is True
    await expect(party.locator("#screen-hearing")).to_be_visible(timeout=15_000)

    # The clerk, keyboard only: "1" on the empty line picks the first party, then type, Enter.
    await clerk.focus("#transcript-input")
    await clerk.keyboard.press("Digit1")
    await expect(clerk.locator(f"#speaker-{p_id}")).to_be_checked()
    assert await clerk.input_value("#transcript-input") == ""  # the key was not typed
    await clerk.keyboard.type(SAID)
    await clerk.keyboard.press("Enter")
    await expect(clerk.locator("#transcript-input")).to_have_value("", timeout=10_000)
    clerk_entry = clerk.locator(".transcript-list [data-entry='1']")
    await expect(clerk_entry).to_contain_text(SAID, timeout=10_000)
    await expect(clerk_entry).to_contain_text("张三（原告）")
    focus_ring = await clerk.evaluate("""() => {
        const node = document.activeElement;
        return { id: node.id, outline: getComputedStyle(node).outlineStyle };
    }""")
    assert focus_ring == {"id": "transcript-input", "outline": "solid"}, focus_ring

    # The party's phone: the drawer, the entry, a correction request with a reason.
    await party.click("#transcript-open")
    drawer = party.locator("#transcript-drawer")
    await expect(drawer).to_be_visible()
    entry = drawer.locator("[data-entry='1'] button")
    await expect(entry).to_contain_text(SAID, timeout=10_000)
    box = await entry.bounding_box()
    assert box is not None and box["height"] >= 44, box
    await screenshot(party, "transcript-party-drawer-zh")
    await no_blocking_violations(party, "party transcript drawer")
    await entry.click()
    await expect(party.locator("#correction-proposed")).to_be_focused()
    await party.fill("#correction-proposed", CORRECTED)
    await party.fill("#correction-reason", "数额记错了，应为十二万元")
    await party.click(".correction-form button[type=submit]")
    mine = drawer.locator(".my-corrections [data-correction='1']")
    await expect(mine).to_contain_text("待处理", timeout=10_000)

    # The clerk's correction queue: accept it.
    accept = clerk.locator("[data-accept='1']")
    await expect(accept).to_be_visible(timeout=10_000)
    await expect(clerk.locator(".correction-queue [data-correction='1']")).to_contain_text(
        "数额记错了"
    )
    await screenshot(clerk, "transcript-clerk-editor-zh")
    await no_blocking_violations(clerk, "clerk transcript editor")
    await accept.click()
    await expect(mine).to_contain_text("已准许", timeout=10_000)
    await expect(entry).to_contain_text(CORRECTED, timeout=10_000)
    await expect(clerk_entry).to_contain_text(CORRECTED, timeout=10_000)

    # J picks the judge; the next entry follows in both views.
    await clerk.focus("#transcript-input")
    await clerk.keyboard.press("KeyJ")
    await clerk.keyboard.type("审判员：被告对此有无异议？")
    await clerk.keyboard.press("Enter")
    await expect(drawer.locator("[data-entry='2']")).to_contain_text("审判员：被告对此有无异议？",
                                                                      timeout=10_000)  # fmt: skip

    # The record: the entry, the request and the ruling, in the hash-chained log.
    events = (await judge_api.get(f"/api/hearings/{hid}/events")).body
    assert events["intact"] is True
    kinds = [e["kind"] for e in events["events"] if e["kind"].startswith("transcript.")]
    assert kinds == [
        "transcript.entry_added", "transcript.correction_filed",
        "transcript.correction_accepted", "transcript.entry_added",
    ]  # fmt: skip
    filed = next(e for e in events["events"] if e["kind"] == "transcript.correction_filed")
    assert filed["payload"]["payload"]["proposed_text"] == CORRECTED
    assert filed["payload"]["payload"]["actor"] == {"id": str(p_id), "role": "plaintiff"}

    # English, then the smallest phone: still no horizontal scrolling, targets still large.
    await party.click("#lang-switch")
    await expect(drawer.locator(".my-corrections [data-correction='1']")).to_contain_text(
        "Accepted", timeout=5_000
    )
    await party.set_viewport_size({"width": 360, "height": 640})
    await poll(party, "document.scrollingElement.scrollWidth", lambda w: w <= 360,
               timeout_s=5, what="no horizontal scrolling at 360 px")  # fmt: skip
    box = await entry.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] <= 360, box
    await screenshot(party, "transcript-party-drawer-en-360")
    await party.keyboard.press("Escape")
    await expect(drawer).to_be_hidden()
    await expect(party.locator("#transcript-open")).to_be_focused()

    await judge.close()
    for context in (clerk_ctx, party_ctx):
        await context.close()
    assert page_watch.problems == []
