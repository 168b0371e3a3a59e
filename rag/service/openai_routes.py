"""The OpenAI-compatible endpoints: ``/v1/models``, ``/v1/chat/completions`` (plain and SSE), ``/v1/embeddings``.

Each collection is a model named ``ragloom/<collection>``. A chat completion runs the same pipeline as
``RAG.chat`` (history -> standalone query -> scoped retrieval -> cited answer); its sources, citations
and grounding flags travel in the ``ragloom`` field of the response and of the last stream chunk.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from rag import Answer, RagloomError
from rag.service import answering
from rag.service.auth import Caller, collection_for, service_of
from rag.service.errors import ApiError, error_body
from rag.service.schemas import (
    ERROR_RESPONSES,
    ChatCompletion,
    ChatCompletionRequest,
    ChatMessage,
    EmbeddingList,
    EmbeddingRequest,
    ModelList,
)
from rag.service.scope import IMPOSSIBLE

log = logging.getLogger("ragloom.service")

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"], responses=ERROR_RESPONSES)

MAX_EMBEDDING_INPUTS = 256
MAX_EMBEDDING_CHARS = 20_000


@router.get("/models", response_model=ModelList, summary="The collections, one model each")
def list_models(request: Request, scope: Caller) -> dict[str, Any]:
    service = service_of(request)
    return {"object": "list", "data": [{"id": c.model_id, "object": "model", "created": service.started,
                                        "owned_by": "ragloom"}
                                       for name, c in service.collections.items() if scope.allows(name)]}


def _messages(messages: list[ChatMessage]) -> list[dict[str, str]]:
    """Plain ``{role, content}`` turns; developer counts as system, tool turns are not part of the history."""
    turns = []
    for message in messages:
        if message.role in ("tool", "function"):
            continue
        content = message.content
        if isinstance(content, list):
            content = "".join(part.text or "" for part in content if part.type == "text")
        turns.append({"role": "system" if message.role == "developer" else message.role, "content": content or ""})
    if not turns or turns[-1]["role"] != "user" or not turns[-1]["content"].strip():
        raise ApiError(400, "the last message must be the user's question", code="invalid_value", param="messages")
    return turns


@router.post("/chat/completions", response_model=ChatCompletion, summary="Answer from a collection, with citations",
             responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                              "description": "a chat.completion, or SSE chunks ending in data: [DONE]"}})
async def chat_completions(body: ChatCompletionRequest, request: Request, scope: Caller) -> Any:
    service = service_of(request)
    collection = collection_for(service, scope, body.model, param="model")
    messages = _messages(body.messages)
    sampling = answering.sampling_from(body)
    search_filter = scope.search_filter(body.filter)
    created = int(time.time())
    completion_id = "chatcmpl-" + uuid.uuid4().hex
    rag = collection.rag

    if search_filter is IMPOSSIBLE:
        answer = answering.refused_without_search(messages[-1]["content"])
        if body.stream:
            return _sse(_replay(answer), collection, body, completion_id, created)
        return _completion(answer, collection, completion_id, created)

    options = {"sampling": sampling, "k": body.k, "filter": search_filter}
    if not body.stream:
        answer = await answering.answer_once(request, service.slots, lambda: rag.chat(messages, **options))
        if answer is None:
            return JSONResponse(error_body(499, "client closed the request"), status_code=499)
        return _completion(answer, collection, completion_id, created)
    started = await answering.start_stream(request, service.slots, lambda: rag.stream_chat(messages, **options))
    if started is None:
        return JSONResponse(error_body(499, "client closed the request"), status_code=499)
    first, rest = started
    return _sse(_prepend(first, rest), collection, body, completion_id, created)


def _completion(answer: Answer, collection: Any, completion_id: str, created: int) -> dict[str, Any]:
    return {"id": completion_id, "object": "chat.completion", "created": created, "model": collection.model_id,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                         "finish_reason": answering.finish_reason(answer)}],
            "usage": answering.usage(answer), "ragloom": answering.grounding(collection, answer)}


async def _prepend(first: Any, rest: AsyncIterator[Any]) -> AsyncIterator[Any]:
    if first is not answering.END:
        yield first
    async for item in rest:
        yield item


async def _replay(answer: Answer) -> AsyncIterator[Any]:
    yield answer.text
    yield answer


def _sse(items: AsyncIterator[Any], collection: Any, body: ChatCompletionRequest, completion_id: str,
         created: int) -> StreamingResponse:
    include_usage = bool(body.stream_options and body.stream_options.include_usage)

    def event(payload: dict[str, Any]) -> str:
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> str:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        return event({"id": completion_id, "object": "chat.completion.chunk", "created": created,
                      "model": collection.model_id, "choices": choices, **extra})

    async def events() -> AsyncIterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        try:
            async for item in items:
                if isinstance(item, str):
                    if item:
                        yield chunk({"content": item})
                    continue
                yield chunk({}, answering.finish_reason(item), ragloom=answering.grounding(collection, item))
                if include_usage:
                    yield chunk(None, usage=answering.usage(item))
        except RagloomError as exc:  # headers are sent: the error travels as an event, then the stream ends
            yield event(error_body(400, str(exc), "invalid_value"))
        except Exception:
            log.exception("chat stream failed")
            yield event(error_body(500, "internal error (see the server log)", "internal_error"))
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/embeddings", response_model=EmbeddingList, summary="Embed text with a collection's embedder")
async def embeddings(body: EmbeddingRequest, request: Request, scope: Caller) -> dict[str, Any]:
    service = service_of(request)
    collection = collection_for(service, scope, body.model, param="model")
    texts = [body.input] if isinstance(body.input, str) else list(body.input)
    if not texts or len(texts) > MAX_EMBEDDING_INPUTS:
        raise ApiError(400, f"input takes 1 to {MAX_EMBEDDING_INPUTS} texts", code="invalid_value", param="input")
    if any(not t.strip() or len(t) > MAX_EMBEDDING_CHARS for t in texts):
        raise ApiError(400, f"each input must be non-empty text of at most {MAX_EMBEDDING_CHARS} characters",
                       code="invalid_value", param="input")
    embedder = collection.rag.embedder
    vectors = await anyio.to_thread.run_sync(lambda: embedder.embed_documents(texts))
    tokens = await anyio.to_thread.run_sync(lambda: sum(embedder.count_tokens(t) for t in texts))
    data = []
    for i, vector in enumerate(np.asarray(vectors, dtype=np.float32)):
        value: list[float] | str = (base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
                                    if body.encoding_format == "base64" else vector.tolist())
        data.append({"object": "embedding", "index": i, "embedding": value})
    return {"object": "list", "data": data, "model": collection.model_id,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
