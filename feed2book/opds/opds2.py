"""OPDS 2.0 (JSON) documents: the navigation feed and a shelf's publications.

Every feed has ``metadata.title``, a ``self`` link and one collection (``navigation`` or
``publications``); every publication has ``metadata`` (``@type``, ``title``, ``identifier``,
``modified``), acquisition ``links`` and ``images``. ``json.dumps`` escapes what needs it.
"""

from __future__ import annotations

import json
from typing import Any

from feed2book.defaults import COVER_SIZE
from feed2book.opds import layout
from feed2book.opds.catalogue import FACETS, NEW, BookEntry, Catalogue, Shelf
from feed2book.opds.layout import Format

SEARCH_TEMPLATE = "search.json{?query}"


def navigation_feed(catalogue: Catalogue, *, live: bool) -> bytes:
    """The root: one navigation link per shelf (and, when ``live``, the new shelf)."""
    navigation = [
        _link(layout.shelf_href(shelf.name, "json"), layout.OPDS2_TYPE, title=shelf.title)
        for facet in FACETS
        if (shelf := catalogue.shelf(facet.name)) is not None
    ]
    if live:
        new = _link(
            layout.shelf_href(NEW, "json"), layout.OPDS2_TYPE, title="New since your last visit"
        )
        navigation.insert(0, new)
    document = {
        "metadata": {"title": catalogue.title, "modified": layout.stamp(catalogue.updated)},
        "links": _feed_links(layout.shelf_href(layout.ROOT, "json"), live=live),
        "navigation": navigation,
    }
    return _dump(document)


def publications_feed(
    catalogue: Catalogue,
    shelf: Shelf,
    *,
    live: bool,
    formats: tuple[Format, ...] = layout.FORMATS,
) -> bytes:
    """A shelf: one publication per book."""
    self_href = (
        layout.search_href("json", shelf.query, "query")
        if shelf.query
        else layout.shelf_href(shelf.name, "json")
    )
    document = {
        "metadata": {
            "title": shelf.title,
            "modified": layout.stamp(shelf.updated),
            "numberOfItems": len(shelf.entries),
        },
        "links": [
            *_feed_links(self_href, live=live),
            _link(layout.shelf_href(layout.ROOT, "json"), layout.OPDS2_TYPE, rel="up"),
        ],
        "publications": [_publication(entry, formats) for entry in shelf.entries],
    }
    return _dump(document)


def _publication(entry: BookEntry, formats: tuple[Format, ...]) -> dict[str, Any]:
    book = entry.book
    metadata: dict[str, Any] = {
        "@type": "http://schema.org/Book",
        "title": book.title,
        "identifier": entry.identifier,
        "modified": layout.stamp(entry.updated),
        "published": f"{min(a.published for a in book.articles):%Y-%m-%d}",
        "language": book.language,
        "author": [{"name": person.name} for person in book.authors],
        "description": book.subtitle,
    }
    if book.series is not None:
        metadata["belongsTo"] = {"series": [{"name": book.series.name}]}
    width, height = COVER_SIZE
    return {
        "metadata": metadata,
        "links": [
            _link(
                layout.book_href(entry, download),
                download.media_type,
                rel=layout.ACQUISITION_REL,
                title=download.title,
            )
            for download in formats
        ],
        "images": [
            {
                "href": layout.cover_href(entry),
                "type": layout.JPEG_TYPE,
                "width": width,
                "height": height,
            },
            _link(layout.thumbnail_href(entry), layout.JPEG_TYPE, rel=layout.THUMBNAIL_REL),
        ],
    }


def _feed_links(self_href: str, *, live: bool) -> list[dict[str, Any]]:
    links = [
        _link(self_href, layout.OPDS2_TYPE, rel="self"),
        _link(layout.shelf_href(layout.ROOT, "json"), layout.OPDS2_TYPE, rel="start"),
        _link(layout.shelf_href(layout.ROOT, "xml"), layout.NAVIGATION_TYPE, rel="alternate"),
    ]
    if live:
        search = _link(SEARCH_TEMPLATE, layout.OPDS2_TYPE, rel="search")
        search["templated"] = True
        links.append(search)
    return links


def _link(href: str, media_type: str, *, rel: str = "", title: str = "") -> dict[str, Any]:
    link: dict[str, Any] = {"href": href, "type": media_type}
    if rel:
        link["rel"] = rel
    if title:
        link["title"] = title
    return link


def _dump(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
