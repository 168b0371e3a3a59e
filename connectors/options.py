"""Settings every connector reads, and the CLI flags that set them (owned here, not by the CLI)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectorOptions:
    include: tuple[str, ...] = ()  # glob patterns a file path must match (any); empty = all supported files
    exclude: tuple[str, ...] = ()  # glob patterns that skip a file
    max_file_bytes: int = 50 * 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sources")
    group.add_argument("--include", action="append", default=[], metavar="GLOB", help="only ingest files matching GLOB")
    group.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip files matching GLOB")
    group.add_argument("--max-file-mb", type=float, default=50.0, metavar="MB", help="skip files larger than MB")


def from_args(args: argparse.Namespace) -> ConnectorOptions:
    return ConnectorOptions(
        include=tuple(args.include),
        exclude=tuple(args.exclude),
        max_file_bytes=int(args.max_file_mb * 1024 * 1024),
    )
