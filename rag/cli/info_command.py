"""``ragloom info --index DIR``: what an index holds."""

from __future__ import annotations

import argparse

from rag.cli.common import add_index_argument, open_rag, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="show documents, chunks, embedder and size of an index")
    add_index_argument(parser)
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with open_rag(args) as rag:
        info = rag.info()
    if args.json:
        print_json(info)
    else:
        for key in ("path", "documents", "chunks", "embedder", "dimension", "index_kind", "bytes"):
            print(f"{key:>10}: {info.get(key)}")
    return 0
