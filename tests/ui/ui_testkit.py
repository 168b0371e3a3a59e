"""Shared by the UI tests (a plain module: ``tests/ui`` has no ``__init__`` so it cannot shadow the ``ui`` package)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from rag.core.sampling import SamplingParams
from rag.core.types import Generation, Message

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
APP_TIMEOUT = 180  # seconds per AppTest run: the first one loads the embedder on 2 shared cores


class RecordingGenerator:
    """A real ``Generator`` wrapped to remember the ``SamplingParams`` of every call."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = f"recording:{inner.name}"  # type: ignore[attr-defined]
        self.calls: list[tuple[str, SamplingParams]] = []

    @property
    def context_window(self) -> int:
        return self.inner.context_window  # type: ignore[attr-defined]

    def warm_up(self) -> None:
        self.inner.warm_up()  # type: ignore[attr-defined]

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return self.inner.count_tokens(messages)  # type: ignore[attr-defined]

    def generate(self, messages: Sequence[Message], sampling: SamplingParams) -> Generation:
        self.calls.append(("generate", sampling))
        return self.inner.generate(messages, sampling)  # type: ignore[attr-defined]

    def stream(self, messages: Sequence[Message], sampling: SamplingParams) -> Iterator[str | Generation]:
        self.calls.append(("stream", sampling))
        yield from self.inner.stream(messages, sampling)  # type: ignore[attr-defined]
