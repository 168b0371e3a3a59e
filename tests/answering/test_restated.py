"""An answer that only restates the question is completed with the source's own, cited sentence."""

from __future__ import annotations

from rag.grounding import GroundingChecker
from rag.pipeline import Answerer, final_answer
from rag.restated import completion, restates, supporting_quote

from .conftest import scored

PICKLE = ("## Why no pickle\n\nragloom stores indexes as JSON, SQLite and raw arrays. Python's pickle format is "
          "convenient but dangerous: loading a pickle file can run arbitrary code hidden inside it. So ragloom "
          "never uses pickle.")
DROPPING = ("## Dropping whole chunks\n\nTwo details matter:\n"
            "- Chunks are dropped **whole**, never cut in the middle. A half chunk could lose exactly the sentence "
            "that matters, or change its meaning.\n"
            "- The **lowest-ranked** chunks go first, so the most relevant sources are the last to be removed.\n")


def test_a_restatement_is_told_from_an_answer_that_states_something() -> None:
    question = "Why does ragloom never use pickle?"
    assert restates("ragloom never uses pickle [2].", question)
    assert restates("Ragloom does not use pickle.", question)
    assert not restates("Loading a pickle can run arbitrary code [1].", question)
    assert not restates("The vectors have 384 dimensions [1].", "How many dimensions do the vectors have?")
    assert not restates("The `ragloom ingest` command builds it [1].", "Which command builds an index?")
    assert not restates("No, it does not download models [1].", "Does ragloom download models?")
    # a follow-up's answer may repeat the earlier question's words without restating the new one
    history = [{"role": "user", "content": "What does top-k do?"}, {"role": "assistant", "content": "It keeps…"}]
    assert restates("Top-k keeps tokens [1].", "What does it keep?", history)


def test_the_quote_is_the_sentence_that_answers_from_the_cited_source() -> None:
    sources = [scored(1, DROPPING, 0.7), scored(2, PICKLE, 0.6)]
    number, sentence = supporting_quote("Why does ragloom never use pickle?", "ragloom never uses pickle [2].",
                                        sources)
    assert (number, sentence) == (2, "Python's pickle format is convenient but dangerous: loading a pickle file "
                                     "can run arbitrary code hidden inside it.")
    # a list item is quoted whole: its second sentence holds the reason
    number, sentence = supporting_quote("Why are chunks dropped whole rather than cut in the middle?",
                                        "Chunks are dropped whole, never cut in the middle [1].", sources)
    assert number == 1 and sentence.endswith("A half chunk could lose exactly the sentence that matters, or "
                                             "change its meaning.")


def test_nothing_is_added_to_a_real_answer_a_refusal_or_without_a_better_sentence() -> None:
    sources = [scored(1, PICKLE, 0.6)]
    question = "Why does ragloom never use pickle?"
    assert completion(question, "Loading a pickle file can run arbitrary code [1].", sources) is None
    assert completion(question, "The documents do not contain the answer to this question.", sources) is None
    assert completion(question, "ragloom never uses pickle [1].", []) is None
    bare = [scored(1, "ragloom never uses pickle.", 0.6)]
    assert completion(question, "ragloom never uses pickle [1].", bare) is None


def test_the_pipeline_streams_the_quote_and_grounds_it(scripted, embedder) -> None:
    sources = [scored(1, PICKLE, 0.62)]
    answerer = Answerer(lambda q, k, f: sources, scripted(["ragloom never uses pickle [1]."]),
                        grounding=GroundingChecker(embedder))
    items = list(answerer.stream("Why does ragloom never use pickle?"))
    answer = final_answer(iter(items))
    assert "".join(i for i in items if isinstance(i, str)) == answer.text
    assert answer.text.endswith('"Python\'s pickle format is convenient but dangerous: loading a pickle file can '
                                'run arbitrary code hidden inside it." [1]')
    assert [c.number for c in answer.citations] == [1]
    assert answer.claims and all(claim.supported for claim in answer.claims)
    assert any("restated the question" in note for note in answer.notes)
