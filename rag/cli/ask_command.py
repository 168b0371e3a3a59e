"""``ragloom ask "question" --index DIR``: one grounded answer, streamed, then its numbered sources.

The generation options here (sampling, backend, model, -k, task) are shared with ``ragloom chat``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from rag.cli.common import add_index_argument, settings_from
from rag.cli.explain_output import add_explain_arguments, explain, print_explanation
from rag.core.answer import Answer
from rag.core.errors import ConfigError
from rag.core.options import ANSWER_STYLES, AskOptions
from rag.core.sampling import SamplingParams
from rag.prompts.framing import source_title
from rag.prompts.tasks import TASKS


def add_generation_arguments(parser: argparse.ArgumentParser) -> None:
    """Sampling, model and retrieval options common to ``ask`` and ``chat``."""
    add_index_argument(parser)
    parser.add_argument("--task", choices=sorted(TASKS), default="qa", help="what to do with the sources")
    parser.add_argument("--style", choices=ANSWER_STYLES, default=None,
                        help="full: a complete, cited sentence or short list; short: an extractive span for "
                             "span-QA evaluation (default: setting answer_style, full)")
    parser.add_argument("--language", help="target language for --task translate")
    parser.add_argument("-k", type=int, default=None,
                        help="sources per answer (default: chosen by score gaps and a token budget)")
    parser.add_argument("--min-score", type=float, default=None, help="drop sources below this cosine score")
    sampling = parser.add_argument_group("sampling (greedy unless a sampling option is given)")
    sampling.add_argument("--greedy", action="store_true", help="always take the most likely token")
    sampling.add_argument("--temperature", type=float, help="sampling temperature (> 0)")
    sampling.add_argument("--top-k", type=int, help="sample from the k most likely tokens (0 = off)")
    sampling.add_argument("--top-p", type=float, help="nucleus sampling mass in (0, 1]")
    sampling.add_argument("--seed", type=int, help="fixed seed to reproduce a sampled answer")
    sampling.add_argument("--max-new-tokens", type=int, default=256, help="answer length cap (default 256)")
    sampling.add_argument("--repetition-penalty", type=float, help="> 1 discourages repeats (1.0 = off)")
    tools = parser.add_argument_group("live API tools")
    tools.add_argument("--tool", action="append", default=[], metavar="SPEC",
                       help="consult this HTTP JSON tool (YAML/TOML spec) for every question; repeatable")
    tools.add_argument("--allow-private-tools", action="store_true",
                       help="let tools reach private or loopback addresses (refused by default)")
    model = parser.add_argument_group("model")
    model.add_argument("--backend", help="llamacpp (default), transformers or openai (default: setting backend)")
    model.add_argument("--model", help="bundled model name, local path, or model on an openai server")


def sampling_from_args(args: argparse.Namespace) -> SamplingParams:
    """Greedy by default; any of temperature/top-k/top-p/seed switches to sampling unless --greedy."""
    sampled = any(getattr(args, name) is not None for name in ("temperature", "top_k", "top_p", "seed"))
    options: dict[str, Any] = {"greedy": args.greedy or not sampled, "max_new_tokens": args.max_new_tokens}
    for name in ("temperature", "top_k", "top_p", "seed", "repetition_penalty"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    return SamplingParams(**options)


def open_answering_rag(args: argparse.Namespace) -> Any:
    """The index from ``--index`` (or settings), answering with ``--backend/--model`` (or settings),
    with every ``--tool`` registered."""
    from rag.api import RAG

    settings = settings_from(args).with_(backend=args.backend, model=args.model)
    rag = RAG.open(args.index or settings.index, settings=settings)
    for spec in args.tool:
        rag.add_tool(spec, allow_private=args.allow_private_tools)
    return rag


def ask_options(args: argparse.Namespace, rag: Any) -> AskOptions:
    """The ``AskOptions`` the flags describe, on top of the settings' defaults."""
    if args.task == "translate" and not args.language:
        raise ConfigError("--task translate needs --language")
    if args.k is not None and args.k < 0:
        raise ConfigError("-k must be >= 0")
    return rag.ask_options(task=args.task, style=args.style, sampling=sampling_from_args(args), k=args.k,
                           target_language=args.language, min_score=args.min_score)


def print_sources(answer: Answer, out: TextIO | None = None) -> None:
    out = out or sys.stdout  # looked up per call: tests and pagers swap sys.stdout
    if answer.refused and not answer.sources:
        return
    cited = {c.number for c in answer.citations}
    print("\nSources:", file=out)
    for number, source in enumerate(answer.sources, start=1):
        mark = "*" if number in cited else " "
        snippet = " ".join(source.chunk.text.split())[:90]
        print(f"{mark}[{number}] {source_title(source)} (score {source.score:.2f}) {snippet}", file=out)
    if answer.dropped:
        print(f"  ({len(answer.dropped)} more sources did not fit the context window)", file=out)
    for note in answer.notes:
        print(f"  note: {note}", file=out)


def print_prompt(answer: Answer, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    print(f"\n--- prompt ({answer.prompt_tokens} tokens) ---", file=out)
    for message in answer.messages:
        print(f"[{message['role']}]\n{message['content']}\n", file=out)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ask", help="answer a question from an index, with cited sources")
    parser.add_argument("question", help="the question (or request, for other tasks)")
    add_generation_arguments(parser)
    parser.add_argument("--show-prompt", action="store_true", help="print the prompt that was sent")
    parser.add_argument("--json", action="store_true", help="print the whole Answer as JSON (no streaming)")
    add_explain_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rag = open_answering_rag(args)
    options = ask_options(args, rag)
    if args.json:
        answer = rag.ask(args.question, options, tools=list(rag.tools))
        data = answer.to_dict()
        if args.explain:
            explanation = explain(answer, args.explain_method)
            data["explain"] = explanation.to_dict() if explanation is not None else None
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    answer = None
    for item in rag.stream(args.question, options, tools=list(rag.tools)):
        if isinstance(item, Answer):
            answer = item
        else:
            print(item, end="", flush=True)
    print()
    if answer is not None:
        print_sources(answer)
        if args.show_prompt:
            print_prompt(answer)
        if args.explain and (explanation := explain(answer, args.explain_method)) is not None:
            print_explanation(explanation)
    return 0
