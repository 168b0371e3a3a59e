"""Fixtures for connector tests: real loopback HTTP servers and generated PDFs."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

import pytest
from connector_helpers import LocalServer, Route, make_pdf_file

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def serve() -> Iterator[Callable[..., LocalServer]]:
    """Start ``LocalServer(route)``s; all are stopped after the test."""
    servers: list[LocalServer] = []

    def start(route: Route, port: int = 0) -> LocalServer:
        server = LocalServer(route, port)
        servers.append(server)
        return server

    yield start
    for server in servers:
        with contextlib.suppress(OSError):
            server.stop()


@pytest.fixture
def make_pdf() -> Callable[..., None]:
    """``make_pdf(path, pages, title=None)`` writes a real PDF with fpdf2."""
    return make_pdf_file
