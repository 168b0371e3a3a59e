"""The chat app driven through Streamlit's ``AppTest``: real index, real embedder, real (tiny) model.

The model reaches the app through the documented hook ``st.session_state["ragloom_generator"]``;
the index through ``st.session_state["ragloom_index"]``. Nothing inside the app is patched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from ui_testkit import APP, APP_TIMEOUT, RecordingGenerator

from rag.api import RAG
from rag.core.sampling import SamplingParams


def start(index: Path | None, generator: RecordingGenerator | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    if index is not None:
        at.session_state["ragloom_index"] = str(index)
    if generator is not None:
        at.session_state["ragloom_generator"] = generator
    at.run()
    assert not at.exception, at.exception
    return at


def quick(at: AppTest, max_new_tokens: int = 24) -> None:
    """Short answers and zero-shot prompts: the tests check plumbing, not eloquence."""
    at.number_input(key="ctl_max_new_tokens").set_value(max_new_tokens)
    at.radio(key="ctl_shots").set_value("zero-shot")
    at.run()


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_starts_on_a_fresh_index_and_explains_what_to_do(tmp_path: Path, recording: RecordingGenerator) -> None:
    at = start(tmp_path / "new-index", recording)
    assert len(at.chat_input) == 1
    assert any("index is empty" in i.value for i in at.info)
    assert {m.label: m.value for m in at.sidebar.metric}["Documents"] == "0"
    ask(at, "What is in here?")
    assert any("ingest some documents first" in e for e in errors(at)), errors(at)
    assert recording.calls == []  # nothing to ground on: the model is never called


def test_question_gets_a_streamed_answer_with_numbered_sources(index_copy: Path,
                                                               recording: RecordingGenerator) -> None:
    at = start(index_copy, recording)
    at.sidebar.slider(key="ctl_k").set_value(2)  # leaves one chunk out, to appear as "other" in the picture
    quick(at)
    ask(at, "When was the Harrow Point lighthouse built?")
    assert [call for call, _ in recording.calls] == ["stream"]  # streamed, not generated whole
    assistant = [m for m in at.chat_message if m.name == "assistant"]
    assert assistant and assistant[-1].markdown[0].value.strip()
    labels = [e.label for e in at.main.expander]
    assert labels[0].startswith("[1] The Harrow Point lighthouse") and "cosine" in labels[0], labels
    assert all(label.startswith(f"[{n}]") for n, label in enumerate(labels, start=1))
    assert any("1871" in md.value for md in at.main.markdown)  # the chunk text is shown under its source
    assert [t.label for t in at.main.tabs][:4] == ["Sources (2)", "Scores", "Embedding space", "Prompt"]
    assert len(at.session_state["messages"]) == 2
    answer = at.session_state["messages"][1]["answer"]
    assert answer.messages and answer.sources[0].chunk.metadata["title"] == "The Harrow Point lighthouse"
    points = at.session_state["messages"][1]["points"]
    assert {p["role"] for p in points} >= {"query", "other chunk"} and len(points) == 1 + 2 + 1
    assert all({"x", "y", "label", "cosine", "text"} <= set(p) for p in points)

    # A follow-up goes through the chat history: it is searched with the previous question carried in
    # (no extra model call), and the answer prompt holds the conversation.
    ask(at, "Who built it?")
    assert [call for call, _ in recording.calls] == ["stream", "stream"]
    assert len(at.session_state["messages"]) == 4
    follow_up = at.session_state["messages"][3]["answer"]
    assert follow_up.query == "Who built it, in the context of: When was the Harrow Point lighthouse built?"
    assert follow_up.sources[0].chunk.metadata["title"] == "The Harrow Point lighthouse"
    at.button(key="chat_clear").click().run()
    assert at.session_state["messages"] == []


def test_an_unanswerable_question_is_refused_plainly(index_copy: Path, recording: RecordingGenerator) -> None:
    at = start(index_copy, recording)
    ask(at, "What is the capital of Mongolia?")
    assert any("Nothing in the documents answers this" in w.value for w in at.main.warning)
    assert at.session_state["messages"][1]["answer"].refused
    assert recording.calls == []  # refused before the model was asked: nothing invented


def test_control_values_survive_being_hidden(index_copy: Path, recording: RecordingGenerator) -> None:
    at = start(index_copy, recording)
    at.sidebar.selectbox(key="ctl_task").set_value("translate").run()
    at.sidebar.text_input(key="ctl_language").set_value("Italian").run()
    at.sidebar.selectbox(key="ctl_task").set_value("qa").run()
    at.sidebar.selectbox(key="ctl_task").set_value("translate").run()
    assert at.sidebar.text_input(key="ctl_language").value == "Italian"


def test_sampling_controls_reach_the_generator(index_copy: Path, recording: RecordingGenerator) -> None:
    at = start(index_copy, recording)
    quick(at, max_new_tokens=12)
    at.sidebar.toggle(key="ctl_greedy").set_value(False).run()
    at.sidebar.slider(key="ctl_temperature").set_value(1.3)
    at.sidebar.slider(key="ctl_top_k").set_value(7)
    at.sidebar.slider(key="ctl_top_p").set_value(0.8)
    at.sidebar.text_input(key="ctl_seed").set_value("5")
    at.run()
    ask(at, "What does Ostrander's bakery sell on Fridays?")
    (_, sampling), = recording.calls
    assert sampling == SamplingParams(greedy=False, temperature=1.3, top_k=7, top_p=0.8, max_new_tokens=12, seed=5)


def test_invalid_values_show_a_message_not_a_crash(index_copy: Path, recording: RecordingGenerator) -> None:
    at = start(index_copy, recording)
    at.sidebar.toggle(key="ctl_greedy").set_value(False).run()
    at.sidebar.slider(key="ctl_temperature").set_value(0.0).run()
    assert any("temperature must be > 0" in e.value for e in at.sidebar.error)
    ask(at, "When was the lighthouse built?")
    assert any("temperature must be > 0" in e for e in errors(at))
    assert recording.calls == []
    at.sidebar.text_input(key="ctl_seed").set_value("soon").run()
    assert any("seed must be a whole number" in e.value for e in at.sidebar.error)


def test_a_missing_model_path_shows_an_error_in_the_chat(index_copy: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # No host generator: the app builds its own from the model controls (defaults: the tiny bundled model).
    monkeypatch.setenv("RAGLOOM_MODEL", "smollm2-135m")
    monkeypatch.setenv("RAGLOOM_THREADS", "1")
    at = start(index_copy)
    missing = tmp_path / "no-such-model.gguf"
    at.sidebar.radio(key="ctl_model_source").set_value("Local file or folder").run()
    at.sidebar.text_input(key="ctl_model_path").set_value(str(missing)).run()
    assert any("does not exist" in w.value for w in at.sidebar.warning)
    ask(at, "When was the lighthouse built?")
    shown = errors(at)
    assert any(str(missing) in e and "neither a bundled model" in e for e in shown), shown
    assert not any("Traceback" in e for e in shown)


def test_a_server_that_is_down_shows_an_error_in_the_chat(index_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.cli.ui_command import free_port

    monkeypatch.setenv("RAGLOOM_BACKEND", "openai")
    monkeypatch.setenv("RAGLOOM_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")  # nothing listens there
    monkeypatch.setenv("RAGLOOM_MODEL", "some-model")
    monkeypatch.setenv("RAGLOOM_TEST_KEY", "sk-test-secret-value")
    at = start(index_copy)
    at.sidebar.text_input(key="ctl_api_key_env").set_value("RAGLOOM_TEST_KEY").run()
    assert any("found in `$RAGLOOM_TEST_KEY`" in c.value for c in at.sidebar.caption)
    ask(at, "When was the lighthouse built?")
    shown = errors(at)
    assert shown and all("Traceback" not in e for e in shown), shown
    page = " ".join([*shown, *(c.value for c in at.caption), *(m.value for m in at.markdown)])
    assert "sk-test-secret-value" not in page  # the key is never shown


def test_an_upload_is_ingested_searchable_and_deletable(index_copy: Path, recording: RecordingGenerator) -> None:
    at = start(index_copy, recording)
    fact = b"The zephyr kite festival is held in the town of Quorn every April."
    at.sidebar.file_uploader[0].set_value([("../../evil name!.txt", fact, "text/plain"),
                                           ("broken.pdf", b"this is not a pdf", "application/pdf")]).run()
    at.sidebar.button(key="doc_ingest").click().run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.sidebar.metric}
    assert metrics["Added"] == "1" and metrics["Documents"] == "4", metrics
    assert int(metrics["Skipped"]) + int(metrics["Failed"]) == 1
    assert any("broken.pdf" in w.value for w in at.sidebar.warning)  # the bad upload is reported, readably
    saved = index_copy / "uploads" / "evil name.txt"
    assert saved.read_bytes() == fact  # sanitised name, inside the index's own folder
    assert sorted(p.name for p in (index_copy / "uploads").iterdir()) == ["broken.pdf", "evil name.txt"]

    rag = RAG(index_copy)
    try:
        hits = rag.search("Where is the kite festival?", k=1)
        assert Path(hits[0].chunk.metadata["source"]) == saved.resolve()
    finally:
        rag.close()

    at.sidebar.multiselect(key="doc_delete_choice").select(str(saved.resolve())).run()
    at.sidebar.button(key="doc_delete").click().run()
    assert {m.label: m.value for m in at.sidebar.metric}["Documents"] == "3"
    assert not saved.exists()


def test_without_an_index_the_bundled_sample_corpus_is_indexed(recording: RecordingGenerator) -> None:
    at = start(None, recording)
    metrics = {m.label: m.value for m in at.sidebar.metric}
    assert int(metrics["Documents"]) > 0 and int(metrics["Chunks"]) > 0
    assert any("sample documents" in c.value for c in at.main.caption)
