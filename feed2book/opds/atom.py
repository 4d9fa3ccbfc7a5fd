"""OPDS 1.2 (Atom) documents: the navigation feed, a shelf's acquisition feed, OpenSearch.

Built with lxml, so every title and name is escaped; characters XML cannot carry (controls a
feed let through) are dropped. Links are relative (``layout``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lxml import etree

from feed2book.i18n import plural
from feed2book.opds import layout
from feed2book.opds.catalogue import FACETS, NEW, Catalogue, Shelf
from feed2book.opds.layout import Format

ATOM = "http://www.w3.org/2005/Atom"
DCTERMS = "http://purl.org/dc/terms/"
OPDS = "http://opds-spec.org/2010/catalog"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
_NSMAP: dict[Any, str] = {None: ATOM, "dc": DCTERMS, "opds": OPDS}  # None: the default
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def navigation_feed(catalogue: Catalogue, *, live: bool) -> bytes:
    """The root: one entry per shelf (and, when ``live``, the new shelf and search)."""
    feed = _feed(catalogue.id, catalogue.title, catalogue.updated)
    _links(feed, layout.shelf_href(layout.ROOT, "xml"), layout.NAVIGATION_TYPE, live=live)
    shelves = [
        (shelf.name, shelf.title, plural(len(shelf.entries), "book", "books"))
        for shelf in _facets(catalogue)
    ]
    if live:
        shelves.insert(0, (NEW, "New since your last visit", "Articles added since then"))
    for name, title, summary in shelves:
        entry = _child(feed, "entry")
        _text(entry, "title", title)
        _text(entry, "id", f"{catalogue.id}:{name}")
        _text(entry, "updated", layout.stamp(catalogue.updated))
        _text(entry, "content", summary).set("type", "text")
        _link(entry, "subsection", layout.shelf_href(name, "xml"), layout.ACQUISITION_TYPE)
    return _serialise(feed)


def acquisition_feed(
    catalogue: Catalogue,
    shelf: Shelf,
    *,
    live: bool,
    formats: tuple[Format, ...] = layout.FORMATS,
) -> bytes:
    """A shelf: one entry per book, with its downloads, cover and thumbnail."""
    feed = _feed(f"{catalogue.id}:{shelf.name}", shelf.title, shelf.updated)
    self_href = (
        layout.search_href("xml", shelf.query)
        if shelf.query
        else layout.shelf_href(shelf.name, "xml")
    )
    _links(feed, self_href, layout.ACQUISITION_TYPE, live=live)
    _link(feed, "up", layout.shelf_href(layout.ROOT, "xml"), layout.NAVIGATION_TYPE)
    for found in shelf.entries:
        book = found.book
        entry = _child(feed, "entry")
        _text(entry, "title", book.title)
        _text(entry, "id", found.identifier)
        _text(entry, "updated", layout.stamp(found.updated))
        for person in book.authors:
            _text(_child(entry, "author"), "name", person.name)
        _text(entry, f"{{{DCTERMS}}}language", book.language)
        _text(entry, f"{{{DCTERMS}}}issued", f"{min(a.published for a in book.articles):%Y-%m-%d}")
        summary = plural(found.article_count, "article", "articles")
        _text(entry, "summary", f"{summary}, {book.subtitle}" if book.subtitle else summary)
        for download in formats:
            link = _link(
                entry,
                layout.ACQUISITION_REL,
                layout.book_href(found, download),
                download.media_type,
            )
            link.set("title", download.title)
        _link(entry, layout.IMAGE_REL, layout.cover_href(found), layout.JPEG_TYPE)
        _link(entry, layout.THUMBNAIL_REL, layout.thumbnail_href(found), layout.JPEG_TYPE)
    return _serialise(feed)


def opensearch_description(catalogue: Catalogue, template: str) -> bytes:
    """The OpenSearch description; ``template`` is the absolute search address with
    ``{searchTerms}`` (readers do not all resolve a relative one)."""
    root = etree.Element(f"{{{OPENSEARCH}}}OpenSearchDescription", nsmap={None: OPENSEARCH})  # type: ignore[dict-item]
    _text(root, f"{{{OPENSEARCH}}}ShortName", "feed2book")
    _text(root, f"{{{OPENSEARCH}}}Description", f"Search {catalogue.title} by title or author")
    _text(root, f"{{{OPENSEARCH}}}InputEncoding", "UTF-8")
    _text(root, f"{{{OPENSEARCH}}}OutputEncoding", "UTF-8")
    url = etree.SubElement(root, f"{{{OPENSEARCH}}}Url")
    url.set("type", layout.ACQUISITION_TYPE)
    url.set("template", template)
    return _serialise(root)


def _facets(catalogue: Catalogue) -> list[Shelf]:
    return [shelf for facet in FACETS if (shelf := catalogue.shelf(facet.name)) is not None]


def _feed(feed_id: str, title: str, updated: datetime) -> etree._Element:
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap=_NSMAP)
    _text(feed, "id", feed_id)
    _text(feed, "title", title)
    _text(feed, "updated", layout.stamp(updated))
    author = _child(feed, "author")
    _text(author, "name", "feed2book")
    return feed


def _links(feed: etree._Element, self_href: str, self_type: str, *, live: bool) -> None:
    _link(feed, "self", self_href, self_type)
    _link(feed, "start", layout.shelf_href(layout.ROOT, "xml"), layout.NAVIGATION_TYPE)
    _link(feed, "alternate", layout.shelf_href(layout.ROOT, "json"), layout.OPDS2_TYPE)
    if live:
        _link(feed, "search", layout.OPENSEARCH, layout.OPENSEARCH_TYPE)


def _child(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, name if name.startswith("{") else f"{{{ATOM}}}{name}")


def _text(parent: etree._Element, name: str, value: str) -> etree._Element:
    element = _child(parent, name)
    element.text = _NOT_XML.sub("", value)
    return element


def _link(parent: etree._Element, rel: str, href: str, media_type: str) -> etree._Element:
    link = _child(parent, "link")
    link.set("rel", rel)
    link.set("href", href)
    link.set("type", media_type)
    return link


def _serialise(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
