"""The ``ragloom`` command. Each sub-command lives in its own module with ``register`` and ``run``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from rag.core.errors import RagloomError

# Modules that add sub-commands, in the order --help lists them.
COMMAND_MODULES = (
    "rag.cli.ingest_command",
    "rag.cli.search_command",
    "rag.cli.ask_command",
    "rag.cli.chat_command",
    "rag.cli.documents_command",
    "rag.cli.info_command",
    "rag.cli.eval_command",
    "rag.cli.eval_qa_command",
    "rag.cli.ui_command",
    "rag.cli.serve_command",
    "rag.cli.keys_command",
)

DESCRIPTION = """\
ragloom: chat with your documents, offline.

Ingest files into a local FAISS index, search it by meaning, and ask questions that a
bundled language model answers from what it retrieved, citing its sources.

examples:
  ragloom ingest docs/ --index my-index        index a folder (again: only changes are written)
  ragloom search "how do I reset it?" --index my-index
  ragloom ask "what does the warranty cover?" --index my-index
  ragloom ui --index my-index                  open the chat in a browser
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ragloom", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", metavar="FILE", help="settings file (default: ./ragloom.toml if present)")
    parser.add_argument("--version", action="version", version=f"ragloom {_version()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command not built yet; the rest still work
                continue
            raise
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models come from packages, never the hub
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except RagloomError as exc:
        print(f"ragloom: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ragloom: interrupted (work saved up to the last checkpoint)", file=sys.stderr)
        return 130


def _version() -> str:
    from rag import __version__

    return __version__


if __name__ == "__main__":
    sys.exit(main())
