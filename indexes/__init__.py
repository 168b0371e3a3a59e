"""Vector index backends behind one narrow protocol, picked by name."""

from __future__ import annotations

from indexes.base import Index
from indexes.chunk_store import DocumentRecord, NewChunk
from indexes.faiss_index import FaissIndex
from indexes.filters import Filter, compile_filter, parse_cli_filters
from indexes.vectors import KINDS

__all__ = ["KINDS", "DocumentRecord", "FaissIndex", "Filter", "Index", "NewChunk", "compile_filter",
           "parse_cli_filters"]
