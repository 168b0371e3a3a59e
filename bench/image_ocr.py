"""OCR of pictures inside .docx and HTML files (``ocr_images``): character accuracy and time per picture.

Generated files with known text: a .docx holding ``--pictures`` pictures of printed text (three
lines each, drawn like a clean screenshot of a notice) between paragraphs, and an HTML page with
the same pictures as ``data:`` URIs. Accuracy = 1 - edit distance / length over the text of all
pictures (the ``[image text]`` marks removed); time = seconds per picture with the engine loaded
(the one-off engine load reported apart). Without ``ocr_images`` none of the pictures' text is read.

Timed: ``flock /tmp/ragloom-bench.lock nice -n 15 python bench/image_ocr.py``.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pdf_samples  # noqa: E402
from bench.common import print_table, write_results  # noqa: E402
from bench.pdf import edit_distance  # noqa: E402


def _files(folder: Path, pictures: list[list[str]]) -> dict[str, Path]:
    import docx
    from docx.shared import Inches

    document = docx.Document()
    html = ["<html><body><main>"]
    for number, lines in enumerate(pictures, 1):
        image = pdf_samples.text_image(lines, font_px=28, width_px=1400)
        document.add_paragraph(f"Paragraph {number} before picture {number}.")
        document.add_picture(io.BytesIO(image), width=Inches(6))
        html.append(f"<p>Paragraph {number} before picture {number}.</p>"
                    f"<img src='data:image/png;base64,{base64.b64encode(image).decode()}'>")
    document.add_paragraph("The end.")
    document.save(folder / "notices.docx")
    (folder / "notices.html").write_text("".join(html) + "<p>The end.</p></main></body></html>", encoding="utf-8")
    return {"docx": folder / "notices.docx", "html": folder / "notices.html"}


def _read(path: Path, ocr_images: bool) -> tuple[str, list[Any], list[str], float]:
    from connectors.files import FileConnector
    from connectors.options import ConnectorOptions
    from rag.core.types import Document

    started = time.perf_counter()
    # no time budgets: this measures accuracy and time, and a loaded machine must not turn into a skip
    items = list(FileConnector(path, ConnectorOptions(ocr_images=ocr_images, pdf_page_seconds=0,
                                                      file_seconds=0)).load())
    seconds = time.perf_counter() - started
    [document] = [item for item in items if isinstance(item, Document)]
    return (document.text, document.metadata.get("ocr_images", []),
            [item.reason for item in items if not isinstance(item, Document)], seconds)


def _image_text(text: str) -> str:
    """The pictures' text only: the ``[image text]`` paragraphs and the lines that continue them."""
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith("[image text] "):
            inside = True
            out.append(line.removeprefix("[image text] "))
        elif inside and line.strip() and not line.startswith(("Paragraph ", "The end.")):
            out.append(line)
        else:
            inside = False
    return " ".join(" ".join(out).split())


def run(pictures: int) -> dict[str, Any]:
    from connectors.formats import pdf_ocr

    started = time.perf_counter()
    pdf_ocr._load()  # noqa: SLF001 - the one-off engine load, reported apart from the per-picture time
    load = time.perf_counter() - started
    pool = pdf_samples.sentences(3 * pictures, 23)
    truth_lines = [pool[i * 3:(i + 1) * 3] for i in range(pictures)]
    truth = " ".join(" ".join(lines) for lines in truth_lines)
    out: dict[str, Any] = {"pictures": pictures, "engine_load_seconds": round(load, 2)}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, path in _files(Path(tmp), truth_lines).items():
            plain, _, _, plain_seconds = _read(path, ocr_images=False)
            text, records, skipped, seconds = _read(path, ocr_images=True)
            got = _image_text(text)
            out[kind] = {"char_accuracy": round(1 - edit_distance(got, truth) / len(truth), 4),
                         "seconds_per_picture": round(seconds / pictures, 2),
                         "seconds_without_ocr": round(plain_seconds, 3),
                         "picture_text_chars_without_ocr": len(_image_text(plain)),
                         "confidence": [record["confidence"] for record in records], "skipped": skipped}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pictures", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()
    results = run(args.pictures)
    results["load_average"] = {"before": load_before, "after": os.getloadavg()}
    path = write_results("image-ocr", results)
    print(f"results in {path}; engine load {results['engine_load_seconds']} s; load average "
          f"{load_before[0]:.1f} -> {results['load_average']['after'][0]:.1f}")
    print_table(["file", "pictures", "char accuracy", "s / picture", "min confidence", "skipped"],
                [[kind, args.pictures, results[kind]["char_accuracy"], results[kind]["seconds_per_picture"],
                  min(results[kind]["confidence"] or [0.0]), len(results[kind]["skipped"])]
                 for kind in ("docx", "html")])


if __name__ == "__main__":
    main()
