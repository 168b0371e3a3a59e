"""Property-based tests (hypothesis): the API-spec parser, templates, the chunker and every format reader.

The contracts: a spec is an ``ApiSpec`` or a one-line ``ConnectorError``; a template renders or raises
``TemplateError``; a chunk is always the exact slice ``text[start:end]`` of its document, within the
size limit; a reader given mutated bytes yields documents or raises ``FormatError``, nothing else.
Example counts are bounded so the module runs in seconds.
"""

from __future__ import annotations

import io
import json
import re
import string
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.api_spec import load_spec, spec_from_dict
from connectors.dotted import TemplateError, render
from connectors.formats import READERS, FileInfo, FormatError
from connectors.options import ConnectorOptions
from rag import chunking
from rag.chunking import Chunker, ChunkingSettings
from rag.core.errors import ConnectorError
from rag.core.types import Document, Skipped

# database=None: no .hypothesis folder left in the checkout; failures print their reproducing example anyway
FAST = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
SPEC_KEYS = ["name", "url", "method", "params", "headers", "body", "records", "id", "text", "title", "modified",
             "metadata", "pagination", "rate_limit", "timeout", "max_retries", "backoff", "max_pages",
             "max_results", "allow_private", "max_response_mb", "description", "unknown"]
urls = st.sampled_from(["https://api.example.com/v1", "http://x/{query}", "ftp://x", "", "https://h/${TOKEN}"])


@FAST
@given(st.dictionaries(st.sampled_from(SPEC_KEYS), json_values | urls, max_size=10), urls)
def test_spec_from_dict_accepts_or_explains(data: dict, url: str) -> None:
    data = {"name": "fuzz", "url": url, **data}
    try:
        spec = spec_from_dict(data)
    except ConnectorError as exc:
        assert "\n" not in str(exc)
    else:
        assert spec.url.startswith(("http://", "https://"))


@FAST
@given(st.text(max_size=300), st.sampled_from([".yaml", ".toml"]))
def test_spec_files_parse_or_fail_in_one_line(tmp_path_factory, content: str, suffix: str) -> None:
    path = tmp_path_factory.mktemp("spec") / f"api{suffix}"
    path.write_text(content, encoding="utf-8")
    try:
        load_spec(path)
    except ConnectorError as exc:
        assert str(exc).count("\n") == 0


@pytest.mark.parametrize("content", ["a: " + "[" * 5000 + "]" * 5000, "a = " + "[" * 5000 + "]" * 5000])
def test_deeply_nested_spec_files_fail_in_one_line(tmp_path: Path, content: str) -> None:
    path = tmp_path / ("deep.yaml" if content.startswith("a:") else "deep.toml")
    path.write_text(content)
    with pytest.raises(ConnectorError, match="nested too deeply"):
        load_spec(path)


@FAST
@given(st.text(alphabet=string.printable, max_size=60), json_values)
def test_templates_render_or_raise_template_error(template: str, record) -> None:  # noqa: ANN001
    try:
        out = render(template, record)
    except TemplateError:
        return
    assert isinstance(out, str)


def _token_count(text: str) -> int:
    return len(re.findall(r"\w+|[^\w\s]", text))


texts = st.lists(st.sampled_from(list("ab cd.\n,xyz") + ["é", "日本", "\t", "  ", "word ", "\n\n", "x" * 40]),
                 max_size=400).map("".join)


@settings(max_examples=80, deadline=None, database=None)
@given(texts, st.integers(16, 40), st.integers(0, 12), st.booleans(), st.booleans())
def test_chunks_are_exact_slices_of_their_document(text: str, size: int, overlap: int, windows: bool,
                                                  markdown: bool) -> None:
    overlap = min(overlap, size - 1)
    chunker = Chunker(ChunkingSettings(chunk_tokens=size, overlap_tokens=overlap), _token_count, 512)
    document = Document(source_id="d", text=text, metadata={"file_type": "markdown" if markdown else "text"})
    # windows=True sends every document down the window path, as a huge one would go
    with mock.patch.object(chunking, "WINDOW_TEXT_CHARS", 0 if windows else chunking.WINDOW_TEXT_CHARS):
        chunks = chunker.chunk(document)
    for chunk in chunks:
        assert text[chunk.start:chunk.end] == chunk.text
        assert chunk.text.strip()
    if windows:
        assert all(_token_count(c.text) <= size for c in chunks)
        starts = [c.start for c in chunks]
        assert starts == sorted(starts) and len(set(starts)) == len(starts)
        covered = set()
        for c in chunks:
            covered.update(range(c.start, c.end))
        assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())  # nothing is left out


# -- format readers on mutated inputs ----------------------------------------------------------------


def _docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Fuzz title", 1)
    document.add_paragraph("A paragraph about tides and moons.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "cell", "value"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pdf_bytes() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    for line in ("first page text", "second page text"):
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(0, 10, line)
    return bytes(pdf.output())


SEEDS: dict[str, bytes] = {
    ".txt": "Plain text about rivers — café.\nSecond line.\n".encode(),
    ".md": b"---\ntitle: T\n---\n# Head\n\nBody text.\n\n## Sub\n\n```\n# not a heading\n```\nMore.\n",
    ".html": b"<html><head><title>T</title></head><body><nav>menu</nav><main><p>Main text</p></main></body></html>",
    ".csv": b"id,title,text\n1,One,first row text\n2,Two,\"quoted, text\"\n",
    ".json": json.dumps([{"id": 1, "text": "record one", "tags": ["a"]}, {"id": 2, "body": "two"}]).encode(),
    ".jsonl": b'{"text": "line one"}\n{"text": "line two", "x": {"y": [1, 2]}}\n',
    ".py": b"def f(x):\n    return x + 1\n",
}


def _mutate(data: bytes, draw) -> bytes:  # noqa: ANN001
    buffer = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "repeat"]))
        at = draw(st.integers(0, max(len(buffer) - 1, 0)))
        if kind == "flip" and buffer:
            buffer[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del buffer[at:at + draw(st.integers(1, 64))]
        elif kind == "insert":
            buffer[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            buffer[at:at] = buffer[at:at + draw(st.integers(1, 256))] * draw(st.integers(1, 8))
    return bytes(buffer)


def _read(suffix: str, data: bytes) -> list:
    info = FileInfo(path=Path(f"/fuzz/file{suffix}"), modified="2026-01-01T00:00:00+00:00",
                    options=ConnectorOptions(file_seconds=10))
    return list(READERS[suffix](info, data))


@pytest.fixture(scope="module")
def seeds() -> dict[str, bytes]:
    return {**SEEDS, ".docx": _docx_bytes(), ".pdf": _pdf_bytes()}


@pytest.mark.parametrize("suffix", [*SEEDS, ".docx", ".pdf"])
def test_readers_on_mutated_files_yield_or_raise_format_error(suffix: str, seeds) -> None:  # noqa: ANN001
    seed = seeds[suffix]
    assert all(isinstance(i, Document) for i in _read(suffix, seed))  # the seed itself is valid

    @settings(max_examples=40 if suffix in (".pdf", ".docx") else 60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def check(data) -> None:  # noqa: ANN001
        mutated = _mutate(seed, data.draw)
        try:
            items = _read(suffix, mutated)
        except FormatError as exc:
            assert str(exc)
            return
        for item in items:
            assert isinstance(item, Document | Skipped)
            if isinstance(item, Document):
                assert item.text.strip()

    check()
