"""Time from starting ``ragloom ui`` (no --index: the sample corpus) to a usable chat page, in headless Chromium.

    .venv/bin/python tests/ui/measure_startup.py [--runs 2] [--ask "question"]

Run 1 on a machine whose sample index does not exist yet is the cold start (it indexes the bundled
corpus); later runs are warm. Reports, per run: seconds until the chat input is editable, until the
index statistics show (index ready), and optionally until the first answer's sources appear.
Uses the real cache (``$RAGLOOM_CACHE`` or ``~/.cache/ragloom``), as ``make chat`` does.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright
from ui_server import CHAT_INPUT, launch_chromium, ragloom_ui

from ui.sample import sample_index_dir


def measure(ask: str | None, log: Path) -> dict[str, float | bool | None]:
    cold = not sample_index_dir().exists()
    started = time.monotonic()
    result: dict[str, float | bool | None] = {"cold": cold}
    with ragloom_ui(None, {}, log) as url, sync_playwright() as pw:
        result["server_healthy_s"] = round(time.monotonic() - started, 2)
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            expect(page.locator(CHAT_INPUT)).to_be_editable(timeout=120_000)
            result["chat_input_usable_s"] = round(time.monotonic() - started, 2)
            expect(page.locator("[data-testid='stMetricValue']").first).to_be_visible(timeout=300_000)
            result["index_ready_s"] = round(time.monotonic() - started, 2)
            result["first_answer_s"] = None
            if ask:
                asked = time.monotonic()
                page.locator(CHAT_INPUT).fill(ask)
                page.locator(CHAT_INPUT).press("Enter")
                expect(page.get_by_text("[1] ", exact=False).first).to_be_visible(timeout=300_000)
                result["first_answer_s"] = round(time.monotonic() - asked, 2)
                page.screenshot(path=str(log.with_suffix(".png")), full_page=True)
        finally:
            browser.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--ask", default=None, help="also time the first answer to this question")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ragloom-startup-"))
    results = [measure(args.ask, folder / f"run{i}.log") for i in range(1, args.runs + 1)]
    print(json.dumps({"logs": str(folder), "runs": results}, indent=2))


if __name__ == "__main__":
    main()
