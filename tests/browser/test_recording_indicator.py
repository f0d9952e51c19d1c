"""The recording indicator in Chromium: the judge pauses with a reason, the party's phone sees it.

Also the judge's recording alert: the server's recording files go through an injected disk
that fails with ENOSPC on demand, and the judge's console shows the failure and the recovery.
At the end, what the browsers sent is on record: every segment decodes (ffmpeg).
"""

from __future__ import annotations

import errno
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page

from hearing_server.settings import Settings
from hearing_server.web.keys import RECORDING_FILE_OPENER
from tests.browser.conftest import PageWatch, phone, poll, screenshot, staff_signs_in
from tests.browser.test_courtroom_e2e import party_joins
from tests.conftest import running_app
from tests.recording.conftest import decode_errors
from tests.support.api import ApiClient
from tests.support.clock import FakeClock
from tests.support.disk_faults import SwitchableDisk

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
INDICATOR = """() => {
    const node = document.getElementById("recording-indicator");
    return { state: node.dataset.state || "", text: node.textContent,
             icon: node.querySelector(".recording-icon")?.textContent || "" };
}"""


@pytest.fixture
def disk() -> SwitchableDisk:
    return SwitchableDisk(errno.ENOSPC)


@pytest.fixture
async def server(
    settings: Settings, clock: FakeClock, disk: SwitchableDisk
) -> AsyncIterator[TestServer]:
    async with running_app(settings, clock, {RECORDING_FILE_OPENER: disk.open}) as test_server:
        yield test_server


async def indicator_shows(page: Page, state: str, text: str, what: str) -> dict[str, str]:
    shown: dict[str, str] = await poll(
        page, INDICATOR, lambda v: v["state"] == state and text in v["text"], timeout_s=15,
        what=what,
    )  # fmt: skip
    assert shown["icon"], "the state has an icon as well as text"
    return shown


async def test_judge_pauses_with_a_reason_and_the_party_sees_it(
    browser: Browser,
    page_watch: PageWatch,
    hearing_with_parties: dict[str, Any],
    disk: SwitchableDisk,
    settings: Settings,
) -> None:
    judge_api: ApiClient = hearing_with_parties["judge"]
    base = judge_api.base_url
    hid = hearing_with_parties["hearing_id"]
    plaintiff = hearing_with_parties["invitations"]["plaintiff"]
    p_id = plaintiff["participant"]["id"]

    judge_ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    judge = await page_watch.new_page(judge_ctx, "judge")
    await staff_signs_in(judge, base, "judge", "judge-password-1")
    await judge.goto(f"{base}/staff/hearings/{hid}/court")
    await judge.click("[data-action=open_lobby]", timeout=15_000)
    await indicator_shows(judge, "stopped", "未在录音录像", "judge: not recording yet")
    pixel_ctx = await browser.new_context(**phone(browser, "Pixel 7"), locale="zh-CN")
    pixel = await page_watch.new_page(pixel_ctx, "pixel")
    await party_joins(pixel, plaintiff["link"], "recording-party", account=None)
    await judge.click(f"[data-admit='{p_id}']", timeout=10_000)
    await pixel.wait_for_selector("#screen-hearing:not([hidden])", timeout=15_000)
    await indicator_shows(pixel, "stopped", "未在录音录像", "party: not recording yet")

    await judge.click("[data-action=start]", timeout=10_000)
    await indicator_shows(judge, "recording", "正在录音录像", "judge: recording")
    await indicator_shows(pixel, "recording", "正在录音录像", "party: recording")

    # Pausing needs one of the three reasons.
    assert await judge.is_disabled("#recording-pause")
    options = await judge.eval_on_selector_all(
        "#recording-reason option", "nodes => nodes.map(n => n.value)"
    )
    assert options == ["", "recess", "non_public_evidence", "mediation_caucus"]
    await judge.select_option("#recording-reason", "non_public_evidence")
    assert not await judge.is_disabled("#recording-pause")
    await judge.click("#recording-pause")
    await indicator_shows(judge, "paused", "不公开质证", "judge: paused")
    shown = await indicator_shows(pixel, "paused", "录音录像已暂停（不公开质证）", "party: paused")
    assert shown["icon"] == "❚❚"
    assert await judge.is_visible("#recording-resume")
    assert await judge.is_hidden("#recording-pause")
    await screenshot(pixel, "recording-paused-party-pixel7-zh")
    await screenshot(judge, "recording-paused-judge-zh")

    # English on the party's phone: the same state in the other language.
    await pixel.click("#lang-switch")
    await indicator_shows(pixel, "paused", "Recording paused (non-public evidence)", "party: en")

    await judge.click("#recording-resume")
    await indicator_shows(pixel, "recording", "Recording", "party: recording again")
    await indicator_shows(judge, "recording", "正在录音录像", "judge: recording again")

    # A disk failure reaches the judge as an alert and a failed state; then the recovery.
    disk.fill()
    await judge.wait_for_selector("#recording-alert:not([hidden])", timeout=10_000)
    assert "录音录像写入失败" in await judge.inner_text("#recording-alert")
    await indicator_shows(judge, "failed", "录音录像故障", "judge: failed")
    await screenshot(judge, "recording-failed-judge-zh")
    disk.free()
    await judge.wait_for_selector("#recording-alert[data-kind=resumed]", timeout=15_000)
    await indicator_shows(judge, "recording", "正在录音录像", "judge: recording after the failure")

    log = (await judge_api.get(f"/api/hearings/{hid}/events")).body
    recording = [(e["kind"], e["payload"].get("reason")) for e in log["events"]
                 if e["kind"] in ("recording.paused", "recording.resumed")]  # fmt: skip
    assert recording == [("recording.paused", "non_public_evidence"), ("recording.resumed", None)]
    assert any(e["kind"] == "recording.failed" for e in log["events"])

    # Every track writes again (its disk-failure gap is logged when it does; a video track
    # first waits for a keyframe, which it asks the browser for) before the hearing closes.
    judge_pid = await judge.evaluate("window.hearingCall.me")
    tracks = {(pid, kind) for pid in (judge_pid, p_id) for kind in ("audio", "video")}

    async def resumed_tracks() -> set[tuple[int, str]]:
        events = (await judge_api.get(f"/api/hearings/{hid}/events")).body["events"]
        failed = max(i for i, e in enumerate(events) if e["kind"] == "recording.failed")
        return {(e["payload"]["participant_id"], e["payload"]["kind"])
                for e in events[failed:] if e["kind"] == "recording.gap"}  # fmt: skip

    for _ in range(100):  # bounded: 20 s
        if await resumed_tracks() >= tracks:
            break
        await judge.wait_for_timeout(200)
    assert await resumed_tracks() >= tracks

    # What Chromium sent is on record: every segment in the database decodes cleanly.
    closed = await judge_api.post(f"/api/hearings/{hid}/transitions", {"action": "close"})
    assert closed.status == 200
    await indicator_shows(pixel, "stopped", "Not recording", "party: stopped")
    segments = (await judge_api.get(f"/api/hearings/{hid}/recording")).body["segments"]
    assert {(s["participant_id"], s["kind"]) for s in segments} == tracks
    folder = settings.data_dir / "recordings" / str(hid)
    by_hash = {hashlib.sha256(f.read_bytes()).hexdigest(): f for f in folder.glob("*.mkv")}
    for segment in segments:
        assert decode_errors(by_hash[segment["sha256"]]) == "", segment

    for context in (judge_ctx, pixel_ctx):
        await context.close()
    assert page_watch.problems == []
