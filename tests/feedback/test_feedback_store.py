"""The feedback store: one record per answer, updates replace, all-or-nothing writes, survives re-ingest,
never stores a registered secret."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from feedback_kit import DOCUMENTS, ScriptedGenerator

from rag.core.errors import ConfigError, RagloomError
from rag.core.secrets import register_secret
from rag.core.types import Document
from rag.feedback import FEEDBACK_FILE, FeedbackRecord, FeedbackStore, text_sha256

QUESTION = "When was the Harrow Point lighthouse built?"


def test_answer_carries_what_feedback_needs(rag) -> None:
    answer = rag.ask(QUESTION, k=2)
    other = rag.ask(QUESTION, k=2)
    assert len(answer.id) == 32 and answer.id != other.id  # one id per answer
    assert answer.question == QUESTION and answer.history == ()
    assert answer.settings["model"] == "scripted" and answer.settings["k"] == 2
    assert answer.settings["style"] == "full" and answer.settings["sampling"]["greedy"] is True
    data = answer.to_dict()
    assert data["id"] == answer.id and data["question"] == QUESTION and "settings" in data


def test_rating_then_correction_updates_one_record(rag, index: Path) -> None:
    answer = rag.ask(QUESTION, k=2)
    first = rag.feedback(answer, rating="down")
    assert first == answer.id
    again = rag.feedback(first, correction="  1871  ", relevant=[1], irrelevant=[2])
    assert again == first
    [record] = FeedbackStore(index).list()
    assert record.rating == "down" and record.correction == "1871"  # the rating was kept
    assert [s.relevant for s in record.sources] == [True, False]
    assert record.sources[0].chunk_id == answer.sources[0].chunk.id
    assert record.sources[0].text_sha256 == text_sha256(answer.sources[0].chunk.text)
    assert record.cited == (1,) and record.answer == answer.text and record.settings == answer.settings
    rag.feedback(answer, rating="up", correction="", unmark=[2])  # the Answer again: still the same record
    [record] = FeedbackStore(index).list()
    assert (record.rating, record.correction, [s.relevant for s in record.sources]) == ("up", None, [True, None])
    assert record.created_at <= record.updated_at
    assert (index / FEEDBACK_FILE).is_file()


def test_follow_up_keeps_question_history_and_rewritten_query(index: Path, embedder) -> None:
    from rag.api import RAG

    with RAG(index, embedder=embedder, generator=ScriptedGenerator("Who built the Harrow Point lighthouse?")) as rag:
        history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "In 1871 [1]."}]
        answer = rag.chat([*history, {"role": "user", "content": "Who built it?"}], k=1)
        rag.feedback(answer, rating="up")
    [record] = FeedbackStore(index).list()
    assert record.question == "Who built it?" and record.history == tuple(history)
    assert record.query != record.question  # the standalone query retrieval used


@pytest.mark.parametrize("changes, message", [
    ({"rating": "meh"}, "rating must be one of up, down, none"),
    ({"relevant": [3]}, "not a source number of this answer (1..2)"),
    ({"relevant": [1], "irrelevant": [1]}, "source 1 is given two different marks"),
])
def test_bad_feedback_is_refused_and_nothing_stored(rag, index: Path, changes: dict, message: str) -> None:
    answer = rag.ask(QUESTION, k=2)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        rag.feedback(answer, **changes)
    assert FeedbackStore(index).list() == []


def test_unknown_id_and_ambiguous_prefix(rag, index: Path) -> None:
    with pytest.raises(RagloomError, match="no feedback 'abcdef123' in"):
        rag.feedback("abcdef123", rating="up")
    store = FeedbackStore(index)
    base = FeedbackRecord.from_answer(rag.ask(QUESTION, k=1))
    from dataclasses import replace

    store.save(replace(base, id="abcdef01" + "0" * 24))
    store.save(replace(base, id="abcdef02" + "0" * 24))
    with pytest.raises(RagloomError, match="ambiguous"):
        store.resolve("abcdef")
    assert store.resolve("abcdef01").id.startswith("abcdef01")


def test_failed_change_leaves_the_record_as_it_was(rag, index: Path) -> None:
    answer = rag.ask(QUESTION, k=2)
    rag.feedback(answer, rating="down", correction="1871")
    store = FeedbackStore(index)
    before = store.get(answer.id)

    def half_done(current: FeedbackRecord | None) -> FeedbackRecord:
        raise RuntimeError("crashed while building the new record")

    with pytest.raises(RuntimeError):
        store.update(answer.id, half_done)
    assert store.get(answer.id) == before
    rag.feedback(answer, rating="up")  # the store is not left locked
    assert store.get(answer.id).rating == "up"


# The child writes one record and is SIGKILLed when SQLite is about to commit it.
CHILD = textwrap.dedent("""
    import os, signal, sqlite3, sys, json
    from rag.feedback import FeedbackRecord, FeedbackStore, record_feedback

    real_connect = sqlite3.connect
    def connect(*args, **kwargs):
        db = real_connect(*args, **kwargs)
        db.set_trace_callback(lambda sql: os.kill(os.getpid(), signal.SIGKILL) if sql.startswith("COMMIT") else None)
        return db
    sqlite3.connect = connect
    answer = json.loads(sys.argv[2])
    answer["text"] = "x" * 200_000  # a record spanning many pages
    record_feedback(FeedbackStore(sys.argv[1]), answer, rating="up", correction="a new correction", relevant=[1])
""")


@pytest.mark.parametrize("existing", [False, True])
def test_killed_write_leaves_no_half_record(rag, index: Path, existing: bool) -> None:
    import json

    answer = rag.ask(QUESTION, k=2)
    store = FeedbackStore(index)
    if existing:
        rag.feedback(answer, rating="down", irrelevant=[2])
    before = store.get(answer.id)
    child = subprocess.run([sys.executable, "-c", CHILD, str(index), json.dumps(answer.to_dict())],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -9, child.stderr[-2000:]
    assert store.get(answer.id) == before  # the old record whole, or none at all
    db = sqlite3.connect(index / FEEDBACK_FILE)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    rag.feedback(answer, rating="up")  # and the next write works
    assert store.get(answer.id).rating == "up"


def test_feedback_survives_reingest_and_index_changes(rag, index: Path) -> None:
    answer = rag.ask(QUESTION, k=2)
    rag.feedback(answer, rating="down", correction="1871", relevant=[1])
    rag.ingest([Document("lighthouse", DOCUMENTS[0].text + " It was automated in 1990.", DOCUMENTS[0].metadata),
                *DOCUMENTS[1:]], sync="full")
    rag.delete("bakery")
    [record] = FeedbackStore(index).list()
    assert record.id == answer.id and record.correction == "1871"


def test_no_secret_reaches_the_file(rag, index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-feedback-test-7Q4mZp2xL9"
    register_secret(secret)  # what a backend does with an API key it read from the environment
    history = [{"role": "user", "content": f"my key is {secret}"}, {"role": "assistant", "content": "Noted."}]
    answer = rag.chat([*history, {"role": "user", "content": f"{QUESTION} ({secret})"}], k=1)
    data = answer.to_dict()
    data["settings"] = {**data["settings"], "model": "http://alice:hunter2pass@127.0.0.1:8080/v1",
                        "headers": {"Authorization": f"Bearer {secret}"}}
    rag.feedback(data, rating="down", correction=f"not {secret}")
    record = FeedbackStore(index).get(answer.id)
    assert secret not in repr(record) and "hunter2pass" not in repr(record)
    assert record.settings["model"] == "http://***@127.0.0.1:8080/v1"
    for path in index.glob(f"{FEEDBACK_FILE}*"):  # the database, its WAL and shared-memory files
        raw = path.read_bytes()
        assert secret.encode() not in raw and b"hunter2pass" not in raw, path


def test_store_errors_are_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    folder.mkdir()
    (folder / FEEDBACK_FILE).write_bytes(b"this is not a database, just some bytes " * 100)
    with pytest.raises(RagloomError, match="feedback store .* is damaged"):
        FeedbackStore(folder).list()
    assert FeedbackStore(tmp_path / "nowhere").list() == []  # nothing recorded yet: nothing to list


def test_concurrent_updates_lose_nothing(rag, index: Path) -> None:
    """The UI's threads, the CLI and the library may write one record at once: every change survives."""
    from concurrent.futures import ThreadPoolExecutor

    answer = rag.ask(QUESTION, k=3)
    rag.feedback(answer, rating="down")
    store = FeedbackStore(index)
    changes = [{"relevant": [1]}, {"irrelevant": [2]}, {"relevant": [3]}, {"correction": "1871"}] * 3
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda change: rag.feedback(answer.id, **change), changes))
    record = store.get(answer.id)
    assert [s.relevant for s in record.sources] == [True, False, True] and record.correction == "1871"
    assert len(store.list()) == 1
