"""The cited page in the chat, through Streamlit's ``AppTest``: real index, real embedder, real (tiny) model.

A PDF source shows its rendered page with the passage's lines highlighted and, without the file route
of ``ui/server.py`` (AppTest runs ``ui/app.py`` alone), a download button for the file; a Markdown
source shows its passage marked inside the neighbouring text of its document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_corpus import GeneratedPdf, build_index
from streamlit.testing.v1 import AppTest
from ui_testkit import APP, APP_TIMEOUT, RecordingGenerator

pytest.importorskip("pypdfium2")

@pytest.fixture(scope="module")
def guide_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GeneratedPdf, Path]:
    from rag.api import RAG

    index, guide, mill = build_index(tmp_path_factory.mktemp("cite"))
    with RAG(index) as rag:  # the Markdown file has neighbours for the context view
        assert len(rag.chunk_ids({"document_id": str(mill.resolve())})) >= 3
    return index, guide, mill


def _ask(index: Path, generator: RecordingGenerator, question: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    at.session_state["ragloom_index"] = str(index)
    at.session_state["ragloom_generator"] = generator
    at.run()
    at.number_input(key="ctl_max_new_tokens").set_value(16)
    at.radio(key="ctl_shots").set_value("zero-shot")
    at.sidebar.slider(key="ctl_k").set_value(2)
    at.run()
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def test_a_pdf_source_shows_its_page_with_the_passage_highlighted(
        guide_index: tuple[Path, GeneratedPdf, Path], recording: RecordingGenerator) -> None:
    index, guide, _ = guide_index
    at = _ask(index, recording, "Which pier does the ferry to Skellig Mor leave from?")
    labels = [e.label for e in at.main.expander]
    assert labels[0].startswith("[1] Port Evering visitor guide · page 1"), labels
    answer = at.session_state["messages"][1]["answer"]
    assert "Skellig Mor" in answer.sources[0].chunk.text
    location = answer.to_dict()["sources"][0]["location"]
    assert location["page"] == 1 and location["boxes"] == guide.paragraph_with("ferry").boxes
    captions = [c for image in at.main.image for c in image.captions]
    assert "guide.pdf, page 1 (2 highlighted lines)" in captions, captions
    downloads = [b for b in at.main.get("download_button")]
    assert any("guide.pdf" in b.proto.label and "page 1" in b.proto.label for b in downloads)
    assert not at.main.link_button  # no file route without ui/server.py


def test_a_markdown_source_shows_the_passage_in_its_document(
        guide_index: tuple[Path, GeneratedPdf, Path], recording: RecordingGenerator) -> None:
    index, _, mill = guide_index
    at = _ask(index, recording, "When does the miller keep the sluice gate open?")
    answer = at.session_state["messages"][1]["answer"]
    assert answer.sources[0].chunk.document_id == str(mill.resolve())
    assert not at.main.expander[0].image  # a Markdown file has no page to render
    at.toggle(key="pg-turn1-1-context").set_value(True).run()
    assert not at.exception, at.exception
    shown = [h.proto.body for h in at.main.html if "pg-passage" in h.proto.body]
    assert len(shown) == 1
    body = shown[0]
    passage = answer.sources[0].chunk.text
    marked = body.split("<mark", 1)[1].split(">", 1)[1].split("</mark>", 1)[0]
    assert marked == passage.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#x27;")
    around = body.replace(marked, "")
    assert "river mill" in around or "millstones" in around  # a neighbour's text is there too
