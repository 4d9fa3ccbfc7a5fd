"""The article out of a web page: trafilatura, readability-lxml where it finds nothing, then
feed2book's own cleaner (every safety and fidelity rule of feed bodies applies to pages too).

trafilatura keeps headings, paragraphs, lists, tables, links and images but drops what a book
needs of two of them: a code block's language (``<pre><code class="language-go">`` comes out as
a bare ``<pre>``) and an image's caption. Both are read from the page itself and put back: a
block whose text is the text of a page's code block gets that block's language; an image whose
address is a page's ``<figure>`` image is wrapped in that figure with its caption. A leading
``<h1>`` repeating the title is dropped (the book's page has the title already).

Both extractors import lazily: a command that fetches no page never loads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urljoin

from lxml import etree, html

from feed2book.clean.codeblocks import code_language, code_text
from feed2book.clean.html import clean_html_tree
from feed2book.convert.text import tree_word_count

MIN_EXTRACTED_WORDS: Final = 20  # fewer than this from trafilatura: readability is asked
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Extracted:
    """The cleaned XHTML of an article, its words, and which extractor found it."""

    xhtml: str
    words: int
    extractor: str  # "trafilatura" or "readability"


def extract_article(page: bytes | str, url: str, title: str = "") -> Extracted | None:
    """The article of the page at ``url`` as clean XHTML, or None when neither extractor finds
    one. ``title`` (the feed's) lets a heading that repeats it be dropped."""
    document = _parse(page)
    if document is None:
        return None
    found = _trafilatura(document, url)
    extractor = "trafilatura"
    if found is None or _words(found) < MIN_EXTRACTED_WORDS:
        fallback = _readability(document)
        if fallback is not None and (found is None or _words(fallback) > _words(found)):
            found, extractor = fallback, "readability"
    if found is None:
        return None
    restored = _restore(found, document, url, title)
    xhtml, tree = clean_html_tree(restored, base_url=url)
    words = tree_word_count(tree)
    return Extracted(xhtml, words, extractor) if words else None


def _parse(page: bytes | str) -> etree._Element | None:
    try:
        root = html.document_fromstring(page)
    except (etree.ParserError, ValueError):
        return None
    return root


def _trafilatura(document: etree._Element, url: str) -> str | None:
    import trafilatura  # heavy: only when a page is extracted

    result = trafilatura.extract(
        _copy(document),
        url=url,
        output_format="html",
        include_formatting=True,
        include_links=True,
        include_images=True,
        include_tables=True,
        include_comments=False,
        deduplicate=False,
    )
    return result if isinstance(result, str) and result.strip() else None


def _readability(document: etree._Element) -> str | None:
    from readability import Document  # heavy: only when trafilatura fails

    try:
        summary = Document(etree.tostring(document, encoding="unicode")).summary(html_partial=True)
    except Exception:  # readability raises its own Unparseable and lxml's errors alike
        return None
    return summary if isinstance(summary, str) and summary.strip() else None


def _copy(document: etree._Element) -> etree._Element:
    """trafilatura prunes the tree it is given: it gets a copy, the page stays whole."""
    return html.document_fromstring(etree.tostring(document, encoding="unicode"))


def _words(fragment: str) -> int:
    return len(_text(html.fragment_fromstring(fragment, create_parent="div")).split())


def _text(element: etree._Element) -> str:
    return _SPACE.sub(" ", "".join(str(piece) for piece in element.itertext())).strip()


def _restore(found: str, page: etree._Element, url: str, title: str) -> str:
    """Put back what trafilatura drops: code languages, figure captions; drop a title h1."""
    body = html.fragment_fromstring(found, create_parent="div")
    languages = {
        _code_key(code_text(pre)): language
        for pre in page.iter("pre")
        if (language := code_language(pre))
    }
    captions: dict[str, str] = {}
    for figure in page.iter("figure"):
        caption = next(figure.iter("figcaption"), None)
        image = next(figure.iter("img"), None)
        if caption is not None and image is not None and image.get("src"):
            captions[urljoin(url, image.get("src", ""))] = _text(caption)
    for pre in list(body.iter("pre")):
        inner, parent = pre.find("pre"), pre.getparent()
        if inner is not None and parent is not None:  # trafilatura nests a <pre> in a <pre>
            inner.tail = pre.tail
            parent.replace(pre, inner)
            pre = inner
        text = code_text(pre)
        known = languages.get(_code_key(text))
        for child in list(pre):
            pre.remove(child)
        pre.text = None
        code = etree.SubElement(pre, "code")
        code.text = text
        if known:
            code.set("class", f"language-{known}")
    for image in list(body.iter("img")):
        caption_text = captions.get(urljoin(url, image.get("src", "")))
        parent = image.getparent()
        if caption_text and parent is not None and parent.tag != "figure":
            figure = etree.Element("figure")
            parent.replace(image, figure)
            figure.append(image)
            figure.tail = image.tail
            image.tail = None
            etree.SubElement(figure, "figcaption").text = caption_text
    first = next((child for child in body if isinstance(child.tag, str)), None)
    if first is not None and first.tag == "h1" and _same(_text(first), title):
        tail = first.tail
        body.remove(first)
        body.text = (body.text or "") + (tail or "")
    return etree.tostring(body, encoding="unicode", method="html")


def _code_key(text: str) -> str:
    return _SPACE.sub("", text)


def _same(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return _SPACE.sub(" ", text).strip().casefold()

    return bool(b) and norm(a) == norm(b)
