"""Vector index backends behind one narrow protocol, picked by name."""

from __future__ import annotations

from indexes.faiss_index import FaissIndex
from indexes.filters import compile_filter, parse_cli_filters
from indexes.vectors import KINDS
from rag.core.protocols import Index
from rag.core.types import DocumentRecord, Filter, NewChunk

__all__ = ["KINDS", "DocumentRecord", "FaissIndex", "Filter", "Index", "NewChunk", "compile_filter",
           "parse_cli_filters"]
