"""``ragloom ingest PATH... --index DIR``: add or update documents, incrementally."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from connectors import options as connector_options
from indexes.factory import index_kinds
from rag.cli.common import add_index_argument, open_rag, print_json
from rag.core.errors import RagloomError
from rag.ingest import SyncMode


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest", help="add files, folders or URLs to an index (only changes are written)",
        description="Add or update documents. Unchanged documents write nothing; changed ones replace their "
                    "chunks; --sync full also removes documents whose source is gone.")
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files, folders or http(s) URLs")
    add_index_argument(parser)
    parser.add_argument("--sync", choices=[m.value for m in SyncMode], default=SyncMode.ADD.value,
                        help="add: add new and update changed (default); full: also delete documents not seen")
    parser.add_argument("--no-chunk", action="store_true", help="one chunk per document (for evaluation)")
    parser.add_argument("--index-kind", choices=index_kinds(), help="vector index of a new index: flat (exact, the "
                        "default), hnsw or ivf (approximate, for hundreds of thousands of chunks and more), "
                        "or milvus (setting milvus_uri; default Milvus Lite inside the index folder)")
    parser.add_argument("--ray", metavar="ADDRESS", help="chunk and embed on a Ray cluster: auto (the cluster "
                        "started on this machine), host:port of a head node, or local (a throwaway one here)")
    parser.add_argument("--ray-read", action="store_true", help="with --ray: the workers read the files too (the "
                        "paths must exist on every node, e.g. a shared file system)")
    parser.add_argument("--json", action="store_true", help="print the run report as one JSON object")
    parser.add_argument("--strict", action="store_true", help="exit non-zero if any source was skipped or failed")
    connector_options.add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = connector_options.from_args(args)
    if not args.paths and not getattr(options, "api_specs", ()):
        raise RagloomError("nothing to ingest: give at least one PATH (or --api SPEC)")
    for path in args.paths:
        # A mistyped path is a mistake to report, not an empty source (with --sync full it would delete).
        if "://" not in path and not Path(path).exists():
            raise RagloomError(f"no such file or folder: {path}")
    with open_rag(args, must_exist=False) as rag:
        if getattr(args, "ocr_images", None) is None and rag.settings.ocr_images:
            options = replace(options, ocr_images=True)  # the setting, when the flag is not given
        existing = rag.info()["index_kind"] if args.index_kind and rag.exists else None
        if existing and existing != args.index_kind:
            raise RagloomError(f"index {rag.path} is {existing}; --index-kind only applies when creating an index "
                               "(ingest into a new --index to change it)")
        report = rag.ingest(args.paths, sync=args.sync, chunk=not args.no_chunk, options=options,
                            progress=not args.json and sys.stderr.isatty(), ray=args.ray,
                            read_on_workers=args.ray_read)
    if args.json:
        print_json({key: value for key, value in report.to_dict().items()})
    else:
        print(report.summary())
        for error in report.errors:
            print(f"  skipped {error['source']}: {error['reason']}", file=sys.stderr)
        for page in report.low_confidence:
            print(f"  low OCR confidence {page['confidence']:.2f}: {page['source']}", file=sys.stderr)
    wrote = report.added + report.updated + report.unchanged + report.deleted
    if args.strict and (report.skipped or report.failed):
        return 1
    return 1 if wrote == 0 and (report.skipped or report.failed) else 0
