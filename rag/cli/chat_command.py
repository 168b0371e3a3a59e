"""``ragloom chat --index DIR``: a terminal conversation with streaming answers and history.

``/exit`` (or end of input) quits; ``/clear`` forgets the history. Follow-ups are rewritten into
standalone retrieval queries by the pipeline.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from typing import Any

from rag.cli.ask_command import add_generation_arguments, ask_options, open_answering_rag, print_sources
from rag.core.answer import Answer
from rag.core.types import Message

_HISTORY_MESSAGES = 12  # older turns rarely matter and cost prompt tokens every time


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("chat", help="chat with an index in the terminal (/exit, /clear)")
    add_generation_arguments(parser)
    parser.set_defaults(func=run)


def _prime(rag: Any, options: Any) -> None:
    with contextlib.suppress(Exception):  # the first answer loads and reads it anyway, and reports real errors
        rag.answerer.prime(options)


def run(args: argparse.Namespace) -> int:
    rag = open_answering_rag(args)
    options = ask_options(args, rag)
    history: list[Message] = []
    if rag.settings.backend == "llamacpp":  # read the fixed prompt start while the user types the first question
        threading.Thread(target=_prime, args=(rag, options), daemon=True).start()
    print("ragloom chat: ask a question; /clear forgets the conversation, /exit quits.")
    while True:
        try:
            line = input("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not line:
            continue
        if line in ("/exit", "/quit"):
            return 0
        if line == "/clear":
            history.clear()
            print("(history cleared)")
            continue
        messages: list[Message] = [*history[-_HISTORY_MESSAGES:], {"role": "user", "content": line}]
        print("ragloom> ", end="", flush=True)
        answer = None
        for item in rag.stream_chat(messages, options, tools=list(rag.tools)):
            if isinstance(item, Answer):
                answer = item
            else:
                sys.stdout.write(item)
                sys.stdout.flush()
        print()
        if answer is not None:
            print_sources(answer)
            history += [{"role": "user", "content": line}, {"role": "assistant", "content": answer.text}]
