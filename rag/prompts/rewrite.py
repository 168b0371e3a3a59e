"""Turning a chat follow-up ("and when did he die?") into a standalone retrieval query.

Retrieval sees one string, so a pronoun-laden follow-up must be resolved against the history
first. The prompt is short, greedy and capped at a few dozen tokens: it runs before every
follow-up, so it has to be cheap. History is cut to the last turns and each turn to a few
hundred characters for the same reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.core.types import Message

REWRITE_SYSTEM = (
    "Rewrite the user's last question as one standalone search query that can be understood without "
    "the conversation: replace pronouns and references with the names they refer to. "
    "Reply with the query only, no explanation."
)
_TURNS = 6
_CHARS = 400


def rewrite_messages(history: Sequence[Message], question: str) -> list[Message]:
    lines = []
    for m in [m for m in history if m["role"] in ("user", "assistant")][-_TURNS:]:
        text = " ".join(m["content"].split())
        lines.append(f"{m['role']}: {text[:_CHARS]}")
    conversation = "\n".join(lines)
    return [
        {"role": "system", "content": REWRITE_SYSTEM},
        {"role": "user", "content": f"Conversation:\n{conversation}\n\nLast question: {question.strip()}"},
    ]


def clean_query(text: str, fallback: str) -> str:
    """First non-empty line without quotes or a "Query:" label; the original question if nothing is left."""
    for line in text.strip().splitlines():
        line = line.strip().strip('"').strip()
        if line.lower().startswith(("query:", "standalone query:", "search query:")):
            line = line.split(":", 1)[1].strip().strip('"')
        if line:
            return line
    return fallback
