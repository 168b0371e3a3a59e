"""The cited page in a real browser: ``ragloom ui`` (with its file route), headless Chromium, the real tiny model.

Asks a question whose answer is in the lower half of page 1 of a generated PDF, then checks what a person
sees: the rendered page under source [1], the amber highlight exactly where the passage's lines are on
that page (pixels of the displayed image, compared as fractions of the page), and a link that serves the
original file for ``#page=1`` while a forged link serves nothing.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pdf_corpus import build_index
from PIL import Image
from ui_server import CHAT_INPUT, browser_or_skip, launch_chromium, ragloom_ui

from ui.page_view import PAGE_WIDTH_PX

pytestmark = pytest.mark.browser

QUESTION = "Which pier does the ferry to Skellig Mor leave from?"


def _amber_fractions(png: bytes) -> tuple[float, float, float, float]:
    """The highlighted area of a screenshot as (left, top, right, bottom) fractions of its size."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = image.load()
    xs, ys = [], []
    for y in range(image.height):
        for x in range(image.width):
            r, g, b = pixels[x, y]
            if r > 200 and g > 180 and b < 200 and g - b > 40:
                xs.append(x)
                ys.append(y)
    assert xs, "no highlight on the rendered page"
    return min(xs) / image.width, min(ys) / image.height, max(xs) / image.width, max(ys) / image.height


def test_the_cited_pdf_page_is_shown_with_the_passage_highlighted(tmp_path: Path) -> None:
    browser_or_skip("llama_cpp", "pypdfium2")
    from playwright.sync_api import expect, sync_playwright

    index, guide, _ = build_index(tmp_path)
    ferry = guide.paragraph_with("Skellig Mor")
    expected = (min(b[1] for b in ferry.boxes) / guide.page_width, min(b[2] for b in ferry.boxes) / guide.page_height,
                max(b[3] for b in ferry.boxes) / guide.page_width, max(b[4] for b in ferry.boxes) / guide.page_height)
    env = {"RAGLOOM_MODEL": "smollm2-135m", "RAGLOOM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    with ragloom_ui(index, env, tmp_path / "server.log") as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            chat_input = page.locator(CHAT_INPUT)
            expect(chat_input).to_be_editable(timeout=60_000)
            chat_input.fill(QUESTION)
            chat_input.press("Enter")
            source = page.locator("[data-testid='stExpander']").filter(has_text="[1] Port Evering visitor guide")
            expect(source).to_be_visible(timeout=600_000)  # ~1 min on an idle machine; 2 cores may carry load 30+
            # The answer must be finished: while it streams, the chat scrolls and a screenshot can shift.
            answer = page.locator("[data-testid='stChatMessage']").nth(1)
            expect(answer.get_by_text("first token", exact=False)).to_be_visible(timeout=600_000)
            expect(source.locator("summary")).to_contain_text("page 1")
            picture = source.locator("[data-testid='stImage'] img")
            try:  # a cited source's expander opens by itself, its page image a moment after the answer ends
                expect(picture).to_be_visible(timeout=15_000)
            except AssertionError:  # the model cited no source, so no expander opened by itself
                source.locator("summary").click()
            expect(picture).to_be_visible(timeout=30_000)
            expect(source.locator("[data-testid='stImageCaption']")).to_contain_text("page 1 (2 highlighted lines)")
            picture.scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
            assert picture.evaluate("img => img.naturalWidth") == PAGE_WIDTH_PX  # rendered at 1000 px, sent at 720
            (tmp_path / "page.png").write_bytes(picture.screenshot())  # for a person reading a failure
            # The pixels the browser shows are the image it was sent: fetched by its own address, they
            # cannot be shifted by a scroll or covered by the chat input's bar as a screenshot can.
            shown = page.request.get(picture.evaluate("img => img.src"))
            assert shown.status == 200
            found = _amber_fractions(shown.body())
            # the highlight is where the passage is on the page (the 1.5-point pad and the outline aside)
            for got, want in zip(found, expected, strict=True):
                assert abs(got - want) < 0.012, (found, expected)

            link = source.locator("a[href*='/ragloom/source/']")
            expect(link).to_have_count(1)
            href = link.get_attribute("href")
            assert href is not None and href.endswith("/guide.pdf#page=1") and str(tmp_path) not in href
            reply = page.request.get(url + href.split("#")[0])
            assert reply.status == 200 and reply.headers["content-type"] == "application/pdf"
            assert reply.body() == guide.path.read_bytes()
            forged = href.split("#")[0].replace("/ragloom/source/", "/ragloom/source/x")
            assert page.request.get(url + forged).status == 404
            expect(page.locator("[data-testid='stException']")).to_have_count(0)
            page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
        finally:
            browser.close()
