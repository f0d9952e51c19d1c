"""Signing in real Chromium: two phone-emulated parties (Pixel 7), the judge and the clerk on
their consoles. Every browser makes its own non-extractable P-256 key; the clerk writes and locks
the transcript; one party draws a signature with the pointer on the canvas and signs, the other
refuses with a reason; clerk and judge sign from their pages; the judge sees everyone's
progress. Then the bundle is exported and ``hearing-server verify`` (a subprocess) passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import (
    PageWatch,
    open_lobby,
    phone,
    poll,
    screenshot,
    staff_signs_in,
)
from tests.browser.test_courtroom_e2e import party_joins
from tests.conftest import PASSWORDS
from tests.support.processes import run_cli

pytestmark = [
    pytest.mark.browser,
    # four browsers with live media: generous on a loaded 2-core machine
    pytest.mark.timeout(300),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def draw_signature(page: Page) -> None:
    """A few strokes with the pointer, as a finger would make them."""
    canvas = page.locator("#signature-canvas")
    await expect(canvas).to_be_visible(timeout=15_000)
    await canvas.scroll_into_view_if_needed()
    box = await canvas.bounding_box()
    assert box is not None and box["width"] > 100, box
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    for stroke in range(2):
        await page.mouse.move(x + w * 0.1, y + h * (0.3 + 0.3 * stroke))
        await page.mouse.down()
        for step in range(1, 12):
            await page.mouse.move(
                x + w * (0.1 + 0.07 * step), y + h * (0.5 + 0.3 * (-1) ** step * 0.5)
            )
        await page.mouse.up()


async def sign_on(page: Page, shot: str) -> str:
    await draw_signature(page)
    await page.click(".signing-pad button.primary")
    review = page.locator(".signing-review")
    await expect(review).to_be_visible(timeout=15_000)
    await screenshot(page, f"{shot}-review")
    await review.locator("button.primary").click()
    done = page.locator(".signing-done")
    await expect(done).to_be_visible(timeout=15_000)
    await screenshot(page, f"{shot}-done")
    return await done.inner_text()


async def test_parties_and_staff_sign_in_chromium_and_the_bundle_verifies(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any],
    tmp_path: Path, settings: Any,
) -> None:  # fmt: skip
    lobby = await open_lobby(hearing_with_parties)
    base, hid, invitations = lobby.base, lobby.hearing_id, lobby.invitations
    p_id, d_id = lobby.pid("plaintiff"), lobby.pid("defendant")

    desk = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}
    contexts = [await browser.new_context(**desk) for _ in range(2)]
    judge = await page_watch.new_page(contexts[0], "judge")
    await staff_signs_in(judge, base, "judge", PASSWORDS["judge"])
    await judge.goto(f"{base}/staff/hearings/{hid}/court")
    clerk = await page_watch.new_page(contexts[1], "clerk")
    await staff_signs_in(clerk, base, "clerk", PASSWORDS["clerk"])
    await clerk.goto(f"{base}/staff/hearings/{hid}/court")
    await expect(clerk.locator("#transcript-input")).to_be_visible(timeout=15_000)

    parties: dict[str, Page] = {}
    for role, name in (("plaintiff", "sign-plaintiff"), ("defendant", "sign-defendant")):
        context = await browser.new_context(**phone(browser, "Pixel 7"), locale="zh-CN")
        contexts.append(context)
        parties[role] = await page_watch.new_page(context, role)
        await party_joins(parties[role], invitations[role]["link"], name, account=None)
    for pid in (p_id, d_id):  # the judge confirms identities, then admits (keys get bound)
        await judge.click(f"[data-confirm-identity='{pid}']", timeout=15_000)
        await judge.click(f"[data-admit='{pid}']", timeout=15_000)
    for page in parties.values():
        await expect(page.locator("#screen-hearing")).to_be_visible(timeout=15_000)
        assert await page.locator("#signing-panel").is_hidden()

    await clerk.focus("#transcript-input")
    await clerk.keyboard.press("Digit1")
    await clerk.keyboard.type("原告：请求被告支付货款十万元。")
    await clerk.keyboard.press("Enter")
    await expect(clerk.locator(".transcript-list [data-entry='1']")).to_be_visible(timeout=10_000)
    await clerk.click("#transcript-lock")

    # The plaintiff reads the whole transcript on the phone, draws, signs.
    plaintiff = parties["plaintiff"]
    await expect(plaintiff.locator("#signing-panel")).to_be_visible(timeout=15_000)
    await expect(plaintiff.locator(".signing-transcript")).to_contain_text("十万元")
    await screenshot(plaintiff, "signing-party-pixel7-zh")
    done = await sign_on(plaintiff, "signing-party-pixel7")
    assert "SHA-256" in done

    # The defendant refuses, with a reason.
    defendant = parties["defendant"]
    await expect(defendant.locator("#signing-panel")).to_be_visible(timeout=15_000)
    await defendant.click(".signing-pad button.danger")
    await defendant.fill("#refuse-reason", "数额有误，我不同意笔录。")
    await defendant.click(".signing-refusal button[type=submit]")
    await expect(defendant.locator(".signing-done")).to_contain_text("数额有误", timeout=15_000)

    await sign_on(clerk, "signing-clerk")
    await sign_on(judge, "signing-judge")
    progress = judge.locator(".signing-progress")
    for pid in (p_id, d_id):
        await expect(progress.locator(f"[data-participant='{pid}']")).to_be_visible()
    await expect(progress.locator(".status-signed")).to_have_count(3, timeout=15_000)
    await expect(progress.locator(".status-refused")).to_have_count(1)
    await screenshot(judge, "signing-judge-progress-zh")
    status = await poll(judge, f"fetch('/api/hearings/{hid}/signing').then(r => r.json())",
                        lambda s: s["complete"], timeout_s=10, what="signing complete")  # fmt: skip
    assert status["transcript_state"] == "signed"
    for context in contexts:  # leave the courtroom before the server stops
        await context.close()
    assert page_watch.problems == []

    bundle = tmp_path / "bundle.zip"
    cli = ["--data-dir", str(settings.data_dir), "--database-url", settings.effective_database_url]
    exported = await run_cli("export-bundle", str(hid), "--out", str(bundle), *cli)
    assert exported.returncode == 0, exported.stderr
    verified = await run_cli("verify", str(bundle))
    assert verified.returncode == 0, verified.stdout
    assert "VERIFIED" in verified.stdout


async def test_a_party_on_a_new_phone_signs_once_the_judge_accepts_its_key(
    browser: Browser, page_watch: PageWatch, hearing_with_parties: dict[str, Any]
) -> None:
    """The plaintiff's identity is confirmed on one phone, which is then lost; they sign in on
    another (a new invitation). That phone's key waits: its page shows a code to read out,
    the judge's panel shows the same code with a button; once the judge accepts, it signs."""
    lobby = await open_lobby(hearing_with_parties)
    judge_api, base, hid = lobby.judge_api, lobby.base, lobby.hearing_id
    plaintiff, p_id = lobby.invitations["plaintiff"], lobby.pid("plaintiff")
    desk = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    judge = await page_watch.new_page(desk, "judge")
    await staff_signs_in(judge, base, "judge", PASSWORDS["judge"])
    await judge.goto(f"{base}/staff/hearings/{hid}/court")
    first_phone = await browser.new_context(**phone(browser, "Pixel 7"), locale="zh-CN")
    lost = await page_watch.new_page(first_phone, "first-phone")
    await party_joins(lost, plaintiff["link"], "new-key-first-phone", account=None)
    await judge.click(f"[data-confirm-identity='{p_id}']", timeout=15_000)
    await judge.click(f"[data-admit='{p_id}']", timeout=15_000)
    await expect(lost.locator("#screen-hearing")).to_be_visible(timeout=15_000)
    await first_phone.close()

    # Invitations are single-use: the court issues the plaintiff a new one for the new phone.
    reissued = await judge_api.post(f"/api/hearings/{hid}/participants/{p_id}/invitation")
    assert reissued.status == 201, reissued.body
    second_phone = await browser.new_context(**phone(browser, "Pixel 7"), locale="en-US")
    party = await page_watch.new_page(second_phone, "second-phone")
    registrations: list[str] = []
    party.on("request", lambda r: registrations.append(r.url)
             if r.method == "POST" and r.url.endswith("/signer-key") else None)  # fmt: skip
    await party.goto(reissued.body["link"])
    await party.click("#device-continue:not([disabled])", timeout=15_000)
    await party.check("#rules-accept")
    await party.click("#rules-continue")
    await expect(party.locator("#screen-hearing")).to_be_visible(timeout=15_000)  # still admitted

    await judge.click("#transcript-lock", timeout=15_000)  # (the clerk writes; none here)
    status = await poll(judge, f"fetch('/api/hearings/{hid}/signing').then(r => r.json())",
                        lambda s: any(x["waiting_key"] for x in s["signers"]),
                        timeout_s=15, what="the second phone's key waiting")  # fmt: skip
    waiting = next(s["waiting_key"] for s in status["signers"] if s["participant_id"] == p_id)
    code = " ".join(waiting[i : i + 4] for i in range(0, 16, 4))
    note = party.locator("#key-waiting-note")
    await expect(note).to_contain_text(code, timeout=15_000)
    await screenshot(party, "signing-new-phone-key-waiting-en")
    accept = judge.locator(f"[data-accept-key='{p_id}']")
    await expect(judge.locator(".signing-progress")).to_contain_text(code, timeout=15_000)
    await screenshot(judge, "signing-judge-accepts-new-key-zh")
    questions: list[str] = []

    async def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        await dialog.accept()

    judge.on("dialog", answer)
    await accept.click()
    await expect(note).to_be_hidden(timeout=15_000)
    await expect(accept).to_have_count(0)
    assert len(questions) == 1 and code in questions[0], questions
    assert "SHA-256" in await sign_on(party, "signing-new-phone")
    assert len(registrations) == 1, registrations  # the page registered its key once
    log = (await judge_api.get(f"/api/hearings/{hid}/events")).body["events"]
    bound = [e["payload"] for e in log if e["kind"] == "signer_key.bound"]
    assert {"participant_id": p_id, "fingerprint": waiting,
            "by": "identity_reconfirmation"} in bound  # fmt: skip
    signed = [e for e in log if e["kind"] == "transcript.signature_added"]
    assert len(signed) == 1, signed
    for context in (desk, second_phone):
        await context.close()
    assert page_watch.problems == []
