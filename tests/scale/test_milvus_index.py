"""What the contract suite does not cover for the milvus kind: escaping of filters, crash recovery,
and the whole RAG (ingest, hybrid search, reopen) on Milvus Lite and on a milvus-lite server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus")  # the "scale" extra
pytest.importorskip("milvus_lite")

from indexes import factory  # noqa: E402
from indexes.milvus_filters import compile_milvus_filter  # noqa: E402
from rag import RAG  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.core.errors import ConfigError, FilterError, RagloomError  # noqa: E402
from rag.core.types import DocumentRecord, NewChunk, SearchQuery  # noqa: E402
from tests import milvus_server  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "rag" / "sample_corpus"
DIM = 8


@pytest.fixture(scope="module", autouse=True)
def _stop_server():
    yield
    milvus_server.stop()


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_filters_compile_to_escaped_expressions() -> None:
    assert compile_milvus_filter(None) == "" and compile_milvus_filter({}) == ""
    assert compile_milvus_filter({"lang": "en", "year": {"$gte": 2020, "$lt": 2024.5}}) == (
        'metadata["lang"] == "en" and metadata["year"] >= 2020 and metadata["year"] < 2024.5')
    assert compile_milvus_filter({"document_id": {"$in": ["a", "b"]}}) == 'document_id in ["a", "b"]'
    assert compile_milvus_filter({"t": {"$nin": ["x", 2]}, "ok": True}) == (
        '(metadata["t"] != "x" and metadata["t"] != 2) and metadata["ok"] == true')
    # A value that tries to close the string and add its own clause stays one string literal.
    assert compile_milvus_filter({"lang": 'en" or id > 0 or "'}) == r'metadata["lang"] == "en\" or id > 0 or \""'
    assert compile_milvus_filter({"k": "a\\\nb"}) == r'metadata["k"] == "a\\\nb"'
    for bad in ({"lang": {"$regex": "e.*"}}, {'la"ng': "en"}, {"k": "\x00"}, {"k": float("nan")}, {"k": [1]},
                {"k": {"$in": []}}, {"": 1}):
        with pytest.raises(FilterError):
            compile_milvus_filter(bad)


def test_hostile_filter_values_match_nothing_instead_of_everything(tmp_path: Path) -> None:
    index = factory.create_index("milvus", tmp_path / "i", embedder="e", dimension=DIM)
    try:
        vectors = unit(np.random.default_rng(1).normal(size=(3, DIM)))
        items = [(DocumentRecord(f"d{n}", "h", {}, 1, "t"), [NewChunk(f"text {n}", 0, 6, {"lang": "en"})])
                 for n in range(3)]
        index.upsert(items, vectors)
        index.save()
        for value in ('en" or metadata["lang"] != "', "en' or '1' == '1", 'x\\" or id > 0 or \\"'):
            assert index.search(SearchQuery(3, vector=vectors[0], filter={"lang": value})) == []
        assert len(index.search(SearchQuery(3, vector=vectors[0], filter={"lang": "en"}))) == 3
    finally:
        index.close()


CRASH = """
import sys, numpy as np
from indexes import factory
from rag.core.types import DocumentRecord, NewChunk
index = factory.open_index(sys.argv[1], embedder="e")
rows = np.eye(8, dtype=np.float32)
index.delete("d0")  # deleted, never saved
index.upsert([(DocumentRecord("new", "h", {}, 2, "t"), [NewChunk("new a", 0, 5, {}), NewChunk("new b", 5, 9, {})])],
             rows[5:7])  # written to Milvus, never committed to the store
import os; os._exit(0)  # killed: no save, no close
"""


def test_a_crashed_writer_leaves_no_trace(tmp_path: Path) -> None:
    folder = tmp_path / "i"
    index = factory.create_index("milvus", folder, embedder="e", dimension=DIM)
    rows = np.eye(DIM, dtype=np.float32)
    index.upsert([(DocumentRecord(f"d{n}", "h", {}, 1, "t"), [NewChunk(f"text {n}", 0, 6, {})]) for n in range(4)],
                 rows[:4])
    index.save()
    index.close()
    subprocess.run([sys.executable, "-c", CRASH, str(folder)], check=True, timeout=120)
    index = factory.open_index(folder, embedder="e")
    try:
        assert [d.source_id for d in index.documents()] == ["d0", "d1", "d2", "d3"]  # the delete was not saved
        assert index.search(SearchQuery(1, vector=rows[0]))[0].chunk.document_id == "d0"  # and d0's vector is there
        # The uncommitted vectors (ids 5 and 6) are still in Milvus until a writer opens: searches skip them ...
        assert index.vectors_of([5, 6]).shape == (2, DIM)
        assert {h.chunk.document_id for h in index.search(SearchQuery(10, vector=rows[5]))} == {"d0", "d1", "d2", "d3"}
        # ... and the next writer removes them before handing their ids out again.
        index.upsert([(DocumentRecord("e", "h", {}, 1, "t"), [NewChunk("e", 0, 1, {})])], rows[7:8])
        index.save()
        assert index.chunk_ids().tolist() == [1, 2, 3, 4, 5]
        np.testing.assert_allclose(index.vectors_of([5]), rows[7:8])  # id 5 now holds the new chunk's vector
        with pytest.raises(RagloomError, match="no vectors for chunk ids"):
            index.vectors_of([6])  # the orphan is gone from Milvus
    finally:
        index.close()


@pytest.mark.parametrize("where", ["embedded", "server"])
def test_rag_on_milvus_ingests_searches_and_reopens(tmp_path: Path, embedder, where: str) -> None:
    if where == "server":
        # A server of its own: the session's server has sent earlier tests' idle channels GOAWAY ("too_many_pings",
        # milvus-lite allows fewer keepalive pings than pymilvus sends), and a cached channel to it can be one of them.
        milvus_server.stop()
    uri = milvus_server.server_uri() if where == "server" else None
    settings = Settings(index_kind="milvus", milvus_uri=uri)
    with RAG(tmp_path / "index", settings=settings, embedder=embedder) as rag:
        report = rag.ingest([SAMPLE])
        assert report.added >= 10 and report.failed == 0
        assert rag.info()["index_kind"] == "milvus"
        hybrid = rag.search("how are chunks sized with token overlap?", k=3)
        assert hybrid and "chunk" in hybrid[0].chunk.text.lower()
        source = hybrid[0].chunk.document_id
        only = rag.search("cosine similarity", k=3, filter={"document_id": source}, mode="dense")
        assert only and {h.chunk.document_id for h in only} == {source}
        keyword = rag.search("FAISS", k=3, mode="keyword")
        assert keyword and all("faiss" in h.chunk.text.lower() for h in keyword)
        assert rag.ingest([SAMPLE]).unchanged == report.added  # incremental: nothing rewritten
    if where == "embedded":
        assert (tmp_path / "index" / "milvus.db").is_dir()  # the whole index lives in its folder
    with RAG(tmp_path / "index", settings=Settings(milvus_uri=uri), embedder=embedder) as again:
        assert [h.chunk.id for h in again.search("how are chunks sized with token overlap?", k=3)] == \
            [h.chunk.id for h in hybrid]


def test_bad_milvus_settings_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="neither a server URI"):
        factory.create_index("milvus", tmp_path / "a", embedder="e", dimension=DIM, milvus_uri="data/milvus")
    with pytest.raises(ConfigError, match="unknown milvus_index"):
        factory.create_index("milvus", tmp_path / "b", embedder="e", dimension=DIM, milvus_index="DISKANN")


HOLD = """
import sys
from indexes import factory
index = factory.open_index(sys.argv[1], embedder="e")
print("open", flush=True)
sys.stdin.read()  # until the test closes our stdin
index.close()
"""


def test_an_embedded_index_open_elsewhere_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "i"
    factory.create_index("milvus", folder, embedder="e", dimension=DIM).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(RagloomError, match="open in another process.*milvus-lite server"):
            factory.open_index(folder, embedder="e")
    finally:
        holder.communicate("", timeout=60)
    factory.open_index(folder, embedder="e").close()  # free again once the other process is gone
