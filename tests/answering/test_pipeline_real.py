"""The pipeline over a real index (MiniLM + FAISS) and the real SmolLM2 model: refusal, stream, chat."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.core.answer import Answer, strip_citations
from rag.core.errors import ConfigError
from rag.core.options import AskOptions
from rag.core.sampling import SamplingParams
from rag.core.types import Document
from rag.pipeline import DEFAULT_REFUSAL_THRESHOLD, REFUSAL_TEXT, Answerer

from .conftest import NoCallGenerator

DOCS = [
    Document("eiffel", "The Eiffel Tower in Paris was completed in 1889 and is 330 metres tall.", {"title": "Eiffel"}),
    Document("curie", "Marie Curie was born in Warsaw in 1867 and won two Nobel Prizes.", {"title": "Curie"}),
    Document("nile", "The Nile is a major river in north-eastern Africa, about 6,650 km long.", {"title": "Nile"}),
    Document("python", "Python is a programming language created by Guido van Rossum in 1991.", {"title": "Python"}),
]
GREEDY = SamplingParams(greedy=True, max_new_tokens=24)


@pytest.fixture(scope="module")
def rag_index(tmp_path_factory: pytest.TempPathFactory):
    from rag.api import RAG

    rag = RAG(Path(tmp_path_factory.mktemp("index")))
    rag.ingest(DOCS)
    yield rag
    rag.close()


def _search(rag):
    return lambda q, k, f: rag.search(q, k=k, filter=f)


def test_off_topic_question_is_refused_without_calling_the_model(rag_index, small_generator) -> None:
    answerer = Answerer(_search(rag_index), NoCallGenerator(small_generator))
    answer = answerer.ask("How do I reset the password of my wifi router?")
    assert answer.refused and answer.text == REFUSAL_TEXT
    assert answer.completion_tokens == 0 and not answer.messages
    assert any("refusal threshold" in note for note in answer.notes)


def test_on_topic_question_is_answered_by_the_model(rag_index, small_generator) -> None:
    hits = rag_index.search("When was the Eiffel Tower completed?", k=1)
    assert hits[0].chunk.document_id == "eiffel" and hits[0].score >= DEFAULT_REFUSAL_THRESHOLD
    answer = Answerer(_search(rag_index), small_generator, k=2).ask("When was the Eiffel Tower completed?",
                                                                      AskOptions(sampling=GREEDY))
    assert answer.completion_tokens > 0 and answer.sources[0].chunk.document_id == "eiffel"
    assert answer.prompt_tokens == small_generator.count_tokens(answer.messages)
    assert answer.timings.total_seconds >= answer.timings.retrieve_seconds > 0


def test_stream_yields_pieces_then_an_answer_with_the_joined_text(rag_index, small_generator) -> None:
    answerer = Answerer(_search(rag_index), small_generator, k=2)
    items = list(answerer.stream("How long is the Nile?", AskOptions(sampling=GREEDY)))
    pieces, final = items[:-1], items[-1]
    assert isinstance(final, Answer) and pieces and all(isinstance(p, str) for p in pieces)
    assert strip_citations(final.text) == strip_citations("".join(pieces)) and final.completion_tokens > 0


def test_chat_rewrites_a_follow_up_with_the_history(rag_index, scripted) -> None:
    gen = scripted(["Where was Marie Curie born?", "Warsaw [1]"])
    queries: list[str] = []

    def search(q, k, f):
        queries.append(q)
        return rag_index.search(q, k=k, filter=f)

    history = [{"role": "user", "content": "Who won two Nobel Prizes?"},
               {"role": "assistant", "content": "Marie Curie [1]"}]
    answer = Answerer(search, gen, k=2, followups="model").chat([*history, {"role": "user",
                                                                             "content": "Where was she born?"}])
    rewrite_prompt = gen.calls[0]
    assert "Who won two Nobel Prizes?" in rewrite_prompt[-1]["content"]
    assert rewrite_prompt[-1]["content"].endswith("Last question: Where was she born?")
    assert queries == ["Where was Marie Curie born?"] and answer.query == "Where was Marie Curie born?"
    assert answer.sources[0].chunk.document_id == "curie"
    # The answer prompt carries the history as turns and the original follow-up.
    assert list(answer.messages[-3:-1]) == history
    assert answer.messages[-1]["content"].endswith("Question: Where was she born?")


def test_a_follow_up_is_searched_with_the_previous_question_and_one_model_call(rag_index, scripted) -> None:
    gen = scripted(["Warsaw [1]"])  # the default ("join") needs no rewrite generation: one call, the answer
    history = [{"role": "user", "content": "Who won two Nobel Prizes?"},
               {"role": "assistant", "content": "Marie Curie [1]"}]
    answer = Answerer(lambda q, k, f: rag_index.search(q, k=k, filter=f), gen, k=2).chat(
        [*history, {"role": "user", "content": "Where was she born?"}])
    assert len(gen.calls) == 1
    assert answer.query == "Where was she born, in the context of: Who won two Nobel Prizes?"
    assert answer.sources[0].chunk.document_id == "curie"
    with pytest.raises(ConfigError, match="follow-up mode"):
        Answerer(lambda q, k, f: [], gen, followups="guess")


def test_chat_without_history_skips_the_rewrite(rag_index, scripted) -> None:
    gen = scripted(["1889 [1]"])
    answer = Answerer(_search(rag_index), gen, k=1).chat([{"role": "user", "content": "When was the tower completed?"}])
    assert len(gen.calls) == 1 and answer.query == "When was the tower completed?"


def test_real_model_rewrite_produces_a_query(rag_index, small_generator) -> None:
    answerer = Answerer(_search(rag_index), small_generator)
    history = [{"role": "user", "content": "Tell me about the Eiffel Tower."},
               {"role": "assistant", "content": "It is a tower in Paris completed in 1889 [1]."}]
    query = answerer.standalone_query(history, "How tall is it?", mode="model")
    assert query.strip() and "\n" not in query and len(query) < 400
