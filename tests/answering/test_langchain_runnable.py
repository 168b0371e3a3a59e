"""An Answerer as a LangChain Runnable: string or dict input, dict (default) / Answer / text output."""

from __future__ import annotations

import pytest
from langchain_core.runnables import Runnable, RunnableLambda

from rag.core.answer import Answer
from rag.core.errors import ConfigError
from rag.langchain_runnable import as_langchain_runnable
from rag.pipeline import Answerer

from .conftest import scored

CHUNKS = [scored(1, "The Eiffel Tower was completed in 1889.", 0.8)]


def test_invoke_with_string_and_dict(scripted) -> None:
    gen = scripted(["1889 [1]", "1889 [1]"])
    runnable = as_langchain_runnable(Answerer(lambda q, k, f: CHUNKS[:k], gen))
    assert isinstance(runnable, Runnable)
    out = runnable.invoke("When was it completed?")
    assert out["text"] == "1889 [1]" and out["citations"][0]["number"] == 1
    out = runnable.invoke({"question": "When?", "k": 1})
    assert out["query"] == "When?"


def test_composes_with_pipe_and_other_outputs(scripted) -> None:
    gen = scripted(["1889 [1]", "1889 [1]"])
    answerer = Answerer(lambda q, k, f: CHUNKS[:k], gen)
    chain = RunnableLambda(lambda d: d["q"].strip()) | as_langchain_runnable(answerer, output="text")
    assert chain.invoke({"q": "  When?  "}) == "1889 [1]"
    assert isinstance(as_langchain_runnable(answerer, output="answer").invoke("When?"), Answer)


def test_bad_input_is_a_clear_error(scripted) -> None:
    runnable = as_langchain_runnable(Answerer(lambda q, k, f: CHUNKS[:k], scripted([])))
    with pytest.raises(ConfigError, match="question"):
        runnable.invoke({"text": "no question key"})
