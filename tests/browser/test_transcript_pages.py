"""The live transcript through the real server in real Chromium: the clerk types an entry with
a quick key and Enter, the party's phone (Pixel 7) shows it, the party files a correction from
the page, the clerk accepts it, and both are in the hearing's event log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from hearing_server.settings import Settings
from tests.browser.conftest import (
    PageWatch,
    open_lobby,
    phone,
    poll,
    screenshot,
    staff_signs_in,
)
from tests.browser.test_accessibility import BLOCKING, violations
from tests.browser.test_courtroom_e2e import party_joins
from tests.conftest import PASSWORDS
from tests.support.clock import FakeClock
from tests.support.sockets import SocketClient

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    pytest.mark.timeout(240),  # two browsers with media, and the recording: slow when shared
]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """One-second recording segments: click-to-play finds closed segments within seconds."""
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, recording_segment_seconds=1
    )


REPLICA = """() => {
  const model = window.hearingTranscript.model;
  const byId = (a, b) => a.entry_id - b.entry_id;
  return { version: model.version, state: model.state,
           entries: [...model.entries.values()].sort(byId),
           corrections: [...model.corrections.values()] };
}"""
SAID = "原告：我方请求被告支付货款十万元。"
CORRECTED = "原告：我方请求被告支付货款十二万元。"
JUDGE_ASKS = "审判员：被告对此有无异议？"
DEFENDANT_SAYS = "被告：有异议，货物没有送到。"


async def no_blocking_violations(page: Page, screen: str) -> None:
    blocking = [v for v in await violations(page) if v["impact"] in BLOCKING]
    assert blocking == [], f"{screen}: {blocking}"


async def test_clerk_types_party_corrects_clerk_accepts(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any]
) -> None:
    lobby = await open_lobby(hearing_with_parties)
    judge_api, base, hid = lobby.judge_api, lobby.base, lobby.hearing_id
    plaintiff, p_id = lobby.invitations["plaintiff"], lobby.pid("plaintiff")
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
    await poll(party, "() => window.hearingCall && window.hearingCall.myStatus()",
               lambda status: status == "lobby", timeout_s=15, what="in the lobby")  # fmt: skip
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

    # As a fast clerk types: Enter, and at once the next speaker key and words (J = judge).
    await clerk.focus("#transcript-input")
    await clerk.keyboard.press("KeyJ")
    await clerk.keyboard.type(JUDGE_ASKS)
    await clerk.keyboard.press("Enter")
    await clerk.keyboard.press("Digit2")
    await clerk.keyboard.type(DEFENDANT_SAYS)
    await clerk.keyboard.press("Enter")
    await expect(drawer.locator("[data-entry='2']")).to_contain_text(JUDGE_ASKS, timeout=10_000)
    await expect(drawer.locator("[data-entry='3']")).to_contain_text(
        f"Li Si（被告）：{DEFENDANT_SAYS}", timeout=10_000
    )

    # The record: the entry, the request and the ruling, in the hash-chained log.
    events = (await judge_api.get(f"/api/hearings/{hid}/events")).body
    assert events["intact"] is True
    kinds = [e["kind"] for e in events["events"] if e["kind"].startswith("transcript.")]
    assert kinds == [
        "transcript.entry_added", "transcript.correction_filed",
        "transcript.correction_accepted", "transcript.entry_added", "transcript.entry_added",
    ]  # fmt: skip
    filed = next(e for e in events["events"] if e["kind"] == "transcript.correction_filed")
    assert filed["payload"]["payload"]["proposed_text"] == CORRECTED
    assert filed["payload"]["payload"]["actor"] == {"id": str(p_id), "role": "plaintiff"}

    # Both pages' replicas (deltas applied in the browser) hold exactly the server's record.
    record = (await judge_api.get(f"/api/hearings/{hid}/transcript")).body["transcript"]
    for page in (party, clerk):
        held = await poll(page, REPLICA, lambda r: r["version"] == 5, timeout_s=10, what="v5")
        assert held["state"] == record["state"]
        assert held["entries"] == sorted(record["entries"], key=lambda e: e["entry_id"])
        assert held["corrections"] == record["corrections"]

    # Lock for review: no more writing; the judge unlocks (logged), the clerk writes again.
    await clerk.click("#transcript-lock")
    await expect(drawer.locator(".transcript-state")).to_have_text("已锁定，待核对", timeout=10_000)
    await expect(clerk.locator("#transcript-input")).to_be_hidden()
    await expect(clerk.locator("#transcript-unlock")).to_be_hidden()  # the judge's act
    unlocked = await judge.call("transcript_unlock", {"reason": "补充陈述"})
    assert unlocked["ok"] is True, unlocked
    await expect(clerk.locator("#transcript-input")).to_be_visible(timeout=10_000)
    await expect(drawer.locator(".transcript-state")).to_have_text("记录中")
    logged = (await judge_api.get(f"/api/hearings/{hid}/events")).body["events"]
    assert [e["kind"] for e in logged[-2:]] == ["transcript.locked", "transcript.unlocked"]

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


# Every start of playback, as it happens (a one-second segment may be over, and the player on
# to the next, before a poll of the elements' state would see it).
RECORD_PLAYS = """() => {
  window.playLog = [];
  const panel = document.querySelector("#transcript-panel");
  for (const media of panel.querySelectorAll("video, audio")) {
    media.addEventListener("playing", () => window.playLog.push({
      kind: media.tagName.toLowerCase(), segment: media.dataset.segment, at: media.currentTime,
    }));
  }
}"""
PLAYER_STATE = """() => ({
  plays: window.playLog,
  videoHidden: document.querySelector("#transcript-panel video").hidden,
  status: document.querySelector("#transcript-panel .play-status").textContent,
})"""


async def test_clicking_an_entry_plays_the_recording_from_that_moment(
    browser: Browser,
    page_watch: PageWatch,
    hearing_with_parties: dict[str, Any],
    clock: FakeClock,
) -> None:
    lobby = await open_lobby(hearing_with_parties)
    judge_api, base, hid = lobby.judge_api, lobby.base, lobby.hearing_id
    plaintiff, p_id = lobby.invitations["plaintiff"], lobby.pid("plaintiff")
    judge = SocketClient(base, hid, cookie=f"hs_staff={judge_api.cookie('hs_staff')}")
    await judge.connect()
    party_ctx = await browser.new_context(**phone(browser, "Pixel 7"), locale="zh-CN")
    party = await page_watch.new_page(party_ctx, "party")
    await party_joins(party, plaintiff["link"], "transcript-play-pixel7", account=None)
    await poll(party, "() => window.hearingCall && window.hearingCall.myStatus()",
               lambda status: status == "lobby", timeout_s=15, what="in the lobby")  # fmt: skip
    assert (await judge.call("admit", {"participant_id": p_id}))["ok"] is True
    await expect(party.locator("#screen-hearing")).to_be_visible(timeout=15_000)
    await poll(party, "() => window.hearingCall.pc && window.hearingCall.pc.connectionState",
               lambda s: s == "connected", timeout_s=30, what="party media up")  # fmt: skip

    clerk_ctx = await browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    clerk = await page_watch.new_page(clerk_ctx, "clerk")
    await staff_signs_in(clerk, base, "clerk", PASSWORDS["clerk"])
    await clerk.goto(f"{base}/staff/hearings/{hid}/court")
    await expect(clerk.locator("#transcript-input")).to_be_visible(timeout=15_000)

    # In session: the server records; the clerk's entry is stamped 3 s into the timeline.
    started = await judge_api.post(f"/api/hearings/{hid}/transitions", {"action": "start"})
    assert started.status == 200, started.body
    clock.advance(seconds=3)
    await clerk.focus("#transcript-input")
    await clerk.keyboard.press("Digit1")
    await clerk.keyboard.type("Plaintiff: the goods never arrived.")
    await clerk.keyboard.press("Enter")
    line = clerk.locator(".transcript-list [data-entry='1']")
    await expect(line).to_contain_text("the goods never arrived", timeout=10_000)
    transcript = (await judge_api.get(f"/api/hearings/{hid}/transcript")).body
    offset = transcript["transcript"]["entries"][0]["media_offset_ms"]
    assert 1_000 < offset <= 3_000, offset  # when typing began, not when Enter was pressed

    def covering(segments: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
        for segment in segments:
            if (segment["participant_id"] == p_id and segment["kind"] == kind
                    and segment["start_ms"] <= offset < segment["end_ms"]):  # fmt: skip
                return segment
        return None

    def following(segments: list[dict[str, Any]], segment: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            seg
            for seg in segments
            if seg["participant_id"] == p_id
            and seg["kind"] == "video"
            and seg["start_ms"] == segment["end_ms"]
        ]

    async def recorded() -> list[dict[str, Any]]:
        reply = await judge_api.get(f"/api/hearings/{hid}/recording")
        assert reply.status == 200, reply.body
        return list(reply.body["segments"])

    segments: list[dict[str, Any]] = []
    for _ in range(150):  # bounded: closed segments covering the moment, within 30 s
        segments = await recorded()
        video = covering(segments, "video")
        if video and covering(segments, "audio") and following(segments, video):
            break
        await party.wait_for_timeout(200)
    video_segment, audio_segment = covering(segments, "video"), covering(segments, "audio")
    assert video_segment and audio_segment and following(segments, video_segment), segments

    await clerk.evaluate(RECORD_PLAYS)
    await line.locator("button.play").click()

    def first(plays: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
        return next((p for p in plays if p["kind"] == kind), None)

    # The status is set once both the picture and the sound have started.
    state = await poll(clerk, PLAYER_STATE, lambda s: first(s["plays"], "video")
                       and first(s["plays"], "audio") and s["status"],
                       timeout_s=15, what="the recording playing")  # fmt: skip
    video_play, audio_play = first(state["plays"], "video"), first(state["plays"], "audio")
    assert video_play and audio_play
    assert video_play["segment"] == str(video_segment["id"]), state  # the speaker's own picture
    assert audio_play["segment"] == str(audio_segment["id"]), state
    assert not state["videoHidden"]
    video_from = (offset - video_segment["start_ms"]) / 1000
    audio_from = (offset - audio_segment["start_ms"]) / 1000
    assert abs(video_play["at"] - video_from) < 0.25, (state, video_from)
    assert abs(audio_play["at"] - audio_from) < 0.25, (state, audio_from)
    assert state["status"] == "Playing the recording."
    # At the segment's end the next one of the same person follows.
    after = str(following(segments, video_segment)[0]["id"])  # listed before the click
    await poll(clerk, PLAYER_STATE, lambda s: any(p["segment"] == after for p in s["plays"]),
               timeout_s=15, what="playback going on into the next segment")  # fmt: skip
    await screenshot(clerk, "transcript-clerk-playing-en")

    await judge.close()
    for context in (clerk_ctx, party_ctx):
        await context.close()
    assert page_watch.problems == []
