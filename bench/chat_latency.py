"""How long a person waits in ``ragloom chat`` on the bundled sample corpus, and where the time goes.

Runs the chat the way ``ragloom chat`` does (``RAG.stream_chat`` with the settings' defaults: full
answers, sources by evidence, the default 1.5B model; the fixed prompt start primed while the user
types), over the issue's three questions (one a follow-up) and a handful of other sample-corpus
questions and follow-ups. For each answer it records the wait to the first answer text as a user
sees it (rewrite + retrieval + focus + prompt reading), the total, the answer's words, and the
pipeline's own split: retrieval (including any follow-up rewrite), prompt tokens, decode speed.

    flock /tmp/ragloom-bench.lock python -m bench.chat_latency [--model qwen2.5-coder-1.5b] [--index DIR]

Writes ``bench/results/chat_latency-<time>.json`` (and ``-latest``) and prints a table.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import print_table, write_results

# (conversation of user turns): the first is issue 11's table; each later turn is a follow-up.
CONVERSATIONS: list[list[str]] = [
    ["How does ragloom keep the index safe if the process is killed during a save?",
     "And which file holds the chunk texts?"],
    ["Which sampling settings can I change?", "What is the default for top-p?"],
    ["What is the default chunk size?", "Why that size?"],
    ["How do I ingest a folder of documents?"],
    ["Why does ragloom not use pickle?"],
    ["What does a full sync do?", "And what happens to unchanged files?"],
    ["Which embedder does ragloom use by default?"],
    ["How are metadata filters applied in a search?"],
    ["What is the capital of Australia?"],  # off-topic: must be declined
]
_CITATION = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")


def _words(text: str) -> int:
    return len(_CITATION.sub("", text).split())


def run(args: argparse.Namespace) -> dict[str, Any]:
    from rag import RAG
    from rag.config import load_settings
    from rag.core.answer import Answer
    from ui.sample import sample_corpus_dir

    settings = load_settings().with_(model=args.model, threads=args.threads)
    with tempfile.TemporaryDirectory(prefix="ragloom-chat-bench-") as tmp:
        folder = Path(args.index or Path(tmp) / "index")
        rag = RAG(folder, settings=settings)
        if not rag.exists:
            rag.ingest([sample_corpus_dir()])
        loaded = time.perf_counter()
        rag.generator.warm_up()
        load_seconds = time.perf_counter() - loaded
        options = rag.ask_options()
        primed = time.perf_counter()
        rag.answerer.prime(options)  # what `ragloom chat` does while the user types the first question
        prime_seconds = time.perf_counter() - primed
        rows: list[dict[str, Any]] = []
        for conversation in CONVERSATIONS[: args.conversations]:
            history: list[dict[str, str]] = []
            for turn, question in enumerate(conversation):
                started = time.perf_counter()
                first = None
                answer = None
                for item in rag.stream_chat([*history, {"role": "user", "content": question}], options):
                    if isinstance(item, Answer):
                        answer = item
                    elif first is None and item.strip():
                        first = time.perf_counter() - started
                total = time.perf_counter() - started
                assert answer is not None
                t = answer.timings
                rows.append({
                    "question": question, "follow_up": turn > 0, "answer": answer.text, "refused": answer.refused,
                    "ttft_seconds": round(first if first is not None else total, 3),
                    "total_seconds": round(total, 3), "words": _words(answer.text),
                    "retrieve_seconds": round(t.retrieve_seconds, 3),
                    "model_first_token_seconds": round(t.first_token_seconds, 3),
                    "prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens,
                    "tokens_per_second": round(t.tokens_per_second, 2), "sources": len(answer.sources),
                    "citations": [c.number for c in answer.citations], "query": answer.query,
                    "claims_supported": sum(c.supported for c in answer.claims), "claims": len(answer.claims),
                    "notes": list(answer.notes),
                })
                history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
                print(f"\nQ: {question}\nA: {answer.text}\n   ttft {rows[-1]['ttft_seconds']:.2f} s, "
                      f"total {total:.2f} s, {rows[-1]['words']} words, {answer.prompt_tokens} prompt tokens, "
                      f"retrieval {t.retrieve_seconds:.2f} s", flush=True)
        rag.close()
    answered = [r for r in rows if not r["refused"]]

    def p50(key: str, items: list[dict[str, Any]]) -> float | None:
        return round(statistics.median(r[key] for r in items), 3) if items else None

    summary = {
        "questions": len(rows), "answered": len(answered),
        "ttft_p50": p50("ttft_seconds", answered), "total_p50": p50("total_seconds", answered),
        "words_p50": p50("words", answered),
        "follow_up_ttft_p50": p50("ttft_seconds", [r for r in answered if r["follow_up"]]),
        "first_turn_ttft_p50": p50("ttft_seconds", [r for r in answered if not r["follow_up"]]),
        "retrieve_p50": p50("retrieve_seconds", answered), "prompt_tokens_p50": p50("prompt_tokens", answered),
        "completion_tokens_p50": p50("completion_tokens", answered),
        "tokens_per_second_p50": p50("tokens_per_second", answered),
        "model_load_seconds": round(load_seconds, 2), "prime_seconds": round(prime_seconds, 2),
    }
    return {"summary": summary, "rows": rows, "model": settings.model or "default",
            "threads": settings.threads, "load_average": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="bundled model name or GGUF path (default: the settings')")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--index", default=None, help="an existing sample-corpus index (default: build one)")
    parser.add_argument("--conversations", type=int, default=len(CONVERSATIONS),
                        help=f"run only the first N conversations (default all {len(CONVERSATIONS)})")
    args = parser.parse_args()
    result = run(args)
    path = write_results("chat_latency", result)
    s = result["summary"]
    print_table(["answered", "ttft p50", "total p50", "words p50", "follow-up ttft p50", "prompt tok p50",
                 "tok/s p50", "load avg"],
                [[f"{s['answered']}/{s['questions']}", s["ttft_p50"], s["total_p50"], s["words_p50"],
                  s["follow_up_ttft_p50"], s["prompt_tokens_p50"], s["tokens_per_second_p50"],
                  round(result["load_average"][0], 2)]])
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
