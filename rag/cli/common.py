"""Helpers every CLI command shares: opening the index, settings, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rag.api import RAG
from rag.config import Settings, load_settings


def add_index_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", metavar="DIR", help="index folder (default: setting `index`, .ragloom/index)")
    add_embedder_argument(parser)


def add_embedder_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--embedder", metavar="DIR", help="embedder: a local sentence-transformers folder (e.g. "
                        "from `ragloom tune embedder`) or all-MiniLM-L6-v2 (default: setting `embedder`; an "
                        "existing index uses its own)")


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from file and environment, then the command's own flags on top."""
    return load_settings(getattr(args, "config", None)).with_(index_kind=getattr(args, "index_kind", None),
                                                              embedder=getattr(args, "embedder", None))


def open_rag(args: argparse.Namespace, must_exist: bool = True) -> RAG:
    settings = settings_from(args)
    path = args.index or settings.index
    return RAG.open(path, settings=settings) if must_exist else RAG(path, settings=settings)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def shorten(text: str, width: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
