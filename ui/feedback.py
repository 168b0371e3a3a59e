"""Feedback under each answer: thumbs up / down, a correction, and "relevant / not relevant" per source.

Every click is saved at once through ``RAG.feedback`` into the index folder's feedback store (one
record per answer, keyed by the answer's id, so changing a thumb or a correction updates it). A
caption under the thumbs says what is stored, read back from the store; a failure shows as one
line. ``ragloom eval export --feedback`` turns the records into an evaluation set.

Widget keys are ``fb-<turn>-<answer id>-…``: unique per answer even after the conversation is
cleared and turn numbers start again.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from rag import RAG, Answer
from ui.errors import readable
from ui.index_panel import current_index_path
from ui.resources import open_index

_INDEXES = "fb-indexes"  # session: answer id -> the index folder it was answered from
_ERRORS = "fb-errors"  # session: answer id -> the last save failure
THUMBS = {1: "up", 0: "down"}
MARKS = ("relevant", "not relevant")
CORRECTION_HELP = ("State the right answer briefly, e.g. “1871” or “two years”: the evaluation set made from "
                   "feedback checks that later answers contain it.")


def widget_key(answer: Answer, key: str) -> str:
    return f"fb-{key}-{answer.id[:12]}"


def _rag_for(answer: Answer) -> RAG:
    """The index this answer came from: the current one when it is first shown (just after answering)."""
    indexes: dict[str, str] = st.session_state.setdefault(_INDEXES, {})
    return open_index(indexes.setdefault(answer.id, current_index_path()))


def _save(answer: Answer, **changes: Any) -> None:
    errors: dict[str, str] = st.session_state.setdefault(_ERRORS, {})
    try:
        _rag_for(answer).feedback(answer, **changes)
        errors.pop(answer.id, None)
    except Exception as exc:
        errors[answer.id] = readable(exc, "save the feedback")


def _on_thumb(answer: Answer, wkey: str) -> None:
    _save(answer, rating=THUMBS.get(st.session_state.get(f"{wkey}-rating"), "none"))


def _on_correction(answer: Answer, wkey: str) -> None:
    _save(answer, correction=st.session_state.get(f"{wkey}-correction") or "")


def _on_mark(answer: Answer, number: int, wkey: str) -> None:
    mark = st.session_state.get(f"{wkey}-src{number}")
    if mark == "relevant":
        _save(answer, relevant=[number])
    elif mark == "not relevant":
        _save(answer, irrelevant=[number])
    else:
        _save(answer, unmark=[number])


def render_feedback(answer: Answer, key: str) -> None:
    """Thumbs, the correction box (after a thumbs-down, or once a correction exists) and what is saved."""
    wkey = widget_key(answer, key)
    stored = _stored(answer)
    label, thumbs = st.columns([3, 2], vertical_alignment="center")
    label.caption("Was this answer right? Your feedback is kept with the index and can become an evaluation set.")
    with thumbs:
        rating = st.feedback("thumbs", key=f"{wkey}-rating", on_change=_on_thumb, args=(answer, wkey))
    if rating == 0 or (stored is not None and stored.correction):
        if f"{wkey}-correction" not in st.session_state and stored is not None and stored.correction:
            st.session_state[f"{wkey}-correction"] = stored.correction
        st.text_input("The right answer is …", key=f"{wkey}-correction", help=CORRECTION_HELP,
                      placeholder="the right answer, briefly", on_change=_on_correction, args=(answer, wkey))
        st.button("Save correction", key=f"{wkey}-save", on_click=_on_correction, args=(answer, wkey),
                  icon=":material/edit_note:")
    if error := st.session_state.get(_ERRORS, {}).get(answer.id):
        st.error(error)
    elif stored is not None:
        st.caption(f":material/check_circle: Feedback saved: {saved_summary(stored)}. Change it any time above.")


def render_source_mark(answer: Answer, number: int, key: str) -> None:
    """"Relevant / not relevant" for source ``number`` of the answer (click the chosen one again to clear)."""
    wkey = widget_key(answer, key)
    st.segmented_control("Was this source relevant to the question?", MARKS, key=f"{wkey}-src{number}",
                         on_change=_on_mark, args=(answer, number, wkey))


def saved_summary(record: Any) -> str:
    """What is stored, in words: the rating, the correction, the marked sources."""
    parts = [{"up": "rated right", "down": "rated wrong"}.get(record.rating, "not rated")]
    if record.correction:
        parts.append(f"correction “{record.correction}”")
    good = [s.number for s in record.sources if s.relevant]
    bad = [s.number for s in record.sources if s.relevant is False]
    if good:
        parts.append("relevant: " + ", ".join(f"[{n}]" for n in good))
    if bad:
        parts.append("not relevant: " + ", ".join(f"[{n}]" for n in bad))
    return " · ".join(parts)


def _stored(answer: Answer) -> Any:
    try:
        return _rag_for(answer).feedback_store.get(answer.id)
    except Exception as exc:
        st.session_state.setdefault(_ERRORS, {})[answer.id] = readable(exc, "read the saved feedback")
        return None
