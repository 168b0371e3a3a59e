"""A retrieved chunk is read with its adjacent chunks of the same section (``rag.neighbours.widen``)."""

from __future__ import annotations

from collections.abc import Sequence

from rag.core.types import Chunk, ScoredChunk
from rag.neighbours import widen

TEXT = ("ragloom offers three kinds of vector search:\n\n- flat: exact search.\n- hnsw: a graph, M=32.\n\n"
        "- ivf: an inverted file.\n\nStart with flat.")
CUT = TEXT.index("- ivf")
STORE = {
    1: Chunk(1, "faiss#kinds", TEXT[:CUT].rstrip(), 0, len(TEXT[:CUT].rstrip())),
    2: Chunk(2, "faiss#kinds", TEXT[CUT - 12:], CUT - 12, len(TEXT)),  # overlaps the first by 12 characters
    3: Chunk(3, "faiss#saves", "A save never leaves a half-written index.", 0, 41),
}


def _get(ids: Sequence[int]) -> list[Chunk]:
    return [STORE[i] for i in ids if i in STORE]


def _hit(i: int) -> ScoredChunk:
    return ScoredChunk(STORE[i], 0.9, 1, cosine=0.6)


def test_a_chunk_is_widened_to_the_rest_of_its_section_without_repeating_the_overlap() -> None:
    ((stored, wide),) = widen([_hit(1)], _get)
    assert stored.chunk is STORE[1]
    assert wide.chunk.text == TEXT and (wide.chunk.start, wide.chunk.end) == (0, len(TEXT))
    assert wide.chunk.id == 1 and wide.score == 0.9 and wide.cosine == 0.6  # its own identity and scores


def test_a_retrieved_neighbour_is_read_within_the_better_ranked_chunk() -> None:
    ((stored, wide),) = widen([_hit(2), _hit(1)], _get)  # chunk 2 ranked first: it reads chunk 1 before it
    assert stored.chunk is STORE[2] and wide.chunk.text == TEXT
    ((_, save),) = widen([_hit(3)], _get)  # chunk 2 is of another document
    assert save.chunk is STORE[3]


def test_the_model_reads_the_widened_passage_but_the_answer_cites_the_stored_chunk(embedder, scripted) -> None:
    from rag.grounding import GroundingChecker
    from rag.pipeline import Answerer
    from rag.prompts.focus import SourceFocus

    generator = scripted(["There are three kinds: flat, hnsw and ivf [1]."])
    answerer = Answerer(lambda q, k, f: [_hit(1)], generator, focus=SourceFocus(embedder, max_tokens=96),
                        neighbours=_get, grounding=GroundingChecker(embedder))
    answer = answerer.ask("Which kinds of vector search are there?")
    assert "ivf" in answer.messages[-1]["content"]  # the neighbour's half of the list reached the model
    assert answer.sources[0].chunk is STORE[1]  # identity and text of what is stored
    assert answer.claims and answer.claims[0].supported  # grounded against what the model read


def test_two_halves_of_a_section_become_one_source_that_the_model_reads_whole(embedder, scripted) -> None:
    from rag.pipeline import Answerer
    from rag.prompts.focus import SourceFocus

    generator = scripted(["There are three kinds: flat, hnsw and ivf [1]."])
    answerer = Answerer(lambda q, k, f: [_hit(2), _hit(1)], generator, focus=SourceFocus(embedder, max_tokens=96),
                        neighbours=_get)
    answer = answerer.ask("Which kinds of vector search are there?")
    assert [s.chunk for s in answer.sources] == [STORE[2]]
    assert all(kind in answer.messages[-1]["content"] for kind in ("flat", "hnsw", "ivf"))
    assert any("read as part of" in note for note in answer.notes)
