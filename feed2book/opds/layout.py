"""Where a catalogue's files are and what they are: paths, media types, download formats.

The server and the static writer share one layout, so every link is relative and works in
both: ``index.xml`` (OPDS 1.2) and ``index.json`` (OPDS 2.0) at the top, one ``NAME.xml`` and
``NAME.json`` per shelf, books in ``books/``, covers and thumbnails in ``covers/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from feed2book.delivery.devices import for_device
from feed2book.delivery.options import Device
from feed2book.opds.catalogue import BookEntry

NAVIGATION_TYPE = "application/atom+xml;profile=opds-catalog;kind=navigation"
ACQUISITION_TYPE = "application/atom+xml;profile=opds-catalog;kind=acquisition"
OPDS2_TYPE = "application/opds+json"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"
EPUB_TYPE = "application/epub+zip"
JPEG_TYPE = "image/jpeg"
ACQUISITION_REL = "http://opds-spec.org/acquisition"
IMAGE_REL = "http://opds-spec.org/image"
THUMBNAIL_REL = "http://opds-spec.org/image/thumbnail"

ROOT = "index"
OPENSEARCH = "opensearch.xml"
BOOKS = "books"
COVERS = "covers"
THUMBNAIL_SUFFIX = "-thumb.jpg"
COVER_SUFFIX = ".jpg"


@dataclass(frozen=True, slots=True)
class Format:
    """A download the catalogue offers for every book: the EPUB, or one made from it."""

    name: str
    suffix: str  # of the file name (``.epub``, ``.kepub.epub``)
    media_type: str
    title: str  # the acquisition link's title
    # Turns the built EPUB's bytes into this format's (None: the EPUB as built).
    transform: Callable[[bytes], bytes] | None = None


EPUB = Format("epub", ".epub", EPUB_TYPE, "EPUB")


def kepub_format(transform: Callable[[bytes], bytes]) -> Format:
    """The Kobo download, made from the EPUB by ``transform`` (the ``--device kobo`` pass):
    every acquisition feed links both downloads and the server builds both."""
    return Format("kepub", ".kepub.epub", "application/kepub+zip", "Kobo (kepub)", transform)


def _kepub(epub: bytes) -> bytes:
    return for_device(epub, Device.KOBO)


KEPUB = kepub_format(_kepub)

# What every book is offered as: the EPUB, and the kepub ``epub --device kobo`` would write.
FORMATS: tuple[Format, ...] = (EPUB, KEPUB)


def shelf_href(name: str, extension: str) -> str:
    return f"{quote(name)}.{extension}"


def book_href(entry: BookEntry, download: Format) -> str:
    return f"{BOOKS}/{entry.file_name}{download.suffix}"


def cover_href(entry: BookEntry) -> str:
    return f"{COVERS}/{entry.file_name}{COVER_SUFFIX}"


def thumbnail_href(entry: BookEntry) -> str:
    return f"{COVERS}/{entry.file_name}{THUMBNAIL_SUFFIX}"


def search_href(extension: str, query: str, parameter: str = "q") -> str:
    """The search feed's address for ``query`` (``q`` in OPDS 1.2, ``query`` in OPDS 2.0)."""
    return f"search.{extension}?{parameter}={quote(query, safe='')}"


def stamp(moment: datetime) -> str:
    """An Atom / OPDS 2.0 date: RFC 3339 in UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
