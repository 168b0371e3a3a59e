"""SQuAD-style normalisation, EM and F1, yes/no and answer-in-context on known cases."""

from __future__ import annotations

import pytest

from rag.core.answer import Answer, Timings
from rag.evaluation.qa import percentile, score_example, summarize
from rag.evaluation.text_metrics import contains_answer, exact_match, normalize_answer, token_f1, yes_no

from .conftest import scored


def test_normalisation() -> None:
    assert normalize_answer("The  Eiffel-Tower, in Paris! [1]") == "eiffeltower in paris"
    assert normalize_answer("An apple a day") == "apple day"


@pytest.mark.parametrize(("pred", "gold", "em", "f1"), [
    ("18 months [1]", "18 months", 1.0, 1.0),
    ("The United States", "united states", 1.0, 1.0),
    ("about 18 months", "18 months", 0.0, 0.8),
    ("Paris", "London", 0.0, 0.0),
    ("", "", 1.0, 1.0),
    ("yes", "", 0.0, 0.0),
])
def test_em_and_f1(pred: str, gold: str, em: float, f1: float) -> None:
    assert exact_match(pred, gold) == em
    assert token_f1(pred, gold) == pytest.approx(f1)


def test_yes_no_and_context() -> None:
    assert yes_no("Yes, he was. [1]") == "yes" and yes_no("No.") == "no" and yes_no("Nobody") is None
    assert contains_answer("Lincoln had about 18 months of schooling.", "18 months")
    assert not contains_answer("He had 180 months.", "18 months")
    assert not contains_answer("yes indeed", "yes")


def test_score_and_summarize() -> None:
    sources = (scored(1, "Lincoln had 18 months of formal schooling.", 0.8),)
    a = Answer("18 months [1]", sources=sources, timings=Timings(total_seconds=1.0))
    b = Answer("yes [1]", sources=sources, timings=Timings(total_seconds=3.0))
    c = Answer("Yes", sources=sources, timings=Timings(total_seconds=2.0))
    results = [score_example("How long?", "18 months", a), score_example("Was he?", "no", b),
               score_example("Is it?", "yes", c)]
    summary = summarize(results)
    assert summary["exact_match"] == pytest.approx(2 / 3) and summary["yes_no_accuracy"] == 0.5
    assert summary["answer_in_context"] == 1.0 and summary["answer_in_context_questions"] == 1
    assert summary["p50_seconds"] == 2.0 and summary["p95_seconds"] == pytest.approx(2.9)
    assert percentile([], 50) == 0.0


# -- answers people read: answer_hit, citation precision, grounded, declined -----------------------------

from rag.core.answer import Citation, Claim  # noqa: E402
from rag.evaluation.answer_metrics import answer_hit, declined, fact_found, normalize  # noqa: E402
from rag.evaluation.docs_chat import EvalItem  # noqa: E402
from rag.evaluation.qa import timed_answer  # noqa: E402


@pytest.mark.parametrize(("text", "alternatives", "found"), [
    ("The default threshold is **0.30** [1].", ["0.3"], True),
    ("It is 320 tokens.", ["32"], False),
    ("A score of 0.32.", ["32"], False),
    ("Use `top_p` or top-p.", ["top p"], True),
    ("It ranges from −1 to 1.", ["-1"], True),
    ("It has 5,183 abstracts.", ["5183"], True),
    ("Models are not downloaded.", ["no"], False),
    ("No, never.", ["no"], True),
    ("The text is silently truncated.", ["truncat"], True),
    ("Run `ragloom ingest docs/ --sync full`.", ["sync full"], True),
    # SQuAD normalisation, as answer_in_context uses: gold punctuation and articles do not count
    ("Antennae vary greatly in form [1].", ["Antennae."], True),
    ("Coolidge was born on July 4, 1872 [1].", ["July 4 1872"], True),
    ("Canada adopted its current Maple Leaf Flag in 1965 [1].", ["The Maple Leaf Flag"], True),
    ("It is 5.9% [1].", ["5.9%"], True),
    ("It is 5.9 [1].", ["59"], False),
])
def test_fact_matching(text: str, alternatives: list[str], found: bool) -> None:
    assert fact_found(text, alternatives) is found


def test_yes_no_hit() -> None:
    from rag.evaluation.answer_metrics import yes_no_hit

    assert yes_no_hit("Yes, he was born in Kentucky [1].", "yes")
    assert not yes_no_hit("No [1].", "yes")
    assert yes_no_hit("The sources say no: it is off by default.", "no")
    assert not yes_no_hit("He was not there; yes, no, maybe.", "no")


def test_a_gold_answer_that_opens_with_yes_or_no_is_scored_as_yes_no() -> None:
    from rag.evaluation.qa import yes_no_gold

    assert yes_no_gold("Is Egypt in Asia?", "No.") and yes_no_gold("Did Cartier not use it?", "no!")
    assert yes_no_gold("Had his thermometer 100 for freezing?", "Yes it had")
    assert not yes_no_gold("Who knew the answer?", "No one") and not yes_no_gold("Is it old?", "Kentucky")


def test_answer_hit_needs_every_fact_and_never_hits_an_offtopic_item() -> None:
    facts = [["flat"], ["hnsw"], ["ivf"]]
    assert answer_hit("Choose flat (exact), hnsw or ivf [1].", facts)
    assert not answer_hit("Choose flat or hnsw [1].", facts)
    assert not answer_hit("anything", [])
    assert normalize("Top-K **40** [2]") == "top k 40"


@pytest.mark.parametrize(("text", "refused", "expected"), [
    ("The documents do not contain the answer to this question.", False, True),
    ("I don't know.", False, True),
    ("The sources don't mention the capital of Australia [1].", False, True),
    ("Chunks hold 200 tokens [1].", False, False),
    ("The limits do not have an effect on a library you import afterwards [2].", False, False),
    ("orjson does not provide a way to indent by four spaces [1].", False, False),
    ("The provided context doesn't say which version fixed it.", False, True),
    ("", True, True),
])
def test_declined(text: str, refused: bool, expected: bool) -> None:
    assert declined(text, refused) is expected


def test_docs_chat_scoring_citations_grounding_and_offtopic() -> None:
    good = scored(1, "Chunks hold up to 200 tokens.", 0.7)
    other = scored(2, "Top-p keeps the smallest set of tokens.", 0.4)
    item = EvalItem("What is the default chunk size?", (("200",),), ("chunking.md#Defaults",), kind="what", id="a")
    answer = Answer("Chunks hold up to 200 tokens [1], see also [2].", sources=(good, other),
                    citations=(Citation(1, good), Citation(2, other)),
                    claims=(Claim("Chunks hold up to 200 tokens [1].", (1,), True, 0.9),
                            Claim("see also [2].", (2,), False, 0.1)))
    result = score_example(item.question, item.answer, answer, item=item, first_token_seconds=0.5, seconds=2.0)
    assert result.answer_hit and result.citation_precision == 0.5 and result.grounded == 0.5
    assert result.words == 8 and not result.declined and result.first_token_seconds == 0.5
    off = EvalItem("What is the capital of Australia?", (), kind="offtopic")
    refusal = Answer("The documents do not contain the answer to this question.", refused=True)
    declined_result = score_example(off.question, off.answer, refusal, item=off, first_token_seconds=0.1, seconds=0.1)
    assert declined_result.offtopic and declined_result.declined and declined_result.answer_hit is None
    summary = summarize([result, declined_result])
    assert summary["answer_hit"] == 1.0 and summary["offtopic_declined"] == 1.0
    assert summary["citation_precision"] == 0.5 and summary["grounded"] == 0.5 and summary["median_words"] == 8
    assert summary["answerable_questions"] == 1 and summary["offtopic_questions"] == 1
    assert summary["ttft_p50_seconds"] == pytest.approx(0.3) and summary["total_p50_seconds"] == pytest.approx(1.05)


def test_timed_answer_counts_from_the_call_to_the_first_piece() -> None:
    import time

    def pieces():
        time.sleep(0.05)
        yield "Hello"
        time.sleep(0.05)
        yield Answer("Hello")

    answer, first, total = timed_answer(pieces)
    assert answer.text == "Hello" and 0.04 < first < total and total >= 0.09
