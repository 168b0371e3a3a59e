"""Exceptions as one readable sentence for the page; tracebacks go to the server log only."""

from __future__ import annotations

import logging

from rag import RagloomError

log = logging.getLogger("ragloom.ui")


def readable(exc: BaseException, doing: str) -> str:
    """A message for ``st.error``: what failed and why, never a traceback (that is logged)."""
    if isinstance(exc, RagloomError):
        return f"Could not {doing}: {exc}"
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
        return f"Could not {doing}: {exc.strerror or exc} ({exc.filename})"
    # Unexpected: keep the page readable and put the details where an operator looks.
    log.exception("unexpected error while trying to %s", doing)
    detail = str(exc).strip() or "no details"
    return f"Could not {doing}: {type(exc).__name__}: {detail[:500]} (details in the server log)"
