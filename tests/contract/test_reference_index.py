"""The in-memory reference index drives the real ``Ingestor`` and ``Retriever`` (through ``RAG``).

The orchestration layer only knows the ``Index`` protocol, so an index written in plain numpy must
ingest, sync and search exactly as the FAISS default does, and a mode it does not declare must be
refused with a message that says what to do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexes import factory
from rag import RAG, Document
from rag.config import Settings
from rag.core.errors import UnsupportedCapabilityError
from rag.ingest import SyncMode
from tests.contract.memory_index import MemoryBackend, MemoryIndex

DOCS = [
    Document("zx81", "The ZX81 was a home computer sold by Sinclair Research in 1981.", {"kind": "computer"}),
    Document("c64", "The Commodore 64 is an 8-bit home computer introduced in 1982.", {"kind": "computer"}),
    Document("tea", "Oolong tea is partially oxidised; it sits between green and black tea.", {"kind": "drink"}),
    Document("coffee", "Espresso is coffee brewed by forcing hot water through fine grounds.", {"kind": "drink"}),
    Document("lava", "Pahoehoe lava has a smooth, ropy surface, unlike rough a'a lava.", {"kind": "geology"}),
]
QUERIES = ["an old home computer", "a hot drink", "volcanic rock"]


@pytest.fixture(autouse=True)
def memory_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(factory, "_KINDS", dict(factory._KINDS))
    factory.register_index_kind("memory", MemoryBackend())


def results(rag: RAG, **options) -> list[list[tuple[str, str, float]]]:
    return [[(h.chunk.document_id, h.chunk.text, round(h.score, 4)) for h in rag.search(q, k=3, **options)]
            for q in QUERIES]


def test_ingest_sync_and_search_match_the_faiss_default(tmp_path: Path, embedder) -> None:
    dense = Settings(retrieval_mode="dense")
    with RAG(tmp_path / "mem", settings=dense.with_(index_kind="memory"), embedder=embedder) as memory, \
         RAG(tmp_path / "flat", settings=dense, embedder=embedder) as flat:
        for rag in (memory, flat):
            report = rag.ingest(DOCS)
            assert (report.added, report.chunks) == (5, 5)
        assert isinstance(memory.index, MemoryIndex) and memory.info()["index_kind"] == "memory"
        assert results(memory) == results(flat)
        assert results(memory, filter={"kind": "drink"}) == results(flat, filter={"kind": "drink"})
        assert results(memory, mmr=True) == results(flat, mmr=True)
        changed = [Document("tea", "Matcha is powdered green tea whisked with hot water.", {"kind": "drink"}),
                   *DOCS[:2]]
        for rag in (memory, flat):
            again = rag.ingest(changed, sync=SyncMode.FULL)
            assert (again.updated, again.unchanged, again.deleted) == (1, 2, 2)
        assert [d.source_id for d in memory.documents()] == ["c64", "tea", "zx81"]
        assert results(memory) == results(flat)
    with RAG(tmp_path / "mem", settings=dense, embedder=embedder) as reopened:  # the manifest names the kind
        assert reopened.info()["index_kind"] == "memory" and reopened.info()["chunks"] == 3
        assert reopened.search("powdered green tea", k=1)[0].chunk.document_id == "tea"


def test_keyword_modes_are_refused_by_an_index_without_them(tmp_path: Path, embedder) -> None:
    with RAG(tmp_path / "mem", settings=Settings(index_kind="memory"), embedder=embedder) as rag:
        rag.ingest(DOCS[:2])
        for mode in ("hybrid", "keyword"):
            with pytest.raises(UnsupportedCapabilityError, match=f"{mode} search needs keyword search.*'memory'"):
                rag.search("ZX81", mode=mode)
        assert rag.search("ZX81", mode="dense", k=1)[0].chunk.document_id == "zx81"
