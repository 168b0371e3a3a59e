"""RagloomChatModel: a ragloom Generator used as a LangChain chat model."""

from __future__ import annotations

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate

from rag.core.sampling import SamplingParams
from rag.generation.langchain_chat import RagloomChatModel


def test_invoke_and_stream(llama_gen) -> None:
    chat = RagloomChatModel(generator=llama_gen, sampling=SamplingParams(max_new_tokens=16))
    messages = [SystemMessage("You are a concise assistant."), HumanMessage("Name three colours of the rainbow.")]
    answer = chat.invoke(messages)
    assert isinstance(answer, AIMessage) and answer.content
    assert answer.usage_metadata["output_tokens"] > 0
    assert answer.usage_metadata["input_tokens"] == llama_gen.count_tokens(
        [{"role": "system", "content": "You are a concise assistant."},
         {"role": "user", "content": "Name three colours of the rainbow."}]
    )  # fmt: skip
    chunks = list(chat.stream(messages))
    assert all(isinstance(c, AIMessageChunk) for c in chunks) and len(chunks) > 2
    assert "".join(c.content for c in chunks) == answer.content  # greedy: the same text both ways


def test_composes_in_a_chain_with_overrides(llama_gen) -> None:
    chat = RagloomChatModel(generator=llama_gen)
    prompt = ChatPromptTemplate.from_messages([("user", "Say {word}.")])
    short = (prompt | chat.bind(max_new_tokens=2)).invoke({"word": "hello"})
    assert short.usage_metadata["output_tokens"] <= 2
    sampled = prompt | chat.bind(greedy=False, seed=3, max_new_tokens=8)
    assert sampled.invoke({"word": "hello"}).content == sampled.invoke({"word": "hello"}).content
