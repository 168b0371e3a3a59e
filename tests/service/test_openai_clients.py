"""The official ``openai`` client and LangChain's ``ChatOpenAI`` against ``ragloom serve`` (real model, real index)."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from tests.service.conftest import need_small_model

QUESTION = "How long is the termination notice period of the Falcon supplier contract?"


@pytest.fixture()
def client(team_service: str):
    openai = pytest.importorskip("openai")
    return openai.OpenAI(base_url=f"{team_service}/v1", api_key="unused-without-keys", max_retries=0)


def test_models_list_each_collection(client) -> None:
    assert [m.id for m in client.models.list().data] == ["ragloom/teams"]


def test_chat_completion_with_citations(client) -> None:
    need_small_model()
    reply = client.chat.completions.create(model="ragloom/teams", messages=[{"role": "user", "content": QUESTION}],
                                           max_tokens=60, seed=1)
    assert reply.object == "chat.completion" and reply.model == "ragloom/teams"
    assert reply.choices[0].message.content
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    grounding = reply.model_extra["ragloom"]
    assert grounding["refused"] is False
    assert grounding["sources"][0]["document_id"] == "legal/falcon-contract.md"
    for citation in grounding["citations"]:
        assert grounding["sources"][citation["number"] - 1]["chunk_id"] == citation["chunk_id"]


def test_streamed_chat_ends_with_grounding(client) -> None:
    need_small_model()
    stream = client.chat.completions.create(model="ragloom/teams", stream=True, max_tokens=40,
                                            messages=[{"role": "user", "content": QUESTION}],
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert text.strip()
    assert len(finals) == 1 and finals[0].model_extra["ragloom"]["sources"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_stream_is_sse_ending_in_done(team_service: str) -> None:
    need_small_model()
    body = {"model": "ragloom/teams", "stream": True, "max_tokens": 20,
            "messages": [{"role": "user", "content": QUESTION}]}
    with httpx.stream("POST", f"{team_service}/v1/chat/completions", json=body, timeout=120) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"


def test_chat_follow_up_uses_history(client) -> None:
    need_small_model()
    reply = client.chat.completions.create(model="ragloom/teams", max_tokens=40, messages=[
        {"role": "user", "content": "Tell me about the Falcon supplier contract."},
        {"role": "assistant", "content": "The Falcon supplier contract renews every March [1]."},
        {"role": "user", "content": "What is its termination notice period?"}])
    sources = reply.model_extra["ragloom"]["sources"]
    assert any(s["document_id"] == "legal/falcon-contract.md" for s in sources)


def test_embeddings_match_between_encodings(client) -> None:
    texts = ["contract renewal", "sales target"]
    as_base64 = client.embeddings.create(model="ragloom/teams", input=texts)  # the client's default: base64
    as_floats = client.embeddings.create(model="ragloom/teams", input=texts, encoding_format="float")
    a = np.array([d.embedding for d in as_base64.data])
    b = np.array([d.embedding for d in as_floats.data])
    assert a.shape == (2, 384)
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)
    assert as_floats.usage.prompt_tokens > 0


def test_openai_shaped_errors(client) -> None:
    openai = pytest.importorskip("openai")
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="ragloom/nope", messages=[{"role": "user", "content": "hi"}])
    assert missing.value.body["type"] == "not_found_error"
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="ragloom/teams", messages=[{"role": "user", "content": "hi"}],
                                       temperature=5)
    assert bad.value.body["param"] == "temperature"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="ragloom/teams", messages=[{"role": "assistant", "content": "hi"}])


def test_langchain_chat_openai(team_service: str) -> None:
    need_small_model()
    langchain_openai = pytest.importorskip("langchain_openai")
    llm = langchain_openai.ChatOpenAI(model="ragloom/teams", base_url=f"{team_service}/v1", api_key="unused",
                                      max_tokens=40, max_retries=0, temperature=0)
    message = llm.invoke(QUESTION)
    assert message.content.strip()
    pieces = [chunk.content for chunk in llm.stream(QUESTION)]
    assert "".join(pieces).strip()
