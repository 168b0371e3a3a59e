"""Chunks of whole blocks for Markdown: a list, a code block or a table is never cut from its lead-in.

LangChain's Markdown splitter cuts a section at code fences and blank lines first and never joins
the pieces again, so a 300-token section became five chunks: "## Task prompts" plus one sentence,
two halves of the task list, a 3-token "For example:" and the code block it introduced. Each piece
then reached the model without the part that answers the question.

Here a text is split into *blocks* — paragraphs, whole lists, fenced code blocks, tables; a line
ending in ":" and a heading stay with the block they introduce — and consecutive blocks are packed into chunks of
about equal size (the fewest chunks that fit, balanced, so no 3-token tail is left over). A block
longer than a chunk falls back to ``split_long`` (the recursive splitter). Neighbouring chunks share
the previous chunk's last sentence when it fits in the overlap, so a sentence that leads into the
next block is still read with it. Chunks are spans of the text (``text[start:end] == chunk``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+")
_TABLE_ROW = re.compile(r"^\s*\|")
_SENTENCE_START = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(*`])")

Span = tuple[int, int]


def blocks(text: str) -> list[Span]:
    """``(start, end)`` of the text's blocks in order (see the module docstring)."""
    spans: list[Span] = []
    lines = text.splitlines(keepends=True)
    offsets, position = [], 0
    for line in lines:
        offsets.append(position)
        position += len(line)
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        start = i
        if _FENCE.match(lines[i]):
            i += 1
            while i < len(lines) and not _FENCE.match(lines[i]):
                i += 1
            i = min(i + 1, len(lines))
        else:
            kind = _kind(lines[i])
            i += 1
            while i < len(lines) and lines[i].strip() and not _FENCE.match(lines[i]):
                i += 1
            # A list whose items are separated by blank lines is still one list.
            while kind == "list" and i + 1 < len(lines) and not lines[i].strip() and _LIST_ITEM.match(lines[i + 1]):
                i += 1
                while i < len(lines) and lines[i].strip():
                    i += 1
        spans.append((offsets[start], offsets[i - 1] + len(lines[i - 1].rstrip("\r\n"))))
    return _join_lead_ins(text, spans)


def _kind(line: str) -> str:
    if _LIST_ITEM.match(line):
        return "list"
    return "table" if _TABLE_ROW.match(line) else "text"


def _join_lead_ins(text: str, spans: list[Span]) -> list[Span]:
    """A heading, or a block ending in ":" ("ragloom saves in three steps:"), belongs to the block after it."""
    joined: list[Span] = []
    for span in spans:
        previous = text[joined[-1][0]:joined[-1][1]].rstrip() if joined else ""
        if previous.endswith(":") or (_HEADING.match(previous) and "\n" not in previous):
            joined[-1] = (joined[-1][0], span[1])
        else:
            joined.append(span)
    return joined


def pack(text: str, count_tokens: Callable[[str], int], size: int, overlap: int,
         split_long: Callable[[str], list[Span]]) -> list[Span]:
    """Chunks of ``text`` as spans: whole blocks packed to about equal size, each at most ``size`` tokens."""
    pieces: list[Span] = []
    for start, end in blocks(text):
        if count_tokens(text[start:end]) <= size:
            pieces.append((start, end))
        else:  # one block longer than a chunk: cut it the ordinary way
            pieces.extend((start + a, start + b) for a, b in split_long(text[start:end]))
    if not pieces:
        return []
    groups = _balanced_groups([count_tokens(text[a:b]) for a, b in pieces], size)
    chunks: list[Span] = []
    for first, last in groups:
        begin = pieces[first][0]
        if chunks:
            begin = _overlap_start(text, chunks[-1], begin, count_tokens, overlap)
        chunks.append((begin, pieces[last][1]))
    return chunks


def _balanced_groups(tokens: list[int], size: int) -> list[tuple[int, int]]:
    """Consecutive pieces grouped into the fewest chunks of at most ``size`` tokens, as even as possible.

    A small dynamic programme: fewest groups first, then the smallest sum of squared group sizes (so
    200 + 200 + 12 loses to 140 + 136 + 136). Group sizes add the pieces' counts plus one token per
    join, a close, safe estimate of counting the joined text.
    """
    n = len(tokens)
    best: list[tuple[int, int, int]] = [(0, 0, -1)] + [(n + 1, 0, -1)] * n  # (groups, sum of squares, start)
    for end in range(1, n + 1):
        total = -1
        for begin in range(end - 1, -1, -1):
            total += tokens[begin] + 1
            if total > size and begin < end - 1:
                break
            groups, squares, _ = best[begin]
            candidate = (groups + 1, squares + total * total, begin)
            if candidate[:2] < best[end][:2]:
                best[end] = candidate
    out: list[tuple[int, int]] = []
    end = n
    while end > 0:
        begin = best[end][2]
        out.append((begin, end - 1))
        end = begin
    return out[::-1]


def _overlap_start(text: str, previous: Span, start: int, count_tokens: Callable[[str], int], overlap: int) -> int:
    """Where the next chunk starts: the previous chunk's last sentence, if it fits in ``overlap`` tokens."""
    tail = text[previous[0]:previous[1]]
    if "```" in tail[-200:] or not overlap:
        return start
    sentences = [m.end() for m in _SENTENCE_START.finditer(tail)]
    begin = previous[0] + (sentences[-1] if sentences else 0)
    if begin > previous[0] and count_tokens(text[begin:previous[1]]) <= overlap:
        return begin
    return start
