"""Source focus: long QA sources keep their most relevant sentences; the answer still cites whole chunks."""

from __future__ import annotations

import pytest

from rag.core.errors import ConfigError
from rag.core.options import AskOptions
from rag.pipeline import Answerer
from rag.prompts.focus import SourceFocus, split_sentences, split_units

from .conftest import scored

LIGHTHOUSE = (
    "The Harrow Point lighthouse stands on a granite headland above the harbour. "
    "Its keepers kept a daily log of ships, storms and supplies for over a century. "
    "The tower was painted white with a single red band in the 1920s. "
    "The lighthouse was built in 1871 by the engineer Margaret Dunlop. "
    "Visitors can climb its 112 steps in the summer months. "
    "A small museum in the keeper's cottage shows the original lens."
)


def test_split_sentences_keeps_quotes_and_paragraphs() -> None:
    text = 'He said "stop." Then he left. In 1832 he ran! Did he win? (Yes.) Mr Lee agreed.\n\nA new paragraph'
    assert split_sentences(text) == ['He said "stop."', "Then he left.", "In 1832 he ran!", "Did he win?", "(Yes.)",
                                     "Mr Lee agreed.", "A new paragraph"]


def test_long_source_keeps_the_answer_sentence_in_order_within_the_cap(embedder) -> None:
    focus = SourceFocus(embedder, max_tokens=24)
    chunk = scored(1, LIGHTHOUSE, 0.8)
    (focused,) = focus("Who built the lighthouse, and in which year?", [chunk])
    text = focused.chunk.text
    assert "built in 1871 by the engineer Margaret Dunlop" in text
    assert embedder.count_tokens(text.replace("…", "")) <= 24 + 2
    assert text.startswith("…")  # the first sentence was left out, and the gap is marked
    kept = [s for s in split_sentences(LIGHTHOUSE) if s in text]
    assert kept and [text.index(s) for s in kept] == sorted(text.index(s) for s in kept)  # original order
    assert focused.chunk.id == chunk.chunk.id and focused.score == chunk.score


def test_short_sources_pass_unchanged(embedder) -> None:
    focus = SourceFocus(embedder, max_tokens=64)
    chunk = scored(2, "The Nile is about 6,650 km long.", 0.7)
    assert focus("How long is the Nile?", [chunk]) == [chunk]


def test_focus_tokens_must_be_sensible(embedder) -> None:
    with pytest.raises(ConfigError, match="focus_tokens"):
        SourceFocus(embedder, max_tokens=3)


def test_qa_prompt_holds_the_focused_text_and_the_answer_cites_the_whole_chunk(embedder, scripted) -> None:
    chunk = scored(1, LIGHTHOUSE, 0.8)
    generator = scripted(["1871 [1]", "Summary [1]"])
    answerer = Answerer(lambda q, k, f: [chunk], generator, focus=SourceFocus(embedder, 32))
    answer = answerer.ask("When was the Harrow Point lighthouse built?")
    prompt_text = answer.messages[-1]["content"]
    assert "Margaret Dunlop" in prompt_text and "original lens" not in prompt_text
    assert answer.sources == (chunk,) and answer.citations[0].source == chunk  # the whole chunk, not the excerpt
    summary = answerer.ask("Summarise the lighthouse's history", AskOptions(task="summarize"))
    assert "original lens" in summary.messages[-1]["content"]  # only QA is focused


ATOMIC = """## Atomic saves

A save must never leave the index half-written, even if the program crashes in the middle. \
ragloom saves in three steps:

1. Write the vectors to a **new** `vectors-NNNNNN.faiss` file with a new number.
2. **Commit** the SQLite transaction, which records the new file name together with the chunk changes.
3. **Delete** the old vector file.

If a crash happens before step 2, the database still points to the old, complete vector file and the \
index opens as it was. If it happens after step 2, the new state is complete and only a stale file is left behind.

```python
rag.ingest(["docs/"])
```

| Setting | Default |
|---|---|
| greedy | on |
| temperature | 0.7 |
| top-k | 40 |"""


def test_units_keep_lists_code_and_table_rows_whole() -> None:
    units = split_units(ATOMIC)
    texts = [u.text for u in units]
    procedure = next(t for t in texts if "1. Write the vectors" in t)
    assert "ragloom saves in three steps:\n1. Write the vectors" in procedure  # the lead-in rides along
    assert "2. **Commit**" in procedure and procedure.endswith("3. **Delete** the old vector file.")
    assert '```python\nrag.ingest(["docs/"])\n```' in texts
    rows = [u for u in units if u.header]
    assert [u.text for u in rows] == ["| greedy | on |", "| temperature | 0.7 |", "| top-k | 40 |"]
    assert rows[0].header == "| Setting | Default |\n|---|---|"


def test_focus_keeps_the_whole_procedure_for_a_how_question(embedder) -> None:
    focus = SourceFocus(embedder, max_tokens=64)
    (focused,) = focus("How does ragloom keep the index safe if the process is killed during a save?",
                       [scored(1, ATOMIC, 0.8)])
    text = focused.chunk.text
    steps = ["1. Write the vectors", "2. **Commit** the SQLite transaction", "3. **Delete** the old vector file."]
    assert all(step in text for step in steps)  # the procedure is what answers "how"
    assert "\n2. **Commit**" in text  # still one item per line
    table_rows = [row for row in ("| greedy | on |", "| temperature | 0.7 |") if row in text]
    for row in table_rows:  # a kept row comes with its header
        assert "| Setting | Default |" in text and row in text.split("\n")


def test_focus_shows_a_table_row_under_its_header(embedder) -> None:
    focus = SourceFocus(embedder, max_tokens=24)
    (focused,) = focus("What is the default temperature?", [scored(1, ATOMIC, 0.8)])
    lines = focused.chunk.text.split("\n")
    assert "| temperature | 0.7 |" in lines
    assert lines.index("| Setting | Default |") < lines.index("| temperature | 0.7 |")


KINDS = ("## Exact or approximate search\n\nragloom offers three kinds of vector search:\n\n"
         "- **flat** (the default): exact search. The query is compared with every vector, so results are exact.\n"
         "- **hnsw**: approximate search over a graph built with M=32, much faster on large collections.\n\n"
         "- **ivf**: approximate search over an inverted file; a query scans only the nprobe closest lists.\n\n"
         "Start with flat. Switch to hnsw or ivf only when exact search becomes slow on a large collection. "
         "Approximate search can miss a true neighbour now and then, so measure recall before you switch.")


def test_a_loose_list_is_one_unit_and_a_lead_in_joins_code_and_tables() -> None:
    units = split_units(KINDS)
    (listed,) = [u for u in units if "flat" in u.text and u.block]
    assert "ivf" in listed.text and listed.text.startswith("ragloom offers three kinds")  # blank lines inside
    code = split_units("Some intro sentence here. To forget deleted files use full sync:\n\n```\nragloom ingest "
                       "docs/ --sync full\n```")
    assert code[-1].text.startswith("To forget deleted files use full sync:\n```")


def test_the_list_that_answers_a_which_question_is_kept_past_the_cap(embedder) -> None:
    focus = SourceFocus(embedder, max_tokens=16)  # far smaller than the list
    (focused,) = focus("Which kinds of vector index can I choose from?", [scored(1, KINDS, 0.8)])
    assert all(kind in focused.chunk.text for kind in ("flat", "hnsw", "ivf"))


TASKS = ("## Task prompts\n\nragloom comes with prompts for several tasks. On the command line you choose one with "
         "`--task`; the default is question answering.\n\n"
         "- **Question answering (`qa`):** answer the question using only the numbered sources, with numbered "
         "citations in square brackets such as [1] or [2].\n"
         "- **Summarisation (`summarize`):** summarise the sources faithfully and briefly, without adding facts.\n"
         "- **Translation (`translate`):** translate text into a target language, given with `--language`.\n"
         "- **Entity extraction (`extract`):** find named entities and reply with one JSON object.\n\n"
         "For example:\n\n```\nragloom ask \"Summarise how incremental sync works\" --task summarize\n```")


def test_a_question_for_several_things_keeps_the_list_its_best_sentence_introduces(embedder) -> None:
    focus = SourceFocus(embedder, max_tokens=64)
    (focused,) = focus("Which tasks besides question answering can ragloom's prompts do?", [scored(1, TASKS, 0.8)])
    assert all(task in focused.chunk.text for task in ("Summarisation", "Translation", "Entity extraction"))
    # A question that asks for one thing is not padded with the list.
    (single,) = focus("How do I choose a task on the command line?", [scored(1, TASKS, 0.8)])
    assert "Entity extraction" not in single.chunk.text


WHY_CHUNKS = ("## Why documents are chunked\n\nA search over whole documents works poorly. A long document covers many "
              "topics, so its single vector is a blurry average of all of them, and a question about one small detail "
              "may not match it well. A long document is also too big to place, in full, into the prompt of a "
              "language model. ragloom therefore cuts each document into chunks: short pieces of text that each "
              "carry one focused idea. Each chunk gets its own embedding and can be found, ranked and cited.\n\n"
              "## What is kept\n\nEvery chunk keeps its offsets, its metadata and the document it belongs to.")


def test_a_why_question_keeps_the_paragraph_that_explains_its_best_sentence(embedder) -> None:
    focus = SourceFocus(embedder, max_tokens=72)  # the paragraph is ~95 tokens
    (focused,) = focus("Why does ragloom cut documents into chunks instead of searching whole documents?",
                       [scored(1, WHY_CHUNKS, 0.8)])
    assert "blurry average" in focused.chunk.text and "therefore cuts" in focused.chunk.text
    (what,) = focus("What does ragloom cut documents into?", [scored(1, WHY_CHUNKS, 0.8)])
    assert "blurry average" not in what.chunk.text  # other questions keep the 64-token cap


def test_a_short_recommendation_joins_a_list_that_filled_the_cap(embedder) -> None:
    focus = SourceFocus(embedder, max_tokens=16)  # the list alone is far over the cap
    (focused,) = focus("Which kind of vector index should I start with?", [scored(1, KINDS, 0.8)])
    assert "Start with flat." in focused.chunk.text and "hnsw" in focused.chunk.text
