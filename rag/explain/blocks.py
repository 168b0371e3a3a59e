"""Where each numbered source sits in an answer's prompt, and which prompt tokens fall inside it.

The prompt builder puts every source in the *last* user message as a ``<source id="n" title="...">``
block (``rag.prompts.framing``); the few-shot examples before it have blocks of their own, which are
not the answer's sources. Source text is neutralised before it goes in, so a source cannot close
its block early: the first ``</source>`` after an opening tag is that block's end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rag.core.answer import Answer
from rag.core.errors import RagloomError
from rag.core.types import Message
from rag.explain.types import NothingToExplainError
from rag.prompts.framing import SOURCE_BLOCK


@dataclass(frozen=True)
class SourceBlock:
    """Source ``number``'s text as the model read it, at ``start:end`` of the message it is in."""

    number: int
    start: int
    end: int
    text: str


def source_message(answer: Answer) -> Message:
    """The user message that holds the answer's sources (the last one), or a clear error."""
    if answer.refused or not answer.sources:
        raise NothingToExplainError("nothing to explain: this answer was made from no sources")
    users = [m for m in answer.messages if m["role"] == "user"]
    if not users:
        raise NothingToExplainError("nothing to explain: this answer carries no prompt messages")
    return users[-1]


def source_blocks(content: str, count: int) -> list[SourceBlock]:
    """Blocks for sources 1..``count`` in ``content`` (a source missing from the prompt is an error)."""
    found: dict[int, SourceBlock] = {}
    for match in SOURCE_BLOCK.finditer(content):
        number = int(match.group(1))
        if 1 <= number <= count and number not in found:
            found[number] = SourceBlock(number, match.start(2), match.end(2), match.group(2))
    missing = [n for n in range(1, count + 1) if n not in found]
    if missing:
        raise RagloomError(f"source(s) {', '.join(map(str, missing))} are not in the answer's prompt")
    return [found[n] for n in range(1, count + 1)]


def tokens_in_blocks(offsets: Sequence[tuple[int, int]], blocks: Sequence[SourceBlock],
                     shift: int) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """The prompt tokens inside a source block: (token positions, block index, character span in the block).

    ``offsets`` are the tokens' character spans in the rendered prompt; ``shift`` is where the source
    message starts in it. A token that straddles a block edge keeps only its part inside the block.
    """
    positions, owners, spans = [], [], []
    bounds = [(b.start + shift, b.end + shift) for b in blocks]
    for position, (start, end) in enumerate(offsets):
        if end <= start:
            continue
        for index, (lo, hi) in enumerate(bounds):
            if start < hi and end > lo:
                positions.append(position)
                owners.append(index)
                spans.append((max(start, lo) - lo, min(end, hi) - lo))
                break
    return positions, owners, spans
