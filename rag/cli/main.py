"""The ``ragloom`` command. Each sub-command lives in its own module with ``register`` and ``run``."""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import signal
import sys
from collections.abc import Sequence

from rag.core.errors import RagloomError
from rag.core.secrets import redact

# Modules that add sub-commands, in the order --help lists them.
COMMAND_MODULES = (
    "rag.cli.ingest_command",
    "rag.cli.search_command",
    "rag.cli.ask_command",
    "rag.cli.chat_command",
    "rag.cli.documents_command",
    "rag.cli.info_command",
    "rag.cli.check_command",
    "rag.cli.eval_command",
    "rag.cli.eval_qa_command",
    "rag.cli.eval_export_command",
    "rag.cli.feedback_command",
    "rag.cli.ui_command",
    "rag.cli.serve_command",
    "rag.cli.keys_command",
    "rag.cli.tune_command",
    "rag.cli.reembed_command",
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
    # Past a file size limit, writes fail with EFBIG (a one-line error) instead of killing us.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        return int(args.func(args) or 0)
    except RagloomError as exc:
        print(f"ragloom: error: {redact(str(exc))}", file=sys.stderr)  # no secret from the environment
        return 2
    except BrokenPipeError:
        return _closed_pipe()
    except OSError as exc:  # read-only folder, full disk, a path through a file ...
        print(f"ragloom: error: {_os_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ragloom: interrupted (work saved up to the last checkpoint)", file=sys.stderr)
        return 130


def _closed_pipe() -> int:
    """The reader of our output went away (``ragloom search ... | head -1``): stop quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # so flushing at exit can't raise again
    return 141  # what a shell reports for SIGPIPE


def _os_error(exc: OSError) -> str:
    where = f" {exc.filename}" if exc.filename else ""
    reasons = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
               errno.EFBIG: "the file size limit was reached", errno.EROFS: "the file system is read-only",
               errno.EACCES: "permission denied", errno.ENOTDIR: "a part of the path is a file, not a folder",
               errno.ENOENT: "no such file or folder"}
    return f"cannot use{where}: {reasons.get(exc.errno or 0, exc.strerror or str(exc))}"


def _version() -> str:
    from rag import __version__

    return __version__


if __name__ == "__main__":
    sys.exit(main())
