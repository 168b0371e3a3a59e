"""Live HTTP JSON tools consulted at question time: a registry by name, and their context for one question.

A tool's results are numbered and cited like retrieved chunks; a tool that fails becomes a note on
the answer, and the answer goes on without it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rag.core.errors import RagloomError
from rag.core.types import Document

if TYPE_CHECKING:
    from connectors import ApiTool


class ToolRegistry:
    def __init__(self) -> None:
        self._tools: dict[str, ApiTool] = {}

    def add(self, tool: ApiTool | str | os.PathLike[str], *, allow_private: bool = False) -> ApiTool:
        """Register an ``ApiTool`` or a tool spec file under its name."""
        if not hasattr(tool, "fetch"):
            from connectors import load_tool

            tool = load_tool(tool, allow_private=allow_private)
        self._tools[tool.name] = tool
        return tool

    def by_name(self) -> dict[str, ApiTool]:
        return dict(self._tools)

    def context(self, question: str, tools: Sequence[str | ApiTool]) -> tuple[list[Document], list[str]]:
        """Documents from each tool for ``question``, and a note for each tool that failed."""
        from connectors import ToolError

        documents: list[Document] = []
        notes: list[str] = []
        for tool in tools:
            if isinstance(tool, str):
                if tool not in self._tools:
                    raise RagloomError(f"no tool named {tool!r}; add it with add_tool() first")
                tool = self._tools[tool]
            try:
                documents.extend(tool.fetch(question))
            except ToolError as exc:
                notes.append(f"tool {tool.name!r} was not used: {exc}")
        return documents, notes
