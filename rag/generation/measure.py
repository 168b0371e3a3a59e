"""Measure a backend on a model: load time, prompt time and decode speed, as one JSON line.

    python -m rag.generation.measure llamacpp qwen2.5-coder-1.5b --threads 2
    python -m rag.generation.measure transformers qwen2.5-coder-0.5b --fresh   # first (converting) load

Numbers mean something only on a quiet machine: llama.cpp's threads spin-wait, so a busy CPU
slows 2 threads far more than 1. The load average at the end is printed beside the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time

from rag.core.sampling import SamplingParams
from rag.generation import create_generator

# About 500 prompt tokens, like a question with three retrieved chunks.
_CONTEXT = " ".join(f"Fact {i}: component {i} of the system handles task {i * 7 % 13}." for i in range(25))
MESSAGES = [
    {"role": "system", "content": "Answer from the context only."},
    {"role": "user", "content": f"Context:\n{_CONTEXT}\n\nQuestion: which components handle task 5? Explain."},
]


def measure(backend: str, model: str, threads: int, new_tokens: int, fresh: bool) -> dict[str, object]:
    generator = create_generator(backend, model, n_threads=threads)
    if fresh and backend == "transformers":
        from rag.generation.models import resolve_model

        converted = generator._converted_dir(resolve_model(model))  # type: ignore[attr-defined]
        if converted is not None:
            shutil.rmtree(converted, ignore_errors=True)
    start = time.perf_counter()
    generator.warm_up()
    load = time.perf_counter() - start
    first = generator.generate(MESSAGES, SamplingParams(max_new_tokens=new_tokens))
    again = generator.generate(MESSAGES, SamplingParams(max_new_tokens=new_tokens))
    return {
        "backend": backend,
        "model": model,
        "threads": threads,
        "load_seconds": round(load, 2),
        "prompt_tokens": first.prompt_tokens,
        "completion_tokens": first.completion_tokens,
        "first_token_seconds": round(first.first_token_seconds, 2),
        "total_seconds": round(first.total_seconds, 2),
        "decode_tokens_per_second": round(max(first.tokens_per_second, again.tokens_per_second), 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backend", choices=["llamacpp", "transformers"])
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--new-tokens", type=int, default=96)
    parser.add_argument("--fresh", action="store_true", help="transformers: drop the converted cache first")
    args = parser.parse_args()
    print(json.dumps(measure(args.backend, args.model, args.threads, args.new_tokens, args.fresh)))


if __name__ == "__main__":
    main()
