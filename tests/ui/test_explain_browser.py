"""The Explain tab in a real browser: ask over the bundled sample corpus, click Explain, see bars and heat-map.

The server is the real ``ragloom ui``; SmolLM2-135M answers (fast), and the explanation comes from the
default explain model (the bundled Qwen2.5-Coder-0.5B), read from the user's model cache like the other
slow browser test does (assembling and converting it per run would only cost time). The time from the
click to the drawn heat-map is printed, not asserted.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from ui_server import CHAT_INPUT, browser_or_skip, launch_chromium, ragloom_ui

pytestmark = pytest.mark.browser

_USER_CACHE = os.environ.get("RAGLOOM_CACHE") or str(Path.home() / ".cache" / "ragloom")  # read before the fixture
SCREENSHOT_COPY = Path("/tmp/ragloom-ui-explain.png")


def test_explain_tab_draws_bars_and_heat_map(sample_index: Path, tmp_path: Path) -> None:
    browser_or_skip("llama_cpp")
    from playwright.sync_api import expect, sync_playwright

    env = {"RAGLOOM_CACHE": _USER_CACHE, "HF_HUB_OFFLINE": "1", "RAGLOOM_MODEL": "smollm2-135m"}
    with ragloom_ui(sample_index, env, tmp_path / "server.log") as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(url, timeout=180_000)  # a loaded machine can take a while to serve the first page
            chat_input = page.locator(CHAT_INPUT)
            expect(chat_input).to_be_editable(timeout=60_000)
            chat_input.fill("What is the default chunk size?")
            chat_input.press("Enter")
            message = page.locator("[data-testid='stChatMessage']").nth(1)
            expect(message.get_by_text("first token", exact=False)).to_be_visible(timeout=600_000)
            sources = int(message.get_by_role("tab", name="Sources").inner_text().split("(")[1].rstrip(")"))
            message.get_by_role("tab", name="Explain").click()
            started = time.monotonic()
            message.get_by_role("button", name="Explain").click()
            heat_map = page.locator(".ragloom-heatmap")
            expect(heat_map.first).to_be_visible(timeout=600_000)
            seconds = time.monotonic() - started
            expect(page.locator(".ragloom-explain-bar")).to_have_count(sources)
            expect(heat_map).to_have_count(sources)
            assert page.locator(".ragloom-heat").count() > 0  # some source words are marked
            expect(page.get_by_text("attention of qwen2.5-coder-0.5b", exact=False).first).to_be_visible()
            expect(page.locator("[data-testid='stException']")).to_have_count(0)
            page.get_by_text("One head").click()  # the per-head view redraws without recomputing
            expect(page.get_by_text("Layer", exact=True).first).to_be_visible()
            expect(heat_map).to_have_count(sources)
            shot = tmp_path / "explain.png"
            heat_map.first.scroll_into_view_if_needed()
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    shutil.copyfile(shot, SCREENSHOT_COPY)
    print(f"Explain: click to heat-map {seconds:.1f} s ({sources} sources, load average {os.getloadavg()[0]:.1f})")
