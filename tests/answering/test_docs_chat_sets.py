"""The checked-in docs-chat sets are consistent with the sample corpus they are about.

Every ``support`` reference names a real section of the corpus (``rag/sample_corpus``, or the
package manuals ``bench/manuals.py`` writes out for the held-out set) and every gold fact of an
answerable question occurs in one of its supporting sections, so a miss in ``bench/answers.py`` is
the system's, not the data's.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from pathlib import Path

import pytest

from bench.manuals import write_manuals
from rag import RAG
from rag.evaluation.answer_metrics import fact_found
from rag.evaluation.docs_chat import chunk_supports, read_chat_set, read_conversations
from rag.evaluation.qa import yes_no_gold

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "rag" / "sample_corpus"
CHAT_SET = ROOT / "bench" / "datasets" / "docs_chat.jsonl"
FOLLOWUPS = ROOT / "bench" / "datasets" / "followups.jsonl"
HELDOUT = ROOT / "bench" / "datasets" / "heldout_docs.jsonl"


@pytest.fixture(scope="module")
def sample_chunks(tmp_path_factory: pytest.TempPathFactory, embedder) -> list:
    with RAG(tmp_path_factory.mktemp("sample") / "index", embedder=embedder) as rag:
        rag.ingest(SAMPLE)
        return [h.chunk for h in rag.search("ragloom", k=1000, mode="dense")]


def test_docs_chat_set_shape() -> None:
    items = read_chat_set(CHAT_SET)
    assert len(items) >= 60
    assert len({i.id for i in items}) == len(items)
    assert sum(i.offtopic for i in items) >= 8
    assert sum(bool(i.history) for i in items) >= 8
    assert {"how", "why", "what"} <= {i.kind for i in items}


def _assert_facts_in_support(items: list, chunks: list) -> None:
    for item in items:
        supporting = [c for c in chunks if chunk_supports(c, item.support)]
        for ref in item.support:
            assert any(chunk_supports(c, [ref]) for c in chunks), f"{item.id}: no section {ref}"
        for fact in item.facts:
            if yes_no_gold(item.question, fact[0]):
                continue  # the yes or no of a yes/no question is the reply's, not a source's
            assert any(fact_found(c.text, fact) for c in supporting), f"{item.id}: {fact} not in {item.support}"


def test_docs_chat_facts_occur_in_their_support(sample_chunks: list) -> None:
    _assert_facts_in_support(read_chat_set(CHAT_SET), sample_chunks)


def test_heldout_set_matches_the_installed_manuals(tmp_path: Path, embedder) -> None:
    try:
        write_manuals(tmp_path / "manuals")
    except PackageNotFoundError as exc:
        pytest.skip(f"a manual's package is not installed: {exc}")
    items = read_chat_set(HELDOUT)
    assert len(items) >= 40 and len({i.id for i in items}) == len(items)
    assert sum(i.offtopic for i in items) >= 6 and sum(bool(i.history) for i in items) >= 4
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        rag.ingest(tmp_path / "manuals")
        chunks = [h.chunk for h in rag.search("python", k=10_000, mode="dense")]
    _assert_facts_in_support(items, chunks)


def test_followup_conversations_resolve(sample_chunks: list) -> None:
    conversations = read_conversations(FOLLOWUPS)
    assert len(conversations) >= 20
    assert any(len(c.turns) == 3 for c in conversations) and any(len(c.turns) == 2 for c in conversations)
    for conversation in conversations:
        for turn in conversation.turns:
            for ref in turn.support:
                assert any(chunk_supports(c, [ref]) for c in sample_chunks), f"{conversation.id}: no section {ref}"
        history, last = conversation.followups()[-1]
        assert len(history) == 2 * (len(conversation.turns) - 1) and last is conversation.turns[-1]
