"""Sources chosen by evidence, claims checked against their citations, follow-ups rewritten only when needed."""

from __future__ import annotations

from rag.core.types import Chunk, ScoredChunk
from rag.grounding import GroundingChecker, grounding_note, split_claims
from rag.prompts.rewrite import clean_query, needs_rewrite
from rag.source_selection import SourceBudget, pick_by_evidence

ATOMIC = ("ragloom saves in three steps:\n1. Write the vectors to a new vectors-NNNNNN.faiss file.\n"
          "2. Commit the SQLite transaction, which records the new file name.\n3. Delete the old vector file.")
FOLDER = ("The index folder holds three kinds of file: manifest.json describes the index, chunks.sqlite holds "
          "the text of every chunk, and vectors-NNNNNN.faiss holds the vectors.")
SAMPLING = "ragloom's default temperature is 0.7, its default top-k is 40 and its default top-p is 0.95."


def _hit(i: int, text: str, cosine: float, fused: float | None = None) -> ScoredChunk:
    return ScoredChunk(Chunk(i, f"doc{i}", text, 0, len(text), {}), fused if fused is not None else cosine, i,
                       cosine=cosine)


def _words(text: str) -> int:
    return len(text.split())


def test_a_clear_score_gap_cuts_the_sources() -> None:
    # Fusion ranked a link list first (cosine 0.38); the answering section (0.64) leads by a clear gap.
    hits = [_hit(1, "Where to read next: ingestion, search, chat.", 0.38, 0.9), _hit(2, ATOMIC, 0.64, 0.8),
            _hit(3, FOLDER, 0.59, 0.7)]
    assert pick_by_evidence(hits, hits, _words, SourceBudget(max_sources=3, tokens=500, margin=0.08)) == [1, 2]
    assert pick_by_evidence(hits, hits, _words, SourceBudget(max_sources=3, tokens=500, margin=0.3)) == [0, 1, 2]


def test_the_token_budget_caps_the_sources_but_keeps_the_best() -> None:
    hits = [_hit(1, ATOMIC, 0.60), _hit(2, FOLDER, 0.62), _hit(3, SAMPLING, 0.61)]
    budget = SourceBudget(max_sources=3, tokens=_words(FOLDER) + _words(SAMPLING), margin=0.1)
    assert pick_by_evidence(hits, hits, _words, budget) == [1, 2]  # the best (0.62) first, then what fits
    # Past the budget a runner-up within the margin still comes along; a third does not.
    assert pick_by_evidence(hits, hits, _words, SourceBudget(max_sources=3, tokens=1, margin=0.1)) == [1, 2]
    assert pick_by_evidence(hits, hits, _words, SourceBudget(max_sources=3, tokens=1, margin=0.005)) == [1]
    assert pick_by_evidence(hits, hits, _words, SourceBudget(max_sources=1, tokens=999)) == [0]


def test_claims_inherit_the_citation_of_their_list_or_paragraph() -> None:
    answer = ("ragloom saves the index in three steps [1]:\n1. Write the vectors to a new file.\n"
              "2. Commit the SQLite transaction.\n3. Delete the old vector file.\n\n"
              "The chunk texts live in chunks.sqlite. That file is SQLite [2].")
    claims = split_claims(answer)
    assert [c for _, c, _ in claims] == [(1,), (1,), (1,), (1,), (2,), (2,)]
    assert claims[1][0] == "Write the vectors to a new file."


def test_supported_and_unsupported_sentences(embedder) -> None:
    check = GroundingChecker(embedder)
    sources = [_hit(1, ATOMIC, 0.6), _hit(2, FOLDER, 0.6), _hit(3, SAMPLING, 0.5)]
    claims = check("ragloom writes the vectors to a new file, commits the SQLite transaction and then deletes "
                   "the old vector file [1]. The chunk texts are stored in chunks.sqlite [2]. "
                   "The default temperature is 1.3 [3]. Paris is the capital of France [1].", sources).claims
    assert [c.supported for c in claims] == [True, True, False, False]
    assert claims[0].citations == (1,) and 0 <= claims[3].support < claims[0].support <= 1
    assert "2 of 4 answer sentences are not supported" in (grounding_note(claims) or "")
    assert grounding_note(claims[:2]) is None
    no_source = check("The chunk texts are stored in chunks.sqlite [1].", sources[:1])  # the file is not in it
    assert not no_source.claims[0].supported and no_source.text.endswith("[1].")


def test_a_word_that_starts_with_a_dot_is_not_glued_to_the_one_before(embedder) -> None:
    """ "the .env values" once became "the.env values": a file name no source holds, so every sentence
    about .env files was flagged unsupported."""
    source = _hit(1, "Environment variables already set win. Use `load_dotenv(override=True)` to let the .env "
                     "file override them.", 0.6)
    (claim,) = GroundingChecker(embedder)("To make the .env values win, pass `override=True` to load_dotenv [1].",
                                          [source]).claims
    assert claim.text == "To make the .env values win, pass `override=True` to load_dotenv." and claim.supported


def test_a_sentence_under_the_wrong_number_gets_the_right_one(embedder) -> None:
    sources = [_hit(1, SAMPLING, 0.6), _hit(2, ATOMIC, 0.6)]
    text = ("ragloom saves in three steps [2]:\n1. Write the vectors to a new vectors-NNNNNN.faiss file [1].\n"
            "2. Delete the old vector file.")
    checked = GroundingChecker(embedder)(text, sources)
    assert "new vectors-NNNNNN.faiss file [2]." in checked.text and "[1]" not in checked.text
    assert all(c.supported and c.citations == (2,) for c in checked.claims)
    assert any("corrected to [2]" in note for note in checked.notes)


def test_an_uncited_paragraph_gets_the_numbers_of_the_sources_that_support_it(embedder) -> None:
    """A long "why" answer came back with no citation at all: the reader could not check it."""
    sources = [_hit(1, SAMPLING, 0.6), _hit(2, ATOMIC, 0.6)]
    text = ("ragloom writes the vectors to a new file, commits the SQLite transaction and then deletes the old "
            "vector file. Paris is the capital of France.")
    checked = GroundingChecker(embedder)(text, sources)
    assert checked.text.startswith("ragloom writes the vectors to a new file, commits the SQLite transaction and "
                                   "then deletes the old vector file [2]. Paris")
    assert checked.text.endswith("Paris is the capital of France.")  # no source supports it: left uncited
    assert [c.citations for c in checked.claims] == [(2,), ()]
    assert any("citation [2] added" in note for note in checked.notes)


def test_follow_ups_are_rewritten_only_when_they_lean_on_the_conversation() -> None:
    history = [{"role": "user", "content": "How does ragloom keep the index safe during a save?"},
               {"role": "assistant", "content": "It saves in three steps [1]."}]
    for follow_up in ("What about its vectors?", "Why?", "And the default?", "How long does that take?",
                      "what about deletes", "And where is it stored?"):
        assert needs_rewrite(follow_up, history), follow_up
    for standalone in ("Which sampling settings can I change?", "What is the default chunk size in ragloom?",
                       "And which file holds the chunk texts?"):  # a leading "and" alone leans on nothing
        assert not needs_rewrite(standalone, history), standalone
    assert not needs_rewrite("What about its vectors?", [])  # nothing to lean on


def test_a_rewrite_that_answers_instead_falls_back_to_a_question() -> None:
    history = [{"role": "user", "content": "How does ragloom keep the index safe during a save?"}]
    rewritten = "Which file holds ragloom's chunk texts?"
    assert clean_query(rewritten, "x", history) == rewritten
    assert clean_query('Question: "Which file holds the chunk texts?"', "x", history) == \
        "Which file holds the chunk texts?"
    fallback = clean_query("ragloom keeps the index safe by using a separate file.", "And which file?", history)
    assert fallback.endswith("?") and "which file" in fallback.lower() and "index safe" in fallback
    # the follow-up echoed back is no rewrite: it still needs the conversation's subject
    echoed = clean_query("Which one should I start with?", "which one should I start with", history)
    assert echoed.startswith("which one should I start with") and "index safe" in echoed


def test_a_keyword_match_ranked_first_is_kept_despite_a_low_cosine() -> None:
    # "What M value does the hnsw index use?": BM25 finds the section naming hnsw and M=32; the small
    # embedder gives it cosine 0.26 and prefers sections about scores (0.36). The gap must not drop it.
    hnsw = ScoredChunk(Chunk(1, "doc1", "hnsw: approximate search, built with M=32.", 0, 44, {}), 0.8, 1,
                       cosine=0.26, keyword=8.1)
    others = [_hit(2, "What the scores mean in practice.", 0.36, 0.7), _hit(3, SAMPLING, 0.36, 0.6)]
    budget = SourceBudget(max_sources=3, tokens=500)
    assert pick_by_evidence([hnsw, *others], [hnsw, *others], _words, budget) == [0, 1, 2]
    boilerplate = ScoredChunk(Chunk(1, "doc1", "See also: hnsw, flat, ivf.", 0, 26, {"boilerplate": 1.0}), 0.8, 1,
                              cosine=0.26, keyword=8.1)
    assert 0 not in pick_by_evidence([boilerplate, *others], [boilerplate, *others], _words, budget)


def test_a_fact_buried_in_an_unrelated_passage_is_answered_but_off_topic_is_still_declined(scripted) -> None:
    from rag.pipeline import Answerer

    buried = ScoredChunk(Chunk(1, "ops", "The harbour shipped 241 crates. The lighthouse keeper keeps a ginger cat "
                                         "named Biscuit in the lamp room. The ferry loaded 283 tons of wheat.", 0, 120,
                               {}), 0.9, 1, cosine=0.27)  # under the 0.30 refusal threshold as a whole
    answerer = Answerer(lambda q, k, f: [buried], scripted(["The cat is named Biscuit [1]."]))
    assert not answerer.ask("What is the name of the lighthouse keeper's cat?").refused
    assert answerer.ask("What is the population of Tokyo?").refused  # no question words in the passage
    far = ScoredChunk(buried.chunk, 0.9, 1, cosine=0.15)  # words alone do not rescue a far-off passage
    assert Answerer(lambda q, k, f: [far], scripted(["x"])).ask("What is the lighthouse keeper's cat called?").refused
