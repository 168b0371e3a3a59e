"""Every file format read from real files (PDF and DOCX generated here with real libraries)."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from connectors import ConnectorOptions, FileConnector
from rag.core.types import Document, Skipped


def load(path: Path, **options: object) -> list[Document | Skipped]:
    return list(FileConnector(path, ConnectorOptions(**options)).load())  # type: ignore[arg-type]


def docs(items: list[Document | Skipped]) -> list[Document]:
    assert all(isinstance(i, Document) for i in items), [i for i in items if isinstance(i, Skipped)]
    return [i for i in items if isinstance(i, Document)]


def test_common_metadata_on_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Plain notes about widgets.\n", encoding="utf-8")
    (doc,) = docs(load(path))
    assert doc.source_id == str(path.resolve())
    assert doc.text.strip() == "Plain notes about widgets."
    assert doc.metadata["source"] == str(path.resolve())
    assert doc.metadata["file_type"] == "text"
    assert doc.metadata["title"] == "notes"
    assert doc.metadata["modified"].endswith("+00:00") and doc.metadata["modified"][:4].isdigit()
    assert all(isinstance(v, str | int | float | bool) for v in doc.metadata.values())


def test_pdf_one_document_per_page_with_page_numbers(tmp_path: Path, make_pdf) -> None:
    path = tmp_path / "report.pdf"
    make_pdf(path, ["Alpha page talks about apples.", "", "Gamma page talks about grapes."], title="Fruit Report")
    pages = docs(load(path))
    assert [d.metadata["page"] for d in pages] == [1, 3]  # the blank page 2 has nothing to index
    assert [d.source_id for d in pages] == [f"{path.resolve()}#page=1", f"{path.resolve()}#page=3"]
    assert "apples" in pages[0].text and "grapes" not in pages[0].text
    assert "grapes" in pages[1].text
    assert {d.metadata["source"] for d in pages} == {str(path.resolve())}
    assert all(d.metadata["title"] == "Fruit Report" and d.metadata["file_type"] == "pdf" for d in pages)


def test_corrupt_and_fake_pdfs_are_skipped_with_reasons(tmp_path: Path, make_pdf) -> None:
    good = tmp_path / "good.pdf"
    make_pdf(good, ["Some text."])
    (tmp_path / "truncated.pdf").write_bytes(good.read_bytes()[:200])
    (tmp_path / "fake.pdf").write_text("this is not a pdf", encoding="utf-8")
    image_only = tmp_path / "blank.pdf"
    make_pdf(image_only, ["", ""])
    results = {Path(i.source).name: i for i in load(tmp_path) if isinstance(i, Skipped)}
    assert "corrupt PDF" in results["truncated.pdf"].reason
    assert "not a PDF" in results["fake.pdf"].reason
    assert "no extractable text" in results["blank.pdf"].reason


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Quarterly Plan"
    document.add_heading("Goals", level=1)
    document.add_paragraph("Ship the connector package.")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("Owner", "Due"), ("Ana", "Friday")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("Closing remarks.")
    path = tmp_path / "plan.docx"
    document.save(str(path))
    (doc,) = docs(load(path))
    assert doc.metadata["title"] == "Quarterly Plan" and doc.metadata["file_type"] == "docx"
    text = doc.text
    assert text.index("Goals") < text.index("Ship the connector") < text.index("Ana | Friday") < text.index("Closing")


def test_docx_title_falls_back_to_first_heading(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Onboarding Guide", level=1)
    document.add_paragraph("Welcome.")
    path = tmp_path / "guide.docx"
    document.save(str(path))
    (doc,) = docs(load(path))
    assert doc.metadata["title"] == "Onboarding Guide"


def test_html_main_text_without_chrome(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Widget Docs</title><style>p{color:red}</style></head><body>"
        "<header>Site header</header><nav><a href='/x'>Menu item</a></nav>"
        "<main><h1>Widgets</h1><p>Widgets are <b>great</b> &amp; cheap.</p><script>alert('x')</script></main>"
        "<aside>Related ads</aside><footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    (doc,) = docs(load(path))
    assert doc.metadata["title"] == "Widget Docs"
    assert "Widgets are great & cheap." in doc.text
    for noise in ("Site header", "Menu item", "alert", "color:red", "Related ads", "Copyright"):
        assert noise not in doc.text


def test_markdown_sections_carry_heading_paths(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(
        "# User Guide\n\nIntro.\n\n## Install\n\nRun pip.\n\n```sh\n# a comment, not a heading\n```\n\n"
        "### On Windows\n\nUse py.\n\n## Usage\n\nCall it.\n",
        encoding="utf-8",
    )
    sections = docs(load(path))
    assert [d.metadata["section"] for d in sections] == [
        "User Guide", "User Guide > Install", "User Guide > Install > On Windows", "User Guide > Usage"]
    assert all(d.metadata["title"] == "User Guide" for d in sections)
    assert "# a comment, not a heading" in sections[1].text
    assert sections[2].source_id == f"{path.resolve()}#section=user-guide/install/on-windows"
    assert len({d.source_id for d in sections}) == 4


def test_markdown_without_headings_is_one_document(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text("Just a paragraph.\n", encoding="utf-8")
    (doc,) = docs(load(path))
    assert doc.source_id == str(path.resolve()) and doc.metadata["title"] == "plain"
    assert "section" not in doc.metadata



def test_markdown_headings_are_plain_text(tmp_path: Path) -> None:
    """A README's badges and links are not part of the section name the reader and the model see."""
    path = tmp_path / "README.md"
    path.write_text(
        "# Thread-pool Controls [![Build Status](https://ci.example/badge.svg)](https://ci.example) "
        "[![codecov](https://cov.example/b.svg)](https://cov.example)\n\nIntro.\n\n"
        "## See [the API](https://docs.example/api) <sup>new</sup>\n\nCall it.\n\n## ![logo](x.png)\n\nOnly a logo.\n",
        encoding="utf-8",
    )
    sections = docs(load(path))
    assert [d.metadata["section"] for d in sections] == [
        "Thread-pool Controls", "Thread-pool Controls > See the API new", "Thread-pool Controls > ![logo](x.png)"]
    assert sections[0].metadata["title"] == "Thread-pool Controls"
    assert "badge" not in sections[0].text and sections[0].text.startswith("# Thread-pool Controls\n")
    assert sections[1].source_id.endswith("#section=thread-pool-controls/see-the-api-new")

def test_csv_one_document_per_row_with_options(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text('sku,name,description,price\nA1,Lamp,"Bright, warm light",20\nB2,Desk,Solid oak,150\n',
                    encoding="utf-8")
    rows = docs(load(path, csv_text_columns=("name", "description"), csv_metadata_columns=("price",),
                     csv_id_column="sku"))
    assert [d.source_id for d in rows] == [f"{path.resolve()}#row=A1", f"{path.resolve()}#row=B2"]
    assert rows[0].text == "name: Lamp\ndescription: Bright, warm light"
    assert rows[1].metadata["row"] == 2 and rows[1].metadata["price"] == "150"
    assert "sku" not in rows[0].text


def test_csv_defaults_semicolons_whole_file_and_bad_column(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("name;city\nAna;Lisbon\nBo;Oslo\n", encoding="utf-8")
    rows = docs(load(path))
    assert [d.text for d in rows] == ["name: Ana\ncity: Lisbon", "name: Bo\ncity: Oslo"]
    assert [d.metadata["row"] for d in rows] == [1, 2]
    (whole,) = docs(load(path, csv_rows=False))
    assert "Ana" in whole.text and "Oslo" in whole.text and whole.source_id == str(path.resolve())
    (skipped,) = load(path, csv_text_columns=("missing",))
    assert isinstance(skipped, Skipped) and "missing" in skipped.reason


def test_json_list_at_a_dotted_path_with_id_text_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "posts.json"
    path.write_text(json.dumps({"data": {"posts": [
        {"meta": {"id": 7}, "title": "Hello", "body": "First post.", "author": {"name": "Ana"}},
        {"meta": {"id": 9}, "title": "Again", "body": "Second post.", "author": {"name": "Bo"}},
    ]}}), encoding="utf-8")
    records = docs(load(path, json_records_path="data.posts", json_text_fields=("title", "body"),
                        json_id_field="meta.id", json_metadata_fields=("author.name",)))
    assert [d.source_id for d in records] == [f"{path.resolve()}#id=7", f"{path.resolve()}#id=9"]
    assert records[0].text == "Hello\n\nFirst post."
    assert records[1].metadata["author.name"] == "Bo" and records[1].metadata["record"] == 2
    assert records[0].metadata["title"] == "Hello"
    (bad,) = load(path, json_records_path="data.missing")
    assert isinstance(bad, Skipped) and "data.missing" in bad.reason


def test_jsonl_default_text_and_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"id": "e1", "text": "Server started."}\n{broken\n{"id": "e2", "level": "warn", "code": 3}\n',
                    encoding="utf-8")
    items = load(path, json_id_field="id")
    assert isinstance(items[0], Document) and items[0].text == "Server started."
    assert isinstance(items[1], Skipped) and "line 2" in items[1].reason
    assert isinstance(items[2], Document) and items[2].text == "id: e2\nlevel: warn\ncode: 3"
    assert items[2].source_id.endswith("#id=e2")


def test_code_files_carry_their_language(tmp_path: Path) -> None:
    sources = {"app.py": "def main():\n    return 1\n", "main.go": "package main\n", "lib.rs": "fn main() {}\n",
               "Makefile": "all:\n\techo hi\n", "query.sql": "SELECT 1;\n", "config.yaml": "a: 1\n"}
    for name, text in sources.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    found = {Path(d.source_id).name: d.metadata["language"] for d in docs(load(tmp_path))}
    assert found == {"app.py": "python", "main.go": "go", "lib.rs": "rust", "Makefile": "make",
                     "query.sql": "sql", "config.yaml": "yaml"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Crème brûlée et café, très délicieux pour le goûter.".encode("cp1252"), "Crème brûlée et café"),
        ("Привет, как дела? Это тест кодировки документа.".encode("cp1251"), "Привет, как дела?"),
        ("UTF-16 text with BOM: naïve".encode("utf-16"), "naïve"),
    ],
)
def test_non_utf8_text_is_decoded(tmp_path: Path, raw: bytes, expected: str) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(raw)
    (doc,) = docs(load(path))
    assert expected in doc.text


def test_markdown_front_matter_and_setext_headings(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_text("---\ntitle: \"Release Notes\"\ntags: [a]\n---\nIntro line.\n\nVersion 2\n=========\n\n"
                    "New things.\n\nFixes\n-----\n\nBugs gone.\n", encoding="utf-8")
    sections = docs(load(path))
    assert [d.metadata.get("section") for d in sections] == [None, "Version 2", "Version 2 > Fixes"]
    assert all(d.metadata["title"] == "Release Notes" for d in sections)
    assert all("tags:" not in d.text for d in sections)
