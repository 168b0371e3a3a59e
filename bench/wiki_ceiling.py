"""How far better retrieval could take rag-mini-wikipedia answers: the same questions with the gold passage
guaranteed in the prompt.

    flock /tmp/ragloom-bench.lock python bench/wiki_ceiling.py [--wiki 200] [--work DIR]

Every question is first answered as ``bench/answers.py`` answers it (the product's defaults, full style).
For a span question (not yes/no) whose gold answer is not in any source the model read, the question is
asked again with a passage that holds the gold answer put first in the prompt (``extra_context``), the
retrieved sources after it as usual. That is perfect retrieval for that question; what the model then makes
of it is the generator's share of the misses. A span question whose gold answer occurs in none of the
3,200 passages cannot be helped by retrieval and is counted as such. Yes/no questions have no gold
passage to find by string, so they keep their normal answer.

Results: ``bench/results/wiki_ceiling-<time>.json`` (per-question flags, no data-set text) and a table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SHARED, print_table, write_results  # noqa: E402
from rag import RAG  # noqa: E402
from rag.cli.eval_qa_command import read_passages  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.core.options import AskOptions  # noqa: E402
from rag.core.types import Document  # noqa: E402
from rag.evaluation.qa import read_questions, score_example, timed_answer, yes_no_gold  # noqa: E402
from rag.evaluation.text_metrics import contains_answer  # noqa: E402

WIKI = SHARED / "rag-mini-wikipedia"


def gold_passage(rag: RAG, question: str, gold: str, passages: list[Document]) -> Document | None:
    """The passage holding ``gold`` that search ranks highest for ``question`` (else the first holding it)."""
    holding = [p for p in passages if contains_answer(p.text, gold)]
    if not holding:
        return None
    ids = {p.source_id for p in holding}
    for hit in rag.search(question, k=50):
        if hit.chunk.document_id in ids:
            return next(p for p in holding if p.source_id == hit.chunk.document_id)
    return holding[0]


def run(rag_dir: Path, limit: int) -> dict[str, Any]:
    passages = read_passages(WIKI / "passages.csv")
    rows: list[dict[str, Any]] = []
    with RAG(rag_dir, settings=Settings()) as rag:
        rag.ingest(passages)
        rag.generator.warm_up()
        for n, item in enumerate(read_questions(WIKI / "questions.csv", limit), start=1):
            gold = item.facts[0][0]
            answer, _, _ = timed_answer(lambda item=item: rag.stream(item.question))
            normal = score_example(item.question, gold, answer, item=item)
            row = {"n": n, "yes_no": yes_no_gold(item.question, gold), "hit": bool(normal.answer_hit),
                   "gold_in_prompt": bool(normal.answer_in_context), "gold_in_corpus": None, "oracle_hit": None}
            if not row["yes_no"]:
                if row["gold_in_prompt"]:
                    row.update(gold_in_corpus=True, oracle_hit=row["hit"])
                else:
                    passage = gold_passage(rag, item.question, gold, passages)
                    row["gold_in_corpus"] = passage is not None
                    if passage is not None:
                        options = AskOptions(extra_context=(passage,))
                        again, _, _ = timed_answer(lambda item=item, o=options: rag.stream(item.question, o))
                        row["oracle_hit"] = bool(score_example(item.question, gold, again, item=item).answer_hit)
            rows.append(row)
            print(f"[{n}/{limit}] yes_no={row['yes_no']} hit={row['hit']} in_prompt={row['gold_in_prompt']} "
                  f"oracle={row['oracle_hit']}", file=sys.stderr, flush=True)
    return {"summary": summarize(rows), "results": rows}


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    yes_no = [r for r in rows if r["yes_no"]]
    span = [r for r in rows if not r["yes_no"]]
    findable = [r for r in span if r["gold_in_corpus"]]
    hits = sum(r["hit"] for r in rows)
    oracle = sum(r["hit"] for r in yes_no) + sum(bool(r["oracle_hit"]) for r in findable)
    return {
        "questions": len(rows), "answer_hit": hits / len(rows), "answer_hit_with_gold_passage": oracle / len(rows),
        "yes_no": len(yes_no), "yes_no_hit": sum(r["hit"] for r in yes_no) / max(1, len(yes_no)),
        "span": len(span), "span_gold_in_no_passage": len(span) - len(findable),
        "span_gold_in_prompt": sum(r["gold_in_prompt"] for r in span),
        "span_hit": sum(r["hit"] for r in span),
        "span_hit_with_gold_passage": sum(bool(r["oracle_hit"]) for r in findable),
        "span_hit_rate_when_gold_read": (sum(bool(r["oracle_hit"]) for r in findable) / max(1, len(findable))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wiki", type=int, default=200, help="the first N rag-mini-wikipedia questions")
    parser.add_argument("--work", type=Path, default=None, help="keep the index here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ragloom-ceiling-") as tmp:
        result = run((args.work or Path(tmp)) / "wiki-index", args.wiki)
    path = write_results("wiki_ceiling", {"generator": "qwen2.5-coder-1.5b (llama.cpp, greedy)", **result})
    s = result["summary"]
    print_table(["measure", "value"], [[k, round(v, 3) if isinstance(v, float) else v] for k, v in s.items()])
    print(f"-> {path}")


if __name__ == "__main__":
    main()
