"""Task templates, few-shot examples as chat turns, and the extract task's JSON validation and retry."""

from __future__ import annotations

import pytest

from rag.core.errors import ConfigError
from rag.core.options import AskOptions
from rag.pipeline import Answerer
from rag.prompts import ExtractError, parse_entities

from .conftest import scored

CHUNKS = [scored(1, "Marie Curie was born in Warsaw.", 0.8), scored(2, "She moved to Paris.", 0.7)]


def _answerer(gen) -> Answerer:
    return Answerer(lambda q, k, f: CHUNKS[:k], gen)


def test_user_examples_become_chat_turns_in_the_model_format(scripted, small_generator) -> None:
    gen = scripted(["no [1]"])
    examples = [("Capital of France?", "Paris"), ("2+2?", "4")]
    answer = _answerer(gen).ask("Was she born in Paris?", AskOptions(examples=examples))
    roles = [m["role"] for m in answer.messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert answer.messages[1]["content"].endswith("Question: Capital of France?")
    assert answer.messages[2]["content"] == "Paris"
    rendered = small_generator.render(answer.messages)  # the backend's chat template, ChatML for SmolLM2
    assert "<|im_start|>assistant\nParis<|im_end|>" in rendered
    assert "<|im_start|>user\nQuestion: 2+2?<|im_end|>" in rendered


def test_bundled_examples_by_default_and_zero_shot_with_empty_list(scripted) -> None:
    few = _answerer(scripted(["No, she was born in Warsaw [1]."])).ask("Was she born in Paris?")
    assert [m["role"] for m in few.messages].count("assistant") >= 2
    assert "complete sentence" in few.messages[0]["content"]  # the default full style
    assert any(m["content"].startswith("No, Marie Curie was born in Warsaw") for m in few.messages)
    short = _answerer(scripted(["no [1]"])).ask("Was she born in Paris?", AskOptions(style="short"))
    assert "shortest exact answer" in short.messages[0]["content"]
    assert any(m["content"] == "yes [2]" for m in short.messages)  # a bundled terse yes/no example
    zero = _answerer(scripted(["no [1]"])).ask("Was she born in Paris?", AskOptions(examples=[]))
    assert [m["role"] for m in zero.messages] == ["system", "user"]


def test_tasks_have_their_own_instructions(scripted) -> None:
    summary = _answerer(scripted(["Curie was born in Warsaw [1]."])).ask(
        "Summarize", AskOptions(task="summarize", examples=[]))
    assert "summarize" in summary.messages[0]["content"].lower()
    translation = _answerer(scripted(["Elle est née à Varsovie."])).ask(
        "Translate source 1", AskOptions(task="translate", target_language="French", examples=[]))
    assert "Translate into French" in translation.messages[0]["content"]
    with pytest.raises(ConfigError, match="language"):
        _answerer(scripted([])).ask("Translate", AskOptions(task="translate"))
    with pytest.raises(ConfigError, match="unknown task"):
        _answerer(scripted([])).ask("x", AskOptions(task="poem"))


def test_parse_entities_accepts_fenced_json_and_rejects_bad_shapes() -> None:
    data = parse_entities('Here:\n```json\n{"entities": [{"text": "Warsaw", "type": "place"}]}\n```')
    assert data == {"entities": [{"text": "Warsaw", "type": "place"}]}
    for bad in ("not json", '{"entities": "Warsaw"}', '{"entities": [{"text": 1, "type": "x"}]}', "[1, 2]"):
        with pytest.raises(ExtractError):
            parse_entities(bad)


def test_extract_retries_once_with_the_error_fed_back(scripted) -> None:
    gen = scripted(['{"entities": [{"text": "Warsaw"', '{"entities": [{"text": "Warsaw", "type": "place"}]}'])
    answer = _answerer(gen).ask("Extract the places", AskOptions(task="extract"))
    assert answer.data == {"entities": [{"text": "Warsaw", "type": "place"}]}
    assert len(gen.calls) == 2
    retry = gen.calls[1]
    assert retry[-2] == {"role": "assistant", "content": '{"entities": [{"text": "Warsaw"'}
    assert "not valid" in retry[-1]["content"] and "JSON" in retry[-1]["content"]
    assert any("retried" in note for note in answer.notes)


def test_extract_gives_up_after_one_retry(scripted) -> None:
    gen = scripted(["nope", "still nope"])
    answer = _answerer(gen).ask("Extract", AskOptions(task="extract"))
    assert answer.data is None and answer.text == "still nope" and len(gen.calls) == 2
    assert any("still invalid" in note for note in answer.notes)
