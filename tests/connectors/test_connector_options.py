"""CLI flags round-trip into ConnectorOptions, and load_sources dispatches every kind of source."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import ConnectorOptions, FileConnector, WebConnector, connector_for, load_sources
from connectors.dotted import TemplateError, get_path, render
from connectors.options import add_arguments, from_args
from rag.core.types import Document, Skipped


def parse(argv: list[str]) -> ConnectorOptions:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return from_args(parser.parse_args(argv))


def test_defaults_are_safe() -> None:
    options = parse([])
    assert options == ConnectorOptions()
    assert (options.hidden, options.allow_private, options.crawl_depth) == (False, False, 0)


def test_every_flag_reaches_the_options() -> None:
    options = parse([
        "--include", "*.md", "--include", "*.pdf", "--exclude", "drafts", "--hidden", "--max-file-mb", "0.5",
        "--csv-text-columns", "title, body", "--csv-metadata-columns", "year", "--csv-id-column", "sku",
        "--csv-whole-file", "--json-records", "data.items", "--json-text-field", "title", "--json-text-field",
        "body", "--json-id-field", "meta.id", "--json-metadata-field", "author", "--crawl-depth", "2",
        "--max-pages", "9", "--allow-private", "--http-timeout", "3", "--api", "a.yaml", "--api", "b.toml",
    ])
    assert options == ConnectorOptions(
        include=("*.md", "*.pdf"), exclude=("drafts",), hidden=True, max_file_bytes=512 * 1024,
        csv_rows=False, csv_text_columns=("title", "body"), csv_metadata_columns=("year",), csv_id_column="sku",
        json_records_path="data.items", json_text_fields=("title", "body"), json_id_field="meta.id",
        json_metadata_fields=("author",), crawl_depth=2, max_pages=9, allow_private=True, http_timeout=3.0,
        api_specs=("a.yaml", "b.toml"),
    )


def test_negative_crawl_depth_is_rejected() -> None:
    with pytest.raises(SystemExit):
        parse(["--crawl-depth", "-1"])


class Fixed:
    def load(self) -> Iterator[Document | Skipped]:
        yield Document("custom:1", "from a custom connector")


def test_load_sources_dispatch(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("file text", encoding="utf-8")
    given = Document("given:1", "given text")
    items = list(load_sources([given, Fixed(), tmp_path, "ftp://example.com/file"]))
    assert items[0] is given
    assert items[1].source_id == "custom:1"
    assert isinstance(items[2], Document) and items[2].text == "file text"
    assert isinstance(items[3], Skipped) and "unsupported URL scheme ftp" in items[3].reason
    assert isinstance(connector_for("https://example.com/"), WebConnector)
    assert isinstance(connector_for(str(tmp_path)), FileConnector)


def test_dotted_lookup_and_safe_templates() -> None:
    record = {"a": {"b": [{"c": "deep"}]}, "n": 3, "tags": ["x", "y"], "none": None}
    assert get_path(record, "a.b.0.c") == "deep"
    assert get_path(record, "a.b.5.c", "default") == "default"
    assert render("{a.b.0.c} {n} {tags} [{none}] [{missing}] {{literal}}", record) == "deep 3 x, y [] [] {literal}"
    for bad in ("{n!r}", "{n:>10}", "{a[b]}", "{__class__}", "{a.__dict__}", "{"):
        with pytest.raises(TemplateError):
            render(bad, record)
