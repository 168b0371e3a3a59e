"""The checked-in docs-chat sets are consistent with the sample corpus they are about.

Every ``support`` reference names a real section of ``rag/sample_corpus`` and every gold fact of
an answerable question occurs in one of its supporting sections, so a miss in ``bench/answers.py``
is the system's, not the data's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import RAG
from rag.evaluation.answer_metrics import fact_found
from rag.evaluation.docs_chat import chunk_supports, read_chat_set, read_conversations

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "rag" / "sample_corpus"
CHAT_SET = ROOT / "bench" / "datasets" / "docs_chat.jsonl"
FOLLOWUPS = ROOT / "bench" / "datasets" / "followups.jsonl"


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


def test_docs_chat_facts_occur_in_their_support(sample_chunks: list) -> None:
    for item in read_chat_set(CHAT_SET):
        supporting = [c for c in sample_chunks if chunk_supports(c, item.support)]
        for ref in item.support:
            assert any(chunk_supports(c, [ref]) for c in sample_chunks), f"{item.id}: no section {ref}"
        for fact in item.facts:
            assert any(fact_found(c.text, fact) for c in supporting), f"{item.id}: {fact} not in {item.support}"


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
