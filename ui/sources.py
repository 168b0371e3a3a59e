"""The numbered sources under an answer, matching the ``[n]`` citations in its text.

Each source shows its document, page or section, cosine score and the chunk with the passage that
best matches the answer highlighted; a toggle shows the whole chunk. A refused answer says plainly
that the documents hold nothing relevant.
"""

from __future__ import annotations

import re

import streamlit as st

from rag import Answer, ScoredChunk, source_title, strip_citations
from ui.feedback import render_source_mark
from ui.page_view import render_page_view

_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
_WORD = re.compile(r"\w{3,}")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$:])")
_EXCERPT = 600  # characters shown around the highlighted passage before "whole chunk"


def cosine_of(chunk: ScoredChunk) -> float:
    """The chunk's cosine similarity to the query: ``cosine`` when retrieval ranked by another score
    (hybrid or keyword), else ``score``, which dense retrieval makes the cosine."""
    cosine = getattr(chunk, "cosine", None)
    return float(chunk.score if cosine is None else cosine)


def render_refusal(answer: Answer) -> None:
    st.warning("Nothing in the documents answers this, so no answer was made up. "
               "Try rephrasing, lowering the minimum score, or adding documents.", icon="🔎")


def render_grounding(answer: Answer) -> None:
    """Name the answer sentences that the sources they cite do not support (``Answer.claims``)."""
    weak = [c for c in answer.claims if not c.supported]
    if not weak or answer.refused:
        return
    lines = "\n".join(f"- “{escape_markdown(c.text)}” ({_cited(c.citations)}; support {c.support:.2f})"
                      for c in weak)
    st.warning(f"{len(weak)} of {len(answer.claims)} sentences are not supported by the sources they cite; "
               f"check them before relying on them:\n{lines}", icon=":material/report:")


def _cited(numbers: tuple[int, ...]) -> str:
    return ", ".join(f"[{n}]" for n in numbers) or "no citation"


def location(chunk: ScoredChunk) -> str:
    """Where in the document: page, section, row or record, when the connector recorded it."""
    meta = chunk.chunk.metadata
    for key, label in (("page", "page"), ("section", "section"), ("row", "row"), ("record", "record")):
        if meta.get(key) not in (None, ""):
            return f"{label} {meta[key]}"
    return ""


def best_passage(text: str, answer_text: str) -> tuple[int, int]:
    """Character span of the sentence sharing most words with the answer ((0, 0) when none shares any)."""
    wanted = {w.lower() for w in _WORD.findall(strip_citations(answer_text))}
    best, span = 0, (0, 0)
    for match in _SENTENCE.finditer(text):
        overlap = len(wanted & {w.lower() for w in _WORD.findall(match.group())})
        if overlap > best:
            best, span = overlap, (match.start(), match.end())
    return span


def escape_markdown(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def highlighted_excerpt(text: str, answer_text: str) -> str:
    """Markdown of the chunk (shortened around the passage) with the best-matching passage highlighted."""
    start, end = best_passage(text, answer_text)
    lo = max(0, start - _EXCERPT // 2) if end else 0
    hi = min(len(text), max(end + _EXCERPT // 2, lo + _EXCERPT))
    before, passage, after = text[lo:start] if end else "", text[start:end] if end else "", text[max(lo, end):hi]
    parts = ["…" if lo else "", escape_markdown(before)]
    if passage.strip():
        parts.append(f":orange-background[{escape_markdown(passage.strip())}] ")
    parts += [escape_markdown(after), "…" if hi < len(text) else ""]
    return "".join(parts).replace("\n", "  \n")


def render_sources(answer: Answer, key: str) -> None:
    if not answer.sources:
        st.caption("No sources were used.")
        return
    cited = {c.number for c in answer.citations}
    for number, source in enumerate(answer.sources, start=1):
        where = location(source)
        mark = " · **cited**" if number in cited else ""
        label = (f"[{number}] {escape_markdown(source_title(source))}" + (f" · {where}" if where else "")
                 + f" · cosine {cosine_of(source):.3f}{mark}")
        with st.expander(label, expanded=number == min(cited, default=0)):
            meta = source.chunk.metadata
            origin = meta.get("source") or meta.get("url") or source.chunk.document_id
            st.caption(f"`{origin}` · rank {source.rank} · chunk {source.chunk.id}")
            render_source_mark(answer, number, key)
            st.markdown(highlighted_excerpt(source.chunk.text, answer.text))
            render_page_view(number, source, key)  # the rendered PDF page, or the passage in context
            if st.toggle("Show the whole chunk", key=f"{key}_whole_{number}"):
                st.code(source.chunk.text, language=None, wrap_lines=True)
    if answer.dropped:
        st.caption(f"{len(answer.dropped)} more retrieved chunk(s) did not fit the model's context window.")
