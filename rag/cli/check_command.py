"""``ragloom check --index DIR [--repair]``: verify an index, one line per problem; repair what can be rebuilt."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexes.check import check_index
from indexes.locking import IndexBusyError, WriterLock
from indexes.repair import repair_index
from rag.cli.common import add_index_argument, print_json, settings_from
from rag.core.errors import RagloomError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check", help="verify an index (checksums, ids, SQLite, keyword index) and optionally repair it",
        description="Verify everything an index folder promises and print one line per problem; exit status 1 "
                    "when there is any. With --repair, rebuild what can be rebuilt from what survives (vectors "
                    "from chunk texts, the keyword index, the manifest); user data is never dropped silently.")
    add_index_argument(parser)
    parser.add_argument("--repair", action="store_true", help="rebuild what can be rebuilt, then check again")
    parser.add_argument("--json", action="store_true", help="print the problems (and repairs) as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    folder = Path(args.index or settings_from(args).index)
    done: list[str] = []
    lock = WriterLock(folder)
    if args.repair:
        done = repair_index(folder, _embedder_for, progress=_progress)
    elif folder.is_dir():
        try:  # a save in progress would look like orphan files: refuse while a writer works
            lock.acquire()
        except IndexBusyError:
            raise
        except RagloomError:
            pass  # a read-only folder: nobody writes it, check it as it is
    try:
        findings = check_index(folder)
        problems = findings.problems
    finally:
        lock.release()
    if args.json:
        print_json({"index": str(folder), "repaired": done, "notes": findings.notes,
                    "problems": [{"problem": p.text, "repair": p.repair} for p in problems]})
        return 1 if problems else 0
    for line in done:
        print(f"repaired: {line}")
    for note in findings.notes:
        print(f"note: {note}")
    for problem in problems:
        hint = f" (--repair would {problem.repair})" if problem.repair and not args.repair else ""
        print(f"problem: {problem.text}{hint}")
    if problems:
        advice = "" if args.repair else "; run `ragloom check --index DIR --repair`".replace("DIR", str(folder))
        print(f"{len(problems)} problem(s) in {folder}{advice}", file=sys.stderr)
        return 1
    print(f"index {folder} is sound")
    return 0


def _embedder_for(name: str):  # noqa: ANN202 - a callable of texts to unit vectors
    from rag.embeddings import create_embedder

    embedder = create_embedder(name)

    def embed(texts: Sequence[str]) -> np.ndarray:
        return embedder.embed_documents(list(texts))

    return embed


def _progress(message: str) -> None:
    print(f"\r{message}", end="", file=sys.stderr, flush=True)
