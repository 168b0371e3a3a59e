"""Docs-chat evaluation sets: questions a user asks of a documentation folder, as JSON Lines.

One object per line::

    {"id": "save", "kind": "how", "question": "How does ragloom keep the index safe ...?",
     "facts": [["commit"], ["old", "previous"]],
     "support": ["faiss-index.md#Atomic saves"],
     "history": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}

- ``facts``: every fact must occur in a correct reply; each fact lists acceptable alternatives.
  An empty list marks a question the documents do not answer: it must be declined.
- ``support``: the sections that answer it, ``<file name>#<heading>`` (the heading is the last
  part of the chunk's ``section`` metadata; ``<file name>`` alone means the whole file). Used for
  citation precision and retrieval recall.
- ``history`` (optional): earlier turns of the conversation; the question is then a follow-up.
- ``kind`` (optional): free label for reporting (how, why, what, followup, offtopic).

A ``documents`` folder for the set (the corpus it is about) is given separately.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.core.errors import ConfigError
from rag.core.types import Chunk, Message
from rag.evaluation.jsonl import read_items


@dataclass(frozen=True)
class EvalItem:
    """One question with its gold facts; a CSV row becomes one with the gold answer as its only fact."""

    question: str
    facts: tuple[tuple[str, ...], ...]
    support: tuple[str, ...] = ()
    history: tuple[Message, ...] = ()
    kind: str = ""
    id: str = ""

    @property
    def offtopic(self) -> bool:
        return not self.facts

    @property
    def answer(self) -> str:
        """The first alternative of each fact, joined: a stand-in gold answer for EM / F1."""
        return " ".join(f[0] for f in self.facts)


def read_chat_set(path: str | Path, limit: int | None = None) -> list[EvalItem]:
    """The items of a docs-chat JSONL file (blank lines skipped), at most ``limit``."""
    return read_items(path, _item, "a docs-chat item", limit)


def _item(raw: dict) -> EvalItem:
    question = raw["question"]
    if not isinstance(question, str) or not question.strip():
        raise ValueError("'question' must be a non-empty string")
    facts = raw.get("facts", [])
    if not isinstance(facts, list) or not all(isinstance(f, list) and f and all(isinstance(a, str) for a in f)
                                              for f in facts):
        raise ValueError("'facts' must be a list of lists of strings")
    history = raw.get("history", [])
    if not isinstance(history, list) or not all(
            isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)
            for m in history):
        raise ValueError("'history' must be a list of {role: user|assistant, content} messages")
    support = raw.get("support", [])
    if not isinstance(support, list) or not all(isinstance(s, str) for s in support):
        raise ValueError("'support' must be a list of strings")
    return EvalItem(question.strip(), tuple(tuple(f) for f in facts), tuple(support),
                    tuple(Message(role=m["role"], content=m["content"]) for m in history),
                    str(raw.get("kind", "")), str(raw.get("id", "")))


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str  # the reference reply used as history for the next turn
    support: tuple[str, ...]


@dataclass(frozen=True)
class Conversation:
    """Two or three turns; every turn after the first is a follow-up that needs the earlier ones."""

    id: str
    turns: tuple[Turn, ...]

    def followups(self) -> list[tuple[tuple[Message, ...], Turn]]:
        """``(history, turn)`` for every follow-up, the history built from the reference replies."""
        out, history = [], []
        for turn in self.turns:
            if history:
                out.append((tuple(history), turn))
            history += [Message(role="user", content=turn.question), Message(role="assistant", content=turn.answer)]
        return out


def read_conversations(path: str | Path) -> list[Conversation]:
    """``{"id", "turns": [{"question", "answer", "support"}, ...]}`` per line."""
    conversations = [replace(c, id=c.id or str(number))  # unnamed: numbered in file order
                     for number, c in enumerate(read_items(path, _conversation, "a conversation"), start=1)]
    short = next((c.id for c in conversations if len(c.turns) < 2), None)
    if short is not None:
        raise ConfigError(f"{path}: conversation {short} needs at least two turns")
    return conversations


def _conversation(raw: dict) -> Conversation:
    turns = tuple(Turn(t["question"], t["answer"], tuple(t["support"])) for t in raw["turns"])
    return Conversation(str(raw.get("id", "")), turns)


def chunk_supports(chunk: Chunk, support: Sequence[str]) -> bool:
    """Whether ``chunk`` comes from one of the ``support`` sections (``file#heading`` or ``file``)."""
    source = str(chunk.metadata.get("source") or chunk.document_id.split("#", 1)[0])
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    heading = str(chunk.metadata.get("section") or "").split(" > ")[-1].strip()
    for ref in support:
        file_name, _, wanted = ref.partition("#")
        if file_name == name and (not wanted or wanted == heading):
            return True
    return False


@dataclass
class SetSummary:
    """Counts of a set by kind (for the report)."""

    total: int = 0
    offtopic: int = 0
    followups: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, items: Sequence[EvalItem]) -> SetSummary:
        kinds: dict[str, int] = {}
        for item in items:
            kinds[item.kind or "-"] = kinds.get(item.kind or "-", 0) + 1
        return cls(len(items), sum(i.offtopic for i in items), sum(bool(i.history) for i in items), kinds)
