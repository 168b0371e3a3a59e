"""An answer that only restates the question gets the source's own sentence beside it.

A 1.5B model asked "Why does ragloom never use pickle?" with the reason in front of it sometimes replies
"ragloom never uses pickle [2]." — the question turned into a statement, the fact left out. In the
docs-chat set that was a third of the wrong answers. A second generation would cost seconds on two
cores and may restate again; the fact is in the source the model read. So an answer that adds
(almost) nothing to the question's own words is completed with the source sentence that best
answers it, quoted verbatim and cited, so the reader gets the fact and sees where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.core.answer import cited_numbers, strip_citations
from rag.core.types import Message, ScoredChunk
from rag.prompts.focus import content_words, split_sentences, stem

MAX_NEW_WORDS = 1  # an answer with at most this many content words the question lacks says nothing new
MIN_QUOTE_NEW_WORDS = 3  # a quote must bring at least this many words the question and answer lack
MAX_QUOTE_CHARS = 400
# Words an answer adds without adding a fact ("ragloom uses …", "it is used to …", "several").
_EMPTY = frozenset(("ragloom", "use", "used", "uses", "using", "also", "not", "no", "never", "always", "can",
                    "cannot", "several", "some", "many", "other", "different", "way", "ways", "because",
                    "order", "make", "makes", "allow", "allows", "provide", "provides", "help", "helps",
                    "source", "sources", "document", "documents", "answer", "question", "following"))


_YES_NO = re.compile(r"^\W*(?:yes|no)\b", re.IGNORECASE)
_DECLINED = re.compile(r"\b(?:do(?:es)? not|don't|doesn't|cannot|can't) (?:contain|say|know|mention|find)"
                       r"|\bnot (?:mentioned|stated|specified)\b|\bno information\b", re.IGNORECASE)
_LIST_MARK = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+")
_FACT = re.compile(r"\d+(?:[.,]\d+)*|`[^`]+`")


def _stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text) if len(w) > 1 and w not in _EMPTY}


def restates(answer: str, question: str, history: Sequence[Message] = ()) -> bool:
    """Whether ``answer`` adds at most ``MAX_NEW_WORDS`` content words to the question (and the
    conversation's earlier questions, which a follow-up's answer may repeat)."""
    asked = question + " " + " ".join(m["content"] for m in history if m["role"] == "user")
    said = strip_citations(answer)
    if _YES_NO.match(said) or any(fact not in asked for fact in _FACT.findall(said)):
        return False  # a yes/no, a number, a name in `code`: the answer states something
    return len(_stems(said) - _stems(asked)) <= MAX_NEW_WORDS


def supporting_quote(question: str, answer: str, sources: Sequence[ScoredChunk]) -> tuple[int, str] | None:
    """The source number and sentence (or list item) that best answers ``question`` among what the
    model read: most of the question's words, bringing new ones; the cited sources first."""
    wanted = _stems(question)
    known = wanted | _stems(strip_citations(answer))
    cited = set(cited_numbers(answer))
    best: tuple[tuple[int, float, float], int, str] | None = None
    for number, source in enumerate(sources, start=1):
        for sentence in _candidates(source.chunk.text):
            words = _stems(sentence)
            if len(words - known) < MIN_QUOTE_NEW_WORDS:
                continue
            covered = len(words & wanted) / max(len(wanted), 1)
            key = (number in cited, covered, -number)
            if covered > 0 and (best is None or key > best[0]):
                best = (key, number, sentence)
    return None if best is None else (best[1], best[2])


def _candidates(text: str) -> list[str]:
    """Whole list items and prose sentences, short enough to quote (no headings, code or table rows)."""
    found, in_code = [], False
    for line in text.replace("…", "\n").split("\n"):  # focus marks left-out text with "…"
        line = line.strip()
        if line.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code or not line or line.startswith(("#", "|")):
            continue
        item = _LIST_MARK.sub("", line)
        for piece in [item] if item != line else split_sentences(line):
            if 20 <= len(piece) <= MAX_QUOTE_CHARS:
                found.append(piece)
    return found


def completion(question: str, answer: str, sources: Sequence[ScoredChunk],
               history: Sequence[Message] = ()) -> str | None:
    """The text to append to a restating ``answer`` (a quoted, cited source sentence), else ``None``."""
    if not sources or _DECLINED.search(answer) or not restates(answer, question, history):
        return None
    found = supporting_quote(question, answer, sources)
    if found is None:
        return None
    number, sentence = found
    return f'\n\nThe source puts it this way: "{sentence}" [{number}]'
