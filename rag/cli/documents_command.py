"""``ragloom documents`` / ``ragloom delete``: list and remove indexed documents."""

from __future__ import annotations

import argparse

from rag.cli.common import add_index_argument, open_rag, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    listing = subparsers.add_parser("documents", help="list the documents in an index")
    add_index_argument(listing)
    listing.add_argument("--json", action="store_true", help="print as JSON")
    listing.set_defaults(func=run_list)
    delete = subparsers.add_parser("delete", help="remove documents (by source id, as `documents` lists them)")
    delete.add_argument("sources", nargs="+", metavar="SOURCE")
    add_index_argument(delete)
    delete.set_defaults(func=run_delete)


def run_list(args: argparse.Namespace) -> int:
    with open_rag(args) as rag:
        records = rag.documents()
    if args.json:
        print_json([{"source_id": r.source_id, "chunks": r.chunk_count, "ingested_at": r.ingested_at,
                     "metadata": r.metadata} for r in records])
    else:
        for r in records:
            print(f"{r.chunk_count:>5} chunks  {r.source_id}")
        print(f"{len(records)} documents")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    with open_rag(args) as rag:
        for source in args.sources:
            print(f"deleted {source} ({rag.delete(source)} chunks)")
    return 0
