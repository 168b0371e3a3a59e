"""What a connector is: anything that yields ``Document``s (or ``Skipped`` with a reason)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from rag.types import Document, Skipped


@runtime_checkable
class Connector(Protocol):
    """A source of documents. ``load`` never raises for one bad item: it yields ``Skipped``."""

    def load(self) -> Iterator[Document | Skipped]: ...
