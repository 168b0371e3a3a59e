"""HTML: the main text (no nav/header/footer/script/style), the ``<title>``, and links for crawling.

A stdlib ``html.parser`` extractor: tolerant of broken markup and dependency-free. When the page has
``<main>`` (or else ``<article>``) elements, only their text is kept, since that is where content lives.

With ``ocr_images`` each ``<img>`` in the kept text is OCR'd and its text put where it was
(``image_ocr``): a ``data:`` URI, or a relative ``src`` naming a file inside the ingested folder.
Nothing is fetched from the network and no path outside the folder is opened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from connectors.formats.base import FileInfo, FormatError, decode_text
from connectors.formats.html_images import image_source
from rag.core.types import Document, Skipped

SUFFIXES = (".html", ".htm", ".xhtml")

# content of these never reaches the text
_SKIP = {"script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form",
         "iframe", "object", "canvas", "button", "select"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# these end a line of text
_BLOCK = {"p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr",
          "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "br", "hr", "figcaption", "td", "th"}


_IMAGE = re.compile("\ue000(\\d+)\ue001")  # where picture N was (private-use characters never in real text)


@dataclass
class HtmlPage:
    title: str | None
    text: str  # with ``images``, each kept <img> is a marker matching ``_IMAGE``
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # the src of every <img>, by marker number


class _Extractor(HTMLParser):
    def __init__(self, images: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.want_images = images
        self.images: list[str] = []
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
        if tag == "img" and self.want_images and not self.skip_depth:
            src = (dict(attrs).get("src") or "").strip()
            if src:
                self._emit(f"\n\ue000{len(self.images)}\ue001\n")
                self.images.append(src)
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


def extract_html(markup: str, images: bool = False) -> HtmlPage:
    """The title, main text and raw ``href`` values of an HTML document (``images``: marks <img> places)."""
    parser = _Extractor(images)
    parser.feed(markup)
    parser.close()
    if parser.found_main and _clean(parser.main_parts):
        parts = parser.main_parts
    elif _clean(parser.article_parts):
        parts = parser.article_parts
    else:
        parts = parser.all_parts
    title = _clean(parser.title_parts) or _clean(parser.first_h1) or None
    return HtmlPage(title=title, text=_clean(parts), links=parser.links, images=parser.images)


def read(info: FileInfo, data: bytes) -> Iterator[Document | Skipped]:
    page = extract_html(decode_text(data), images=info.options.ocr_images)
    extra: dict[str, Any] = {}
    if page.images:
        page.text, extra, problems = _with_image_text(info, page)
        yield from problems
    if not page.text:
        raise FormatError("no text in the HTML body")
    yield info.document(page.text, "html", title=page.title or info.path.stem, **extra)


def _with_image_text(info: FileInfo, page: HtmlPage) -> tuple[str, dict[str, Any], list[Skipped]]:
    """``page.text`` with each picture marker replaced by the picture's OCR text (or nothing)."""
    from connectors.formats.image_ocr import ImageOcr  # loads the OCR stack only when asked

    images = ImageOcr(info)

    def replace(match: re.Match[str]) -> str:
        if int(match.group(1)) >= len(page.images):
            return match.group(0)  # those characters were in the page itself
        src = page.images[int(match.group(1))]
        found = image_source(info, src)
        if isinstance(found, str):
            images.problem("inline picture" if src[:5].lower() == "data:" else src[:80], found)
            return ""
        if found is None:
            return ""  # a remote picture: never fetched
        key, label, data = found
        return images.paragraph(key, data, label)

    text = re.sub(r"\n{3,}", "\n\n", _IMAGE.sub(replace, page.text)).strip()
    return text, images.metadata(), images.problems
