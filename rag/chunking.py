"""Splitting documents into chunks sized in tokens of the embedder's own tokenizer.

Sizes are tokens, not characters, because the embedder truncates at its window (all-MiniLM-L6-v2:
256 positions, 254 for text): a chunk longer than that is silently cut and its tail is never
searchable. The default 200 tokens + 32 overlap leaves headroom for tokenizer differences.

Each chunk carries its document's metadata plus a ``boilerplate`` score (``rag.boilerplate``):
navigation lists and bare headings are scored once here, so retrieval can demote them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from rag.boilerplate import chunk_metadata
from rag.core.errors import ConfigError
from rag.core.types import Document, NewChunk


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
        from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

        self.settings = settings
        self._splitters = {
            kind: RecursiveCharacterTextSplitter(
                separators=separators,
                chunk_size=settings.chunk_tokens,
                chunk_overlap=settings.overlap_tokens,
                length_function=count_tokens,
                add_start_index=True,
            )
            for kind, separators in (
                ("text", None),
                ("markdown", RecursiveCharacterTextSplitter.get_separators_for_language(Language.MARKDOWN)),
            )
        }

    def chunk(self, document: Document) -> list[NewChunk]:
        text = document.text
        if not self.settings.enabled:
            return [NewChunk(text=text, start=0, end=len(text), metadata=chunk_metadata(text, document.metadata))]
        splitter = self._splitters["markdown" if document.metadata.get("file_type") == "markdown" else "text"]
        chunks = []
        for piece in splitter.create_documents([text]):
            start = int(piece.metadata["start_index"])
            if start < 0:  # the splitter could not locate the piece; find it ourselves
                start = max(0, text.find(piece.page_content))
            chunks.append(NewChunk(text=piece.page_content, start=start, end=start + len(piece.page_content),
                                   metadata=chunk_metadata(piece.page_content, document.metadata)))
        return chunks
