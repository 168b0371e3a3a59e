"""A retrieved chunk read together with its neighbours in the same document.

A section longer than one chunk is cut in two: "ragloom offers three kinds of vector search:" with
`flat` and `hnsw` in one chunk, `ivf` in the next; a defence's first step in one, its second in the
next. Retrieval finds the chunk that matches best, and the model then reads half an answer. So each
retrieved chunk is widened to its directly adjacent chunks of the same document (the one before and
the one after, when they touch it and are not retrieved themselves), and focus (``rag.prompts.focus``)
then keeps what is relevant to the question from the wider text: the prompt does not grow, but the
units focus can choose from do. The widened chunk is only what the model reads (and what grounding
checks the answer against): the answer cites the stored chunk, whose id and text are what feedback,
highlights and the UI's context look up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from rag.core.types import Chunk, ScoredChunk

GetChunks = Callable[[Sequence[int]], list[Chunk]]
MAX_GAP = 4  # characters between two chunks that still count as touching (the blank line between blocks)


def widen(chunks: Sequence[ScoredChunk], get: GetChunks) -> list[ScoredChunk]:
    """``chunks`` with each one's text extended by its adjacent, un-retrieved chunks of the same document."""
    retrieved = {c.chunk.id for c in chunks}
    wanted = sorted({n for c in chunks for n in (c.chunk.id - 1, c.chunk.id + 1)} - retrieved)
    found = {c.id: c for c in get(wanted)} if wanted else {}
    out = []
    for scored in chunks:
        chunk = scored.chunk
        before, after = found.get(chunk.id - 1), found.get(chunk.id + 1)
        if before is not None and _touch(before, chunk):
            chunk = _join(before, chunk, keep=chunk)
        if after is not None and _touch(scored.chunk, after):
            chunk = _join(chunk, after, keep=chunk)
        out.append(scored if chunk is scored.chunk else replace(scored, chunk=chunk))
    return out


def _touch(first: Chunk, second: Chunk) -> bool:
    return first.document_id == second.document_id and first.start < second.start <= first.end + MAX_GAP


def _join(first: Chunk, second: Chunk, *, keep: Chunk) -> Chunk:
    """One chunk spanning ``first`` then ``second`` (overlapping text counted once), with ``keep``'s identity."""
    if second.start >= first.end:
        text = first.text + "\n\n" + second.text if second.start > first.end else first.text + second.text
    else:
        text = first.text + second.text[first.end - second.start:]
    return replace(keep, text=text, start=first.start, end=max(first.end, second.end))
