"""Feedback in the chat (``ui/feedback.py``) through ``AppTest``: real index, real embedder, SmolLM2.

Thumbs, the correction box and the per-source marks must reach the index folder's feedback store
(read back with ``RAG.feedback_store``), say so on the page, and update one record when changed.
"""

from __future__ import annotations

from pathlib import Path

from test_ui_app import ask, quick, start
from ui_testkit import RecordingGenerator

from rag.api import RAG


def _stored(index: Path) -> list:
    return RAG(index).feedback_store.list()


def _by_key(widgets: object, part: str) -> object:
    found = [w for w in widgets if part in (w.key or "")]  # type: ignore[attr-defined]
    assert len(found) == 1, [w.key for w in widgets]  # type: ignore[attr-defined]
    return found[0]


def test_thumbs_correction_and_source_marks_are_saved_and_changeable(index_copy: Path,
                                                                      recording: RecordingGenerator) -> None:
    at = start(index_copy, recording)
    quick(at, max_new_tokens=16)
    ask(at, "When was the Harrow Point lighthouse built?")
    answer = at.session_state["messages"][1]["answer"]
    assert _stored(index_copy) == []  # nothing is stored before the user says something
    assert not [t for t in at.text_input if "-correction" in (t.key or "")]  # the box comes with a thumbs-down

    at.feedback[0].set_value(0).run()  # thumbs down
    assert not at.exception, at.exception
    [record] = _stored(index_copy)
    assert (record.id, record.rating, record.question) == (answer.id, "down",
                                                           "When was the Harrow Point lighthouse built?")
    assert any("Feedback saved: rated wrong" in c.value for c in at.caption)

    _by_key(at.text_input, "-correction").set_value("1871")
    _by_key(at.button, "-save").click().run()
    assert not at.exception, at.exception
    _by_key(at.segmented_control, "-src1").set_value("relevant").run()
    assert not at.exception, at.exception
    [record] = _stored(index_copy)
    assert record.correction == "1871" and record.rating == "down"
    assert record.sources[0].relevant is True and record.sources[0].chunk_id == answer.sources[0].chunk.id
    assert any("correction “1871”" in c.value and "relevant: [1]" in c.value for c in at.caption)

    at.feedback[0].set_value(1).run()  # changed my mind: thumbs up, still one record
    _by_key(at.segmented_control, "-src1").set_value(None).run()  # and the mark cleared
    assert not at.exception, at.exception
    [record] = _stored(index_copy)
    assert record.rating == "up" and record.correction == "1871" and record.sources[0].relevant is None
