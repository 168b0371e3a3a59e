"""What survives of truncated and damaged PDFs: ragloom's reader vs pypdf, pypdfium2 and pdfplumber.

Generated PDFs (``bench/pdf_samples.py``: a 5-page report, a 4-page two-column file, a 3-page table
file) are cut at 5 %, 10 %, ... 95 % of their length and just before ``%%EOF``, and damaged in the
middle (page 3's object header overwritten; zeros inside page 3's compressed content). Per reader:

- pages read right: returned under their own page number with the text that reader gives for that
  page of the intact file (whitespace ignored; each paragraph in order, so a page that survives
  alone and keeps the running header and footer its lost neighbours would have exposed counts);
- recoverable: pages whose page object and content stream lie wholly before the damage, the most a
  reader could get back without guessing;
- files lost: cases where the reader raised and returned nothing;
- pages silently lost (ragloom only): pages neither read nor reported in a ``Skipped`` line.

``--real FILE.pdf ...`` also cuts real PDFs at 30/60/90 % and reports, for ragloom, the pages read,
the share whose text is at least 0.6 similar (difflib, whitespace ignored) to the same-numbered page
of the intact file, and the median similarity: real files lose their fonts with the cut (most
writers put them last), and the Helvetica put in their place changes line breaks and ligatures.

Not a timed run. ``nice -n 15 python bench/pdf_damaged.py [--real FILE.pdf ...]``.
"""

from __future__ import annotations

import argparse
import difflib
import io
import logging
import re
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pdf_samples  # noqa: E402
from bench.common import print_table, write_results  # noqa: E402

logging.disable(logging.WARNING)  # the peers log a warning per damaged object


def ragloom_pages(data: bytes, folder: Path) -> tuple[dict[int, str], set[int]]:
    from connectors.files import FileConnector
    from rag.core.types import Document

    path = folder / "case.pdf"
    path.write_bytes(data)
    items = list(FileConnector(path).load())
    pages = {i.metadata["page"]: i.text for i in items if isinstance(i, Document)}
    skipped = [i.source for i in items if not isinstance(i, Document)]
    if str(path) in skipped:  # the file as a whole was reported (nothing could be recovered)
        return pages, set(range(1, 10_000))
    return pages, {int(source.rsplit("=", 1)[1]) for source in skipped if "#page=" in source}


def pypdf_pages(data: bytes) -> dict[int, str]:
    from pypdf import PdfReader

    return {n: page.extract_text() or "" for n, page in enumerate(PdfReader(io.BytesIO(data), strict=False).pages, 1)}


def pdfium_pages(data: bytes) -> dict[int, str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    pages = {}
    try:
        for n in range(len(document)):
            try:
                pages[n + 1] = document[n].get_textpage().get_text_range()
            except pypdfium2.PdfiumError:
                continue  # one page PDFium cannot load: the others may still read
        return pages
    finally:
        document.close()


def plumber_pages(data: bytes) -> dict[int, str]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return {n: page.extract_text() or "" for n, page in enumerate(pdf.pages, 1)}


def _squash(text: str) -> str:
    return "".join(text.split())


def _same_page(intact: str, got: str) -> bool:
    """Every paragraph of the intact page's text is in ``got``, in order (a page that survived alone
    may keep the running header and footer lines its neighbours would have shown to be running)."""
    position = 0
    for paragraph in filter(None, (_squash(p) for p in intact.split("\n\n"))):
        found = _squash(got).find(paragraph, position)
        if found < 0:
            return False
        position = found + len(paragraph)
    return bool(_squash(intact))


def _layout(data: bytes) -> list[tuple[int, int]]:
    """Per page: the byte offsets where its page object and its content stream end."""
    import pdfplumber

    def end_of(number: int) -> int:
        start = re.search(rb"(?<![0-9])%d 0 obj" % number, data)
        assert start is not None
        return data.index(b"endobj", start.end()) + len(b"endobj")

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [(end_of(page.page_obj.pageid), end_of(page.page_obj.contents[0].objid)) for page in pdf.pages]


def cases(data: bytes) -> list[tuple[str, bytes, set[int]]]:
    """``(name, damaged bytes, recoverable page numbers)``."""
    layout = _layout(data)
    out = []
    for percent in [*range(5, 100, 5), None]:
        cut = len(data) * percent // 100 if percent else data.rindex(b"%%EOF")
        out.append((f"cut {percent}%" if percent else "cut before %%EOF", data[:cut],
                    {n for n, ends in enumerate(layout, 1) if max(ends) <= cut}))
    with_numbers = list(range(1, len(layout) + 1))
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        page3, content3 = pdf.pages[2].page_obj.pageid, pdf.pages[2].page_obj.contents[0].objid
    start = re.search(rb"(?<![0-9])%d 0 obj" % page3, data).start()  # type: ignore[union-attr]
    out.append(("page 3 object overwritten", data[:start] + b"X" * 60 + data[start + 60:],
                set(with_numbers) - {3}))
    stream = re.search(rb"(?<![0-9])%d 0 obj" % content3, data).end() + 80  # type: ignore[union-attr]
    out.append(("zeros in page 3 content", data[:stream] + b"\x00" * 200 + data[stream + 200:],
                set(with_numbers) - {3}))
    return out


def run() -> dict[str, Any]:
    peers: dict[str, Callable[[bytes], dict[int, str]]] = {"pypdf": pypdf_pages, "pypdfium2": pdfium_pages,
                                                         "pdfplumber": plumber_pages}
    totals = {name: {"pages_right": 0, "files_lost": 0} for name in ["ragloom", *peers]}
    recoverable = total_pages = silent = 0
    per_case: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        samples = {"report": folder / "report.pdf", "two_column": folder / "columns.pdf", "table": folder / "table.pdf"}
        pdf_samples.long_report(samples["report"], 5)
        pdf_samples.two_column(samples["two_column"], pages=4)
        pdf_samples.table(samples["table"], pages=3)
        for sample, path in samples.items():
            data = path.read_bytes()
            intact = {"ragloom": ragloom_pages(data, folder)[0], **{name: read(data) for name, read in peers.items()}}
            for name, damaged, can in cases(data):
                row: dict[str, Any] = {"file": sample, "case": name, "pages": len(intact["pypdf"]),
                                       "recoverable": sorted(can)}
                recoverable += len(can)
                total_pages += len(intact["pypdf"])
                for reader in totals:
                    try:
                        if reader == "ragloom":
                            got, reported = ragloom_pages(damaged, folder)
                            lost = set(intact["pypdf"]) - set(got) - reported
                            silent += len(lost)
                            row["ragloom_silently_lost"] = sorted(lost)
                        else:
                            got = peers[reader](damaged)
                    except Exception:  # noqa: BLE001 - a reader that refuses the file loses all of it
                        got = {}
                    if not got:
                        totals[reader]["files_lost"] += 1
                    right = sorted(n for n, text in got.items()
                                   if n in intact[reader] and _same_page(intact[reader][n], text))
                    totals[reader]["pages_right"] += len(right)
                    row[reader] = right
                per_case.append(row)
    return {"cases": len(per_case), "total_pages": total_pages, "recoverable_pages": recoverable,
            "ragloom_pages_silently_lost": silent, "readers": totals, "per_case": per_case}


def real_files(paths: list[Path]) -> list[dict[str, Any]]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for path in paths:
            data = path.read_bytes()
            intact, _ = ragloom_pages(data, folder)
            for percent in (30, 60, 90):
                got, reported = ragloom_pages(data[:len(data) * percent // 100], folder)
                similarity = [difflib.SequenceMatcher(None, _squash(intact.get(n, "")), _squash(text),
                                                      autojunk=False).ratio() for n, text in got.items()]
                out.append({"file": path.name, "cut_percent": percent, "pages": len(intact), "read": len(got),
                            "similar": sum(s >= 0.6 for s in similarity),
                            "median_similarity": round(statistics.median(similarity), 3) if similarity else None,
                            "reported": len(reported) if len(reported) < 10_000 else "whole file"})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", nargs="*", type=Path, default=[], metavar="FILE.pdf")
    args = parser.parse_args()
    results = run()
    if args.real:
        results["real_files"] = real_files(args.real)
    path = write_results("pdf-damaged", results)
    print(f"{results['cases']} damaged files, {results['total_pages']} pages, "
          f"{results['recoverable_pages']} recoverable; results in {path}")
    print_table(["reader", "pages read right", "of recoverable", "files lost"],
                [[reader, row["pages_right"], round(row["pages_right"] / results["recoverable_pages"], 3),
                  row["files_lost"]] for reader, row in results["readers"].items()])
    print(f"ragloom pages neither read nor reported: {results['ragloom_pages_silently_lost']}")
    if args.real:
        print_table(["real file", "cut", "pages", "read", "similar >= 0.6", "median similarity"],
                    [[r["file"], f"{r['cut_percent']} %", r["pages"], r["read"], r["similar"], r["median_similarity"]]
                     for r in results["real_files"]])


if __name__ == "__main__":
    main()
