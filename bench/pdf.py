"""PDF reading quality and speed: ragloom's layout-aware reader vs pypdf vs LangChain's PyPDFLoader.

On generated PDFs with known ground truth (``bench/pdf_samples.py``):

The plain text of pdfplumber and pypdfium2 (the two libraries a layout-aware reader could build on)
is measured too, to show what each gives before any layout work.

- reading order: two-column pages written line by line across the columns (``interleaved``, as
  many typesetters do) and column by column (``stream``). Accuracy = share of consecutive
  ground-truth sentence pairs found intact and in order (whitespace and hyphens ignored);
- tables: a ruled table with a merged header and a 24-row table; cell accuracy = for each row
  (header included) the cells found, in order, at the start of the extracted line that begins
  with the row's first cell;
- OCR: scanned pages of clean printed text; character accuracy = 1 - edit distance / length,
  and seconds per page (engine load reported apart);
- a 300-page PDF read page by page in a fresh process: seconds per page and peak RSS, with RSS
  sampled along the way to show it stays flat.

Run: ``flock /tmp/ragloom-bench.lock nice -n 15 python bench/pdf.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pdf_samples  # noqa: E402
from bench.common import median, print_table, write_results  # noqa: E402

_SENTENCE = re.compile(r"(?<=\.)\s+")


def ours(path: Path) -> list[str]:
    from connectors.files import FileConnector
    from rag.core.types import Document

    return [item.text for item in FileConnector(path).load() if isinstance(item, Document)]


def pypdf_text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(path).pages]


def langchain_text(path: Path) -> list[str]:
    from langchain_community.document_loaders import PyPDFLoader

    return [document.page_content for document in PyPDFLoader(str(path)).load()]


def pdfplumber_text(path: Path) -> list[str]:
    """pdfplumber's own plain text, without ragloom's layout pass (what the layout work adds)."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def pypdfium2_text(path: Path) -> list[str]:
    """PDFium's text (the fast C library considered as the base instead of pdfplumber)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


READERS = {"ragloom": ours, "pypdf": pypdf_text, "langchain PyPDFLoader": langchain_text,
           "pdfplumber plain": pdfplumber_text, "pypdfium2 plain": pypdfium2_text}


def _squash(text: str) -> str:
    return "".join(text.replace("-", "").split())


def reading_order(sentences: list[str], pages: list[str]) -> float:
    text = _squash("\n".join(pages))
    positions = [text.find(_squash(s)) for s in sentences]
    pairs = list(zip(positions, positions[1:], strict=False))
    return sum(1 for a, b in pairs if a != -1 and b != -1 and a < b) / max(len(pairs), 1)


def _normal(line: str) -> str:
    return " ".join(line.replace("|", " ").split())


def table_cells(rows: list[list[str]], pages: list[str]) -> float:
    lines = [_normal(line) for page in pages for line in page.splitlines()]
    correct = total = 0
    for row in rows:
        total += len(row)
        line = next((candidate for candidate in lines if candidate.startswith(row[0])), "")
        for count in range(len(row), 0, -1):
            prefix = " ".join(row[:count])
            if line == prefix or line.startswith(prefix + " "):
                correct += count
                break
    return correct / max(total, 1)


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, 1):
        current = [i]
        for j, right in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right)))
        previous = current
    return previous[-1]


def _timed_reads(path: Path, repeats: int) -> dict[str, tuple[list[str], float]]:
    """Each reader on ``path``, alternating, ``repeats`` times; its text and median seconds."""
    times: dict[str, list[float]] = {name: [] for name in READERS}
    texts: dict[str, list[str]] = {}
    for _ in range(repeats):
        for name, reader in READERS.items():
            started = time.perf_counter()
            texts[name] = reader(path)
            times[name].append(time.perf_counter() - started)
    return {name: (texts[name], median(times[name])) for name in READERS}


def quality(folder: Path, repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for layout in ("interleaved", "stream"):
        path = folder / f"two-column-{layout}.pdf"
        truth = pdf_samples.two_column(path, pages=2, interleaved=layout == "interleaved")
        sentences = [s for paragraph in truth.paragraphs for s in _SENTENCE.split(paragraph)]
        for name, (pages, seconds) in _timed_reads(path, repeats).items():
            out.setdefault(name, {})[f"reading_order_{layout}"] = round(reading_order(sentences, pages), 4)
            out[name][f"seconds_per_page_{layout}"] = round(seconds / truth.pages, 4)
    tables = [("merged_header", None), ("long", [[f"Harbour {n}", str(100 + n), str(200 + n), str(n % 17)]
                                                 for n in range(24)])]
    for label, rows in tables:
        path = folder / f"table-{label}.pdf"
        truth = pdf_samples.table(path, rows=rows)
        for name, (pages, _) in _timed_reads(path, 1).items():
            out[name][f"table_cells_{label}"] = round(table_cells([truth.header, *truth.rows], pages), 4)
    return out


def ocr(folder: Path, pages: int) -> dict[str, Any]:
    from connectors.formats import pdf_ocr

    started = time.perf_counter()
    pdf_ocr._load()  # noqa: SLF001 - the one-off engine load, reported apart from the per-page time
    load = time.perf_counter() - started
    lines = pdf_samples.sentences(12 * pages, 11)
    truth_pages = [lines[i * 12:(i + 1) * 12] for i in range(pages)]
    path = folder / "scanned.pdf"
    pdf_samples.scanned(path, truth_pages)
    from connectors.files import FileConnector
    from connectors.options import ConnectorOptions
    from rag.core.types import Document

    started = time.perf_counter()
    # no time budgets: this measures accuracy and time, and a loaded machine must not turn into a skip
    items = list(FileConnector(path, ConnectorOptions(pdf_page_seconds=0, file_seconds=0)).load())
    seconds = time.perf_counter() - started
    texts = [item.text for item in items if isinstance(item, Document)]
    skipped = [item.reason for item in items if not isinstance(item, Document)]
    truth = " ".join(" ".join(page) for page in truth_pages)
    got = " ".join(" ".join(texts).split())
    pypdf_chars = sum(len(t.strip()) for t in pypdf_text(path))
    return {"pages": pages, "char_accuracy": round(1 - edit_distance(got, truth) / len(truth), 4),
            "seconds_per_page": round(seconds / pages, 2), "engine_load_seconds": round(load, 2),
            "pypdf_chars_extracted": pypdf_chars, "skipped": skipped,
            "confidence": [item.metadata.get("ocr_confidence") for item in items if isinstance(item, Document)]}


def long_file(folder: Path, pages: int) -> dict[str, Any]:
    path = folder / "long.pdf"
    pdf_samples.long_report(path, pages)
    results = {}
    for reader in ("ragloom", "pypdf", "ragloom ingest"):
        completed = subprocess.run([sys.executable, __file__, "--read-long", str(path), "--reader", reader,
                                    "--long-pages", str(pages)],
                                   check=True, capture_output=True, text=True, env={**os.environ})
        sys.stderr.write(completed.stderr[-400:])
        results[reader] = json.loads(completed.stdout.strip().splitlines()[-1])
    return {"pages": pages, "file_mb": round(path.stat().st_size / 1e6, 2), **results}


def _read_long(path: Path, reader: str, pages: int) -> None:
    """In a fresh process: read ``path`` page by page with a progress bar, sampling RSS after every page.

    (``ru_maxrss`` is no use here: Linux carries the parent's peak across fork and exec.)
    ``ragloom ingest`` runs the whole ingest (read, chunk, embed, index) with its own progress bar
    (one tick per page) and samples RSS from a thread.
    """
    import psutil
    from tqdm import tqdm

    process = psutil.Process()
    baseline = process.memory_info().rss
    samples = []
    started = time.perf_counter()
    if reader == "ragloom ingest":
        _ingest_long(path, process, baseline)
        return
    if reader == "ragloom":
        from connectors.files import FileConnector

        items = FileConnector(path).load()
    else:
        from pypdf import PdfReader

        items = (page.extract_text() for page in PdfReader(path).pages)
    with tqdm(total=pages, desc=f"{reader} {path.name}", unit=" page", file=sys.stderr, mininterval=2) as bar:
        peak = baseline
        for count, _ in enumerate(items, 1):
            bar.update(1)
            rss = process.memory_info().rss
            peak = max(peak, rss)
            if count % 50 == 0:
                samples.append([count, round(rss / 2**20, 1)])
    seconds = time.perf_counter() - started
    peak = peak / 2**20
    print(json.dumps({"seconds_per_page": round(seconds / max(count, 1), 4), "pages_read": count,
                      "rss_before_mib": round(baseline / 2**20, 1), "peak_rss_mib": round(peak, 1),
                      "rss_every_50_pages_mib": samples}))


def _ingest_long(path: Path, process: Any, baseline: int) -> None:
    import threading

    from rag import RAG

    peak, samples, done = [baseline], [], threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            rss = process.memory_info().rss
            peak[0] = max(peak[0], rss)
            samples.append(round(rss / 2**20, 1))

    with tempfile.TemporaryDirectory(prefix="ragloom-pdf-index-") as index:
        rag = RAG(Path(index) / "index")
        watcher = threading.Thread(target=sample, daemon=True)
        started = time.perf_counter()
        watcher.start()
        report = rag.ingest([path], progress=True)
        seconds = time.perf_counter() - started
        done.set()
        watcher.join()
        rag.close()
    step = max(1, len(samples) // 6)
    print(json.dumps({"seconds_per_page": round(seconds / max(report.added, 1), 4), "pages_read": report.added,
                      "chunks": report.chunks, "rss_before_mib": round(baseline / 2**20, 1),
                      "peak_rss_mib": round(peak[0] / 2**20, 1), "rss_samples_mib": samples[::step]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--long-pages", type=int, default=300)
    parser.add_argument("--ocr-pages", type=int, default=2)
    parser.add_argument("--parts", default="quality,ocr,long", help="comma-separated: quality, ocr, long")
    parser.add_argument("--read-long", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--reader", default="ragloom", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read_long:
        _read_long(args.read_long, args.reader, args.long_pages)
        return
    parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ragloom-pdf-bench-") as tmp:
        folder = Path(tmp)
        if "quality" in parts:
            results["quality"] = quality(folder, args.repeats)
        if "ocr" in parts:
            results["ocr"] = ocr(folder, args.ocr_pages)
        if "long" in parts:
            results["long_file"] = long_file(folder, args.long_pages)
    results["load_average"] = {"before": load_before, "after": os.getloadavg()}
    name = "pdf" if len(parts) == 3 else "pdf-" + "-".join(parts)
    path = write_results(name, results)
    if "quality" in results:
        keys = ["reading_order_interleaved", "reading_order_stream", "table_cells_merged_header",
                "table_cells_long", "seconds_per_page_interleaved"]
        print_table(["reader", *keys], [[reader, *(row[k] for k in keys)]
                                        for reader, row in results["quality"].items()])
    if "ocr" in results:
        print_table(["OCR char accuracy", "s/page", "engine load s", "skipped"],
                    [[results["ocr"]["char_accuracy"], results["ocr"]["seconds_per_page"],
                      results["ocr"]["engine_load_seconds"], len(results["ocr"]["skipped"])]])
    if "long_file" in results:
        long = results["long_file"]
        print_table(["300-page file", "s/page", "peak RSS MiB", "RSS every 50 pages"],
                    [[reader, long[reader]["seconds_per_page"], long[reader]["peak_rss_mib"],
                      long[reader].get("rss_every_50_pages_mib") or long[reader]["rss_samples_mib"]]
                     for reader in ("ragloom", "pypdf", "ragloom ingest")])
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
