"""The watch itself: a CSP violation on a page is caught (so "no problems" means something)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser

from tests.browser.conftest import PageWatch
from tests.support.waiting import until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def test_inline_style_and_script_are_refused_and_reported(
    browser: Browser, page_watch: PageWatch, server: Any
) -> None:
    context = await browser.new_context(locale="en-US")
    page = await page_watch.new_page(context, "csp")
    response = await page.goto(str(server.make_url("/staff/login")))
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    await page.evaluate("document.body.setAttribute('style', 'color: red')")
    await page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.inlineRan = true";
        document.body.append(script);
    }""")
    await until(
        lambda: sum("CSP violation" in p for p in page_watch.problems) >= 2,
        timeout_s=5,
        what="both violations reported",
    )
    assert not await page.evaluate("window.inlineRan === true")
    assert any("style-src" in p for p in page_watch.problems), page_watch.problems
    assert any("script-src" in p for p in page_watch.problems), page_watch.problems
    await context.close()
