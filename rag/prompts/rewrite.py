"""Turning a chat follow-up ("and which file holds the chunk texts?") into a standalone question.

Retrieval sees one string, so a follow-up that leans on the conversation (a pronoun, an elided
subject, "and ...", "what about ...") must be resolved against the history first. Most questions in
a chat already stand alone, so cheap checks come first (``needs_rewrite``) and the model is called
only when one fires. The rewrite must stay a *question* that keeps the conversation's names: the
prompt says so and shows it once, and ``clean_query`` falls back to a question built from the
original words when the model answers instead of rewriting. The prompt is short, greedy and capped
at a few dozen tokens; history is cut to the last turns, and each turn to a few hundred characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.core.types import Message

REWRITE_SYSTEM = (
    "You rewrite the user's last question so that it can be understood without the conversation. "
    "Replace pronouns and vague references (it, that, this one, there) with the names they refer to, "
    "and add the subject the question leaves out. Keep every name from the conversation that the "
    "question is about. Reply with one question ending in a question mark, and nothing else; "
    "do not answer it."
)
_EXAMPLE_USER = (
    "Conversation:\nuser: Who designed the Eiffel Tower?\nassistant: Gustave Eiffel's company designed it [1].\n\n"
    "Last question: And when was it finished?"
)
_EXAMPLE_REPLY = "When was the Eiffel Tower finished?"
_TURNS = 4  # the last two exchanges: enough for the names a follow-up refers to
_CHARS = 240  # per turn: an answer's first sentence or two carries its subject

_WORD = re.compile(r"[a-z0-9']+")
# Words that point back into the conversation: a question holding one cannot stand alone.
_REFERRING = frozenset((
    "it", "its", "it's", "itself", "they", "them", "their", "theirs", "this", "that", "these", "those",
    "he", "him", "his", "she", "her", "hers", "there", "former", "latter", "above", "same", "such", "one",
    "ones", "else", "other", "another",
))
# A leading conjunction alone does not make a question lean on the conversation: "and which file holds
# the chunk texts?" stands alone once "and" is dropped. These openings, though, are elliptical by nature.
_CONJUNCTIONS = ("and ", "but ", "or ", "also ", "so ", "then ", "ok ", "okay ", "well ")
_ELLIPTICAL = ("what about", "how about", "why not", "what else", "anything else", "same ", "more ")
_FUNCTION_WORDS = frozenset((
    "a", "an", "the", "is", "are", "was", "were", "do", "does", "did", "can", "could", "should", "would", "will",
    "i", "you", "we", "me", "my", "your", "what", "which", "who", "how", "why", "when", "where", "of", "in", "on",
    "to", "for", "with", "by", "at", "from", "about", "be", "have", "has", "many", "much",
))


def needs_rewrite(question: str, history: Sequence[Message]) -> bool:
    """Whether ``question`` leans on the conversation (no model call: pronouns, ellipsis, very short)."""
    if not any(m["role"] == "user" for m in history):
        return False
    lowered = " ".join(question.lower().split())
    while lowered.startswith(_CONJUNCTIONS):
        lowered = lowered.split(" ", 1)[1] if " " in lowered else ""
    words = _WORD.findall(lowered)
    if not words:
        return True  # "and?"
    if lowered.startswith(_ELLIPTICAL) or any(w in _REFERRING for w in words):
        return True
    return len([w for w in words if w not in _FUNCTION_WORDS]) < 3  # "why?", "how many?", "and the default?"


def rewrite_messages(history: Sequence[Message], question: str) -> list[Message]:
    lines = []
    for m in [m for m in history if m["role"] in ("user", "assistant")][-_TURNS:]:
        text = " ".join(m["content"].split())
        lines.append(f"{m['role']}: {text[:_CHARS]}")
    conversation = "\n".join(lines)
    return [
        {"role": "system", "content": REWRITE_SYSTEM},
        {"role": "user", "content": _EXAMPLE_USER},
        {"role": "assistant", "content": _EXAMPLE_REPLY},
        {"role": "user", "content": f"Conversation:\n{conversation}\n\nLast question: {question.strip()}"},
    ]


def clean_query(text: str, fallback: str, history: Sequence[Message] = ()) -> str:
    """The model's rewrite as one question; if it answered instead, the follow-up joined to the last question."""
    for line in text.strip().splitlines():
        line = line.strip().strip('"').strip()
        if line.lower().startswith(("query:", "standalone query:", "search query:", "question:",
                                    "standalone question:", "rewritten question:")):
            line = line.split(":", 1)[1].strip().strip('"')
        if line.endswith("?") and len(line) <= 300:
            echoed = _WORD.findall(line.lower()) == _WORD.findall(fallback.lower())
            return joined_question(fallback, history) if echoed else line  # an echo still leans on the conversation
        if line:
            break
    return joined_question(fallback, history)


def joined_question(question: str, history: Sequence[Message]) -> str:
    """A model-free standalone question: the previous question carried into the follow-up
    ("Which one should I start with, in the context of: Which kinds of vector index can I choose from?")."""
    previous = next((m["content"] for m in reversed(history) if m["role"] == "user"), "")
    if not previous.strip():
        return question
    context = " ".join(previous.split())[:_CHARS].rstrip(" ?")
    return f"{question.strip().rstrip(' ?')}, in the context of: {context}?"
