"""CSV/TSV: one document per row (``row`` = 1-based data row) or, if asked, one per file.

Row text is ``column: value`` lines over the text columns (default: every column not kept as
metadata), so a retrieved row still says what each value means. Rows are keyed
``<path>#row=<id column value or row number>``; ``source`` stays the file so sync can group them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from connectors.formats.base import FileInfo, FormatError, decode_text
from rag.core.types import Document, Skipped

SUFFIXES = (".csv", ".tsv")
_RESERVED = {"source", "file_type", "title", "modified", "row", "page", "section"}


def read(info: FileInfo, data: bytes) -> Iterator[Document | Skipped]:
    options = info.options
    text = decode_text(data)
    if not text.strip():
        raise FormatError("no text (only whitespace)")
    # a process-wide setting in the csv module; every CSV this process reads gets the same limit
    csv.field_size_limit(options.max_csv_field_chars)
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=_dialect(text, info))
    columns = [c for c in (reader.fieldnames or []) if c is not None]
    if not columns:
        raise FormatError("no header row")
    missing = [c for c in (*options.csv_text_columns, *options.csv_metadata_columns) if c not in columns]
    if options.csv_id_column:
        missing += [] if options.csv_id_column in columns else [options.csv_id_column]
    if missing:
        raise FormatError(f"no column(s) {', '.join(missing)} in header {', '.join(columns)}")
    text_columns = list(options.csv_text_columns) or [c for c in columns if c not in options.csv_metadata_columns]
    whole: list[str] = []
    try:
        for number, row in enumerate(reader, start=1):
            body = "\n".join(f"{c}: {(row.get(c) or '').strip()}" for c in text_columns if (row.get(c) or "").strip())
            if not body:
                continue
            if not options.csv_rows:
                whole.append(body)
                continue
            key = (row.get(options.csv_id_column) or "").strip() if options.csv_id_column else ""
            meta = {c: row.get(c) for c in options.csv_metadata_columns if c not in _RESERVED}
            yield info.document(body, "csv", suffix=f"#row={key or number}", title=f"{info.path.stem} row {number}",
                                row=number, **meta)
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise FormatError(f"a field near line {reader.line_num} is over the {options.max_csv_field_chars} "
                              "character limit") from exc
        raise FormatError(f"malformed CSV near row {reader.line_num}: {exc}") from exc
    if not options.csv_rows:
        if not whole:
            raise FormatError("no rows with text")
        yield info.document("\n\n".join(whole), "csv", title=info.path.stem)


def _dialect(text: str, info: FileInfo) -> type[csv.Dialect] | csv.Dialect:
    if info.path.suffix.lower() == ".tsv":
        return csv.excel_tab
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        return csv.excel
