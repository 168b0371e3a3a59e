"""``ragloom serve --index DIR``: the indexes as an OpenAI-compatible and native HTTP API (see rag.service)."""

from __future__ import annotations

import argparse
import logging
import sys

from rag import RagloomError, load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="serve indexes over HTTP (OpenAI-compatible API + search, ingest jobs)",
        description="Serve one or more indexes as collections over HTTP: OpenAI-compatible /v1/chat/completions, "
                    "/v1/models and /v1/embeddings, plus /v1/search, /v1/ask, /v1/documents and /v1/ingest jobs. "
                    "Bound to 127.0.0.1 unless --host says otherwise (then an API key is required: "
                    "ragloom keys create --index DIR).")
    parser.add_argument("--index", action="append", default=[], metavar="[NAME=]DIR",
                        help="an index folder to serve, named after the folder or NAME (repeatable; "
                             "default: setting `index`)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--rate-limit", type=float, default=600.0, metavar="N",
                        help="requests per minute per API key (default 600; 0 = unlimited)")
    parser.add_argument("--queue", type=int, default=4, metavar="N",
                        help="answers that may wait while one is generated; more get 503 (default 4)")
    parser.add_argument("--max-upload-mb", type=float, default=50.0, metavar="MB",
                        help="largest request body, uploads included (default 50)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from rag.service.app import create_app
        from rag.service.context import Service, ServiceConfig
    except ImportError as exc:
        raise RagloomError(f"ragloom serve needs the server extra ({exc.name} is missing): "
                           "pip install 'ragloom[server]'") from None

    if args.queue < 0 or args.rate_limit < 0 or args.max_upload_mb <= 0 or not 0 <= args.port <= 65535:
        raise RagloomError("--queue and --rate-limit must be >= 0, --max-upload-mb > 0, --port 0-65535")
    settings = load_settings(getattr(args, "config", None))
    config = ServiceConfig(indexes=tuple(args.index or [settings.index]), host=args.host, port=args.port,
                           rate_per_minute=args.rate_limit, queue_size=args.queue, max_upload_mb=args.max_upload_mb)
    service = Service(config, settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    names = ", ".join(f"{c.model_id} ({c.path})" for c in service.collections.values())
    print(f"ragloom: serving {names}", file=sys.stderr)
    if not service.keys.required():
        print("ragloom: no API keys yet: any local program may call this service "
              "(create one with `ragloom keys create --index DIR`)", file=sys.stderr)
    # Keys travel in headers, never in URLs, so uvicorn's access log (paths only) cannot leak them.
    server = uvicorn.Server(uvicorn.Config(create_app(service), host=args.host, port=args.port, log_level="info",
                                           timeout_graceful_shutdown=10))
    server.run()
    return 0
