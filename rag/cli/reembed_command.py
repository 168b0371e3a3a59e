"""``ragloom reembed --index DIR --embedder DIR``: switch an index to another embedder in place."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rag.cli.common import settings_from
from rag.config import DEFAULT_EMBEDDER
from rag.core.errors import RagloomError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reembed", help="re-embed every chunk of an index with another embedder (e.g. a tuned one)",
        description="Compute every chunk's vector again with --embedder and save them as a new generation. "
                    "Chunk and document ids, texts and sync state stay; a run killed half way leaves the old "
                    "index intact (run it again to finish). FAISS index kinds only.")
    parser.add_argument("--index", metavar="DIR", help="index folder (default: setting `index`)")
    parser.add_argument("--embedder", required=True, metavar="DIR",
                        help=f"a sentence-transformers folder (from `ragloom tune embedder`) or {DEFAULT_EMBEDDER}")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from indexes.manifest import MANIFEST_NAME
    from indexes.reembed import reembed_index
    from rag.embeddings import create_embedder

    folder = Path(args.index or settings_from(args).index)
    if not (folder / MANIFEST_NAME).is_file():
        raise RagloomError(f"no index at {folder}")
    embedder = create_embedder(args.embedder)
    embedder.warm_up()
    local = args.embedder != DEFAULT_EMBEDDER and Path(args.embedder).expanduser().is_dir()
    bar = tqdm(desc="re-embedding", unit=" chunk", disable=not sys.stderr.isatty(), dynamic_ncols=True)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        report = reembed_index(folder, embedder.name, embedder.dimension,
                               lambda texts: embedder.embed_documents(list(texts)),
                               str(Path(args.embedder).expanduser().resolve()) if local else None, progress)
    finally:
        bar.close()
    if report["done"] == "unchanged":
        print(f"{folder} already uses embedder {report['to']}; nothing to do")
    elif report["done"] == "finished":
        print(f"{folder}: finished an interrupted re-embed ({report['from']} -> {report['to']})")
    else:
        print(f"re-embedded {report['chunks']:,} chunks of {folder}: {report['from']} -> {report['to']} "
              "(chunk and document ids and sync state kept)")
    return 0
