"""The clerk exports from the courtroom console in real Chromium: a hearing recorded from real
browsers, closed, then the original tracks built with progress and downloaded; the ZIP's
index matches its files and ffmpeg decodes every track."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import PageWatch, phone, poll, screenshot, staff_signs_in
from tests.browser.test_courtroom_e2e import INBOUND, party_joins, receiving_from
from tests.conftest import PASSWORDS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


WATCH_DISABLED = """(buttons) => {
  window.tracksButtonWasDisabled = false;
  const check = () => {
    const button = buttons.querySelector("[data-export-kind=tracks]");
    if (button && button.disabled) window.tracksButtonWasDisabled = true;
  };
  const watched = { childList: true, subtree: true, attributes: true };
  new MutationObserver(check).observe(buttons, watched);
}"""


async def test_clerk_exports_original_tracks_with_progress(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any], tmp_path: Path
) -> None:
    base = hearing_with_parties["judge"].base_url
    hid = hearing_with_parties["hearing_id"]
    plaintiff = hearing_with_parties["invitations"]["plaintiff"]
    p_id = plaintiff["participant"]["id"]
    judge_ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    judge = await page_watch.new_page(judge_ctx, "judge")
    await staff_signs_in(judge, base, "judge", PASSWORDS["judge"])
    await judge.goto(f"{base}/staff/hearings/{hid}/court")
    await judge.click("[data-action=open_lobby]", timeout=15_000)
    await judge.click("[data-action=start]", timeout=10_000)
    judge_pid = await poll(judge, "() => window.hearingCall && window.hearingCall.me", bool,
                           timeout_s=15, what="judge joined")  # fmt: skip
    party_ctx = await browser.new_context(**phone(browser, "Pixel 7"), locale="zh-CN")
    party = await page_watch.new_page(party_ctx, "party")
    await party_joins(party, plaintiff["link"], "exports-party", account=None)
    await judge.click(f"[data-admit='{p_id}']", timeout=10_000)
    await poll(party, INBOUND, receiving_from([judge_pid]), timeout_s=30, what="party media")
    await poll(judge, INBOUND, receiving_from([p_id]), timeout_s=30, what="judge media")
    await judge.click("[data-action=close]", timeout=10_000)
    await expect(judge.locator("#hearing-state")).to_have_text("已闭庭", timeout=10_000)

    clerk_ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    clerk = await page_watch.new_page(clerk_ctx, "clerk")
    await staff_signs_in(clerk, base, "clerk", PASSWORDS["clerk"])
    await clerk.goto(f"{base}/staff/hearings/{hid}/court")
    panel = clerk.locator("#exports-panel")
    await expect(panel).to_be_visible(timeout=10_000)
    await expect(panel.locator("#export-list")).to_contain_text("尚未导出")
    # A short hearing's export may be over in a moment: record whether the button was ever
    # disabled while it ran (every render replaces the buttons) instead of racing to see it.
    await panel.locator("#export-buttons").evaluate(WATCH_DISABLED)
    await panel.locator("[data-export-kind=tracks]").click()
    link = panel.locator("[data-download=tracks]")
    await expect(link).to_be_visible(timeout=60_000)
    assert await clerk.evaluate("window.tracksButtonWasDisabled") is True
    await expect(panel.locator("[data-export-kind=tracks]")).to_be_enabled()
    await screenshot(clerk, "clerk-exports-zh")
    async with clerk.expect_download(timeout=15_000) as download_info:
        await link.click()
    archive = tmp_path / "tracks.zip"
    await (await download_info.value).save_as(archive)
    shown = (await panel.locator(".hash").first.inner_text()).removeprefix("SHA-256 ")
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == shown

    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(tmp_path / "tracks")
    index_path = next((tmp_path / "tracks").rglob("index.json"))
    index = json.loads(index_path.read_text(encoding="utf-8"))
    kinds = {(entry["participant_id"], entry["kind"]) for entry in index["files"]}
    assert {(str(p), k) for p in (judge_pid, p_id) for k in ("audio", "video")} <= kinds
    for entry in index["files"]:
        track = index_path.parent / entry["file"]
        assert hashlib.sha256(track.read_bytes()).hexdigest() == entry["sha256"]
        # -enc_time_base -1: a real camera's frames come at irregular times (VFR); without it
        # ffmpeg's null output rounds them onto a guessed 20-40 fps grid and complains when two
        # land on one tick, which says nothing about the file.
        decoded = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(track), "-enc_time_base", "-1", "-f", "null", "-"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert decoded.returncode == 0 and decoded.stderr == "", (entry["file"], decoded.stderr)
    for context in (judge_ctx, party_ctx, clerk_ctx):
        await context.close()
    assert page_watch.problems == []
