"""Settings every connector reads, and the CLI flags that set them (owned here, not by the CLI)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectorOptions:
    """What to read and how. Defaults are safe: no hidden files, no private addresses, no crawling."""

    # files and folders
    include: tuple[str, ...] = ()  # globs a path (relative to the root) or file name must match; empty = all supported
    exclude: tuple[str, ...] = ()  # globs that skip a file, or a whole folder when they match it
    hidden: bool = False  # also read dot-files and dot-folders
    max_file_bytes: int = 50 * 1024 * 1024
    # limits against hostile files (over a limit the file is skipped with the reason)
    file_seconds: float = 300.0  # time budget for parsing one file (0 = none); a 5,000-page PDF fits
    max_unpacked_bytes: int = 256 * 1024 * 1024  # zip containers (.docx): all members, uncompressed
    max_unpacked_xml_bytes: int = 48 * 1024 * 1024  # ... their XML parts (parsed into memory as trees)
    max_compression_ratio: float = 100.0  # any member over 1 MB unpacked; zip bombs reach 1000:1
    max_zip_members: int = 10_000
    max_pdf_pages: int = 5_000
    pdf_page_seconds: float = 15.0  # time budget for extracting the text of one PDF page
    ocr: bool = True  # OCR PDF pages that have no text layer (scans); off = such pages are left out
    ocr_images: bool = False  # OCR pictures inside .docx and HTML files (HTML: data: URIs and files in the folder)
    max_csv_field_chars: int = 1024 * 1024
    max_json_depth: int = 256
    # csv
    csv_rows: bool = True  # one document per row; False = one document per file
    csv_text_columns: tuple[str, ...] = ()  # columns that make the text; empty = every column not kept as metadata
    csv_metadata_columns: tuple[str, ...] = ()
    csv_id_column: str | None = None  # stable row key for source ids; default is the row number
    # json / jsonl (fields are dotted paths such as "post.body")
    json_records_path: str | None = None  # where the list of records sits inside a .json object
    json_text_fields: tuple[str, ...] = ()  # empty = "text"/"content"/"body", else every scalar field
    json_id_field: str | None = None
    json_metadata_fields: tuple[str, ...] = ()
    # web
    crawl_depth: int = 0  # 0 = only the given page; N = follow same-host links N levels deep
    max_pages: int = 200  # hard bound on pages fetched per start URL
    allow_private: bool = False  # permit loopback/private/link-local targets (tests, intranets)
    http_timeout: float = 15.0
    max_response_bytes: int = 10 * 1024 * 1024
    # REST/JSON APIs read at ingest time: paths of YAML/TOML spec files
    api_specs: tuple[str, ...] = ()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the source flags to ``parser`` (the ``ragloom ingest`` command)."""
    group = parser.add_argument_group("sources")
    group.add_argument("--include", action="append", default=[], metavar="GLOB", help="only ingest files matching GLOB")
    group.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                       help="skip files or folders matching GLOB")
    group.add_argument("--hidden", action="store_true", help="also ingest hidden files and folders")
    group.add_argument("--max-file-mb", type=float, default=50.0, metavar="MB", help="skip files larger than MB")
    group.add_argument("--file-seconds", type=float, default=300.0, metavar="S",
                       help="skip a file whose parsing takes longer than S seconds (default 300; 0 = no limit)")
    group.add_argument("--no-ocr", action="store_true",
                       help="do not OCR PDF pages without a text layer (scanned pages are then left out)")
    group.add_argument("--ocr-images", action="store_true", default=None,
                       help="OCR pictures inside .docx and HTML files and put their text where they are "
                            "(HTML: data: URIs and image files inside the ingested folder; never fetched). "
                            "Default: the ocr_images setting (off)")
    group.add_argument("--csv-text-columns", type=_csv_list, default=(), metavar="A,B", help="CSV columns used as text")
    group.add_argument("--csv-metadata-columns", type=_csv_list, default=(), metavar="A,B",
                       help="CSV columns kept as metadata")
    group.add_argument("--csv-id-column", default=None, metavar="COL", help="CSV column giving each row a stable id")
    group.add_argument("--csv-whole-file", action="store_true", help="one document per CSV file instead of per row")
    group.add_argument("--json-records", default=None, metavar="PATH",
                       help="dotted path to the list of records inside a .json file")
    group.add_argument("--json-text-field", action="append", default=[], metavar="PATH",
                       help="dotted path of a text field in JSON records (repeatable)")
    group.add_argument("--json-id-field", default=None, metavar="PATH", help="dotted path of the JSON record id")
    group.add_argument("--json-metadata-field", action="append", default=[], metavar="PATH",
                       help="dotted path of a JSON field kept as metadata (repeatable)")
    group.add_argument("--crawl-depth", type=_non_negative, default=0, metavar="N",
                       help="follow same-host links N levels deep from each URL (default 0)")
    group.add_argument("--max-pages", type=_non_negative, default=200, metavar="N",
                       help="fetch at most N pages per URL")
    group.add_argument("--allow-private", action="store_true",
                       help="allow URLs on loopback, private and link-local addresses")
    group.add_argument("--http-timeout", type=float, default=15.0, metavar="S",
                       help="seconds for each HTTP request as a whole (connect, redirects, body)")
    group.add_argument("--api", action="append", default=[], metavar="SPEC",
                       help="ingest a REST/JSON API described by a YAML/TOML spec file (repeatable)")


def from_args(args: argparse.Namespace) -> ConnectorOptions:
    """The options set by the flags from ``add_arguments``."""
    return ConnectorOptions(
        include=tuple(args.include),
        exclude=tuple(args.exclude),
        hidden=args.hidden,
        max_file_bytes=int(args.max_file_mb * 1024 * 1024),
        file_seconds=args.file_seconds,
        ocr=not getattr(args, "no_ocr", False),
        ocr_images=bool(getattr(args, "ocr_images", None)),
        csv_rows=not args.csv_whole_file,
        csv_text_columns=tuple(args.csv_text_columns),
        csv_metadata_columns=tuple(args.csv_metadata_columns),
        csv_id_column=args.csv_id_column,
        json_records_path=args.json_records,
        json_text_fields=tuple(args.json_text_field),
        json_id_field=args.json_id_field,
        json_metadata_fields=tuple(args.json_metadata_field),
        crawl_depth=args.crawl_depth,
        max_pages=args.max_pages,
        allow_private=args.allow_private,
        http_timeout=args.http_timeout,
        api_specs=tuple(args.api),
    )


def _csv_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number
