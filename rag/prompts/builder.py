"""Assemble the chat messages for a task and fit them into the model's context window.

Layout: ``system`` -> few-shot turns -> history -> one user turn holding the numbered sources and
the request. The fixed part comes first so backends with a prompt cache (llama.cpp) reuse it
across questions.

Budgeting counts with the generator's own tokenizer and chat template. Each source block,
history message and example is measured once (as the difference it makes next to the system
message), the selection is planned from those numbers, and the final prompt is counted once
more to verify; only if BPE joins made the estimate too low is one more item dropped and the
prompt recounted. So a large ``k`` costs O(k) tokenisations, not O(k^2).
Trimming order: lowest-ranked sources first (down to the best one), then the oldest history,
then examples, then the last source; if the bare request still does not fit, fail clearly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rag.core.errors import RagloomError
from rag.core.protocols import Generator
from rag.core.types import Message, ScoredChunk
from rag.prompts.examples import Example
from rag.prompts.framing import DATA_REMINDER, format_source, format_sources, source_block
from rag.prompts.hints import answer_hint
from rag.prompts.tasks import TaskSpec


class ContextOverflowError(RagloomError):
    """Even the bare request does not fit into the model's context window."""


@dataclass(frozen=True)
class Prompt:
    """The messages to send, the sources they hold (numbered 1..n in order) and what was left out."""

    messages: tuple[Message, ...]
    sources: tuple[ScoredChunk, ...]
    dropped: tuple[ScoredChunk, ...]
    prompt_tokens: int
    budget: int
    notes: tuple[str, ...] = ()


def user_turn(spec: TaskSpec, request: str, source_blocks: Sequence[str]) -> str:
    """The user message: delimited sources, a reminder that they are data, then the request.

    The request is the user's own, so it is not neutralised. Retrieved text only ever goes here,
    never into the system message.
    """
    reminder = f"\n{DATA_REMINDER}" if source_blocks else ""
    hint = answer_hint(request) if spec.hints else None
    ask = f"{spec.request_label}: {request.strip()}" + (f"\n{hint}" if hint else "")
    return f"Sources:\n{format_sources(source_blocks)}{reminder}\n\n{ask}"


def _example_blocks(example: Example) -> list[str]:
    return [source_block(i, "example", text) for i, text in enumerate(example.sources, start=1)]


def example_turns(spec: TaskSpec, examples: Sequence[Example]) -> list[tuple[Message, Message]]:
    """Each example as a (user, assistant) pair in the same shape as the real request."""
    pairs = []
    for ex in examples:
        user = user_turn(spec, ex.input, _example_blocks(ex)) if ex.sources else f"{spec.request_label}: {ex.input}"
        pairs.append(({"role": "user", "content": user}, {"role": "assistant", "content": ex.output}))
    return pairs


def build_prompt(
    spec: TaskSpec,
    request: str,
    chunks: Sequence[ScoredChunk],
    *,
    generator: Generator,
    max_new_tokens: int,
    examples: Sequence[Example] = (),
    history: Sequence[Message] = (),
    target_language: str | None = None,
) -> Prompt:
    """Messages for ``request`` over ``chunks`` (best first) that fit ``context_window - max_new_tokens``."""
    budget = generator.context_window - max_new_tokens
    if budget <= 0:
        raise ContextOverflowError(
            f"max_new_tokens ({max_new_tokens}) leaves no room for a prompt in the model's "
            f"{generator.context_window}-token window; lower --max-new-tokens"
        )
    system: Message = {"role": "system", "content": spec.system_prompt(target_language)}
    pairs = example_turns(spec, examples)
    hist = [m for m in history if m["role"] in ("user", "assistant")]
    blocks = [format_source(i, c) for i, c in enumerate(chunks, start=1)]

    def assemble(n_blocks: int, hist_start: int, n_examples: int) -> list[Message]:
        msgs: list[Message] = [system]
        for user, assistant in pairs[:n_examples]:
            msgs += [user, assistant]
        msgs += hist[hist_start:]
        msgs.append({"role": "user", "content": user_turn(spec, request, blocks[:n_blocks])})
        return msgs

    count = generator.count_tokens
    alone = count([system])
    empty_user = count([system, {"role": "user", "content": ""}])
    block_cost = [count([system, {"role": "user", "content": b}]) - empty_user + 1 for b in blocks]
    hist_cost = [count([system, m]) - alone for m in hist]
    pair_cost = [count([system, u, a]) - alone for u, a in pairs]

    n, h, e = len(blocks), 0, len(pairs)
    estimate = count(assemble(0, 0, e)) + sum(block_cost)

    def shrink() -> int:
        """Leave out one more item in trimming order; return the tokens that saves (estimated)."""
        nonlocal n, h, e
        if n > 1:
            n -= 1
            return block_cost[n]
        if h < len(hist):
            # Drop a whole exchange where possible so the history never starts with a reply.
            step = 2 if h + 1 < len(hist) and hist[h]["role"] == "user" else 1
            h += step
            return sum(hist_cost[h - step : h])
        if e > 0:
            e -= 1
            return pair_cost[e]
        if n > 0:
            n -= 1
            return block_cost[n]
        raise ContextOverflowError(
            f"the request alone needs about {estimate} tokens but the model's window leaves {budget} "
            f"({generator.context_window} minus {max_new_tokens} for the answer); shorten it or lower --max-new-tokens"
        )

    while estimate > budget:
        estimate -= shrink()
    messages = assemble(n, h, e)
    actual = count(messages)
    while actual > budget:  # the estimate was a little low: drop one more item and verify again
        estimate = actual
        shrink()
        messages = assemble(n, h, e)
        actual = count(messages)

    notes = []
    if n < len(blocks):
        notes.append(f"dropped {len(blocks) - n} of {len(blocks)} sources to fit the {budget}-token prompt budget")
    if h:
        notes.append(f"left out the {h} oldest history messages to fit the context window")
    if e < len(pairs):
        notes.append(f"left out {len(pairs) - e} few-shot examples to fit the context window")
    return Prompt(tuple(messages), tuple(chunks[:n]), tuple(chunks[n:]), actual, budget, tuple(notes))
