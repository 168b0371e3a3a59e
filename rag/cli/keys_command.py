"""``ragloom keys create|list|revoke --index DIR``: API keys for ``ragloom serve``, stored hashed beside the index."""

from __future__ import annotations

import argparse
import json

from rag import RagloomError, parse_cli_filters
from rag.cli.common import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("keys", help="create, list or revoke API keys for `ragloom serve`",
                                   description="API keys for `ragloom serve`. Keys are stored hashed in "
                                               "DIR/.ragloom-service/keys.sqlite; the key itself is shown once.")
    actions = parser.add_subparsers(title="actions", metavar="ACTION")
    create = actions.add_parser("create", help="make a new key (printed on the last line)")
    _index(create)
    create.add_argument("--collection", action="append", default=[], metavar="NAME",
                        help="a collection the key may use (repeatable; default: the collection of --index)")
    create.add_argument("--filter", action="append", default=[], metavar="EXPR",
                        help="metadata scope merged into every search of this key: key=value, key!=value, "
                             "key>=n ... (repeat a key= for any-of)")
    create.add_argument("--read-only", action="store_true", help="search and answer only: no ingest or delete")
    create.add_argument("--rate-limit", type=float, default=None, metavar="N",
                        help="requests per minute for this key (default: the server's --rate-limit)")
    create.set_defaults(func=run_create)
    listing = actions.add_parser("list", help="show the keys (never the secrets)")
    _index(listing)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_list)
    revoke = actions.add_parser("revoke", help="disable a key by its id")
    _index(revoke)
    revoke.add_argument("key_id")
    revoke.set_defaults(func=run_revoke)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _index(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", required=True, metavar="DIR", help="the index folder whose keys these are")


def _store(args: argparse.Namespace):  # noqa: ANN202 - KeyStore, imported lazily
    from pathlib import Path

    from rag.service.keys import KeyStore

    if not Path(args.index).is_dir():
        raise RagloomError(f"no index folder {args.index}")
    return KeyStore(args.index)


def run_create(args: argparse.Namespace) -> int:
    scope = parse_cli_filters(args.filter) if args.filter else {}
    if args.rate_limit is not None and args.rate_limit < 0:
        raise RagloomError("--rate-limit must be >= 0")
    record, secret = _store(args).create(args.collection, scope, args.read_only, args.rate_limit)
    collections = ", ".join(record.collections) if record.collections else "this index's collection"
    print(f"key {record.id}: {collections}; scope {json.dumps(record.filter) if record.filter else 'everything'}"
          f"{'; read-only' if record.read_only else ''}. Store it now: it is not shown again.")
    print(secret)
    return 0


def run_list(args: argparse.Namespace) -> int:
    records = _store(args).list()
    if args.json:
        print_json([{"id": r.id, "collections": r.collections, "filter": r.filter, "read_only": r.read_only,
                     "rate_per_minute": r.rate_per_minute, "created": r.created, "revoked": r.revoked}
                    for r in records])
        return 0
    if not records:
        print("no keys")
    for r in records:
        state = "revoked" if r.revoked else ("read-only" if r.read_only else "read-write")
        print(f"{r.id}  {r.created}  {state:10}  collections={list(r.collections or ['(this index)'])}  "
              f"scope={json.dumps(r.filter)}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    if not _store(args).revoke(args.key_id):
        raise RagloomError(f"no live key {args.key_id!r} in {args.index}")
    print(f"revoked {args.key_id}")
    return 0
