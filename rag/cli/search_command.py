"""``ragloom search "query" --index DIR``: the chunks closest in meaning, with cosine scores."""

from __future__ import annotations

import argparse

from indexes.filters import parse_cli_filters
from rag.cli.common import add_index_argument, open_rag, print_json, shorten


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("search", help="find the chunks most similar to a query",
                                   description="Rank chunks by cosine similarity to the query.")
    parser.add_argument("query")
    add_index_argument(parser)
    parser.add_argument("-k", type=int, default=None, help="how many results (default 5)")
    parser.add_argument("--filter", action="append", default=[], metavar="EXPR",
                        help="metadata filter: key=value, key!=value, key>=n, key<n; repeat a key= for any-of")
    parser.add_argument("--min-score", type=float, default=None, help="drop results below this cosine score")
    parser.add_argument("--json", action="store_true", help="print results as a JSON list")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    filter = parse_cli_filters(args.filter) if args.filter else None
    with open_rag(args) as rag:
        hits = rag.search(args.query, k=args.k, filter=filter, min_score=args.min_score)
    if args.json:
        print_json([{"rank": h.rank, "score": round(h.score, 6), "text": h.chunk.text,
                     "document_id": h.chunk.document_id, "source": h.chunk.metadata.get("source", h.chunk.document_id),
                     "metadata": h.chunk.metadata} for h in hits])
        return 0
    if not hits:
        print("no matching chunks")
    for h in hits:
        print(f"{h.rank:>2}. {h.score:.3f}  {h.chunk.metadata.get('source', h.chunk.document_id)}")
        print(f"    {shorten(h.chunk.text)}")
    return 0
