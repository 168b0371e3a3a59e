"""The Explain tab: ``AppTest`` over the real app (real index, embedder and SmolLM2), and the HTML it draws."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from ui_testkit import APP, APP_TIMEOUT, RecordingGenerator

from rag.explain import SourceExplanation
from ui.explain_view import explanation_html, heat_spans


@pytest.fixture(autouse=True)
def _small_explain_model(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("gguf", reason="transformers reads GGUF files only with gguf installed")
    monkeypatch.setenv("RAGLOOM_EXPLAIN_MODEL", "smollm2-135m")


def _answered(index: Path, generator: RecordingGenerator) -> AppTest:
    # A limit, not a measurement: on 2 cores shared with other jobs one run (answer, or model load and
    # attention pass) has taken over the usual 180 s.
    at = AppTest.from_file(str(APP), default_timeout=max(APP_TIMEOUT, 900))
    at.session_state["ragloom_index"] = str(index)
    at.session_state["ragloom_generator"] = generator
    at.run()
    at.number_input(key="ctl_max_new_tokens").set_value(16)
    at.radio(key="ctl_shots").set_value("zero-shot")
    at.run()
    at.chat_input[0].set_value("When was the Harrow Point lighthouse built?").run()
    assert not at.exception, at.exception
    return at


def _explain_html(at: AppTest) -> list[str]:
    return [element.proto.body for element in at.get("html") if "ragloom-explain" in element.proto.body]


def test_explain_tab_computes_on_demand_and_draws_bars_heat_map_and_heads(index_copy: Path,
                                                                          recording: RecordingGenerator) -> None:
    at = _answered(index_copy, recording)
    assert "Explain" in [t.label for t in at.main.tabs]
    assert _explain_html(at) == []  # nothing computed until asked
    at.button(key="ex-turn1-run").click().run()
    assert not at.exception, at.exception
    drawn = _explain_html(at)
    answer = at.session_state["messages"][1]["answer"]
    assert len(drawn) == 1
    assert drawn[0].count("ragloom-explain-bar") == len(answer.sources)
    assert drawn[0].count('class="ragloom-heatmap"') == len(answer.sources) and "ragloom-heat" in drawn[0]
    assert any("attention of smollm2-135m" in c.value for c in at.caption)
    # Per-head view: pick a layer and head; the page redraws from the stored explanation.
    at.radio(key="ex-turn1-view").set_value("One head").run()
    at.selectbox(key="ex-turn1-layer").set_value(3).run()
    at.selectbox(key="ex-turn1-head").set_value(2).run()
    assert not at.exception, at.exception
    assert len(_explain_html(at)) == 1 and _explain_html(at) != drawn  # one head weighs differently
    # The model-free attribution, labelled as such.
    at.radio(key="ex-turn1-method").set_value("grounding").run()
    at.button(key="ex-turn1-run").click().run()
    assert any("model-free attribution" in c.value for c in at.caption)
    assert _explain_html(at)[0].count("ragloom-explain-bar") == len(answer.sources)


def test_source_text_is_escaped_in_the_heat_map() -> None:
    hostile = 'Click <img src=x onerror="alert(1)"> and <script>alert(2)</script> & "more"'
    spans = ((0, 5, 1.0), (6, 30, 0.5), (30, len(hostile), 0.0))
    drawn = explanation_html([SourceExplanation(1, 1.0, hostile, spans)], ['<b onmouseover="x">title</b>'])
    assert "<img" not in drawn and "<script" not in drawn and "<b " not in drawn
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in drawn.replace('</span>', '')
    assert "&lt;script&gt;" in drawn and "&lt;b onmouseover" in drawn
    # Only the hot spans are marked, and the text is all there in order.
    marked = heat_spans("alpha beta gamma", ((0, 5, 0.9), (5, 10, 0.01), (10, 16, 0.3)))
    assert marked.count("ragloom-heat") == 2
    assert marked.replace("</span>", "").split(">")[-1] == " gamma"
