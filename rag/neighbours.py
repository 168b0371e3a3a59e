"""A retrieved chunk read together with its neighbours in the same document.

A section longer than one chunk is cut in two: "ragloom offers three kinds of vector search:" with
`flat` and `hnsw` in one chunk, `ivf` in the next; a defence's first step in one, its second in the
next. Retrieval finds the chunk that matches best, and the model then reads half an answer. So each
retrieved chunk is widened to its directly adjacent chunks of the same document (the one before and
the one after, when they touch it; a retrieved neighbour is read as part of the better-ranked chunk),
and focus (``rag.prompts.focus``) then keeps what is relevant to the question from the wider text:
the prompt does not grow, but the units focus can choose from do. The widened chunk is only what the
model reads (and what grounding checks the answer against): the answer cites the stored chunk, whose
id and text are what feedback, highlights and the UI's context look up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from rag.core.types import Chunk, ScoredChunk

GetChunks = Callable[[Sequence[int]], list[Chunk]]
MAX_GAP = 4  # characters between two chunks that still count as touching (the blank line between blocks)


def widen(chunks: Sequence[ScoredChunk], get: GetChunks) -> list[tuple[ScoredChunk, ScoredChunk]]:
    """``(stored, read)`` pairs in rank order: each retrieved chunk and the text the model reads for it,
    extended by its adjacent chunks of the same document.

    A retrieved chunk adjacent to a better-ranked one is read as part of that one and gets no pair of
    its own: read apart, the second half of a section could be dropped later (by the source budget)
    while the first half ends on "… in two ways." — the model then reads neither way.
    """
    retrieved = {c.chunk.id: c.chunk for c in chunks}
    wanted = sorted({n for c in chunks for n in (c.chunk.id - 1, c.chunk.id + 1)} - set(retrieved))
    found = {c.id: c for c in get(wanted)} if wanted else {}
    found.update(retrieved)
    absorbed: set[int] = set()
    out = []
    for scored in chunks:
        stored = chunk = scored.chunk
        if stored.id in absorbed:
            continue
        absorbed.add(stored.id)
        before, after = found.get(stored.id - 1), found.get(stored.id + 1)
        if before is not None and before.id not in absorbed and _touch(before, stored):
            chunk = _join(before, chunk, keep=chunk)
            absorbed.add(before.id)
        if after is not None and after.id not in absorbed and _touch(stored, after):
            chunk = _join(chunk, after, keep=chunk)
            absorbed.add(after.id)
        out.append((scored, scored if chunk is stored else replace(scored, chunk=chunk)))
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
