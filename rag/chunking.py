"""Splitting documents into chunks sized in tokens of the embedder's own tokenizer.

Sizes are tokens, not characters, because the embedder truncates at its window (all-MiniLM-L6-v2:
256 positions, 254 for text): a chunk longer than that is silently cut and its tail is never
searchable. The default 200 tokens + 32 overlap leaves headroom for tokenizer differences.

Two paths, one invariant (``document.text[chunk.start:chunk.end] == chunk.text``):

- Markdown is packed from whole blocks (``rag.block_chunks``): a list, code block or table stays
  with the sentence that introduces it; a block longer than a chunk falls back to the splitter below.
- Other documents go through LangChain's recursive splitter (paragraphs, then lines, then words).
- Huge documents (over ``WINDOW_TEXT_CHARS``) and documents with a line longer than
  ``WINDOW_LINE_CHARS`` are cut into token windows instead. On a text without line breaks the
  recursive splitter falls to one piece per word, or per character when there are no spaces either:
  one tokenizer call and one Python string per piece (a 45 MB one-line file meant millions of
  calls, 10+ minutes and 2 GB). The window path counts tokens about once per chunk: it guesses a
  span from the measured characters per token, cuts at the last paragraph, line, sentence or word
  boundary before it, and shrinks the guess until the piece fits.

Each chunk carries its document's metadata plus a ``boilerplate`` score (``rag.boilerplate``):
navigation lists and bare headings are scored once here, so retrieval can demote them. A document
with a span-to-box map (``rag.core.layout``, from the PDF reader) gives each chunk, instead of the
map, the page(s), line boxes and section of its own span. PDF pages are Markdown (headings, tables)
and are packed from whole blocks like Markdown: a table that fits a chunk stays whole, a longer one
is cut between rows, never inside one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from rag.block_chunks import pack
from rag.boilerplate import chunk_metadata
from rag.core.errors import ConfigError
from rag.core.layout import LAYOUT_KEY, chunk_layout, without_layout
from rag.core.types import Document, NewChunk

WINDOW_TEXT_CHARS = 1_000_000  # documents longer than this are cut into token windows
WINDOW_LINE_CHARS = 20_000  # ... and so are documents with a line longer than this
MAX_CHARS_PER_TOKEN = 16  # a window never spans more characters per token (a WordPiece [UNK] hides 100+)
_BOUNDARIES = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")
_SPACE = re.compile(r"\S")


@dataclass(frozen=True)
class ChunkingSettings:
    enabled: bool = True  # False: one chunk per document (for evaluation against published figures)
    chunk_tokens: int = 200
    overlap_tokens: int = 32

    def __post_init__(self) -> None:
        if self.chunk_tokens < 16:
            raise ConfigError(f"chunk size must be at least 16 tokens (got {self.chunk_tokens})")
        if not 0 <= self.overlap_tokens < self.chunk_tokens:
            raise ConfigError(f"overlap must be >= 0 and smaller than the chunk size (got {self.overlap_tokens})")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Chunker:
    def __init__(self, settings: ChunkingSettings, count_tokens: Callable[[str], int], max_tokens: int) -> None:
        if settings.enabled and settings.chunk_tokens > max_tokens:
            raise ConfigError(
                f"chunks of {settings.chunk_tokens} tokens exceed the embedder's {max_tokens}-token window"
            )
        # Imported here: langchain_text_splitters costs half a second, which `ragloom --help` should not pay.
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.settings = settings
        self._count = count_tokens
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=settings.chunk_tokens,
            chunk_overlap=settings.overlap_tokens,
            length_function=count_tokens,
            add_start_index=True,
        )

    def chunk(self, document: Document) -> list[NewChunk]:
        return list(self.iter_chunks(document))

    def iter_chunks(self, document: Document) -> Iterator[NewChunk]:
        """``chunk``'s chunks one at a time: a huge document's chunks are cut as they are consumed, so a
        caller that writes them in batches never holds them all (``rag.ingest`` streams such documents)."""
        for start, end in self._spans(document):
            yield NewChunk(text=document.text[start:end], start=start, end=end,
                           metadata=self._metadata(document, start, end))

    def _spans(self, document: Document) -> Iterable[tuple[int, int]]:
        text = document.text
        if not self.settings.enabled:
            return [(0, len(text))]
        if len(text) > WINDOW_TEXT_CHARS or _has_long_line(text, WINDOW_LINE_CHARS):
            return self._windows(text)  # a generator: windows are cut as they are consumed
        if document.metadata.get("file_type") in ("markdown", "pdf"):  # PDF pages are Markdown (headings, tables)
            return pack(text, self._count, self.settings.chunk_tokens, self.settings.overlap_tokens, self._split)
        return self._split(text)

    def _split(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` of the recursive splitter's pieces of ``text``."""
        spans = []
        for piece in self._splitter.create_documents([text]):
            start = int(piece.metadata["start_index"])
            if start < 0:  # the splitter could not locate the piece; find it ourselves
                start = max(0, text.find(piece.page_content))
            spans.append((start, start + len(piece.page_content)))
        return spans

    @staticmethod
    def _metadata(document: Document, start: int, end: int) -> dict[str, Any]:
        text, metadata = document.text[start:end], document.metadata
        layout = metadata.get(LAYOUT_KEY)
        if isinstance(layout, dict):
            metadata = {**without_layout(metadata), **chunk_layout(layout, start, end)}
        return chunk_metadata(text, metadata)

    def _windows(self, text: str) -> Iterator[tuple[int, int]]:
        """``(start, end)`` of token windows over ``text``, cut at natural boundaries, overlapping."""
        size, overlap = self.settings.chunk_tokens, self.settings.overlap_tokens
        sample = text[:2000]
        ratio = len(sample) / max(self._count(sample), 1)  # characters per token, refined per window
        start = _next_text(text, 0, len(text))
        while start < len(text):
            ratio = min(max(ratio, 0.25), MAX_CHARS_PER_TOKEN)
            span = max(int(size * ratio * 0.9), 1)
            while True:
                end = min(len(text), start + span)
                if end < len(text):
                    end = _cut(text, start, end)
                tokens = self._count(text[start:end])
                if tokens <= size or end - start <= 1:
                    break
                span = max(int((end - start) * size / tokens * 0.9), 1)
            ratio = min(max((end - start) / max(tokens, 1), 0.25), MAX_CHARS_PER_TOKEN)
            stop = end
            while stop > start and text[stop - 1].isspace():
                stop -= 1
            if stop > start:
                yield start, stop
            if end >= len(text):
                break
            # about ``overlap`` tokens back, and never more than that share of the window (so it always advances)
            back = min(int(overlap * ratio), (end - start) * overlap // size)
            following = max(start + 1, end - back)
            if following < end:  # start the overlap at a word, not inside one
                space = text.find(" ", following, end)
                following = space + 1 if space != -1 else following
            start = _next_text(text, following, len(text))


def _cut(text: str, start: int, end: int) -> int:
    """The last natural boundary in the second half of ``text[start:end]``, else ``end``."""
    floor = start + (end - start) // 2
    for boundary in _BOUNDARIES:
        found = text.rfind(boundary, floor, end)
        if found != -1:
            return found + len(boundary)
    return end


def _next_text(text: str, position: int, limit: int) -> int:
    """The first non-space position at or after ``position`` (``limit`` if none)."""
    match = _SPACE.search(text, position, limit)
    return match.start() if match else limit


def _has_long_line(text: str, limit: int) -> bool:
    position = 0
    while position < len(text):
        newline = text.find("\n", position)
        end = len(text) if newline == -1 else newline
        if end - position > limit:
            return True
        position = end + 1
    return False
