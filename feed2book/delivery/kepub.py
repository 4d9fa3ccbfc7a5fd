"""Kobo's kepub form of an EPUB: what Kobo's own books carry and its reader relies on for
reading position, highlights, bookmarks and its reading statistics.

Learnt from kepubify (pgaskin/kepubify, ``kepub/transform.go``) and calibre's kepub output:

- every sentence of the body text in ``<span class="koboSpan" id="kobo.N.M">``: ``N`` counts
  paragraphs (a new one at each paragraph, heading, list, list item, table, quotation and
  image), ``M`` the sentences of that paragraph from 1; each image in a span of its own;
- the body's content wrapped in ``<div id="book-columns"><div id="book-inner">`` (the reader
  paginates those) and Kobo's style fix (``div#book-inner`` margins) in each page's head.

Sentences end at ``. ! ? …`` followed by a space (so ``3.14`` and ``example.com`` stay whole)
and not by a small letter (``e.g. tea`` stays whole too), and at the full stops of scripts that
need no space after them: CJK ``。！？``, Arabic ``؟``, Urdu ``۔``, Devanagari ``। ॥``,
Armenian, Ethiopic, Myanmar, Khmer. Text with no sentence
punctuation (Thai, Lao) gets one span per run of text, a paragraph or less. The spans go inside
the elements that hold the text, so markup stays well-formed: a sentence across ``<em>`` is
several spans. Code blocks (``pre``), SVG, MathML, audio and video keep their text as it is;
inline code is one span per run, never split. Whitespace at either end of a run of text stays
outside the spans, so the page's text is exactly what it was.

``kepub_bytes`` (EPUB bytes in, kepub bytes out) is pure; the file name is ``Device.KOBO``'s
``suffix`` (``.kepub.epub``), which is what makes a Kobo open the book as a kepub.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from lxml import etree

from feed2book.delivery.preflight import OPF, EpubFiles, Finding, X, parse_xml, run_checks

SPAN_CLASS: Final = "koboSpan"
STYLE_CLASS: Final = "kobostylehacks"
KOBO_STYLE: Final = "div#book-inner { margin-top: 0; margin-bottom: 0; }"
COLUMNS_ID: Final = "book-columns"
INNER_ID: Final = "book-inner"

_CLOSERS: Final = "\"'”’»)\\]}」』）】〉》〕"
# A sentence ends at Latin-style punctuation before a space (or the end of the run), or at a
# full stop of a script that puts no space after it; closing quotes and brackets stay with it.
_SENTENCE_END: Final = re.compile(
    rf"(?:[.!?…‼⁇⁈⁉]+[{_CLOSERS}]*(?=\s|$)|[。！？｡．؟۔।॥։።။។]+[{_CLOSERS}]*)\s*"
)
# Their text is kept as written: no span inside.
_KEPT: Final = frozenset({"pre", "script", "style", "svg", "math", "audio", "video", "textarea"})
# Their text is one span per run: a sentence split means nothing there.
_UNSPLIT: Final = frozenset({"code", "kbd", "samp", "var"})
# A span is not allowed directly inside them (text there is left alone, images too).
_NO_SPAN_CHILD: Final = frozenset(
    {
        "html", "head", "table", "thead", "tbody", "tfoot", "tr", "colgroup", "ol", "ul",
        "dl", "select", "optgroup", "picture", "menu",
    }
)  # fmt: skip
_PARAGRAPHS: Final = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "ul", "li", "dl", "dt", "dd",
        "table", "blockquote", "figcaption", "aside",
    }
)  # fmt: skip


def sentences(text: str) -> list[str]:
    """``text`` cut after each sentence (the space after a sentence stays with it); joined,
    the pieces are ``text``. Text without sentence punctuation is one piece."""
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if text[end : end + 1].islower():
            continue  # "e.g. tea", "etc. and": a full stop before a small letter ends nothing
        if end > start:
            pieces.append(text[start:end])
            start = end
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def kepub_bytes(epub: bytes) -> bytes:
    """The kepub of ``epub`` (a book that already is one is returned as it is)."""
    return run_checks(epub, (kobo_spans,), fix=True).fixed or epub


def kobo_spans(files: EpubFiles, fix: bool) -> Iterator[Finding]:
    """The kepub markup in every content document but the navigation document (a check of
    the device profile's shape; it reports nothing, since nothing was wrong)."""
    navigation = _navigation_paths(files)
    for path in files.documents():
        if path in navigation:
            continue
        root = parse_xml(files.data[path])
        if kepub_page(root):
            files.put_xml(path, root)
    yield from ()


def _navigation_paths(files: EpubFiles) -> set[str]:
    paths = set()
    for item in files.opf().iterfind(f".//{{{OPF}}}manifest/{{{OPF}}}item"):
        if "nav" in (item.get("properties") or "").split():
            paths.add(files.resolve(files.opf_path, item.get("href", "")))
    return paths


def kepub_page(root: etree._Element) -> bool:
    """Add the kepub markup to a parsed XHTML page in place; False when there was nothing to
    do (already a kepub page, or no text or image outside SVG: a cover)."""
    body = root.find(X + "body")
    head = root.find(X + "head")
    if body is None or head is None or _has_kobo_spans(body) or not _has_content(body):
        return False
    style = etree.SubElement(head, X + "style", {"type": "text/css", "class": STYLE_CLASS})
    style.text = KOBO_STYLE
    inner = _wrap_body(body)
    _Spanner().element(inner, split=True)
    return True


def _has_kobo_spans(body: etree._Element) -> bool:
    return any(
        SPAN_CLASS in (element.get("class") or "").split() for element in body.iter(X + "span")
    )


def _has_content(element: etree._Element) -> bool:
    """Text or an image in ``element`` outside the elements kept as written."""
    if (element.text or "").strip():
        return True
    for child in element:
        kept = not isinstance(child.tag, str) or _local(child) in _KEPT
        if not kept and (_local(child) == "img" or _has_content(child)):
            return True
        if (child.tail or "").strip():
            return True
    return False


def _wrap_body(body: etree._Element) -> etree._Element:
    columns = etree.Element(X + "div", {"id": COLUMNS_ID})
    inner = etree.SubElement(columns, X + "div", {"id": INNER_ID})
    inner.text, body.text = body.text, None
    for child in list(body):
        inner.append(child)  # moves it, with its tail
    body.append(columns)
    return inner


def _local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


@dataclass
class _Spanner:
    """Numbers the spans in document order: ``kobo.<paragraph>.<sentence>``."""

    paragraph: int = 0
    sentence: int = 0
    new_paragraph: bool = True

    def span(self) -> etree._Element:
        if self.new_paragraph:
            self.paragraph, self.sentence, self.new_paragraph = self.paragraph + 1, 0, False
        self.sentence += 1
        identifier = f"kobo.{self.paragraph}.{self.sentence}"
        return etree.Element(X + "span", {"class": SPAN_CLASS, "id": identifier})

    def element(self, element: etree._Element, *, split: bool) -> None:
        name = _local(element)
        if name in _PARAGRAPHS:
            self.new_paragraph = True
        split = split and name not in _UNSPLIT
        spans_allowed = name not in _NO_SPAN_CHILD
        children = list(element)  # before the spans of its text join them
        if element.text and spans_allowed:
            element.text = self.runs(element, element.text, 0, split)
        for child in children:
            holder = child  # what the child's tail follows once it is done
            if not isinstance(child.tag, str):  # a comment or processing instruction
                pass
            elif _local(child) == "img" and spans_allowed:
                holder = self.image(child)
            elif _local(child) not in _KEPT:
                self.element(child, split=split)
            if holder.tail and spans_allowed:
                at = element.index(holder) + 1
                holder.tail = self.runs(element, holder.tail, at, split)
        if name in _PARAGRAPHS:
            self.new_paragraph = True  # what follows it is another paragraph

    def image(self, image: etree._Element) -> etree._Element:
        """Wrap ``image`` in a span of a paragraph of its own; returns the span."""
        self.new_paragraph = True
        wrapper = self.span()
        image.addprevious(wrapper)
        wrapper.tail, image.tail = image.tail, None
        wrapper.append(image)
        return wrapper

    def runs(self, parent: etree._Element, text: str, at: int, split: bool) -> str | None:
        """Put ``text`` (that begins at child position ``at`` of ``parent``) into spans there;
        returns what stays before them: its leading whitespace. Trailing whitespace becomes the
        last span's tail."""
        core = text.strip()
        if not core:
            return text
        leading = text[: len(text) - len(text.lstrip())]
        trailing = text[len(leading) + len(core) :]
        pieces = sentences(core) if split else [core]
        span = None
        for offset, piece in enumerate(pieces):
            span = self.span()
            span.text = piece
            parent.insert(at + offset, span)
        assert span is not None
        span.tail = trailing or None
        return leading or None
