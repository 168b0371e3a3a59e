"""The conversation as Markdown and as JSON (with every answer's sources), for the download buttons."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rag import Answer, source_title
from ui.sources import cosine_of


def conversation_markdown(turns: Sequence[dict[str, Any]], index: str = "") -> str:
    lines = ["# ragloom conversation", "", f"_Exported {_now()}" + (f" · index `{index}`_" if index else "_"), ""]
    for turn in turns:
        answer: Answer | None = turn.get("answer")
        if turn["role"] == "user":
            lines += ["## Question", "", turn["content"], ""]
            continue
        lines += ["### Answer", "", turn.get("error") or turn["content"], ""]
        if answer is not None and answer.sources:
            lines += ["**Sources**", ""]
            for number, source in enumerate(answer.sources, start=1):
                snippet = " ".join(source.chunk.text.split())[:300]
                lines.append(f"{number}. {source_title(source)} (cosine {cosine_of(source):.3f}): {snippet}")
            lines.append("")
    return "\n".join(lines)


def conversation_json(turns: Sequence[dict[str, Any]], index: str = "") -> str:
    data = {"exported": _now(), "index": index, "turns": []}
    for turn in turns:
        item: dict[str, Any] = {"role": turn["role"], "content": turn["content"]}
        if turn.get("error"):
            item["error"] = turn["error"]
        if turn.get("answer") is not None:
            item["answer"] = turn["answer"].to_dict()
        data["turns"].append(item)
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
