"""Page locations read from chunk metadata, and their place in the ``Answer`` JSON."""

from __future__ import annotations

import json

import pytest

from rag.core.answer import Answer
from rag.core.locations import PageBox, page_location
from rag.core.types import Chunk, ScoredChunk


def _chunk(metadata: dict, document_id: str = "/docs/guide.pdf#page=2") -> Chunk:
    return Chunk(id=7, document_id=document_id, text="The ferry leaves from pier four.", start=0, end=32,
                 metadata=metadata)


PDF_META = {"source": "/docs/guide.pdf", "page": 2, "pages": [2, 3],
            "boxes": [[2, 72.0, 100.5, 400.0, 112.5], [3, 72, 60, 300, 72]], "page_width": 595.28,
            "page_height": 841.89}


def test_a_pdf_chunk_has_its_pages_boxes_and_a_link_to_the_page() -> None:
    location = page_location(_chunk(PDF_META))
    assert location is not None
    assert (location.source, location.page, location.pages) == ("/docs/guide.pdf", 2, (2, 3))
    assert location.boxes == (PageBox(2, 72.0, 100.5, 400.0, 112.5), PageBox(3, 72.0, 60.0, 300.0, 72.0))
    assert location.boxes_on(3) == [PageBox(3, 72.0, 60.0, 300.0, 72.0)]
    assert (location.page_width, location.page_height) == (595.28, 841.89)
    assert location.link == "/docs/guide.pdf#page=2"


def test_malformed_boxes_are_dropped_not_passed_on() -> None:
    bad = [[2, 72, 100, 60, 112],  # right edge left of the left edge
           [2, 72, 100, 400],  # four numbers
           [0, 72, 100, 400, 112],  # page 0
           [2, "72", 100, 400, 112],  # a string
           [2, 72, 100, float("nan"), 112],
           [True, 72, 100, 400, 112],
           "2 72 100 400 112",
           [2, 72, 100, 400, 112]]
    location = page_location(_chunk({**PDF_META, "boxes": bad, "pages": "2", "page_width": -1}))
    assert location is not None
    assert location.boxes == (PageBox(2, 72.0, 100.0, 400.0, 112.0),)
    assert location.pages == (2,)  # unreadable pages: the first page alone
    assert location.page_width is None


def test_chunks_without_a_page_have_no_location() -> None:
    assert page_location(_chunk({"source": "/docs/notes.md"}, "/docs/notes.md")) is None
    assert page_location(_chunk({"page": "2"})) is None
    assert page_location(_chunk({"page": 1.5})) is None


def test_a_pdf_from_the_old_reader_still_has_its_page_without_boxes() -> None:
    location = page_location(_chunk({"page": 4}, "/docs/old.pdf#page=4"))
    assert location is not None
    assert (location.source, location.page, location.boxes) == ("/docs/old.pdf", 4, ())


def test_the_answer_json_carries_each_sources_location() -> None:
    pdf = ScoredChunk(_chunk(PDF_META), score=0.8, rank=1)
    text = ScoredChunk(_chunk({"source": "/docs/notes.md"}, "/docs/notes.md"), score=0.5, rank=2)
    data = json.loads(json.dumps(Answer(text="Pier four [1].", sources=(pdf, text)).to_dict()))
    first, second = data["sources"]
    assert first["location"] == {"source": "/docs/guide.pdf", "page": 2, "pages": [2, 3],
                                 "boxes": [[2, 72.0, 100.5, 400.0, 112.5], [3, 72.0, 60.0, 300.0, 72.0]],
                                 "page_width": 595.28, "page_height": 841.89, "link": "/docs/guide.pdf#page=2"}
    assert second["location"] is None


def test_the_service_sources_carry_the_same_location() -> None:
    pytest.importorskip("fastapi")
    from rag.service.answering import source_dict
    from rag.service.schemas import Source

    hit = ScoredChunk(_chunk(PDF_META), score=0.8, rank=1, cosine=0.8)
    body = Source.model_validate(source_dict(1, hit)).model_dump()
    assert body["location"]["boxes"][0] == [2, 72.0, 100.5, 400.0, 112.5]
    assert body["location"]["link"] == "/docs/guide.pdf#page=2"
    plain = ScoredChunk(_chunk({"source": "/docs/notes.md"}, "/docs/notes.md"), score=0.5, rank=2)
    assert Source.model_validate(source_dict(2, plain)).location is None
