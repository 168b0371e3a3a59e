"""The real server (``ragloom ui``) driven by headless Chromium: ask, wait for the answer, screenshot.

Chromium is Debian's (``setup/install_browser.sh``); the ``playwright`` package only drives it.
Skipped, with the reason, only when no browser is installed and none can be.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from ui_server import CHAT_INPUT, browser_or_skip, launch_chromium, ragloom_ui

pytestmark = pytest.mark.browser

SCREENSHOT_COPY = Path("/tmp/ragloom-ui-screenshot.png")  # also kept outside pytest's tmp for a human look


def test_browser_asks_and_sees_a_cited_answer(index_copy: Path, tmp_path: Path) -> None:
    browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    env = {"RAGLOOM_MODEL": "smollm2-135m", "RAGLOOM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    started = time.monotonic()
    with ragloom_ui(index_copy, env, tmp_path / "server.log") as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            chat_input = page.locator(CHAT_INPUT)
            expect(chat_input).to_be_editable(timeout=60_000)
            usable = time.monotonic() - started
            chat_input.fill("When was the Harrow Point lighthouse built?")
            chat_input.press("Enter")
            first_source = page.get_by_text("[1] The Harrow Point lighthouse", exact=False).first
            expect(first_source).to_be_visible(timeout=150_000)
            expect(first_source).to_contain_text("cosine")
            expect(page.locator("[data-testid='stException']")).to_have_count(0)
            assistant = page.locator("[data-testid='stChatMessage']").nth(1)
            assert assistant.inner_text().strip()
            page.wait_for_timeout(500)  # let the charts finish drawing before the picture
            shot = tmp_path / "chat.png"
            page.screenshot(path=str(shot), full_page=True)
            expect(page.get_by_role("button", name="Download JSON")).to_be_enabled()
            page.get_by_role("tab", name="Embedding space").click()
            expect(page.locator("[data-testid='stVegaLiteChart']").last).to_be_visible(timeout=20_000)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(tmp_path / "space.png"), full_page=True)
            page.get_by_role("tab", name="Prompt").click()
            expect(page.get_by_text("context window", exact=False).first).to_be_visible()
            page.get_by_role("tab", name="Model").click()
            expect(page.get_by_text("Temperature").first).to_be_visible()
            page.screenshot(path=str(tmp_path / "prompt.png"), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    shutil.copyfile(shot, SCREENSHOT_COPY)
    for name in ("space", "prompt"):
        shutil.copyfile(tmp_path / f"{name}.png", SCREENSHOT_COPY.with_name(f"ragloom-ui-{name}.png"))
    print(f"chat input usable {usable:.1f} s after `ragloom ui` started; screenshot {shot}")
