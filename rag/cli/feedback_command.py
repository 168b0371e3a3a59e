"""``ragloom feedback``: the feedback users gave on answers (list, show, record, delete).

Feedback lives beside the index in ``feedback.sqlite``; the chat UI writes it (thumbs, a correction,
relevant / not relevant per source) and so can this command, for an answer saved with
``ragloom ask --json``. ``ragloom eval export --feedback`` turns it into an evaluation set.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rag.cli.common import add_index_argument, print_json, settings_from, shorten
from rag.core.errors import ConfigError, RagloomError
from rag.feedback import RATINGS, FeedbackRecord, FeedbackStore, record_feedback

DESCRIPTION = """\
Feedback on answers, stored in the index folder (feedback.sqlite; re-ingesting keeps it).

examples:
  ragloom feedback list --index my-index
  ragloom feedback show 3f2a9c --index my-index
  ragloom ask "how long is the warranty?" --index my-index --json > answer.json
  ragloom feedback record --answer answer.json --rating down --correction "two years" --index my-index
  ragloom feedback record 3f2a9c --relevant 2 --irrelevant 1 --index my-index
  ragloom eval export --feedback --index my-index --out set.jsonl
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("feedback", help="list, show, record or delete feedback on answers",
                                   description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="feedback_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="one line per answer that got feedback, oldest first")
    add_index_argument(listing)
    listing.add_argument("--json", action="store_true", help="print the records as JSON")
    listing.set_defaults(func=run_list)

    show = actions.add_parser("show", help="one record in full")
    show.add_argument("id", help="feedback id (the answer's id), or its first 6+ characters")
    add_index_argument(show)
    show.add_argument("--json", action="store_true", help="print the record as JSON")
    show.set_defaults(func=run_show)

    record = actions.add_parser(
        "record", help="rate an answer, correct it, mark its sources",
        description="Create feedback for an answer saved with `ragloom ask --json`, or change a stored one "
                    "(options not given keep their recorded value).")
    record.add_argument("id", nargs="?", help="feedback id (or 6+ first characters) of a stored record")
    record.add_argument("--answer", metavar="FILE", help="an answer saved with `ragloom ask ... --json`")
    add_index_argument(record)
    record.add_argument("--rating", choices=RATINGS, help="thumbs up, down, or none")
    record.add_argument("--correction", metavar="TEXT",
                        help='the right answer, briefly (e.g. "two years"); "" removes a correction')
    for name, meaning in (("relevant", "were relevant"), ("irrelevant", "were not relevant"),
                          ("unmark", "lose their mark")):
        record.add_argument(f"--{name}", type=int, nargs="+", default=[], metavar="N",
                            help=f"source numbers [N] of the answer that {meaning}")
    record.set_defaults(func=run_record)

    delete = actions.add_parser("delete", help="remove one record")
    delete.add_argument("id", help="feedback id, or its first 6+ characters")
    add_index_argument(delete)
    delete.set_defaults(func=run_delete)


def store_of(args: argparse.Namespace) -> FeedbackStore:
    folder = Path(args.index or settings_from(args).index)
    if not folder.is_dir():
        raise RagloomError(f"no index at {folder}; give the index folder with --index DIR")
    return FeedbackStore(folder)


def run_list(args: argparse.Namespace) -> int:
    records = store_of(args).list()
    if args.json:
        print_json([r.as_dict() for r in records])
        return 0
    if not records:
        print("no feedback yet (rate answers in `ragloom ui`, or use `ragloom feedback record`)")
        return 0
    for r in records:
        marks = sum(s.relevant is not None for s in r.sources)
        extra = (" corrected" if r.correction else "") + (f" {marks} marks" if marks else "")
        print(f"{r.id[:12]}  {r.updated_at[:16].replace('T', ' ')}  {_thumb(r.rating):<4}{extra:<20}  "
              f"{shorten(r.question, 70)}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    record = store_of(args).resolve(args.id)
    if args.json:
        print_json(record.as_dict())
        return 0
    print(f"id         {record.id}\nrated      {_thumb(record.rating)} ({record.updated_at})")
    for turn in record.history:
        print(f"earlier    {turn['role']}: {shorten(turn['content'], 100)}")
    print(f"question   {record.question}")
    if record.query != record.question:
        print(f"searched   {record.query}")
    print(f"answer     {record.answer}")
    if record.correction:
        print(f"correction {record.correction}")
    for s in record.sources:
        mark = {True: "relevant", False: "not relevant", None: ""}[s.relevant]
        cited = "*" if s.number in record.cited else " "
        print(f"  {cited}[{s.number}] {shorten(s.title, 60)} (chunk {s.chunk_id}) {mark}")
    settings = record.settings
    k = "auto" if settings.get("k") is None else settings["k"]
    print(f"settings   model {settings.get('model', '?')}, style {settings.get('style', '?')}, k {k}, "
          f"sampling {json.dumps(settings.get('sampling', {}))}")
    return 0


def run_record(args: argparse.Namespace) -> int:
    if (args.id is None) == (args.answer is None):
        raise ConfigError("give either a feedback ID or --answer FILE (an answer saved with `ragloom ask --json`)")
    store = store_of(args)
    target: object = args.id
    if args.answer is not None:
        target = _answer_file(args.answer)
    elif not any((args.rating, args.correction is not None, args.relevant, args.irrelevant, args.unmark)):
        raise ConfigError("nothing to record: give --rating, --correction, --relevant, --irrelevant or --unmark")
    feedback_id = record_feedback(store, target, rating=args.rating, correction=args.correction,
                                  relevant=args.relevant, irrelevant=args.irrelevant, unmark=args.unmark)
    print(f"saved feedback {feedback_id} in {store.path}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    store = store_of(args)
    record = store.resolve(args.id)
    store.delete(record.id)
    print(f"deleted feedback {record.id}")
    return 0


def _answer_file(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such answer file") from None
    except (ValueError, UnicodeDecodeError):
        raise ConfigError(f"{path}: not JSON (save an answer with `ragloom ask QUESTION --json > {path}`)") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not an answer saved with `ragloom ask --json`")
    FeedbackRecord.from_answer(data)  # the one-line error for a file that is JSON but not an answer
    return data


def _thumb(rating: str) -> str:
    return {"up": "up", "down": "down"}.get(rating, "-")
