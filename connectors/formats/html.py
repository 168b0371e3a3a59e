"""HTML: the main text (no nav/header/footer/script/style), the ``<title>``, and links for crawling.

A stdlib ``html.parser`` extractor: tolerant of broken markup and dependency-free. When the page has
``<main>`` (or else ``<article>``) elements, only their text is kept, since that is where content lives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from connectors.formats.base import FileInfo, FormatError, decode_text
from rag.core.types import Document, Skipped

SUFFIXES = (".html", ".htm", ".xhtml")

# content of these never reaches the text
_SKIP = {"script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form",
         "iframe", "object", "canvas", "button", "select"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# these end a line of text
_BLOCK = {"p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr",
          "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "br", "hr", "figcaption", "td", "th"}


@dataclass
class HtmlPage:
    title: str | None
    text: str
    links: list[str] = field(default_factory=list)


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_depth = 0
        self.main_depth = 0
        self.in_title = False
        self.title_parts: list[str] = []
        self.first_h1: list[str] = []
        self.in_h1 = False
        self.all_parts: list[str] = []
        self.main_parts: list[str] = []
        self.found_main = False
        self.article_parts: list[str] = []
        self.article_depth = 0
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)
        if tag in _VOID:
            if tag in _BLOCK:
                self._emit("\n")
            return
        if tag == "title":
            self.in_title = True
        elif self.skip_depth or tag in _SKIP or any(k == "hidden" or (k == "aria-hidden" and v == "true")
                                                     for k, v in attrs):
            self.skip_depth += 1
            return
        if tag == "main":
            self.main_depth += 1
            self.found_main = True
        elif tag == "article":
            self.article_depth += 1
        elif tag == "h1" and not self.first_h1:
            self.in_h1 = True
        if tag in _BLOCK:
            self._emit("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if tag == "title":
            self.in_title = False
            return
        if self.skip_depth:
            self.skip_depth -= 1
            return
        if tag in _BLOCK:
            self._emit("\n")
        if tag == "main" and self.main_depth:
            self.main_depth -= 1
        elif tag == "article" and self.article_depth:
            self.article_depth -= 1
        elif tag == "h1":
            self.in_h1 = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
        elif not self.skip_depth:
            if self.in_h1:
                self.first_h1.append(data)
            self._emit(data)

    def _emit(self, data: str) -> None:
        self.all_parts.append(data)
        if self.main_depth:
            self.main_parts.append(data)
        if self.article_depth:
            self.article_parts.append(data)


def _clean(parts: list[str]) -> str:
    lines = (re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in "".join(parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def extract_html(markup: str) -> HtmlPage:
    """The title, main text and raw ``href`` values of an HTML document."""
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    if parser.found_main and _clean(parser.main_parts):
        parts = parser.main_parts
    elif _clean(parser.article_parts):
        parts = parser.article_parts
    else:
        parts = parser.all_parts
    title = _clean(parser.title_parts) or _clean(parser.first_h1) or None
    return HtmlPage(title=title, text=_clean(parts), links=parser.links)


def read(info: FileInfo, data: bytes) -> Iterator[Document | Skipped]:
    page = extract_html(decode_text(data))
    if not page.text:
        raise FormatError("no text in the HTML body")
    yield info.document(page.text, "html", title=page.title or info.path.stem)
