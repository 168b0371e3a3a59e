"""Validation of the ``extract`` task's JSON output, and the message that asks for a fix.

Small models often wrap JSON in a code fence or add a sentence around it, so the object is
located first; then ``json.loads`` (never ``eval``) and a shape check decide. On failure the
pipeline retries once, feeding this error back to the model.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rag.core.types import Message

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


class ExtractError(ValueError):
    """The model's reply is not a JSON object of the expected shape."""


def _candidate(text: str) -> str:
    fenced = _FENCE.search(text)
    if fenced:
        return fenced.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if 0 <= start < end else text.strip()


def parse_entities(text: str) -> dict[str, Any]:
    """The ``{"entities": [{"text": str, "type": str}, ...]}`` object in ``text``, or ``ExtractError``."""
    try:
        data = json.loads(_candidate(text))
    except json.JSONDecodeError as exc:
        raise ExtractError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entities"), list):
        raise ExtractError('expected a JSON object with an "entities" list')
    for i, item in enumerate(data["entities"]):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not isinstance(item.get("type"), str):
            raise ExtractError(f'entities[{i}] must be an object with string "text" and "type" fields')
    return {"entities": [{"text": e["text"], "type": e["type"]} for e in data["entities"]]}


def retry_messages(messages: list[Message] | tuple[Message, ...], reply: str, error: str) -> list[Message]:
    """The conversation plus the invalid reply and a request to correct it."""
    return [
        *messages,
        {"role": "assistant", "content": reply},
        {
            "role": "user",
            "content": f"That reply was not valid: {error}. Reply again with only the JSON object "
            '{"entities": [{"text": "...", "type": "..."}]} and nothing else.',
        },
    ]
