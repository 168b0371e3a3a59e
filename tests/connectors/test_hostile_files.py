"""Hostile files are skipped with a reason and the rest of the folder still ingests.

Each hostile file is generated here, small, in tmp (the full-size ones and their peak RSS are in
``bench/hostile.py``).
"""

from __future__ import annotations

import os
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import formats
from connectors.budget import TimeBudget, TimeBudgetExceeded
from connectors.files import FileConnector
from connectors.formats.base import FileInfo
from connectors.options import ConnectorOptions
from rag.chunking import Chunker, ChunkingSettings
from rag.core.types import Document, Skipped


def _load(folder: Path, **options) -> tuple[list[Document], dict[str, str]]:
    items = list(FileConnector(folder, ConnectorOptions(**options)).load())
    documents = [i for i in items if isinstance(i, Document)]
    skipped = {Path(i.source.split("#", 1)[0]).name: i.reason for i in items if isinstance(i, Skipped)}
    return documents, skipped


def _folder_with_good_file(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text("A normal file that must still be read.")
    return folder


def _docx(path: Path, document_xml: bytes) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", document_xml)


def test_a_docx_bomb_is_skipped_by_its_compression_ratio(tmp_path: Path) -> None:
    folder = _folder_with_good_file(tmp_path)
    _docx(folder / "bomb.docx", b"<w:document>" + b" " * (8 * 2**20) + b"</w:document>")
    assert (folder / "bomb.docx").stat().st_size < 100_000
    documents, skipped = _load(folder)
    assert [d.text for d in documents] == ["A normal file that must still be read."]
    assert "expands" in skipped["bomb.docx"] and "100:1" in skipped["bomb.docx"]


def test_a_docx_over_the_unpacked_limits_is_skipped(tmp_path: Path) -> None:
    folder = _folder_with_good_file(tmp_path)
    _docx(folder / "big.docx", os.urandom(3 * 2**20))  # incompressible: passes the ratio, not the size
    _, skipped = _load(folder, max_unpacked_xml_bytes=2 * 2**20)
    assert "MiB of XML, over the 2 MiB limit" in skipped["big.docx"]
    _, skipped = _load(folder, max_unpacked_bytes=2**20)
    assert "unpacks to 3 MiB, over the 1 MiB limit" in skipped["big.docx"]


def test_a_symlink_loop_is_one_skipped_file(tmp_path: Path) -> None:
    folder = _folder_with_good_file(tmp_path)
    os.symlink("loop.txt", folder / "loop.txt")
    os.symlink("b.md", folder / "a.md")
    os.symlink("a.md", folder / "b.md")
    documents, skipped = _load(folder)
    assert len(documents) == 1
    assert set(skipped) == {"loop.txt", "a.md", "b.md"}
    assert all("symlink loop" in reason for reason in skipped.values())


def test_symlinks_out_of_the_folder_are_refused(tmp_path: Path) -> None:
    folder = _folder_with_good_file(tmp_path)
    (tmp_path / "secret.txt").write_text("outside")
    os.symlink(tmp_path / "secret.txt", folder / "escape.txt")
    os.symlink(tmp_path, folder / "parent")
    documents, skipped = _load(folder)
    assert [d.text for d in documents] == ["A normal file that must still be read."]
    assert "outside the ingested folder" in skipped["escape.txt"]


def test_pipes_are_not_opened(tmp_path: Path) -> None:
    folder = _folder_with_good_file(tmp_path)
    os.mkfifo(folder / "pipe.txt")  # opening it for reading would block forever
    documents, skipped = _load(folder)
    assert len(documents) == 1 and "not a regular file" in skipped["pipe.txt"]


def test_deep_json_is_skipped_not_a_recursion_error(tmp_path: Path) -> None:
    folder = _folder_with_good_file(tmp_path)
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "deepish.json").write_text('{"text": "x", "a": ' + "[" * 300 + "]" * 300 + "}")
    (folder / "lines.jsonl").write_text('{"text": "fine"}\n' + "[" * 50_000 + "]" * 50_000 + "\n")
    documents, skipped = _load(folder)
    assert "nested" in skipped["deep.json"] and "256-level limit" in skipped["deep.json"]
    assert "301 levels deep" in skipped["deepish.json"]
    assert "line 2" in skipped["lines.jsonl"] and "fine" in [d.text for d in documents]


def test_a_huge_csv_field_is_skipped_with_its_limit(tmp_path: Path) -> None:
    folder = _folder_with_good_file(tmp_path)
    (folder / "wide.csv").write_text("id,text\n1,short\n2," + "x" * 5000 + "\n")
    _, skipped = _load(folder, max_csv_field_chars=1000)
    assert "over the 1000 character limit" in skipped["wide.csv"]


def test_pdf_page_count_and_page_time_limits(tmp_path: Path, make_pdf) -> None:
    folder = _folder_with_good_file(tmp_path)
    make_pdf(folder / "long.pdf", ["page one text", "page two text", "page three text"])
    _, skipped = _load(folder, max_pdf_pages=2)
    assert "3 pages, over the 2-page limit" in skipped["long.pdf"]
    documents, skipped = _load(folder, pdf_page_seconds=1e-6)  # every page is over its budget
    assert [d.text for d in documents] == ["A normal file that must still be read."]
    assert "took longer than" in skipped["long.pdf"]


@pytest.fixture
def slow_format(monkeypatch) -> Iterator[None]:
    """A ``.slow`` reader that yields one document after another, each after 0.15 s of pure-Python work."""

    def read(info: FileInfo, data: bytes) -> Iterator[Document]:
        for number in range(int(data)):
            end = time.monotonic() + 0.15
            while time.monotonic() < end:
                pass
            yield info.document(f"part {number}", "text", suffix=f"#part={number}")

    monkeypatch.setitem(formats.READERS, ".slow", read)
    yield


def test_the_per_file_budget_skips_a_slow_file_and_the_run_goes_on(tmp_path: Path, slow_format) -> None:
    folder = _folder_with_good_file(tmp_path)
    (folder / "a.slow").write_text("100")  # 15 s of parsing
    (folder / "b.slow").write_text("1")
    documents, skipped = _load(folder, file_seconds=0.5)
    assert "took longer than 0.5s" in skipped["a.slow"] and "--file-seconds" in skipped["a.slow"]
    texts = [d.text for d in documents]
    assert "part 0" in texts and "A normal file that must still be read." in texts
    assert len(texts) <= 2 + 4  # the slow file stopped after about 0.5 s of parsing


def test_the_budget_counts_parsing_only_not_the_callers_work(tmp_path: Path, slow_format) -> None:
    (tmp_path / "c.slow").write_text("3")  # 0.45 s of parsing in three steps
    items = []
    for item in FileConnector(tmp_path / "c.slow", ConnectorOptions(file_seconds=0.8)).load():
        items.append(item)
        time.sleep(0.4)  # the caller chunks and embeds meanwhile
    assert [i.text for i in items] == ["part 0", "part 1", "part 2"]


def test_the_budget_holds_in_a_worker_thread_too(tmp_path: Path, slow_format) -> None:
    (tmp_path / "d.slow").write_text("100")
    results: list = []
    worker = threading.Thread(target=lambda: results.extend(
        FileConnector(tmp_path / "d.slow", ConnectorOptions(file_seconds=0.5)).load()))
    worker.start()
    worker.join(30)
    assert isinstance(results[-1], Skipped) and "took longer" in results[-1].reason
    assert len(results) <= 6


def test_budgets_nest_and_give_back_a_foreign_timer() -> None:
    import signal

    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.6)
        outer = TimeBudget(5, "outer")
        inner = TimeBudget(0.05, "inner")
        with outer.running(), pytest.raises(TimeBudgetExceeded, match="inner took longer"), inner.running():
            while True:
                pass
        time.sleep(0.8)
        assert fired == [1]  # the foreign timer still went off
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _CountingTokens:
    """A stand-in tokenizer (one token per word or punctuation mark) that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str) -> int:
        import re

        self.calls += 1
        return len(re.findall(r"\w+|[^\w\s]", text))


@pytest.mark.parametrize("line", ["lorem ipsum dolor sit amet, " * 40_000, "x" * 1_000_000])
def test_a_one_line_text_is_chunked_in_linear_work(line: str) -> None:
    """One tokenizer call per chunk or so, not one per word or character (the 45 MB one-line file)."""
    counter = _CountingTokens()
    chunker = Chunker(ChunkingSettings(chunk_tokens=200, overlap_tokens=32), counter, 256)
    document = Document(source_id="one-line", text=line, metadata={})
    chunks = chunker.chunk(document)
    assert counter.calls <= 3 * len(chunks) + 2
    assert all(document.text[c.start:c.end] == c.text for c in chunks)
    assert all(counter(c.text) <= 200 and len(c.text) <= 200 * 16 for c in chunks)
    covered = sum(c.end - c.start for c in chunks)
    assert covered >= len(line.strip())  # nothing left out (overlap makes it more)


def test_the_cli_reports_hostile_files_in_one_line_each_and_ingests_the_rest(tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = _folder_with_good_file(tmp_path)
    os.symlink("loop.txt", folder / "loop.txt")
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    _docx(folder / "bomb.docx", b"<w:document>" + b" " * (8 * 2**20) + b"</w:document>")
    result = subprocess.run([sys.executable, "-m", "rag.cli.main", "ingest", str(folder), "--index",
                             str(tmp_path / "index")], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout and "3 skipped" in result.stdout
    assert "Traceback" not in result.stderr
    for name, reason in (("loop.txt", "symlink loop"), ("deep.json", "nested"), ("bomb.docx", "100:1")):
        (line,) = [line for line in result.stderr.splitlines() if name in line]
        assert line.strip().startswith("skipped") and reason in line


def test_a_deeply_nested_api_response_is_a_clean_error(serve) -> None:
    from connector_helpers import Reply

    from connectors.api import ApiConnector
    from connectors.api_spec import spec_from_dict
    from connectors.tools import ApiTool, ToolError
    from rag.core.errors import ConnectorError

    server = serve(lambda r: Reply(200, "[" * 100_000 + "]" * 100_000, headers={"Content-Type": "application/json"}))
    spec = spec_from_dict({"name": "deep", "url": server.url + "/x", "allow_private": True, "max_retries": 0})
    with pytest.raises(ConnectorError, match="256-level limit"):
        list(ApiConnector(spec).load())
    tool = ApiTool(spec_from_dict({"name": "deep", "url": server.url + "/x?q={query}", "allow_private": True}))
    with pytest.raises(ToolError, match="not usable JSON|not JSON"):
        tool.fetch("q")
