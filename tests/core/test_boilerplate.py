"""Boilerplate chunks (navigation lists, tables of contents, bare headings) are scored at ingest and demoted."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import RAG
from rag.boilerplate import boilerplate_score, chunk_metadata, demoted
from rag.core.types import Chunk, ScoredChunk

SAMPLE = Path(__file__).resolve().parents[2] / "rag" / "sample_corpus"


def _section(page: str, heading: str) -> str:
    """The text of one ``## heading`` section of a sample page, heading line included."""
    text = (SAMPLE / page).read_text(encoding="utf-8")
    start = text.index(f"## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_navigation_list_and_bare_heading_score_high() -> None:
    assert boilerplate_score(_section("getting-started.md", "Where to read next")) == 1.0
    assert boilerplate_score("# The FAISS Index") == 1.0
    toc = "\n".join(f"- [{t}](#{t.lower()})" for t in ("Install", "Usage", "Config", "FAQ", "License"))
    assert boilerplate_score(toc) == 1.0
    menu = "Home\n- Docs\n- Blog\n- About us\n- Pricing\n- Contact"
    assert boilerplate_score(menu) >= 0.8


@pytest.mark.parametrize(("page", "heading"), [
    ("faiss-index.md", "Atomic saves"),  # a numbered procedure is content
    ("getting-started.md", "The pipeline"),
    ("context-window.md", "Summary"),  # a list of full sentences is content
    ("sampling-parameters.md", "Summary of ragloom's defaults"),  # so is a table
    ("ingestion-and-sync.md", "Supported formats"),  # labelled list items that say something
    ("getting-started.md", "First steps with the command line"),  # prose and code
])
def test_content_scores_zero(page: str, heading: str) -> None:
    assert boilerplate_score(_section(page, heading)) == 0.0


def test_a_short_answer_with_a_link_is_content_but_a_link_list_is_not() -> None:
    """orjson's FAQ "Will it support NDJSON or JSONL?" answers "No. [orjsonl](https://…) may be
    appropriate.": counting the link's URL as text made it a link list, and the answer was demoted."""
    faq = "No. [orjsonl](https://github.com/umarbutler/orjsonl) may be appropriate."
    assert boilerplate_score(faq, ["orjson", "Questions", "Will it support NDJSON or JSONL?"]) == 0.0
    links = "\n".join(f"- [{t}](https://example.org/docs/{t.lower()})" for t in ("Install", "Usage", "API"))
    assert boilerplate_score(links) == 1.0
    assert boilerplate_score("Read https://example.org/a and https://example.org/b") == 1.0  # bare URLs are text


def test_hash_lines_that_are_sentences_are_content() -> None:
    """Plain-text passages (rag-mini-wikipedia) use "# " for numbered items: those are not headings."""
    assert boilerplate_score("# Newton's Third Law states that for every action there is an equal and opposite "
                             "reaction.") == 0.0
    assert boilerplate_score("# In 1906, Roosevelt became the first American to be awarded a Nobel Prize.") == 0.0
    assert boilerplate_score("## Where to read next") == 1.0


def test_a_lone_plain_text_title_or_caption_is_boilerplate_but_a_short_fact_is_not() -> None:
    """rag-mini-wikipedia holds image captions as passages; "Young Abraham Lincoln" was the first source
    for "Was Abraham Lincoln the first President?" and pushed the passage that answers out."""
    assert boilerplate_score("Young Abraham Lincoln") == 1.0
    assert boilerplate_score("Calvin Coolidge as a young legislator") == 1.0
    assert boilerplate_score("The Celsius crater on the Moon is named after him.") == 0.0
    assert boilerplate_score("The fur trade was Canada's most important industry until the 1800s") == 0.0
    assert boilerplate_score("Is the index safe?") == 0.0
    assert boilerplate_score("- flat") == 0.0 and boilerplate_score("| flat | exact |") == 0.0
    assert boilerplate_score("Young Abraham Lincoln\nHe grew up on the frontier.") == 0.0


def test_links_inside_prose_are_not_boilerplate_but_a_link_block_is() -> None:
    prose = ("The index is saved atomically: vectors go to a new file, the SQLite transaction commits the new "
             "name, then the old file is deleted (see [atomic saves](faiss.md#atomic-saves) for details).")
    assert boilerplate_score(prose) == 0.0
    links = " | ".join(f"[{w}](https://example.org/{w})" for w in ("home", "docs", "api", "blog", "jobs"))
    assert boilerplate_score(links) == 1.0


def test_nav_heading_comes_from_the_section_path() -> None:
    items = "- Chunking: why chunks are 200 tokens.\n- Prompting: how prompts are built.\n- Evaluation: metrics."
    meta = chunk_metadata(items, {"section": "Guide > See also", "source": "guide.md"})
    assert meta["boilerplate"] == 1.0 and meta["source"] == "guide.md"
    assert chunk_metadata(items, {"section": "Guide > Topics covered"})["boilerplate"] == 0.0


def _hit(chunk_id: int, score: float, boilerplate: float | None) -> ScoredChunk:
    meta = {} if boilerplate is None else {"boilerplate": boilerplate}
    return ScoredChunk(Chunk(chunk_id, str(chunk_id), "t", 0, 1, meta), score, chunk_id, cosine=score)


def test_demotion_reorders_and_keeps_cosine_scores_unless_asked() -> None:
    hits = [_hit(1, 0.8, 1.0), _hit(2, 0.6, 0.0), _hit(3, 0.3, None)]
    kept = demoted(hits, rescore=False)
    assert [h.chunk.id for h in kept] == [2, 1, 3]
    assert [h.score for h in kept] == [0.6, 0.8, 0.3]  # cosine stays the cosine
    rescored = demoted(hits, rescore=True)
    assert [h.score for h in rescored] == [0.6, 0.4, 0.3]
    assert demoted([_hit(1, -0.2, 1.0), _hit(2, -0.25, 0.0)], rescore=False)[0].chunk.id == 2


@pytest.fixture(scope="module")
def sample_rag(tmp_path_factory: pytest.TempPathFactory, embedder):
    with RAG(tmp_path_factory.mktemp("sample") / "index", embedder=embedder) as rag:
        rag.ingest(SAMPLE)
        yield rag


def test_sample_corpus_metadata_marks_only_navigation(sample_rag: RAG) -> None:
    hits = sample_rag.search("where to read next about ingestion, chunking and the FAISS index", k=100, mode="dense")
    flagged = {h.chunk.metadata["section"] for h in hits if h.chunk.metadata["boilerplate"] >= 0.5}
    assert "Getting Started with ragloom > Where to read next" in flagged
    assert all(" > " not in s or s.endswith("Where to read next") for s in flagged), flagged  # + bare titles


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_the_answering_section_outranks_the_link_list(sample_rag: RAG, mode: str) -> None:
    """The issue's example: hybrid fusion put "Where to read next" above "Atomic saves"."""
    hits = sample_rag.search("How does ragloom keep the index safe if the process is killed during a save?",
                             k=10, mode=mode)
    sections = [h.chunk.metadata["section"] for h in hits]
    atomic = sections.index("The FAISS Index > Atomic saves")
    nav = "Getting Started with ragloom > Where to read next"
    assert nav not in sections or sections.index(nav) > atomic
    assert atomic < 3
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False)) or mode != "hybrid"
