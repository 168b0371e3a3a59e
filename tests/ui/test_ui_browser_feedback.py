"""The feedback loop end to end (issue 15's acceptance): in the real ``ragloom ui`` server, driven by headless
Chromium, ask one question, give the answer a thumbs-down and a correction; then ``ragloom eval export
--feedback`` writes an evaluation set from it and ``ragloom eval qa`` answers and scores that set with
the real model (SmolLM2-135M, the smallest bundled one, so the whole test stays near a minute).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ui_server import CHAT_INPUT, browser_or_skip, launch_chromium, ragloom_ui

pytestmark = pytest.mark.browser

QUESTION = "When was the Harrow Point lighthouse built?"
ENV = {"RAGLOOM_MODEL": "smollm2-135m", "RAGLOOM_THREADS": "1", "HF_HUB_OFFLINE": "1"}


def _ragloom(*argv: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("ragloom")), *argv]
    return subprocess.run(command, env={**os.environ, **ENV}, capture_output=True, text=True, timeout=600)


def test_thumbs_down_and_correction_become_a_scored_evaluation_set(index_copy: Path, tmp_path: Path) -> None:
    browser_or_skip("llama_cpp")
    from playwright.sync_api import expect, sync_playwright

    started = time.monotonic()
    with ragloom_ui(index_copy, ENV, tmp_path / "server.log") as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, timeout=180_000)  # generous: the 2 cores are often shared with other jobs
            chat_input = page.locator(CHAT_INPUT)
            expect(chat_input).to_be_editable(timeout=180_000)
            chat_input.fill(QUESTION)
            chat_input.press("Enter")
            answer = page.locator("[data-testid='stChatMessage']").nth(1)
            expect(answer.get_by_text("first token", exact=False)).to_be_visible(timeout=600_000)

            thumbs_down = answer.get_by_role("radio", name="Thumbs down")  # drawn after the sources and charts
            expect(thumbs_down).to_be_visible(timeout=300_000)
            thumbs_down.click()
            expect(answer.get_by_text("Feedback saved: rated wrong", exact=False)).to_be_visible(timeout=120_000)
            correction = answer.get_by_label("The right answer is …", exact=True)
            expect(correction).to_be_visible(timeout=120_000)
            correction.fill("1871")
            answer.get_by_role("button", name="Save correction").click()
            expect(answer.get_by_text("correction “1871”", exact=False)).to_be_visible(timeout=120_000)
            expect(page.locator("[data-testid='stException']")).to_have_count(0)
            page.screenshot(path=str(tmp_path / "feedback.png"), full_page=True)
        finally:
            browser.close()
    in_browser = time.monotonic() - started

    exported = tmp_path / "set.jsonl"
    export = _ragloom("eval", "export", "--feedback", "--index", str(index_copy), "--out", str(exported))
    assert export.returncode == 0, export.stderr[-2000:]
    [item] = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    assert (item["question"], item["answer"], item["facts"], item["kind"]) == (QUESTION, "1871", [["1871"]],
                                                                                "corrected")

    scores = tmp_path / "qa.json"
    qa = _ragloom("eval", "qa", "--questions", str(exported), "--index", str(index_copy), "--max-new-tokens", "32",
                  "--json", str(scores))
    assert qa.returncode == 0, qa.stderr[-2000:]
    result = json.loads(scores.read_text(encoding="utf-8"))
    assert result["questions"] == 1 and result["answerable_questions"] == 1
    [scored] = result["results"]
    assert scored["question"] == QUESTION and scored["gold"] == "1871" and scored["prediction"].strip()
    assert scored["answer_hit"] is not None and result["answer_hit"] in (0.0, 1.0)  # scored against the correction
    assert "answer_hit" in qa.stdout
    print(f"browser part {in_browser:.0f} s, whole loop {time.monotonic() - started:.0f} s; "
          f"eval qa answer: {scored['prediction']!r} (answer_hit {scored['answer_hit']}, f1 {scored['f1']:.2f})")
