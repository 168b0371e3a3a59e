"""What a connector is: anything that yields ``Document``s (or ``Skipped`` with a reason)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    # only for annotations: importing rag here at run time would form a cycle (rag.api imports connectors)
    from rag.types import Document, Skipped


@runtime_checkable
class Connector(Protocol):
    """A source of documents.

    ``load`` never raises for one bad item: it yields ``Skipped`` with a reason and goes on. A source
    that fails as a whole (a bad API spec, an API that keeps failing part way) raises ``ConnectorError``
    so a caller never mistakes a partial read for a complete one.
    """

    def load(self) -> Iterator[Document | Skipped]: ...
