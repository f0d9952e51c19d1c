"""Judge and two phone parties in real headless Chromium: lobby, admission, media, mute, rejoin."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from signaling.media import rtp_receive
from tests.browser.conftest import PageWatch, phone, poll, screenshot, staff_signs_in
from tests.support.api import ApiClient
from tests.support.waiting import until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

INBOUND = "() => window.hearingCall ? window.hearingCall.inboundStats() : []"


def by_participant(stats: list[dict[str, Any]], pid: int, kind: str) -> dict[str, Any]:
    for entry in stats:
        if entry["participant_id"] == pid and entry["kind"] == kind:
            return entry
    return {"packetsReceived": 0, "framesDecoded": 0}


def receiving_from(pids: list[int]) -> Any:
    def check(stats: list[dict[str, Any]]) -> bool:
        return all(
            by_participant(stats, p, "video")["framesDecoded"] > 10
            and by_participant(stats, p, "audio")["packetsReceived"] > 20
            for p in pids
        )

    return check


async def party_joins(page: Page, url: str, name: str, *, account: tuple[str, str] | None) -> None:
    await page.goto(url)
    if account is not None:
        await page.fill("#account", account[0])
        await page.fill("#code", account[1])
        await page.click("#signin-form button[type=submit]")
    await page.wait_for_selector("#device-continue:not([disabled])", timeout=15_000)
    width = await page.evaluate("document.getElementById('device-preview').videoWidth")
    if not width:
        await poll(page, "document.getElementById('device-preview').videoWidth", bool,
                   timeout_s=10, what="camera preview")  # fmt: skip
    await screenshot(page, f"{name}-device-check")
    await page.click("#device-continue")
    await page.check("#rules-accept")
    await screenshot(page, f"{name}-rules")
    await page.click("#rules-continue")
    await page.wait_for_selector("#screen-lobby:not([hidden])", timeout=15_000)


async def test_full_courtroom_in_chromium(
    browser: Browser,
    page_watch: PageWatch,
    hearing_with_parties: dict[str, Any],
) -> None:
    judge_api: ApiClient = hearing_with_parties["judge"]
    base = judge_api.base_url
    hid = hearing_with_parties["hearing_id"]
    plaintiff = hearing_with_parties["invitations"]["plaintiff"]
    defendant = hearing_with_parties["invitations"]["defendant"]
    p_id, d_id = plaintiff["participant"]["id"], defendant["participant"]["id"]

    # (the suite's earlier tests may leave connections of their own until they are collected)
    earlier = rtp_receive.all_shortcuts()
    judge_ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    judge = await page_watch.new_page(judge_ctx, "judge")
    await staff_signs_in(judge, base, "judge", "judge-password-1")
    await judge.goto(f"{base}/staff/hearings/{hid}/court")
    await judge.click("[data-action=open_lobby]", timeout=15_000)
    await judge.wait_for_selector("[data-action=start]", timeout=10_000)
    judge_pid = await poll(judge, "() => window.hearingCall && window.hearingCall.me",
                           bool, timeout_s=15, what="judge joined")  # fmt: skip

    pixel_ctx = await browser.new_context(**phone(browser, "Pixel 7"), locale="zh-CN")
    iphone_ctx = await browser.new_context(**phone(browser, "iPhone 13"), locale="en-US")
    pixel = await page_watch.new_page(pixel_ctx, "pixel")
    iphone = await page_watch.new_page(iphone_ctx, "iphone")
    await party_joins(pixel, plaintiff["link"], "party-pixel7-zh", account=None)
    await party_joins(iphone, f"{base}/join", "party-iphone13-en",
                      account=(defendant["account"], defendant["access_code"]))  # fmt: skip
    await screenshot(pixel, "party-pixel7-zh-lobby")
    await screenshot(iphone, "party-iphone13-en-lobby")

    # In the lobby nothing is negotiated and nothing arrives.
    for page in (pixel, iphone):
        assert await page.evaluate("window.hearingCall.pc === null")
        assert await page.evaluate(INBOUND) == []
    await judge.wait_for_selector(f"[data-admit='{p_id}']", timeout=10_000)
    await judge.wait_for_selector(f"[data-admit='{d_id}']", timeout=10_000)
    await judge.click(f"[data-confirm-identity='{p_id}']")
    plaintiff_line = judge.locator(f"#lobby-list [data-participant='{p_id}']")
    await plaintiff_line.locator("text=身份已核实").wait_for(timeout=10_000)
    assert "已承诺遵守法庭纪律" in await plaintiff_line.inner_text()
    await screenshot(judge, "judge-console-lobby-zh")
    await judge.click(f"[data-admit='{p_id}']")
    await judge.click(f"[data-admit='{d_id}']")

    await poll(judge, INBOUND, receiving_from([p_id, d_id]), timeout_s=30, what="judge media")
    await poll(pixel, INBOUND, receiving_from([judge_pid, d_id]), timeout_s=30, what="pixel media")
    await poll(iphone, INBOUND, receiving_from([judge_pid, p_id]), timeout_s=30, what="iphone")
    # Chromium's RTP (MID, RTX, padding probes) takes the receive shortcut, not aiortc's queue.
    # (media has only just started: a publisher may have sent a few dozen packets so far)
    shortcuts = [s for s in rtp_receive.live_shortcuts() if all(s is not e for e in earlier)]
    assert len(shortcuts) == 3  # the judge and both parties publish
    await until(
        lambda: all(s.packets > 50 and s.packets > 10 * s.passed_on for s in shortcuts),
        timeout_s=20,
        what="over 50 packets, and over 10 times those left to aiortc, through each shortcut",
    )
    assert [s.failures for s in shortcuts] == [0, 0, 0]
    await judge.click("#set-stage")
    await pixel.wait_for_selector("#stage-name:has-text('核对身份')", timeout=10_000)
    await screenshot(pixel, "party-pixel7-zh-hearing")
    await screenshot(iphone, "party-iphone13-en-hearing")
    await screenshot(judge, "judge-console-hearing-zh")

    # The judge picks the next stage, then mutes the plaintiff before setting it: nobody
    # receives the plaintiff's audio any more, and the console's update (the mute) leaves
    # the judge's choice of stage alone.
    await judge.select_option("#stage-select", "court_discipline")
    await judge.click(f"[data-mute='{p_id}']")
    await pixel.wait_for_selector("#muted-note:not([hidden])", timeout=10_000)
    await (
        judge.locator(f"#people-list [data-participant='{p_id}']")
        .locator("text=已静音")
        .wait_for(timeout=10_000)
    )
    assert await judge.input_value("#stage-select") == "court_discipline"
    await judge.click("#set-stage")
    await pixel.wait_for_selector("#stage-name:has-text('宣布法庭纪律')", timeout=10_000)

    # The defendant raises a hand: the judge's console and the other phone show it, the judge
    # lowers it (leave to speak given), and the defendant's button says so.
    hand = iphone.locator("#raise-hand")
    await expect(hand).to_have_text("Raise hand")
    await hand.click()
    await expect(hand).to_have_attribute("aria-pressed", "true", timeout=10_000)
    await expect(hand).to_have_text("Lower hand")
    defendant_line = judge.locator(f"#people-list [data-participant='{d_id}']")
    await expect(defendant_line).to_contain_text("请求发言", timeout=10_000)
    await expect(judge.locator("#hands-note")).to_have_text("请求发言：Li Si")
    tile = pixel.locator(f"#videos [data-participant='{d_id}'] figcaption")
    await expect(tile).to_contain_text("请求发言", timeout=10_000)
    await screenshot(judge, "judge-console-hand-raised-zh")
    await judge.click(f"[data-lower-hand='{d_id}']")
    await expect(hand).to_have_attribute("aria-pressed", "false", timeout=10_000)
    await expect(defendant_line).not_to_contain_text("请求发言")
    await expect(judge.locator("#hands-note")).to_be_hidden()
    await expect(tile).not_to_contain_text("请求发言")

    async def frames(page: Page) -> int:
        return int(by_participant(await page.evaluate(INBOUND), p_id, "video")["framesDecoded"])

    async def audio(page: Page) -> int:
        return int(by_participant(await page.evaluate(INBOUND), p_id, "audio")["packetsReceived"])

    for page in (judge, iphone):
        start = await frames(page)
        await poll(page, INBOUND, lambda s, v=start: by_participant(s, p_id, "video")[
            "framesDecoded"] > v + 10, timeout_s=10, what="frames after mute")  # fmt: skip
        muted_audio = await audio(page)
        later = await frames(page)
        await poll(page, INBOUND, lambda s, v=later: by_participant(s, p_id, "video")[
            "framesDecoded"] > v + 20, timeout_s=10, what="more frames")  # fmt: skip
        assert await audio(page) == muted_audio

    # The plaintiff's page is closed and reopened: back in without a new admission.
    await pixel.close()
    await judge.wait_for_selector(f"[data-participant='{p_id}'] >> text=连接中断", timeout=15_000)
    reopened = await page_watch.new_page(pixel_ctx, "pixel-reopened")
    await reopened.goto(f"{base}/join")
    await poll(reopened, INBOUND, receiving_from([judge_pid, d_id]), timeout_s=30,
               what="media after rejoin")  # fmt: skip
    seen = await frames(judge)
    await poll(judge, INBOUND, lambda s: by_participant(s, p_id, "video")["framesDecoded"]
               > seen + 10, timeout_s=20, what="judge sees the plaintiff again")  # fmt: skip
    assert not await judge.is_visible(f"[data-admit='{p_id}']")

    # English screens too.
    await judge.click("#lang-switch")
    await judge.wait_for_selector("#lang-switch:has-text('中文')", timeout=5_000)
    await screenshot(judge, "judge-console-hearing-en")
    # The defendant's own controls: labels follow the state, in either language.
    await iphone.click("#toggle-mic")
    await iphone.wait_for_selector("#toggle-mic:has-text('Unmute')", timeout=5_000)
    await iphone.click("#toggle-audio-only")
    await iphone.wait_for_selector("#audio-only-note:not([hidden])", timeout=10_000)
    await iphone.wait_for_selector("#toggle-audio-only:has-text('Show video')", timeout=5_000)
    await iphone.click("#lang-switch")
    await iphone.wait_for_selector("#toggle-mic:has-text('取消静音')", timeout=5_000)
    await iphone.wait_for_selector("#toggle-audio-only:has-text('显示视频')", timeout=5_000)
    await screenshot(iphone, "party-iphone13-zh-hearing")

    # One large speaker tile on every page; the defendant leaves (confirming the dialog).
    for page in (judge, iphone):
        assert await page.locator("#videos figure.speaker").count() == 1
    iphone.once("dialog", lambda dialog: dialog.accept())
    await iphone.click("#leave")
    await iphone.wait_for_selector("#screen-ended:not([hidden])", timeout=10_000)
    await judge.wait_for_selector(f"[data-participant='{d_id}']", state="detached", timeout=10_000)

    for context in (judge_ctx, pixel_ctx, iphone_ctx):
        await context.close()
    assert page_watch.problems == []
