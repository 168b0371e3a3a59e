"""The conversation: history per session, a streamed answer per question, clear and download.

Follow-ups go through ``RAG.stream_chat`` with the recent history, which rewrites them into standalone
retrieval queries. Every failure becomes an ``st.error`` in the conversation, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import streamlit as st

from rag import RAG, Answer, AskOptions, Generator, Message
from ui.charts import embedding_scatter, score_bars
from ui.errors import readable
from ui.explain_view import render_explain
from ui.export import conversation_json, conversation_markdown
from ui.feedback import render_feedback
from ui.projection import embedding_points
from ui.prompt_view import render_prompt
from ui.resources import Warmup
from ui.sources import render_grounding, render_refusal, render_sources

log = logging.getLogger("ragloom.ui")
HISTORY_KEY = "messages"  # session: list of turns {"role", "content", "answer"?, "error"?, "points"?, ...}
_HISTORY_MESSAGES = 12  # older turns rarely matter for a follow-up and cost prompt tokens every time


def turns() -> list[dict[str, Any]]:
    return st.session_state.setdefault(HISTORY_KEY, [])


def _clear() -> None:
    st.session_state[HISTORY_KEY] = []


def render_toolbar(index_path: str) -> None:
    """Clear the conversation; download it as Markdown or JSON (with sources)."""
    history = turns()
    clear, markdown, as_json = st.columns([1, 1, 1])
    clear.button("Clear conversation", key="chat_clear", on_click=_clear, disabled=not history,
                 width="stretch", icon=":material/delete:")
    markdown.download_button("Download Markdown", conversation_markdown(history, index_path),
                             file_name="ragloom-conversation.md", mime="text/markdown", key="chat_download_md",
                             disabled=not history, width="stretch", icon=":material/download:")
    as_json.download_button("Download JSON", conversation_json(history, index_path),
                            file_name="ragloom-conversation.json", mime="application/json",
                            key="chat_download_json", disabled=not history, width="stretch",
                            icon=":material/data_object:")


def render_history() -> None:
    for i, turn in enumerate(turns()):
        with st.chat_message(turn["role"]):
            if turn.get("error"):
                st.error(turn["error"])
            else:
                st.markdown(turn["content"])
            if turn.get("answer") is not None:
                render_details(turn, key=f"turn{i}")


def render_details(turn: dict[str, Any], key: str) -> None:
    """Refusal notice, timings, then tabs: numbered sources, score bars, embedding space, the prompt."""
    answer: Answer = turn["answer"]
    if answer.refused:
        render_refusal(answer)
    render_grounding(answer)
    t = answer.timings
    speed = f" · {t.tokens_per_second:.1f} tokens/s" if t.tokens_per_second else ""
    st.caption(f"{len(answer.sources)} sources · retrieval {t.retrieve_seconds:.2f} s · first token "
               f"{t.first_token_seconds:.1f} s · total {t.total_seconds:.1f} s{speed} · task {answer.task}")
    sources, scores, space, prompt, explain = st.tabs([f"Sources ({len(answer.sources)})", "Scores",
                                                       "Embedding space", "Prompt", "Explain"])
    with sources:
        render_sources(answer, key)
    with scores:
        score_bars(answer, key)
    with space:
        embedding_scatter(turn.get("points") or [], key)
    with prompt:
        render_prompt(answer, turn.get("context_window"))
    with explain:
        render_explain(answer, key)
    for note in answer.notes:
        st.caption(f"Note: {note}")
    render_feedback(answer, key)


def answer_turn(question: str, rag: RAG | None, generator: Generator | None, warmup: Warmup | None,
                options: AskOptions | None, problem: str | None) -> None:
    """Show the question, stream the answer into the page, then its sources; store both in the history."""
    history = _history()
    turns().append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        if problem is None and (rag is None or generator is None or options is None):
            problem = "Could not answer: no index or no language model is available (see the sidebar)."
        if problem is None and warmup is not None and not warmup.done:
            with st.spinner("Loading the language model (first question only)…"):
                warmup.wait()
        if problem is None and warmup is not None and warmup.error:
            problem = warmup.error
        if problem is not None:
            _fail(problem)
            return
        assert rag is not None and generator is not None and options is not None
        holder: dict[str, Answer] = {}
        try:
            view = rag.with_generator(generator)
            shown = st.empty()
            with shown:
                streamed = st.write_stream(_pieces(view.stream_chat([*history, {"role": "user", "content": question}],
                                                                    options), holder))
        except Exception as exc:
            _fail(readable(exc, "answer"))
            return
        if "answer" not in holder:
            _fail("Could not answer: the model stopped without finishing its answer.")
            return
        if holder["answer"].text != streamed:  # the grounding check corrected or added a citation number
            shown.markdown(holder["answer"].text)
        turn = _answer_turn(holder["answer"], rag, generator)
        key = f"turn{len(turns())}"
        # Kept before drawing the details: a question sent meanwhile reruns the script and would lose it.
        turns().append(turn)
        render_details(turn, key=key)


def _history() -> list[Message]:
    """Answered turns only: a question whose answer failed is left out with its error."""
    items, history = turns(), []
    for i, turn in enumerate(items):
        failed = turn.get("error") or (i + 1 < len(items) and items[i + 1].get("error"))
        if not failed:
            history.append(Message(role=turn["role"], content=turn["content"]))
    return history[-_HISTORY_MESSAGES:]


def _pieces(stream: Iterator[str | Answer], holder: dict[str, Answer]) -> Iterator[str]:
    """Text pieces for ``st.write_stream``; the final ``Answer`` is kept aside."""
    for item in stream:
        if isinstance(item, Answer):
            holder["answer"] = item
        else:
            yield item


def _answer_turn(answer: Answer, rag: RAG, generator: Generator) -> dict[str, Any]:
    # Computed once per answer and kept, so later reruns redraw without touching the index or model.
    try:
        points = embedding_points(rag, answer)
    except Exception:
        log.exception("embedding view failed")
        points = []
    try:
        window: int | None = generator.context_window if answer.messages else None
    except Exception:
        window = None
    return {"role": "assistant", "content": answer.text, "answer": answer, "points": points,
            "context_window": window}


def _fail(message: str) -> None:
    st.error(message)
    turns().append({"role": "assistant", "content": "", "error": message})
