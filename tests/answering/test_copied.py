"""A reply copied from the few-shot examples is withheld (``rag.copied``)."""

from __future__ import annotations

from rag.copied import copied_from_examples
from rag.pipeline import REFUSAL_TEXT, Answerer
from rag.prompts.examples import coerce_examples

from .conftest import scored

KINDS = ("ragloom offers three kinds of vector search: flat (the default, exact), hnsw and ivf. "
         "Start with flat; switch only when exact search becomes slow.")
LEAK = "The Old Mill bridge reopened in June, after repairs that took two months [1]."


def test_the_examples_own_answer_is_withheld_and_reported(scripted) -> None:
    answerer = Answerer(lambda q, k, f: [scored(1, KINDS, 0.7)], scripted([LEAK]), k=1)
    answer = answerer.ask("Which one should I start with?")
    assert answer.text == REFUSAL_TEXT and answer.refused
    assert any("few-shot example" in note for note in answer.notes)


def test_words_the_sources_share_with_an_example_are_not_a_copy(scripted) -> None:
    eiffel = "The Eiffel Tower was completed in 1889 and is 330 metres tall."
    answerer = Answerer(lambda q, k, f: [scored(1, eiffel, 0.7)], scripted(["The Eiffel Tower was completed in 1889 "
                                                                            "and is 330 metres tall [1]."]), k=1)
    answer = answerer.ask("When was the Eiffel Tower completed?")
    assert not answer.refused and "1889" in answer.text  # the example is about the same tower: no copy


def test_a_copy_needs_five_words_in_a_row() -> None:
    examples = coerce_examples(None, "qa", "full")
    sources = [scored(1, KINDS, 0.7)]
    assert copied_from_examples("Start with flat, after repairs that took two months.", examples, "q?", sources)
    assert not copied_from_examples("Start with flat after repairs [1].", examples, "q?", sources)


def test_the_examples_answer_format_is_not_a_copy() -> None:
    examples = coerce_examples(None, "qa", "full")
    steps = "ragloom saves in three steps [2]:\n1. Write the vectors to a new file [2].\n2. Commit [2]."
    assert not copied_from_examples(steps, examples, "How does a save work?", [scored(1, "Write the vectors.", 0.7)])


def test_an_example_phrase_about_the_users_own_subject_is_not_a_copy() -> None:
    examples = coerce_examples(None, "qa", "full")
    source = [scored(1, "The Eiffel Tower in Paris was completed in 1889 for the World's Fair.", 0.7)]
    assert not copied_from_examples("The Eiffel Tower was completed in 1889 [1].", examples, "When?", source)
