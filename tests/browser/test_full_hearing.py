"""A whole hearing through the pages, in real headless Chromium, as the people in it see it.

An admin schedules it and invites two parties from the staff page; the judge and the clerk sit
at their consoles; the parties (Pixel 7 by link, iPhone 13 by account + access code) pass the
device check and the court rules and wait in the lobby; the judge confirms identities, admits
them, starts the hearing and moves it through its stages; the clerk types the record, which
both phones show; a party asks for a correction and the clerk accepts it; the judge closes the
hearing; the clerk locks the record; everyone signs on their own page with a drawn signature;
the clerk exports the signed bundle and ``hearing-server verify`` accepts it. Every main screen
is saved in both languages; no page logs a console error or a CSP violation.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from hearing_server.settings import Settings
from tests.browser.conftest import PageWatch, phone, poll, screenshot, staff_signs_in
from tests.browser.test_courtroom_e2e import INBOUND, receiving_from
from tests.conftest import PASSWORDS
from tests.support.clock import FakeClock

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
BEIJING = ZoneInfo("Asia/Shanghai")
CASE = "(2026)京0105民初789号"
SAID = "原告：请求被告支付货款十万元。"
CORRECTED = "原告：请求被告支付货款十二万元。"
ANSWER = "Defendant: the goods were delivered late, so we withheld payment."


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Short recording segments, so a short hearing leaves several closed segments."""
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, recording_segment_seconds=2
    )


async def both_languages(page: Page, name: str) -> None:
    """Screenshot in the page's language, then in the other, and switch back."""
    # the page's own language first (a click before that would be undone by its loading)
    await page.wait_for_selector("#lang-switch[data-ready]", state="attached", timeout=15_000)
    for _ in range(2):
        language = await page.evaluate("document.documentElement.lang")
        await screenshot(page, f"full-{name}-{language}")
        await page.click("#lang-switch")
        await expect(page.locator("html")).not_to_have_attribute("lang", language, timeout=5_000)


async def admin_schedules(page: Page, base: str, clock: FakeClock) -> dict[str, Any]:
    await staff_signs_in(page, base, "admin", PASSWORDS["admin"])
    await page.click("#create-panel summary")
    await page.fill("#h-case", CASE)
    await page.fill("#h-title", "张三诉李四买卖合同纠纷")
    await page.fill("#h-cause", "买卖合同纠纷")
    await page.fill("#h-room", "第三法庭")
    start = (clock.now() + timedelta(minutes=10)).astimezone(BEIJING)
    await page.fill("#h-start", start.strftime("%Y-%m-%dT%H:%M"))
    await page.fill("#h-judge", "judge")
    await page.fill("#h-clerk", "clerk")
    await both_languages(page, "admin-create")
    await page.click("#create-form button[type=submit]")
    await expect(page.locator("#hearing-heading")).to_contain_text("民初789号", timeout=10_000)
    cards = page.locator("#hearings [data-hearing]")
    await expect(cards).to_have_count(1, timeout=5_000)  # a fresh database: this one only
    hearing_id = int(await cards.first.get_attribute("data-hearing") or 0)
    invitations: dict[str, dict[str, str]] = {}
    for role, name in (("plaintiff", "张三"), ("defendant", "Li Si")):
        await page.select_option("#p-role", role)
        await page.fill("#p-name", name)
        await page.click("#participant-form button[type=submit]")
        line = page.locator("#participants li", has_text=name)
        await expect(line).to_be_visible(timeout=10_000)
        await line.locator("[data-issue]").click()
        await expect(page.locator("#invitation-heading")).to_contain_text(name, timeout=10_000)
        invitations[role] = {
            "link": await page.input_value("#inv-link"),
            "account": await page.inner_text("#inv-account"),
            "code": await page.inner_text("#inv-code"),
        }
    await both_languages(page, "admin-invitation")
    return {"hearing_id": hearing_id, "invitations": invitations}


async def party_arrives(
    page: Page, base: str, name: str, how: dict[str, str], *, link: bool
) -> None:
    if link:
        await page.goto(how["link"])
    else:
        await page.goto(f"{base}/join")
        await both_languages(page, f"{name}-signin")
        await page.fill("#account", how["account"])
        await page.fill("#code", how["code"])
        await page.click("#signin-form button[type=submit]")
    # A verdict either way (the loopback on a busy machine may well be "poor").
    await expect(page.locator("#net-result")).to_have_attribute(
        "data-verdict", re.compile("^(good|poor)$"), timeout=20_000
    )
    await expect(page.locator("#device-continue")).to_be_enabled(timeout=15_000)
    await poll(page, "document.getElementById('device-preview').videoWidth", bool,
               timeout_s=10, what="camera preview")  # fmt: skip
    await both_languages(page, f"{name}-device-check")
    await page.click("#device-continue")
    await both_languages(page, f"{name}-rules")
    await page.check("#rules-accept")
    await page.click("#rules-continue")
    await expect(page.locator("#screen-lobby")).to_be_visible(timeout=15_000)
    await both_languages(page, f"{name}-lobby")


async def sign_on_page(page: Page, name: str) -> None:
    """Draw a signature with strokes on the pad, sign, read the manifest, confirm."""
    panel = page.locator("#signing-panel")
    canvas = panel.locator("#signature-canvas")
    await expect(canvas).to_be_visible(timeout=20_000)
    await canvas.scroll_into_view_if_needed()
    box = await canvas.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    await page.mouse.down()
    for step in range(1, 12):
        await page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 30 + (step % 3) * 30)
    await page.mouse.up()
    await panel.locator(".signing-pad button.primary").click()
    review = panel.locator(".signing-review")
    await expect(review).to_be_visible(timeout=15_000)
    await screenshot(page, f"full-{name}-signing-review")
    await review.locator("button.primary").click()
    await expect(panel.locator(".signing-done")).to_be_visible(timeout=15_000)
    await both_languages(page, f"{name}-signed")


def check_composite(video: Path) -> None:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_chapters", "-of", "json", str(video)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    found = json.loads(probe.stdout)
    codecs = {stream["codec_type"]: stream["codec_name"] for stream in found["streams"]}
    assert codecs["video"] == "h264" and codecs["audio"] == "aac", codecs
    titles = " ".join(chapter["tags"].get("title", "") for chapter in found["chapters"])
    for stage in ("宣布法庭纪律", "法庭调查"):
        assert stage in titles, titles
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(video), "-f", "null", "-"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert decoded.returncode == 0 and decoded.stderr == "", decoded.stderr


def bundle_names(bundle: Path) -> str:
    """The signers' names as the bundle's manifest states them."""
    with zipfile.ZipFile(bundle) as archive:
        return archive.read("manifest.json").decode("utf-8")


@pytest.mark.timeout(420)  # four browsers and a whole hearing; ~60 s on a quiet machine
async def test_full_hearing_through_the_pages(
    browser: Browser,
    page_watch: PageWatch,
    server: Any,
    staff_users: dict[str, str],
    clock: FakeClock,
    settings: Settings,
    tmp_path: Path,
) -> None:
    base = str(server.make_url("")).rstrip("/")
    desk = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai",
            "viewport": {"width": 1366, "height": 900}}  # fmt: skip
    contexts = []

    async def open_page(name: str, **options: Any) -> Page:
        context = await browser.new_context(**options)
        contexts.append(context)
        return await page_watch.new_page(context, name)

    admin = await open_page("admin", **desk)
    scheduled = await admin_schedules(admin, base, clock)
    hid = scheduled["hearing_id"]
    assert hid > 0
    invitations = scheduled["invitations"]

    judge = await open_page("judge", **desk)
    await staff_signs_in(judge, base, "judge", PASSWORDS["judge"])
    # The day of the server's (fake) clock; the page starts on the device's today (once its
    # first list is shown, so that the page does not overwrite the date typed here).
    await expect(judge.locator("#day-label")).not_to_be_empty(timeout=10_000)
    await judge.fill("#filter-date", clock.now().astimezone(BEIJING).strftime("%Y-%m-%d"))
    await judge.click("#filter-form button[type=submit]")
    await expect(judge.locator(f"[data-hearing='{hid}']")).to_be_visible(timeout=10_000)
    await both_languages(judge, "judge-hearings-of-the-day")
    await judge.goto(f"{base}/staff/hearings/{hid}/court")
    await judge.click("[data-action=open_lobby]", timeout=15_000)
    judge_pid = await poll(judge, "() => window.hearingCall && window.hearingCall.me", bool,
                           timeout_s=15, what="judge in the courtroom")  # fmt: skip
    clerk = await open_page("clerk", **desk)
    await staff_signs_in(clerk, base, "clerk", PASSWORDS["clerk"])
    await clerk.goto(f"{base}/staff/hearings/{hid}/court")
    await expect(clerk.locator("#transcript-input")).to_be_visible(timeout=15_000)

    pixel = await open_page("pixel", **phone(browser, "Pixel 7"), locale="zh-CN",
                            timezone_id="Asia/Shanghai")  # fmt: skip
    iphone = await open_page("iphone", **phone(browser, "iPhone 13"), locale="en-US",
                             timezone_id="Asia/Shanghai")  # fmt: skip
    await party_arrives(pixel, base, "pixel7", invitations["plaintiff"], link=True)
    await party_arrives(iphone, base, "iphone13", invitations["defendant"], link=False)
    p_id = await poll(pixel, "() => window.hearingCall && window.hearingCall.me", bool,
                      timeout_s=15, what="plaintiff id")  # fmt: skip
    d_id = await poll(iphone, "() => window.hearingCall && window.hearingCall.me", bool,
                      timeout_s=15, what="defendant id")  # fmt: skip

    # The judge checks who is waiting, confirms identities, admits, starts.
    for pid in (p_id, d_id):
        await judge.click(f"[data-confirm-identity='{pid}']", timeout=10_000)
        await expect(judge.locator(f"#lobby-list [data-participant='{pid}']")).to_contain_text(
            "身份已核实", timeout=10_000
        )
    await both_languages(judge, "judge-lobby")
    for pid in (p_id, d_id):
        await judge.click(f"[data-admit='{pid}']")
    await judge.click("[data-action=start]", timeout=10_000)
    for page, others in ((pixel, [judge_pid, d_id]), (iphone, [judge_pid, p_id]),
                         (judge, [p_id, d_id])):  # fmt: skip
        await poll(page, INBOUND, receiving_from(others), timeout_s=40, what="media from all")
    for stage, zh in (("court_discipline", "宣布法庭纪律"), ("investigation", "法庭调查")):
        clock.advance(seconds=3)  # the log's times place the chapters: the stages come apart
        await judge.select_option("#stage-select", stage)
        await judge.click("#set-stage")
        await expect(pixel.locator("#stage-name")).to_have_text(zh, timeout=10_000)

    # The clerk's record reaches both phones; a correction is asked for and accepted.
    await clerk.focus("#transcript-input")
    await clerk.keyboard.press("Digit1")
    await clerk.keyboard.type(SAID)
    await clerk.keyboard.press("Enter")
    await clerk.keyboard.press("Digit2")
    await clerk.keyboard.type(ANSWER)
    await clerk.keyboard.press("Enter")
    for page in (pixel, iphone):
        await page.click("#transcript-open")
        drawer = page.locator("#transcript-drawer")
        await expect(drawer.locator("[data-entry='1']")).to_contain_text(SAID, timeout=10_000)
        await expect(drawer.locator("[data-entry='2']")).to_contain_text(ANSWER, timeout=10_000)
    await both_languages(pixel, "pixel7-hearing-transcript")
    await pixel.click("#transcript-drawer [data-entry='1'] button")
    await pixel.fill("#correction-proposed", CORRECTED)
    await pixel.fill("#correction-reason", "数额记错了")
    await pixel.click(".correction-form button[type=submit]")
    await clerk.click("[data-accept='1']", timeout=10_000)
    await expect(iphone.locator("#transcript-drawer [data-entry='1']")).to_contain_text(
        CORRECTED, timeout=10_000
    )
    await both_languages(clerk, "clerk-editor")
    await both_languages(judge, "judge-console-hearing")
    for page in (pixel, iphone):
        await page.keyboard.press("Escape")
    await both_languages(iphone, "iphone13-hearing")

    # Close, lock the record for review.
    await judge.click("[data-action=close]", timeout=10_000)
    await expect(judge.locator("#hearing-state")).to_have_text("已闭庭", timeout=10_000)
    await clerk.click("#transcript-lock", timeout=10_000)
    await expect(clerk.locator("#transcript-panel")).to_contain_text("已锁定", timeout=10_000)

    # Everyone signs on their own page: a drawn signature, the manifest shown, then signed.
    signers = ((pixel, "pixel7"), (iphone, "iphone13"), (judge, "judge"), (clerk, "clerk"))
    for page, name in signers:
        await sign_on_page(page, name)
    await expect(judge.locator("#signing-panel .signing-summary")).to_contain_text(
        "已签名 4 人", timeout=15_000
    )
    await both_languages(judge, "judge-signing-progress")

    # The clerk exports the composite video (it then goes into the bundle too): real browsers'
    # media, decoded cleanly by ffmpeg, H.264 + AAC, a chapter per stage reached.
    video = tmp_path / "hearing.mp4"
    await clerk.locator("[data-export-kind=video]").click()
    video_link = clerk.locator("[data-download=video]")
    await expect(video_link).to_be_visible(timeout=180_000)
    async with clerk.expect_download(timeout=30_000) as download_info:
        await video_link.click()
    await (await download_info.value).save_as(video)
    check_composite(video)

    # The clerk exports the signed bundle; it verifies offline.
    bundle = tmp_path / "bundle.zip"
    await clerk.locator("[data-export-kind=bundle]").click()
    link = clerk.locator("[data-download=bundle]")
    await expect(link).to_be_visible(timeout=120_000)
    await both_languages(clerk, "clerk-exports")
    async with clerk.expect_download(timeout=30_000) as download_info:
        await link.click()
    await (await download_info.value).save_as(bundle)
    checked = subprocess.run(
        [sys.executable, "-m", "hearing_server.cli", "verify", str(bundle)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    (tmp_path / "verify.txt").write_text(checked.stdout + checked.stderr, encoding="utf-8")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for name in ("张三", "Li Si", "Judge", "Clerk"):
        assert name in checked.stdout or name in bundle_names(bundle), name

    events = tmp_path / "events-verify.txt"
    verified = subprocess.run(
        [sys.executable, "-m", "hearing_server.cli", "events", "verify", "--data-dir",
         str(settings.data_dir), "--database-url", settings.effective_database_url, str(hid)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    events.write_text(verified.stdout + verified.stderr, encoding="utf-8")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    for context in contexts:
        await context.close()
    assert page_watch.problems == []
