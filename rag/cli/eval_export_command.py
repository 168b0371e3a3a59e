"""``ragloom eval export --feedback --index DIR --out set.jsonl``: an evaluation set from users' feedback.

The set (format and choices in ``rag.evaluation.feedback_set``) is read directly by
``ragloom eval retrieval --questions set.jsonl --index DIR`` and
``ragloom eval qa --questions set.jsonl --index DIR``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rag.cli.common import settings_from
from rag.cli.eval_qa_command import _eval_subparsers
from rag.core.errors import ConfigError, RagloomError
from rag.evaluation.feedback_set import ChunkResolver, export_feedback
from rag.feedback import FeedbackStore

DESCRIPTION = """\
Turn the feedback given on answers (ragloom ui, ragloom feedback record) into an evaluation set:
one JSON line per question with its conversation, the chunks judged relevant (marked relevant, or
cited by a thumbs-up answer; "not relevant" marks exclude), and the gold answer where a user
corrected one. Chunk ids are brought up to date with the index (chunks are matched by their text).

examples:
  ragloom eval export --feedback --index my-index --out set.jsonl
  ragloom eval retrieval --questions set.jsonl --index my-index
  ragloom eval qa --questions set.jsonl --index my-index
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = _eval_subparsers(subparsers).add_parser(
        "export", help="write an evaluation set made from users' feedback", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feedback", action="store_true", help="export the feedback stored in the index folder")
    parser.add_argument("--index", metavar="DIR", help="index folder (default: setting `index`, .ragloom/index)")
    parser.add_argument("--out", required=True, metavar="FILE", help="the evaluation set to write (.jsonl)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.feedback:
        raise ConfigError("say what to export: --feedback (the feedback stored in the index folder)")
    settings = settings_from(args)
    folder = Path(args.index or settings.index)
    if not folder.is_dir():
        raise RagloomError(f"no index at {folder}; give the index folder with --index DIR")
    out = Path(args.out)
    if out.is_dir():
        raise ConfigError(f"--out {out} is a folder; give a file name such as {out / 'set.jsonl'}")
    if not out.parent.is_dir():
        raise ConfigError(f"--out {out}: the folder {out.parent} does not exist")
    records = FeedbackStore(folder).list()
    if not records:
        raise RagloomError(f"no feedback in {folder} yet: rate answers in `ragloom ui --index {folder}` "
                           "or with `ragloom feedback record`")
    from rag.api import RAG

    rag = RAG(folder, settings=settings)
    try:
        resolver = ChunkResolver(rag.chunks, rag.chunk_ids) if rag.exists else None
        report = export_feedback(records, out, resolver)
    finally:
        rag.close()
    if not report.items:
        raise RagloomError(f"nothing to export: {report.summary()}. Correct an answer, mark a relevant source, "
                           "or give a thumbs-up to a good answer")
    print(f"wrote {out}: {report.summary()}")
    return 0
