"""LangChain document loaders wrapped as connectors, with a real ``TextLoader``."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document as LCDocument

from connectors import from_langchain, load_sources
from rag.core.errors import ConnectorError
from rag.core.protocols import Connector
from rag.core.types import Document

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # langchain-community announces its own sunset on import
    from langchain_community.document_loaders import TextLoader


def test_text_loader_becomes_a_connector(tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_text("Once upon a time.", encoding="utf-8")
    connector = from_langchain(TextLoader(str(path)))
    assert isinstance(connector, Connector)
    (doc,) = connector.load()
    assert doc == Document(source_id=str(path), text="Once upon a time.",
                           metadata={"source": str(path), "file_type": "langchain", "loader": "TextLoader"})
    # a loader can be passed straight to load_sources, and ids are stable across runs
    (again,) = load_sources([TextLoader(str(path))])
    assert again.source_id == doc.source_id


class PagedLoader(BaseLoader):
    def lazy_load(self) -> Iterator[LCDocument]:
        yield LCDocument(page_content="Page one.", metadata={"source": "book.pdf", "page": 0, "tags": ["a", "b"]})
        yield LCDocument(page_content="Page two.", metadata={"source": "book.pdf", "page": 1})
        yield LCDocument(page_content="No source here.", metadata={})


class FailingLoader(BaseLoader):
    def lazy_load(self) -> Iterator[LCDocument]:
        yield LCDocument(page_content="First.", metadata={"source": "x"})
        raise RuntimeError("backend went away")


def test_metadata_mapping_and_ids() -> None:
    first, second, sourceless = from_langchain(PagedLoader()).load()
    assert [first.source_id, second.source_id] == ["book.pdf#0", "book.pdf#1"]
    assert [first.metadata["page"], second.metadata["page"]] == [1, 2]  # 1-based like ours
    assert first.metadata["tags"] == "a, b"  # lists flattened to scalars
    assert sourceless.source_id.startswith("langchain:") and len(sourceless.source_id) == len("langchain:") + 32
    assert sourceless.metadata["source"] == "langchain:PagedLoader"
    assert [d.source_id for d in from_langchain(PagedLoader()).load()] == [
        first.source_id, second.source_id, sourceless.source_id]


def test_a_loader_that_dies_part_way_raises() -> None:
    items = []
    with pytest.raises(ConnectorError, match="backend went away"):
        for item in from_langchain(FailingLoader()).load():
            items.append(item)
    assert [i.text for i in items] == ["First."]


def test_non_loaders_are_refused() -> None:
    with pytest.raises(TypeError, match="not a LangChain document loader"):
        from_langchain(object())
