"""What the model gets to read: do the gold facts reach the prompt? (No language model needed.)

    python bench/context_recall.py [--focus-tokens N] [--source-tokens N] [--max-sources N]

For every answerable docs-chat question (``bench/datasets/docs_chat.jsonl``) this runs ragloom's
answer path up to the prompt — retrieval, source selection by evidence, focus — and checks whether
every gold fact occurs in the source text the model reads (``context_hit``), how many source tokens
that costs (the time before the first answer token on CPU), and whether a supporting section was
retrieved at all. ``context_hit`` bounds ``answer_hit``: the model cannot cite what it never read.
It runs in seconds, so it is the loop for tuning retrieval and focus; ``bench/answers.py`` is the
end-to-end judge.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, print_table, write_results  # noqa: E402
from rag import RAG  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.evaluation.answer_metrics import answer_hit  # noqa: E402
from rag.evaluation.docs_chat import chunk_supports, read_chat_set  # noqa: E402
from rag.neighbours import widen  # noqa: E402
from rag.source_selection import pick_by_evidence  # noqa: E402

DATASET = Path(__file__).resolve().parent / "datasets" / "docs_chat.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--focus-tokens", type=int, default=None)
    parser.add_argument("--source-tokens", type=int, default=None)
    parser.add_argument("--max-sources", type=int, default=None)
    parser.add_argument("--show", action="store_true", help="print what the model reads for every miss")
    args = parser.parse_args()
    overrides = {k: v for k, v in (("focus_tokens", args.focus_tokens), ("answer_source_tokens", args.source_tokens),
                                   ("answer_max_sources", args.max_sources)) if v is not None}
    settings = replace(Settings(), **overrides)
    items = [i for i in read_chat_set(DATASET) if not i.offtopic and not i.history]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, RAG(Path(tmp) / "idx", settings=settings) as rag:
        rag.ingest(ROOT / "rag" / "sample_corpus")
        answerer = rag.answerer
        for item in items:
            retrieved = reading = answerer.search(item.question, answerer.budget.max_sources, None)
            if answerer.focus and answerer.neighbours:  # as the pipeline reads them: stored chunk, widened text
                pairs = widen(retrieved, answerer.neighbours)
                retrieved, reading = [stored for stored, _ in pairs], [read for _, read in pairs]
            shown = answerer.focus(item.question, reading) if answerer.focus else reading
            keep = pick_by_evidence(retrieved, shown, answerer.count_tokens, answerer.budget)
            text = "\n\n".join(shown[i].chunk.text for i in keep)
            row = {"id": item.id, "context_hit": answer_hit(text, item.facts),
                   "support_retrieved": any(chunk_supports(c.chunk, item.support) for c in retrieved),
                   "support_kept": any(chunk_supports(retrieved[i].chunk, item.support) for i in keep),
                   "sources": len(keep), "tokens": sum(answerer.count_tokens(shown[i].chunk.text) for i in keep)}
            rows.append(row)
            if args.show and not row["context_hit"]:
                print(f"--- {item.id}: {item.question} {item.facts}\n{text}\n", file=sys.stderr)
    n = len(rows)
    summary = {"questions": n, **{k: sum(r[k] for r in rows) / n for k in ("context_hit", "support_retrieved",
                                                                            "support_kept")},
               "tokens_p50": statistics.median(r["tokens"] for r in rows),
               "sources_mean": sum(r["sources"] for r in rows) / n, "settings": overrides}
    path = write_results("context_recall", {"summary": summary, "results": rows})
    print("misses:", " ".join(r["id"] for r in rows if not r["context_hit"]))
    print_table(list(summary), [list(summary.values())])
    print(f"-> {path}")


if __name__ == "__main__":
    main()
