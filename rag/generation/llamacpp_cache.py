"""Prompt-prefix snapshots for llama.cpp, so a chat keeps its cached prefix across other prompts.

llama.cpp keeps the key/value cache of the last prompt only, and ``Llama.generate`` reuses the part
of it that the next prompt shares (its longest common token prefix). A chat alternates prompt
families: the answer prompt (system, few-shot examples, history, sources) and the short follow-up
rewrite prompt. Each rewrite evicts the answer prefix, so the next answer re-read the system prompt
and examples from scratch — most of the 8 s a follow-up waited for its first token.

``PrefixSnapshots`` saves the context's state (the used KV cells only, via ``llama_state_get_data``:
~28 KB per token for Qwen2.5-1.5B, so ~25 MB for a 900-token prompt, copied in milliseconds) when a
long prefix is about to be overwritten by a prompt that shares little of it, and restores the
snapshot that shares the most with a new prompt when that beats what is in the context now.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import llama_cpp

MIN_SAVED_TOKENS = 128  # shorter prefixes are cheap to re-read
MIN_GAIN = 32  # restore only when it saves at least this many tokens of prompt reading


@dataclass(frozen=True)
class _Snapshot:
    tokens: tuple[int, ...]
    state: bytes


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class PrefixSnapshots:
    """At most ``capacity`` saved context states, most recently used last."""

    def __init__(self, capacity: int = 2) -> None:
        self.capacity = capacity
        self._items: list[_Snapshot] = []
        self.restored = 0  # statistics, for tests and benchmarks
        self.saved = 0

    def prepare(self, llm: Any, prompt: Sequence[int]) -> int:
        """Before ``llm`` reads ``prompt``: keep what it would overwrite, bring back a better prefix.

        Returns the number of prompt tokens already in the context afterwards.
        """
        current = list(llm.input_ids[: llm.n_tokens])
        in_context = common_prefix(current, prompt)
        best = max(self._items, key=lambda s: common_prefix(s.tokens, prompt), default=None)
        best_shared = common_prefix(best.tokens, prompt) if best is not None else 0
        if len(current) >= MIN_SAVED_TOKENS and in_context < len(current) // 2:
            self._save(llm, tuple(current))  # a long prefix that the new prompt would overwrite
        if best is not None and best_shared >= in_context + MIN_GAIN:
            self._restore(llm, best)
            return best_shared
        return in_context

    def _save(self, llm: Any, tokens: tuple[int, ...]) -> None:
        if any(s.tokens == tokens for s in self._items):
            return
        ctx = llm._ctx.ctx
        size = llama_cpp.llama_state_get_size(ctx)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_get_data(ctx, buffer, size)
        self._items.append(_Snapshot(tokens, bytes(buffer[:written])))
        self._items = self._items[-self.capacity:]
        self.saved += 1

    def _restore(self, llm: Any, snapshot: _Snapshot) -> None:
        buffer = (ctypes.c_uint8 * len(snapshot.state)).from_buffer_copy(snapshot.state)
        if llama_cpp.llama_state_set_data(llm._ctx.ctx, buffer, len(snapshot.state)) != len(snapshot.state):
            llm.reset()  # a state that does not fit: read the prompt from scratch rather than trust it
            return
        n = len(snapshot.tokens)
        llm.input_ids[:n] = snapshot.tokens
        llm.n_tokens = n
        llm._requires_eval = True  # logits are not part of what we trust: generate re-reads the last token
        # Saving the overwritten prefix just before may have evicted this snapshot: keep it either way.
        others = [s for s in self._items if s is not snapshot]
        self._items = others[max(0, len(others) - self.capacity + 1):] + [snapshot]
        self.restored += 1

    def clear(self) -> None:
        self._items.clear()
