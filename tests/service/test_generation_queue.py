"""Generation is serialised with a bounded queue: a full queue answers 503 + Retry-After at once, and a client
that disconnects mid-stream frees its place (the model stops decoding for it).

The model here is a deliberately slow stand-in (one token every 20 ms, as long as asked), because what is
tested is the queue, not the text; everything else (index, embedder, retrieval, HTTP) is real.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from rag import load_settings
from tests.service.conftest import build_team_index
from tests.service.server_helpers import served

QUESTION = "How long is the termination notice period of the Falcon supplier contract?"


class SlowGenerator:
    name = "slow-test-generator"
    context_window = 100_000

    def __init__(self) -> None:
        self.streams_closed = 0
        self.tokens = 0
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        pass

    def count_tokens(self, messages: Sequence[dict]) -> int:
        return sum(len(m["content"].split()) for m in messages)

    def generate(self, messages, sampling):
        *_, last = self.stream(messages, sampling)
        return last

    def stream(self, messages, sampling) -> Iterator:
        from rag.core.types import Generation

        produced = 0
        try:
            for _ in range(sampling.max_new_tokens):
                time.sleep(0.02)
                produced += 1
                with self._lock:
                    self.tokens += 1
                yield "ninety days [1] "
            yield Generation("ninety days [1] " * produced, self.count_tokens(messages), produced, "length", 0.02,
                             0.02 * produced)
        finally:
            if produced < sampling.max_new_tokens:
                with self._lock:
                    self.streams_closed += 1


@pytest.fixture()
def slow_service(tmp_path: Path):
    from rag.service.context import Service, ServiceConfig

    index = build_team_index(tmp_path / "teams")
    service = Service(ServiceConfig(indexes=(f"teams={index}",), rate_per_minute=0, queue_size=1, retry_after=7),
                      load_settings(environ={}))
    generator = SlowGenerator()
    for collection in service.collections.values():
        collection.rag = collection.rag.with_generator(generator)
    with served(service) as base:
        yield base, generator


def chat(max_tokens: int, stream: bool = False) -> dict:
    return {"model": "ragloom/teams", "max_tokens": max_tokens, "stream": stream,
            "messages": [{"role": "user", "content": QUESTION}]}


def queue_length(base: str) -> int:
    return httpx.get(f"{base}/ready", timeout=10).json()["answers_in_queue"]


def test_full_queue_is_503_and_a_disconnect_frees_the_slot(slow_service) -> None:
    base, generator = slow_service
    client = httpx.Client(base_url=base, timeout=60)
    with client.stream("POST", "/v1/chat/completions", json=chat(4000, stream=True)) as streaming:
        lines = streaming.iter_lines()
        assert any("ninety" in line for line in lines)  # decoding for the first client
        waiting: dict = {}
        waiter = threading.Thread(target=lambda: waiting.update(
            response=httpx.post(f"{base}/v1/chat/completions", json=chat(3), timeout=60)))
        waiter.start()
        deadline = time.monotonic() + 10
        while queue_length(base) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        turned_away = httpx.post(f"{base}/v1/chat/completions", json=chat(3), timeout=10)
        assert turned_away.status_code == 503
        assert turned_away.headers["Retry-After"] == "7"
        assert turned_away.json()["error"]["code"] == "model_busy"
    # The streaming client hung up after a few tokens of 4000 (80 s of decoding): its place goes to the waiter.
    waiter.join(20)
    assert waiting["response"].status_code == 200
    assert waiting["response"].json()["usage"]["completion_tokens"] == 3
    deadline = time.monotonic() + 10
    while queue_length(base) or not generator.streams_closed:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert generator.tokens < 1000  # decoding stopped when the client left
    client.close()
