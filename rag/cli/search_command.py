"""``ragloom search "query" --index DIR``: the chunks closest in meaning, with cosine scores."""

from __future__ import annotations

import argparse

from indexes.filters import parse_cli_filters
from rag.cli.common import add_index_argument, open_rag, print_json, shorten
from rag.retrieval import RetrievalMode


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("search", help="find the chunks most similar to a query",
                                   description="Rank chunks by meaning (cosine), keywords (BM25) or both (hybrid, the "
                                               "default). Scores: cosine in dense mode, BM25 in keyword mode, the "
                                               "fused score in [0, 1] in hybrid mode (cosine shown beside it).")
    parser.add_argument("query")
    add_index_argument(parser)
    parser.add_argument("-k", type=int, default=None, help="how many results (default 5)")
    parser.add_argument("--filter", action="append", default=[], metavar="EXPR",
                        help="metadata filter: key=value, key!=value, key>=n, key<n; repeat a key= for any-of")
    parser.add_argument("--min-score", type=float, default=None, help="drop results below this cosine similarity")
    parser.add_argument("--mode", choices=[m.value for m in RetrievalMode], default=None,
                        help="dense (cosine), keyword (BM25) or hybrid (both fused; default)")
    parser.add_argument("--mmr", action="store_true", help="diversify results (maximal marginal relevance)")
    parser.add_argument("--documents", action="store_true", help="one result per document (its best chunk)")
    parser.add_argument("--json", action="store_true", help="print results as a JSON list")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    filter = parse_cli_filters(args.filter) if args.filter else None
    with open_rag(args) as rag:
        hits = rag.search(args.query, k=args.k, filter=filter, min_score=args.min_score, mode=args.mode,
                          mmr=args.mmr, documents=args.documents)
    if args.json:
        print_json([{"rank": h.rank, "score": round(h.score, 6), "cosine": _round(h.cosine),
                     "keyword": _round(h.keyword), "text": h.chunk.text,
                     "document_id": h.chunk.document_id, "source": h.chunk.metadata.get("source", h.chunk.document_id),
                     "metadata": h.chunk.metadata} for h in hits])
        return 0
    if not hits:
        print("no matching chunks")
    for h in hits:
        cosine = f"  cosine {h.cosine:.3f}" if h.cosine is not None and h.cosine != h.score else ""
        print(f"{h.rank:>2}. {h.score:.3f}{cosine}  {h.chunk.metadata.get('source', h.chunk.document_id)}")
        print(f"    {shorten(h.chunk.text)}")
    return 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
