"""Small pieces every backend shares: message checks, stop-sequence scanning, timing."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from rag.core.errors import ConfigError
from rag.core.types import Generation, Message

_ROLES = ("system", "user", "assistant")


def check_messages(messages: Sequence[Message]) -> list[dict[str, str]]:
    """Plain dict copies of valid chat messages, or a ``ConfigError`` saying what is wrong."""
    if not messages:
        raise ConfigError("no messages to generate from")
    checked = []
    for index, message in enumerate(messages):
        role, content = message.get("role"), message.get("content")
        if role not in _ROLES:
            raise ConfigError(f"message {index} has role {role!r}; expected one of {', '.join(_ROLES)}")
        if not isinstance(content, str):
            raise ConfigError(f"message {index} content must be a string (got {type(content).__name__})")
        checked.append({"role": role, "content": content})
    return checked


def check_fits(prompt_tokens: int, max_new_tokens: int, context_window: int) -> None:
    """Fail clearly when the prompt plus the answer budget cannot fit the model's window."""
    if prompt_tokens + max_new_tokens > context_window:
        raise ConfigError(
            f"prompt ({prompt_tokens} tokens) plus max_new_tokens ({max_new_tokens}) "
            f"exceed the context window ({context_window})"
        )


def final_generation(pieces: Iterator[str | Generation]) -> Generation:
    """Run a stream to its end and return its closing ``Generation`` (``generate`` from ``stream``)."""
    *_, final = pieces
    assert isinstance(final, Generation)
    return final


class StopScanner:
    """Cuts streamed text at the first stop sequence, holding back what could still become one.

    Text is released only once no stop sequence can start inside it, so a caller never shows a
    piece of a stop string that a later token completes.
    """

    def __init__(self, stop: Sequence[str]) -> None:
        self.stop = tuple(s for s in stop if s)
        self._hold = max((len(s) for s in self.stop), default=1) - 1
        self._buffer = ""
        self.text = ""  # everything released so far
        self.stopped = False

    def feed(self, piece: str) -> str:
        """Add decoded text; return the part that is now safe to show ('' once stopped)."""
        if self.stopped:
            return ""
        self._buffer += piece
        hits = [i for i in (self._buffer.find(s) for s in self.stop) if i >= 0]
        if hits:
            out, self._buffer, self.stopped = self._buffer[: min(hits)], "", True
        else:
            cut = max(len(self._buffer) - self._hold, 0) if self.stop else len(self._buffer)
            out, self._buffer = self._buffer[:cut], self._buffer[cut:]
        self.text += out
        return out

    def flush(self) -> str:
        """Release the held-back tail at the end of generation."""
        out, self._buffer = ("" if self.stopped else self._buffer), ""
        self.text += out
        return out


@dataclass
class Timer:
    """Wall-clock times of one generation: start, first token, end."""

    start: float = field(default_factory=time.perf_counter)
    first: float | None = None

    def mark_first(self) -> None:
        if self.first is None:
            self.first = time.perf_counter()

    def result(self, text: str, prompt_tokens: int, completion_tokens: int, finish_reason: str) -> Generation:
        end = time.perf_counter()
        first = self.first if self.first is not None else end
        return Generation(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason=finish_reason,
            first_token_seconds=first - self.start,
            total_seconds=end - self.start,
        )
