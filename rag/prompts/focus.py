"""Focus long sources on the question: keep the parts that matter, within a token cap per source.

On CPU the prompt is the cost of an answer: llama.cpp reads roughly 80-100 prompt tokens/s on 2
cores, so every 100 source tokens add about a second before the first answer token. A source
longer than ``max_tokens`` keeps its best *units*, in their original order, with "…" where text
was left out; shorter sources pass unchanged.

A unit is what must not be cut: a prose sentence, or a whole structure — a list or numbered
procedure (with the sentence that introduces it, e.g. "ragloom saves in three steps:"), a fenced
code block, or a table row (shown under the table's header). A structure survives whole or not
at all: cutting a procedure to its "most similar" step is how a "how do I" question loses its
answer. The best unit is always kept, even when it alone is over the cap, and one relevant unit of
at most ``SHORT_UNIT`` tokens may join past the cap ("Start with flat." after the list of kinds).
A question that asks for several things ("Which tasks …?") also keeps the list that follows its
best unit, whatever its size; a why / what-for question keeps the whole paragraph of its best unit
when it fits 1.5 times the cap (a text explains a statement around it: "… so its vector is a
blurry average …, therefore …").

Units are scored by the embedder's cosine with the question plus the share of the question's
content words they contain (names, numbers and file names that a small embedder blurs).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from rag.core.errors import ConfigError
from rag.core.protocols import Embedder
from rag.core.types import ScoredChunk
from rag.prompts.hints import asks_for_list, asks_for_reason

_NEXT = r"(?=[\"'(\[*`]?[A-Z0-9])"  # a sentence starts with a capital or a digit, maybe after a quote
_SENTENCE_END = re.compile(rf"(?<=[.!?])\s+{_NEXT}|(?<=[.!?][\"')\]*])\s+{_NEXT}|\n\s*\n")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
NEIGHBOUR_BONUS = 0.15
STRUCTURE_SHARE = 0.8  # the best list / code / table is kept past the cap when it scores this close to the best unit
REASON_CAP = 1.5  # a why / what-for question keeps its best unit's whole paragraph up to this share of the cap
SHORT_UNIT = 10  # tokens: one relevant unit this short may join past the cap (a recommendation, a verdict)
RELATIVE_FLOOR = 0.4  # units scoring under this share of the best one are left out even if they fit
_WORD = re.compile(r"[A-Za-z0-9_]+")
_STOP = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "did", "do", "does", "for", "from", "had", "has",
    "have", "he", "her", "his", "how", "i", "if", "in", "is", "it", "its", "me", "my", "of", "on", "or", "she",
    "so", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "was", "we",
    "were", "what", "when", "where", "which", "who", "whom", "whose", "why", "will", "with", "would", "you",
    "your",
))


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def content_words(text: str) -> set[str]:
    return {w for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOP}


def words_covered(question: str, text: str) -> float:
    """The share of the question's content words (two letters or more) that occur in ``text``; 0 for
    a question with fewer than two of them (too little to go on)."""
    wanted = {stem(w) for w in content_words(question) if len(w) > 1}
    found = {stem(w) for w in content_words(text)}
    return len(wanted & found) / len(wanted) if len(wanted) >= 2 else 0.0


def stem(word: str) -> str:
    """A crude English stem, enough to match "name"/"named", "keeps"/"keep", "saves"/"saving"."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


@dataclass(frozen=True)
class Unit:
    """A piece of a source that is kept whole or left out; ``block`` starts on its own line."""

    text: str
    block: bool  # a heading, list, code block or table row: joined to its neighbours with a newline
    paragraph: int  # prose sentences of one paragraph are joined with spaces
    header: str = ""  # a table row's header lines, shown above the first kept row of that table


def split_units(text: str) -> list[Unit]:
    """The source as units in order (see the module docstring)."""
    lines = text.split("\n")
    units: list[Unit] = []
    paragraph, prose = 0, []
    i = 0

    def lead_in() -> str:
        """The sentence before a structure when it introduces it ("… saves in three steps:", "use full
        sync:"): it belongs to the list, code block or table, which answers nothing without it."""
        if units and not units[-1].block and units[-1].text.rstrip().endswith(":"):
            return units.pop().text + "\n"
        return ""

    def flush_prose() -> None:
        nonlocal paragraph, prose
        if prose:
            sentences = split_sentences(" ".join(line.strip() for line in prose))
            units.extend(Unit(s, False, paragraph) for s in sentences)
            paragraph += 1
            prose = []

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush_prose()
            i += 1
        elif _FENCE.match(line):
            flush_prose()
            end = i + 1
            while end < len(lines) and not _FENCE.match(lines[end]):
                end += 1
            units.append(Unit(lead_in() + "\n".join(lines[i : end + 1]).strip(), True, paragraph))
            paragraph += 1
            i = end + 1
        elif _LIST_ITEM.match(line):
            flush_prose()
            lead = lead_in()
            end = i + 1
            while end < len(lines) and (lines[end].strip() and (
                    _LIST_ITEM.match(lines[end]) or lines[end].startswith((" ", "\t")))
                    or _loose_list_continues(lines, end)):
                end += 1
            units.append(Unit(lead + "\n".join(lines[i:end]).strip(), True, paragraph))
            paragraph += 1
            i = end
        elif _TABLE_ROW.match(line):
            flush_prose()
            end = i
            while end < len(lines) and _TABLE_ROW.match(lines[end]):
                end += 1
            rows = lines[i:end]
            header_lines = rows[:2] if len(rows) > 1 and _TABLE_RULE.match(rows[1]) else []
            body = rows[len(header_lines):] or rows
            header = lead_in() + "\n".join(h.strip() for h in header_lines)
            units.extend(Unit(row.strip(), True, paragraph, header) for row in body)
            paragraph += 1
            i = end
        elif _HEADING.match(line):
            flush_prose()
            units.append(Unit(line.strip(), True, paragraph))
            paragraph += 1
            i += 1
        else:
            prose.append(line)
            i += 1
    flush_prose()
    return units


def _loose_list_continues(lines: list[str], i: int) -> bool:
    """A blank line at ``i`` inside a list whose items are separated by blank lines (a "loose" list)."""
    return not lines[i].strip() and i + 1 < len(lines) and bool(_LIST_ITEM.match(lines[i + 1]))


def _list_items(text: str) -> list[str]:
    """The items of a Markdown list unit (none for other units or a one-item list)."""
    items: list[str] = []
    for line in text.split("\n"):
        if _LIST_ITEM.match(line):
            items.append(line.strip())
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + line.strip()
    return items if len(items) > 1 else []


def join_units(units: Sequence[Unit], kept: Sequence[int]) -> str:
    """The kept units in order, with "…" for gaps, line breaks around structures, table headers once."""
    parts: list[str] = ["…"] if kept and kept[0] > 0 else []
    shown_headers: set[str] = set()
    previous: int | None = None
    for i in kept:
        unit = units[i]
        if previous is not None and i != previous + 1:
            parts.append("…")
        text = unit.text
        if unit.header and unit.header not in shown_headers:
            shown_headers.add(unit.header)
            text = f"{unit.header}\n{text}"
        same_paragraph = (previous is not None and i == previous + 1 and not unit.block
                          and not units[previous].block and units[previous].paragraph == unit.paragraph)
        if same_paragraph:
            parts[-1] = f"{parts[-1]} {text}"
        else:
            parts.append(text)
        previous = i
    if kept and kept[-1] < len(units) - 1:
        parts.append("…")
    return "\n".join(parts)


class SourceFocus:
    """Shorten sources to their units most relevant to a question (see the module docstring)."""

    def __init__(self, embedder: Embedder, max_tokens: int = 64) -> None:
        if max_tokens < 8:
            raise ConfigError(f"focus_tokens must be 0 (off) or at least 8 (got {max_tokens})")
        self.embedder = embedder
        self.count_tokens = embedder.count_tokens  # the embedder's tokens: a cap, not the exact prompt budget
        self.max_tokens = max_tokens

    def __call__(self, question: str, chunks: Sequence[ScoredChunk]) -> list[ScoredChunk]:
        return [self.focus_one(question, chunk) for chunk in chunks]

    def focus_one(self, question: str, chunk: ScoredChunk) -> ScoredChunk:
        text = chunk.chunk.text
        if self.count_tokens(text) <= self.max_tokens:
            return chunk
        units = split_units(text)
        if len(units) <= 1:
            return chunk  # one long unit: nothing to choose between; budgeting handles the rest
        kept = sorted(self._select(question, units))
        return replace(chunk, chunk=replace(chunk.chunk, text=join_units(units, kept)))

    def _select(self, question: str, units: list[Unit]) -> set[int]:
        texts = [f"{u.header}\n{u.text}" if u.header else u.text for u in units]
        # A list is as relevant as its best item: one item defining the term asked about must not be
        # diluted by its siblings (the whole list still goes in, or nothing of it).
        parts = [(i, t) for i, t in enumerate(texts)] + [
            (i, item) for i, u in enumerate(units) if u.block for item in _list_items(u.text)]
        vectors = self.embedder.embed_documents([t for _, t in parts])
        query = np.asarray(self.embedder.embed_query(question), dtype=np.float32)
        cosines = np.full(len(units), -1.0)
        for (i, _), cosine in zip(parts, vectors @ query, strict=True):
            cosines[i] = max(cosines[i], float(cosine))
        wanted = content_words(question)
        overlap = np.array([len(wanted & content_words(t)) / max(1, len(wanted)) for t in texts])
        scores = cosines + overlap
        best = int(np.argmax(scores))
        for i in (best - 1, best + 1):  # the sentence next to the best one often holds its reason or detail
            if 0 <= i < len(units) and not units[i].block and units[i].paragraph == units[best].paragraph:
                scores[i] += NEIGHBOUR_BONUS
        headings = [i for i, u in enumerate(units) if _HEADING.match(u.text)]
        for i in headings:  # a heading alone answers nothing; it may ride along with its section
            scores[i] = min(scores[i], RELATIVE_FLOOR * float(scores.max()))
        order = np.argsort(-scores).tolist()
        floor = RELATIVE_FLOOR * scores[order[0]]
        kept = {order[0]}
        used = self.count_tokens(texts[order[0]]) + 1
        if asks_for_reason(question):  # the reason sits around the statement: "… blurry average …, therefore"
            paragraph = _paragraph(units, order[0])
            cost = sum(self.count_tokens(texts[i]) + 1 for i in paragraph)
            if cost <= REASON_CAP * self.max_tokens:
                kept.update(paragraph)
                used = max(used, cost)
        spare = SHORT_UNIT
        for i in order[1:]:
            if i in kept:
                continue
            if scores[i] < floor:
                break  # filler (stray links, numbers) costs prompt time and distracts a small model
            cost = self.count_tokens(texts[i]) + 1
            if used + cost <= self.max_tokens:  # else a shorter, lower-scored unit may still fit
                kept.add(i)
                used += cost
            elif cost <= spare:  # "Start with flat." after a list that filled the cap on its own
                kept.add(i)
                spare = 0
        if _HEADING.match(units[0].text):
            kept.add(0)  # the section's own heading ("## Atomic saves") tells the model what the passage is about
        structures = [i for i in order if units[i].block and not _HEADING.match(units[i].text)]
        if structures and not kept & set(structures) and scores[structures[0]] >= STRUCTURE_SHARE * scores[order[0]]:
            kept.add(structures[0])  # "which files …?" is answered by the list, however long
        if asks_for_list(question):
            kept |= _introduced_list(units, order[0])
        return kept


def _introduced_list(units: Sequence[Unit], best: int) -> set[int]:
    """The list right after the best unit (at most one unit between), for a question that asks for several
    things: "ragloom comes with prompts for several tasks." is the best match for "Which tasks …?", but the
    tasks are the items below it, which share few words with the question ("Summarisation", "Translation")."""
    for i in range(best + 1, min(best + 3, len(units))):
        if _list_items(units[i].text):
            return {i}
        if units[i].block:
            break  # another structure or a heading comes first: the list (if any) is about something else
    return set()


def _paragraph(units: Sequence[Unit], best: int) -> list[int]:
    """The prose units of ``best``'s paragraph, in order."""
    return [i for i, u in enumerate(units) if not u.block and u.paragraph == units[best].paragraph]
