"""Evaluation sets are JSON Lines: one item per line, blank lines skipped, a bad line named by number."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rag.core.errors import ConfigError

T = TypeVar("T")


def read_items(path: str | Path, parse: Callable[[Any], T], what: str, limit: int | None = None) -> list[T]:
    """``parse`` of each line's JSON, at most ``limit``; a line it rejects (KeyError, TypeError,
    ValueError, AttributeError) is a one-line ``ConfigError``: "<path>:<line>: not <what> (<why>)"."""
    if not Path(path).is_file():
        raise ConfigError(f"{path}: no such file")
    items: list[T] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                items.append(parse(json.loads(line)))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:  # JSONDecodeError is a ValueError
                raise ConfigError(f"{path}:{number}: not {what} ({exc})") from None
            if limit is not None and len(items) >= limit:
                break
    return items
