"""A small generated PDF whose every text line's position is known, and its paragraphs as indexed chunks.

Until the layout-aware PDF reader (issue 16, branch h16-pdf) puts line boxes on every PDF chunk, the
tests write the chunks themselves through the public ingest API, with the metadata of that contract:
``page``, ``pages``, ``boxes`` ([page, x0, top, x1, bottom] in points, top-left origin), ``page_width``,
``page_height`` and ``source`` = the file. The boxes come from where each line was drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rag.core.types import Document

FONT_SIZE = 12.0
LEFT = 72.0
LINE_GAP = 18.0
TEXT_WIDTH = 440.0
# Helvetica's ascender and descender as fractions of the size: a line's box spans the glyphs it holds
ASCENT, DESCENT = 0.78, 0.22

# (page, first baseline in points from the top, paragraph): far apart, so a highlight cannot be ambiguous
PARAGRAPHS = [
    (1, 110.0, "The harbour office of Port Evering opens at seven in the morning on weekdays and closes at "
               "noon on Saturdays. Mooring permits are issued at the front desk."),
    (1, 470.0, "The ferry to Skellig Mor leaves from pier four every day at half past nine. Tickets cost twelve "
               "euros for adults and six euros for children, and bicycles travel free."),
    (2, 150.0, "The Port Evering lighthouse was painted red and white in 1952. Its light flashes twice every ten "
               "seconds and can be seen from eighteen nautical miles away."),
    (2, 520.0, "The fish market on Quay Street sells mackerel, hake and brown crab. It is closed on Mondays "
               "and on public holidays."),
]
TITLE = "Port Evering visitor guide"


@dataclass
class Paragraph:
    page: int
    text: str
    boxes: list[list[float]] = field(default_factory=list)


@dataclass
class GeneratedPdf:
    path: Path
    page_width: float
    page_height: float
    paragraphs: list[Paragraph]

    def documents(self) -> list[Document]:
        """One document (and, ingested with ``chunk=False``, one chunk) per paragraph, keyed like file parts."""
        return [Document(source_id=f"{self.path}#page={p.page}&paragraph={i}", text=p.text,
                         metadata={"source": str(self.path), "file_type": "pdf", "title": TITLE, "page": p.page,
                                   "pages": [p.page], "boxes": p.boxes, "page_width": self.page_width,
                                   "page_height": self.page_height})
                for i, p in enumerate(self.paragraphs, start=1)]

    def paragraph_with(self, words: str) -> Paragraph:
        return next(p for p in self.paragraphs if words in p.text)


MILL = ("# The river mill\n\n"
        + "The river mill at Ostby grinds oats and barley for the farms of the valley. " * 6 + "\n\n"
        + "The miller, Ada Brenner, keeps the sluice gate open from April to October. " * 6 + "\n\n"
        + "In winter the wheel is stopped and the millstones are dressed with a steel pick. " * 6 + "\n")


def build_index(folder: Path) -> tuple[Path, GeneratedPdf, Path]:
    """An index of the guide (one chunk per paragraph, with line boxes) and a Markdown file (chunked as usual)."""
    from rag.api import RAG

    guide = write_pdf(folder / "guide.pdf")
    mill = folder / "mill.md"
    mill.write_text(MILL, encoding="utf-8")
    index = folder / "index"
    with RAG(index) as rag:
        rag.ingest(guide.documents(), chunk=False)
        rag.ingest([mill])
    return index, guide, mill


def write_pdf(path: Path) -> GeneratedPdf:
    """Write the guide (A4, two pages) and return each paragraph with the box of each of its lines."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_title(TITLE)
    pdf.set_font("Helvetica", size=FONT_SIZE)
    paragraphs: list[Paragraph] = []
    for page in (1, 2):
        pdf.add_page()
        for on_page, baseline, text in PARAGRAPHS:
            if on_page != page:
                continue
            paragraph = Paragraph(page, text)
            for line in _wrap(pdf, text):
                pdf.text(LEFT, baseline, line)
                width = pdf.get_string_width(line)
                paragraph.boxes.append([page, LEFT, baseline - ASCENT * FONT_SIZE, LEFT + width,
                                        baseline + DESCENT * FONT_SIZE])
                baseline += LINE_GAP
            paragraphs.append(paragraph)
    pdf.output(str(path))
    return GeneratedPdf(path, float(pdf.w), float(pdf.h), paragraphs)


def _wrap(pdf: object, text: str) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and pdf.get_string_width(candidate) > TEXT_WIDTH:  # type: ignore[attr-defined]
            lines.append(current)
            candidate = word
        current = candidate
    return [*lines, current] if current else lines
