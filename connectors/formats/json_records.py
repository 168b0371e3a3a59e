"""JSON and JSON Lines: one document per record.

A ``.json`` file holds a list of records, or an object with the list at ``json_records_path``, or a
single record. Text comes from ``json_text_fields`` (dotted paths), else the first of
``text``/``content``/``body``, else every scalar field as ``key: value`` lines. Records are keyed
``<path>#id=<json_id_field value>`` or ``<path>#record=<1-based position>``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from connectors.dotted import as_scalar, as_text, get_path
from connectors.formats.base import FileInfo, FormatError, decode_text
from rag.core.types import Document, Skipped

SUFFIXES = (".json", ".jsonl", ".ndjson")
_DEFAULT_TEXT = ("text", "content", "body")
_RESERVED = {"source", "file_type", "title", "modified", "row", "page", "section", "record"}


def read(info: FileInfo, data: bytes) -> Iterator[Document | Skipped]:
    text = decode_text(data)
    if not text.strip():
        raise FormatError("no text (only whitespace)")
    if info.path.suffix.lower() == ".json":
        yield from _records(info, enumerate(_json_records(info, text), start=1))
    else:
        yield from _records(info, _jsonl_records(info, text))


def _json_records(info: FileInfo, text: str) -> list[Any]:
    value = parse_json(text, info.options.max_json_depth)
    path = info.options.json_records_path
    if path:
        value = get_path(value, path)
        if not isinstance(value, list):
            raise FormatError(f"no list of records at '{path}'")
        return value
    return value if isinstance(value, list) else [value]


def _jsonl_records(info: FileInfo, text: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, parse_json(line, info.options.max_json_depth)
        except FormatError as exc:
            yield number, Skipped(f"{info.source}#record={number}", f"line {number}: {exc}")


def parse_json(text: str, max_depth: int) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` (later steps recurse over the value)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise FormatError(f"JSON nested deeper than the {max_depth}-level limit") from exc
    depth = nesting_depth(value)
    if depth > max_depth:
        raise FormatError(f"JSON nested {depth} levels deep, over the {max_depth}-level limit")
    return value


def nesting_depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _records(info: FileInfo, records: Iterator[tuple[int, Any]]) -> Iterator[Document | Skipped]:
    options = info.options
    for number, record in records:
        if isinstance(record, Skipped):
            yield record
            continue
        body = record_text(record, options.json_text_fields)
        if not body.strip():
            yield Skipped(f"{info.source}#record={number}", "record has no text")
            continue
        key = as_text(get_path(record, options.json_id_field)) if options.json_id_field else ""
        suffix = f"#id={key}" if key else f"#record={number}"
        meta = {f: as_scalar(get_path(record, f)) for f in options.json_metadata_fields if f not in _RESERVED}
        title = as_text(get_path(record, "title")) if isinstance(record, dict) else ""
        yield info.document(body, "json", suffix=suffix, title=title or f"{info.path.stem} record {number}",
                            record=number, **meta)


def record_text(record: Any, fields: tuple[str, ...]) -> str:
    """The text of one record: the chosen fields, a usual text field, or all scalar fields."""
    if not isinstance(record, dict | list):
        return as_text(record)
    if fields:
        return "\n\n".join(t for t in (as_text(get_path(record, f)) for f in fields) if t.strip())
    if isinstance(record, dict):
        for name in _DEFAULT_TEXT:
            if isinstance(record.get(name), str) and record[name].strip():
                return record[name]
    return "\n".join(f"{k}: {as_text(v)}" for k, v in _scalars(record, ""))


def _scalars(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        name = f"{prefix}{key}"
        if isinstance(item, dict | list):
            yield from _scalars(item, name + ".")
        elif item is not None and as_text(item).strip():
            yield name, item
