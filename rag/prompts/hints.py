"""A one-line reminder under the question of what kind of answer it wants.

A 1.5B model given "Why are chunk sizes measured in tokens?" and a source that says why replied
"Chunk sizes are measured in tokens [1]." — the question restated, the reason left out — although
the system prompt asks for the reason. The system prompt sits a thousand tokens back; a line next to
the question is what a small model follows. The hint is chosen from the question's own wording,
and only for the kinds where the bare restatement is the usual failure.
"""

from __future__ import annotations

import re

REASON_HINT = "Give the reason the sources state."
PURPOSE_HINT = "Say what it is for, as the sources put it."
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*why\b", re.I), REASON_HINT),
    (re.compile(r"\bwhat\b.*\b(?:for|the point of|the purpose of|used for)\s*\??\s*$", re.I), PURPOSE_HINT),
    (re.compile(r"^\s*how\s+(?:are|is|does|do)\b", re.I), "Say how, with the specifics the sources give."),
)


# "Which files …", "What kinds of index …": a plural noun as the first or second word after which/what
# asks for a list. A verb ending in -s ("which command builds an index") is followed by a determiner.
_DETERMINERS = frozenset(("a", "an", "the", "my", "your", "its", "their", "this", "that"))
_NOT_PLURAL = frozenset(("is", "does", "was", "has", "happens", "this", "its", "process", "access", "class",
                         "less", "pass", "analysis", "basis", "status", "bias", "focus", "corpus", "always"))
LIST_HINT = "Name every one the sources list."


def answer_hint(question: str) -> str | None:
    """The reminder for ``question``, or ``None`` when its wording asks for nothing special."""
    for pattern, hint in _RULES:
        if pattern.search(question):
            return hint
    words = [w.lower() for w in re.findall(r"[A-Za-z']+", question)]
    if len(words) < 3 or words[0] not in ("which", "what") or words[1] in _NOT_PLURAL:
        return None
    for i in (1, 2):
        word, following = words[i], words[i + 1] if i + 1 < len(words) else ""
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and word not in _NOT_PLURAL \
                and following not in _DETERMINERS:
            return LIST_HINT
    return None


def asks_for_list(question: str) -> bool:
    """``question`` asks for several things ("Which tasks …", "What kinds of index …")."""
    return answer_hint(question) == LIST_HINT


def asks_for_reason(question: str) -> bool:
    """``question`` asks why, or what something is for: the answer is the explanation a text gives after
    the statement that matches the question best."""
    return answer_hint(question) in (REASON_HINT, PURPOSE_HINT)
