"""Generated PDFs with known ground truth, for the PDF tests and ``bench/pdf.py`` (fpdf2 + Pillow).

- ``two_column``: a full-width bold title, then two columns of paragraphs under a running header
  and footer ("Page N"). ``interleaved=True`` writes the lines row by row (left line 1, right line
  1, left line 2, ...) as many typesetting tools do, so the file's content order is not its reading
  order; long words that do not fit at a line end are hyphenated.
- ``table``: a heading, a paragraph and a ruled table whose header has a merged cell ("Revenue"
  over "Q1" and "Q2", "Region" and "Staff" spanning two header rows).
- ``scanned``: text rendered to an image (no text layer) and placed on a page, as a scanner does.
- ``long_report``: many pages of plain paragraphs under a running header, for memory and speed.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF

A4_WIDTH, A4_HEIGHT = 210.0, 297.0  # mm (fpdf2's default unit)
HEADER = "Harbour Logistics Annual Review"

_SUBJECTS = ["The harbour office", "The northern depot", "The night shift", "The cargo team", "The river pilot",
             "The customs desk", "The repair yard", "The grain terminal", "The ferry service", "The dock council"]
_VERBS = ["recorded", "inspected", "loaded", "reported", "scheduled", "repaired", "counted", "shipped"]
_OBJECTS = ["crates of copper wire", "barrels of olive oil", "pallets of roof tiles", "tons of wheat",
            "containers of glassware", "bales of cotton", "drums of paint", "sacks of coffee"]
_PLACES = ["before the spring tide", "during the winter storms", "after the new crane arrived",
           "while the canal was closed", "under the old contract", "ahead of the regional fair"]


def sentences(count: int, seed: int) -> list[str]:
    """``count`` distinct, deterministic sentences (each has its own number, so none repeats)."""
    rng = random.Random(seed)
    out = []
    for index in range(count):
        out.append(f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {100 + index * 7 + seed} "
                   f"{rng.choice(_OBJECTS)} {rng.choice(_PLACES)}.")
    return out


@dataclass
class TwoColumnTruth:
    title: str
    paragraphs: list[str]  # in reading order: left column top to bottom, then the right column
    pages: int = 1
    by_page: list[list[str]] = field(default_factory=list)  # the same paragraphs, per page
    hyphenated: list[str] = field(default_factory=list)  # words split across lines by a hyphen


def _wrap(pdf: FPDF, text: str, width: float, hyphenated: list[str]) -> list[str]:
    """Greedy line wrap of ``text`` at ``width`` (mm); a long word that does not fit is hyphenated."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if pdf.get_string_width(candidate) <= width:
            line = candidate
            continue
        if line and len(word) >= 9 and word.isalpha():
            for cut in range(len(word) - 4, 3, -1):
                head = f"{line} {word[:cut]}-"
                if pdf.get_string_width(head) <= width:
                    lines.append(head)
                    hyphenated.append(word)
                    line = word[cut:]
                    break
            else:
                lines.append(line)
                line = word
            continue
        lines.append(line)
        line = word
    if line:
        lines.append(line)
    return lines


def _running(pdf: FPDF, page: int) -> None:
    pdf.set_font("Helvetica", size=8)
    pdf.text(20, 12, HEADER)
    pdf.text(A4_WIDTH - 40, 12, "Confidential")
    pdf.text(A4_WIDTH / 2 - 5, A4_HEIGHT - 10, f"Page {page}")


def two_column(path: Path, *, pages: int = 2, interleaved: bool = True, seed: int = 1,
               facts: tuple[str, ...] = ()) -> TwoColumnTruth:
    """A two-column PDF at ``path``; ``facts`` make the third paragraph of page 1's right column."""
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    truth = TwoColumnTruth(title="Quarterly Operations Summary", paragraphs=[], pages=pages)
    column_width, gutter, left, top, pitch = 80.0, 10.0, 20.0, 40.0, 5.2
    lines_per_column = 44
    pool = iter(sentences(400, seed))
    for page in range(1, pages + 1):
        pdf.add_page()
        _running(pdf, page)
        if page == 1:
            pdf.set_font("Helvetica", style="B", size=16)
            pdf.text(left, 28, truth.title)
        pdf.set_font("Helvetica", size=10)
        columns: list[list[str | None]] = []  # per column: its lines, None = paragraph gap
        for column in range(2):
            rows: list[str | None] = []
            number = 0
            while True:
                hyphenated: list[str] = []
                if page == 1 and column == 1 and number == 2 and facts:
                    text = " ".join(facts)
                else:
                    text = " ".join(next(pool) for _ in range(3))
                wrapped = _wrap(pdf, text, column_width, hyphenated)
                if len(rows) + len(wrapped) > lines_per_column:
                    break
                truth.hyphenated.extend(hyphenated)
                rows.extend(wrapped)
                rows.append(None)
                number += 1
            columns.append(rows)
        truth.by_page.append(_paragraphs(columns[0]) + _paragraphs(columns[1]))
        truth.paragraphs.extend(truth.by_page[-1])
        order = ([(c, i) for i in range(lines_per_column) for c in range(2)] if interleaved
                 else [(c, i) for c in range(2) for i in range(lines_per_column)])
        for column, index in order:
            rows = columns[column]
            if index < len(rows) and rows[index] is not None:
                pdf.text(left + column * (column_width + gutter), top + index * pitch, rows[index])
    pdf.output(str(path))
    return truth


def _paragraphs(rows: list[str | None]) -> list[str]:
    """The paragraphs of a column's lines as a reader should rebuild them (hyphens joined)."""
    out, current = [], ""
    for line in [*rows, None]:
        if line is None:
            if current:
                out.append(current)
            current = ""
        elif current.endswith("-"):
            current = current[:-1] + line
        else:
            current = f"{current} {line}".strip()
    return out


@dataclass
class TableTruth:
    header: list[str]  # one name per column, merged header cells joined ("Revenue Q1")
    rows: list[list[str]]
    before: str  # the paragraph above the table
    heading: str


TABLE_ROWS = [["North", "120", "135", "14"], ["South", "98", "104", "11"], ["East", "143", "151", "17"],
              ["West", "87", "92", "9"], ["Central", "166", "172", "21"], ["Islands", "45", "51", "6"]]


def table(path: Path, *, rows: list[list[str]] | None = None, pages: int = 1) -> TableTruth:
    """A ruled table with a two-row, partly merged header on each of ``pages`` pages."""
    rows = rows or TABLE_ROWS
    truth = TableTruth(header=["Region", "Revenue Q1", "Revenue Q2", "Staff"], rows=rows,
                       before="Revenue by region for the first half year, in thousands of euros.",
                       heading="Regional Results")
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    for page in range(1, pages + 1):
        pdf.add_page()
        _running(pdf, page)
        pdf.set_xy(20, 40)
        pdf.set_font("Helvetica", style="B", size=15)
        pdf.cell(0, 10, truth.heading if page == 1 else f"{truth.heading} (continued)",
                 new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        pdf.set_x(20)
        pdf.multi_cell(170, 6, truth.before, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        with pdf.table(num_heading_rows=2, width=150, col_widths=(40, 35, 35, 40), text_align="LEFT",
                       line_height=7) as grid:
            head = grid.row()
            head.cell("Region", rowspan=2)
            head.cell("Revenue", colspan=2)
            head.cell("Staff", rowspan=2)
            sub = grid.row()
            sub.cell("Q1")
            sub.cell("Q2")
            for values in rows:
                row = grid.row()
                for value in values:
                    row.cell(value)
        pdf.ln(4)
        pdf.multi_cell(170, 6, "Figures are unaudited and may change in the annual accounts.")
    pdf.output(str(path))
    return truth


def text_image(lines: list[str], *, font_px: int = 34, width_px: int = 1650) -> bytes:
    """PNG bytes of ``lines`` printed in black on white (a clean scan of printed text)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=font_px)
    pitch = int(font_px * 1.6)
    image = Image.new("L", (width_px, pitch * len(lines) + 2 * font_px), 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((font_px * 2, font_px + number * pitch), line, fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def scanned(path: Path, pages: list[list[str]], *, text_page: str | None = None) -> None:
    """A PDF whose pages are images of ``pages`` (lines of text each); ``text_page`` adds a normal page first."""
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    if text_page:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.set_xy(20, 30)
        pdf.multi_cell(170, 6, text_page)
    for lines in pages:
        pdf.add_page()
        image = text_image(lines)
        pdf.image(io.BytesIO(image), x=10, y=20, w=190)
    pdf.output(str(path))


def encrypted(path: Path, password: str = "s3cret") -> None:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "This page is locked behind a password.")
    pdf.output(str(path))


def long_report(path: Path, pages: int, seed: int = 7) -> list[str]:
    """``pages`` pages of paragraphs under a running header; returns one marker sentence per page."""
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    markers = []
    pool = sentences(pages * 12, seed)
    for page in range(1, pages + 1):
        pdf.add_page()
        _running(pdf, page)
        pdf.set_font("Helvetica", size=10)
        pdf.set_xy(20, 25)
        body = pool[(page - 1) * 12: page * 12]
        markers.append(body[0])
        for start in range(0, 12, 3):
            pdf.multi_cell(170, 5.5, " ".join(body[start:start + 3]), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
            pdf.set_x(20)
    pdf.output(str(path))
    return markers
