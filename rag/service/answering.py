"""Answers over HTTP: sampling from request fields, the generation queue, streaming, the grounding extension.

Every answer runs ``RAG.chat``/``RAG.stream_chat`` with the caller's scope merged into the filter, so
the sources it reads, cites and streams are only ever in scope. A request first takes a place in the
bounded queue (or gets 503 + Retry-After), then waits for its turn on the model in short steps, so a
caller that goes away while waiting or while streaming gives its place back.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
from fastapi import Request

from rag import Answer, SamplingParams, ScoredChunk, page_location
from rag.service.collections import Collection
from rag.service.errors import ApiError
from rag.service.generation_slots import GenerationSlots, QueueFull

_TURN_POLL_SECONDS = 0.25


def sampling_from(body: Any) -> SamplingParams:
    """OpenAI's fields as ``SamplingParams``: temperature absent or 0 means greedy, as in OpenAI's own docs."""
    changes: dict[str, Any] = {}
    temperature = getattr(body, "temperature", None)
    if temperature:
        changes.update(greedy=False, temperature=temperature)
    for source, target in (("top_p", "top_p"), ("top_k", "top_k"), ("seed", "seed")):
        value = getattr(body, source, None)
        if value is not None:
            changes[target] = value
    max_tokens = getattr(body, "max_completion_tokens", None) or getattr(body, "max_tokens", None)
    if max_tokens is not None:
        changes["max_new_tokens"] = max_tokens
    stop = getattr(body, "stop", None)
    if stop is not None:
        stops = [stop] if isinstance(stop, str) else list(stop)
        if len(stops) > 4 or any(not s for s in stops):
            raise ApiError(400, "stop takes up to 4 non-empty strings", code="invalid_value", param="stop")
        changes["stop"] = tuple(stops)
    return SamplingParams(**changes)


def source_dict(number: int | None, hit: ScoredChunk) -> dict[str, Any]:
    chunk = hit.chunk
    return {"number": number, "rank": hit.rank, "score": hit.score, "cosine": hit.cosine, "keyword": hit.keyword,
            "chunk_id": chunk.id, "document_id": chunk.document_id,
            "source": str(chunk.metadata.get("source", chunk.document_id)), "text": chunk.text,
            "metadata": chunk.metadata, "location": location.to_dict() if (location := page_location(chunk)) else None}


def grounding(collection: Collection, answer: Answer) -> dict[str, Any]:
    return {
        "collection": collection.name,
        "query": answer.query,
        "sources": [source_dict(i, s) for i, s in enumerate(answer.sources, start=1)],
        "citations": [{"number": c.number, "chunk_id": c.source.chunk.id, "document_id": c.source.chunk.document_id}
                      for c in answer.citations],
        "unknown_citations": list(answer.unknown_citations),
        "refused": answer.refused,
        "grounded": bool(answer.citations) and not answer.refused,
        "notes": list(answer.notes),
    }


def finish_reason(answer: Answer) -> str:
    return "length" if any(note.startswith("the answer was cut") for note in answer.notes) else "stop"


def usage(answer: Answer) -> dict[str, int]:
    return {"prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens,
            "total_tokens": answer.prompt_tokens + answer.completion_tokens}


OUT_OF_SCOPE_TEXT = "The documents do not contain the answer to this question."


def refused_without_search(question: str) -> Answer:
    """The answer when the caller's filter and scope exclude each other: nothing can be retrieved."""
    return Answer(OUT_OF_SCOPE_TEXT, refused=True, query=question,
                  notes=("the requested filter lies outside this key's scope; nothing was searched",))


class Turn:
    """One request's place in the generation queue; ``release`` is idempotent and runs at the latest on GC."""

    def __init__(self, slots: GenerationSlots) -> None:
        self._slots = slots
        self._lock = threading.Lock()
        self._admitted = False
        self._holding = False
        try:
            slots.admit()
        except QueueFull as full:
            raise ApiError(503, "the model is busy answering other requests; retry later", code="model_busy",
                           headers={"Retry-After": str(full.retry_after)}) from None
        self._admitted = True

    async def wait(self, request: Request) -> bool:
        """Wait for the model; False when the client went away first (the place is then given back)."""
        while True:
            if await anyio.to_thread.run_sync(self._slots.acquire_turn, _TURN_POLL_SECONDS):
                with self._lock:
                    self._holding = True
                return True
            if await request.is_disconnected():
                self.release()
                return False

    def release(self) -> None:
        with self._lock:
            if self._holding:
                self._holding = False
                self._slots.release_turn()
            if self._admitted:
                self._admitted = False
                self._slots.leave()

    def __del__(self) -> None:
        self.release()


async def answer_once(request: Request, slots: GenerationSlots, run: Callable[[], Answer]) -> Answer | None:
    turn = Turn(slots)
    try:
        if not await turn.wait(request):
            return None
        return await anyio.to_thread.run_sync(run)
    finally:
        turn.release()


END = object()  # what the stream helpers return when the answer's items are exhausted


def _next(items: Iterator[Any]) -> Any:
    return next(items, END)


async def start_stream(request: Request, slots: GenerationSlots,
                       make: Callable[[], Iterator[str | Answer]]) -> tuple[Any, AsyncIterator[str | Answer]] | None:
    """Wait for the model and produce the first item (so a bad request still gets a plain 4xx).

    Returns ``(first item, the rest)``; the rest releases the model when it ends, fails or is cancelled.
    """
    turn = Turn(slots)
    try:
        if not await turn.wait(request):
            return None
        items = make()
        first = await anyio.to_thread.run_sync(_next, items)
    except BaseException:
        turn.release()
        raise
    return first, _rest(items, turn)


async def _rest(items: Iterator[str | Answer], turn: Turn) -> AsyncIterator[str | Answer]:
    try:
        while True:
            item = await anyio.to_thread.run_sync(_next, items)
            if item is END:
                return
            yield item
    finally:
        with anyio.CancelScope(shield=True):
            close = getattr(items, "close", None)
            if close is not None:
                await anyio.to_thread.run_sync(close)  # stops decoding at once
            turn.release()
