"""feedparser, minus its slow part: the same result as ``feedparser.parse``, about ten times sooner.

Why feedparser is slow on real feeds: its strict parser is expat behind ``xml.sax``, and expat
hands character data over in pieces split at every entity reference and line end. A feed that
carries its HTML escaped in ``<description>`` (dev.to, WordPress, most RSS 2.0) makes one Python
call per ``&lt;``: 3.7 million of them, each doing several dictionary look-ups, for 2,000 dev.to
articles (5.4 s of a 17 s book). expat can buffer that text and hand over each run in one call
(``buffer_text``); ``xml.sax`` just never asks it to.

So this module runs ``feedparser.parse``'s own steps (encoding detection, DOCTYPE handling, the
base URI, the strict parser and its handler, the loose parser when the strict one fails) with one
change: the expat reader buffers text. The handler joins the pieces of a text before it looks at
them, so the result is the same object feedparser would build: same keys, values, dates, bozo
flag and exception. The one place where feedparser looks at the pieces themselves (unwrapping the
``<div>`` of Atom XHTML content, when escaped text and real elements are mixed) makes this
reader hand the document to ``feedparser.parse`` instead; so does any feedparser or SAX set-up
that differs from the one this was checked against.

Plain RSS 2.0 read from a file (the shape of dev.to's and most blogs' feeds) goes faster still:
``fastrss`` builds the same result with a handler of its own, and hands anything else back.

Given ``stream=True``, a document ``fastrss`` reads keeps no entries: the result's ``entries``
is a ``Reread``, which reads them from the bytes again each time it is iterated (a feed of
380,000 items is never held whole).

``FEED2BOOK_PARSER=feedparser`` switches the fast reader off (every document goes through
``feedparser.parse``), for comparisons and as an escape hatch.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import io
import os
import re
import xml.sax
import xml.sax.expatreader
import xml.sax.handler
import xml.sax.xmlreader
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import feedparser
from feedparser import api as _api
from feedparser.encodings import (
    EBCDIC_MARKER,
    RE_XML_PI_ENCODING,
    UTF16BE_MARKER,
    UTF16LE_MARKER,
    UTF32BE_MARKER,
    UTF32LE_MARKER,
    convert_to_utf8,
)
from feedparser.sanitizer import replace_doctype
from feedparser.urls import make_safe_absolute_uri
from feedparser.util import FeedParserDict

from feed2book.parse import charsets
from feed2book.parse._fast import feedparser_parse, require
from feed2book.parse._fast import rss as fastrss

__all__ = ["PARSER_ENV", "Reread", "fast_reader_available", "parse"]

PARSER_ENV = "FEED2BOOK_PARSER"  # "feedparser": every document through feedparser.parse
# Text runs longer than this reach the handler in several pieces, which it joins.
_TEXT_BUFFER = 1 << 18
_XHTML = "application/xhtml+xml"
RE_XML_DECLARATION_BYTES = re.compile(rb"^<\?xml[^>]*?>")  # convert_to_utf8's, on bytes
require(_api, "StrictFeedParser", "LooseFeedParser", "PREFERRED_XML_PARSERS")
require(_api.StrictFeedParser, "handle_data", "unknown_starttag", "unknown_endtag")


def parse(
    data: bytes,
    response_headers: Mapping[str, str] | None = None,
    *,
    stream: bool = False,
    on_entry: OnEntry | None = None,
) -> Any:
    """``feedparser.parse(io.BytesIO(data), response_headers=…, sanitize_html=False,
    resolve_relative_uris=False)``, read faster when the document allows it. ``stream``: the
    entries of a document ``fastrss`` reads come as a ``Reread`` (any other: a list).

    ``on_entry(entry, channel)``, without ``stream``: called with each entry as ``fastrss``
    reads it (the very object the result's ``entries`` will hold) and the channel as read so
    far, so work on the entries can start before the document is read to its end. A document
    ``fastrss`` gives up on halfway is read again by another reader, whose entries are other
    objects: the caller tells the two apart by identity."""
    headers = dict(response_headers or {})
    if os.environ.get(PARSER_ENV, "").strip().lower() == "feedparser" or not (
        fast_reader_available()
    ):
        return _feedparser(data, headers)
    try:
        return _parse(data, headers, stream, on_entry)
    except _Unsure:
        return _feedparser(data, headers)


class Reread:
    """The entries of a document ``fastrss`` read through once, not kept: ``len`` is their
    number, and each iteration reads them from the bytes again (the same entries each time)."""

    def __init__(self, data: bytes, count: int) -> None:
        self._data = data
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[FeedParserDict]:
        return iter(fastrss.Stream(self._data))


OnEntry = Callable[[FeedParserDict, FeedParserDict], None]


def _fast_read(
    data: bytes, stream: bool, on_entry: OnEntry | None = None
) -> tuple[FeedParserDict, list[FeedParserDict] | Reread, str, dict[str, str]]:
    """``fastrss.read``, or with ``stream`` a reading that counts the entries and keeps the
    channel (read to its end) but no entry."""
    if not stream and on_entry is not None:
        reading = fastrss.Stream(data)
        entries = []
        for entry in reading:
            entries.append(entry)
            on_entry(entry, reading.feed)
        return reading.feed, entries, reading.version, reading.namespaces
    if not stream:
        return fastrss.read(data)
    reading = fastrss.Stream(data)
    count = sum(1 for _ in reading)
    return reading.feed, Reread(data, count), reading.version, reading.namespaces


_feedparser = feedparser_parse


@functools.cache
def fast_reader_available() -> bool:
    """Whether feedparser reads with the expat reader this module buffers (it prefers
    ``drv_libxml2`` when that is installed) and is the version it was checked against."""
    try:
        reader = xml.sax.make_parser(_api.PREFERRED_XML_PARSERS)
    except xml.sax.SAXException:
        return False
    return (
        type(reader) is xml.sax.expatreader.ExpatParser
        and getattr(_api, "_XML_AVAILABLE", False)
        and str(getattr(feedparser, "__version__", "")).startswith("6.")
    )


class _Unsure(Exception):
    """The buffered reader cannot promise feedparser's result for this document."""


def _parse(
    data: bytes, headers: dict[str, str], stream: bool = False, on_entry: OnEntry | None = None
) -> Any:
    """``feedparser.api.parse`` from the point it has the bytes, with a buffering reader."""
    result = FeedParserDict(bozo=False, entries=[], feed=FeedParserDict(), headers={})
    if not data:
        return result
    if not headers and _utf8_as_is(data):
        # What convert_to_utf8 and replace_doctype would do comes to nothing here (fastrss
        # refuses a DOCTYPE): read the bytes as they are, without their two or three copies.
        with contextlib.suppress(fastrss.Unsure):
            feed, entries, version, namespaces = _fast_read(data, stream, on_entry)
            result.update(encoding="utf-8", version=version, namespaces=namespaces)
            result["feed"], result["entries"] = feed, entries
            return result
    result["headers"].update(headers)
    data = convert_to_utf8(result["headers"], data, result)
    use_strict_parser = bool(result["encoding"])
    result["version"], data, entities = replace_doctype(data)
    contentloc = result["headers"].get("content-location", "")
    href = result.get("href", "")
    baseuri = make_safe_absolute_uri(href, contentloc) or make_safe_absolute_uri(contentloc) or href
    baselang = result["headers"].get("content-language", None)
    if isinstance(baselang, bytes):
        baselang = baselang.decode("utf-8", "ignore")
    handler: Any = None
    if use_strict_parser and not baseuri and baselang is None:
        with contextlib.suppress(fastrss.Unsure):
            feed, entries, version, namespaces = _fast_read(data, stream, on_entry)
            result["feed"], result["entries"], result["namespaces"] = feed, entries, namespaces
            result["version"] = result["version"] or version
            return result
    if use_strict_parser:
        handler = _StrictHandler(baseuri, baselang, "utf-8")
        handler.resolve_relative_uris = False
        handler.sanitize_html = False
        reader = _BufferingExpatReader()
        reader.setFeature(xml.sax.handler.feature_namespaces, 1)
        with contextlib.suppress(xml.sax.SAXNotSupportedException):
            reader.setFeature(xml.sax.handler.feature_external_ges, 0)
        reader.setContentHandler(handler)
        reader.setErrorHandler(handler)
        source = xml.sax.xmlreader.InputSource()
        source.setByteStream(io.BytesIO(data))
        try:
            reader.parse(source)
        except xml.sax.SAXException as error:
            result["bozo"] = 1
            result["bozo_exception"] = handler.exc or error
            use_strict_parser = False
    if not use_strict_parser:
        handler = _api.LooseFeedParser(baseuri, baselang, "utf-8", entities)
        handler.resolve_relative_uris = False
        handler.sanitize_html = False
        handler.feed(data.decode("utf-8", "replace"))
    result["feed"] = handler.feeddata
    result["entries"] = handler.entries
    result["version"] = result["version"] or handler.version
    result["namespaces"] = handler.namespaces_in_use
    return result


_MARKERS = (
    codecs.BOM_UTF32_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE,
    codecs.BOM_UTF8, EBCDIC_MARKER, UTF16BE_MARKER, UTF16LE_MARKER, UTF32BE_MARKER,
    UTF32LE_MARKER,
)  # fmt: skip
# An XML declaration expat reads exactly as the one convert_to_utf8 writes in its place.
_PLAIN_DECLARATION = re.compile(
    rb"""<\?xml\s+version\s*=\s*(["'])1\.0\1(\s+encoding\s*=\s*(["'])utf-8\3)?\s*\?>\Z""",
    re.IGNORECASE,
)


def _utf8_as_is(data: bytes) -> bool:
    """True when ``convert_to_utf8`` (no HTTP headers) reads ``data`` as UTF-8 without a
    complaint and changes nothing expat would see: no byte-order mark, at most a plain
    declaration of version 1.0 and UTF-8, and bytes that are all UTF-8."""
    if data.startswith(_MARKERS):
        return False
    match = RE_XML_PI_ENCODING.match(data)
    if match and match.group(1).lower() != b"utf-8":
        return False
    declaration = RE_XML_DECLARATION_BYTES.match(data)
    if declaration and not _PLAIN_DECLARATION.match(declaration.group()):
        return False
    return data.isascii() or charsets.decodes(data, "utf-8")


class _BufferingExpatReader(xml.sax.expatreader.ExpatParser):
    """``xml.sax``'s expat reader with expat's text buffering on."""

    def reset(self) -> None:
        super().reset()
        expat: Any = self._parser  # type: ignore[attr-defined]
        expat.buffer_text = True
        expat.buffer_size = _TEXT_BUFFER


class _StrictHandler(_api.StrictFeedParser):  # type: ignore[misc,valid-type]
    """feedparser's strict handler, refusing the one case where the size of text pieces matters.

    In Atom XHTML content feedparser unwraps an outer ``<div>`` by looking at the pieces of the
    content one by one. Text reaches the pieces escaped, except in content declared as text or
    HTML; when such content turns out to hold elements, feedparser switches it to XHTML halfway,
    and unescaped text with a ``<`` that came before could then be cut differently. When that
    switch happens after such text, the document goes to ``feedparser.parse`` instead.
    """

    _raw_markup = False  # unescaped text with a "<" was added to some content

    def handle_data(self, text: str, escape: int = 1) -> None:
        if escape and self.incontent and "<" in text and self.contentparams.get("type") != _XHTML:
            self._raw_markup = True
        super().handle_data(text, escape)

    def unknown_starttag(self, tag: str, attrs: list[tuple[str, str]]) -> Any:
        # feedparser's own test for "declared as escaped markup, but it isn't really"
        switching = (
            self.incontent
            and not self.contentparams.get("type", "xml").endswith("xml")
            and tag not in ("xhtml:div", "div")
        )
        if switching and self._raw_markup:
            raise _Unsure(tag)
        return super().unknown_starttag(tag, attrs)

    def unknown_endtag(self, tag: str) -> Any:
        before = self.contentparams.get("type")
        returned = super().unknown_endtag(tag)
        if self._raw_markup and before != _XHTML and self.contentparams.get("type") == _XHTML:
            raise _Unsure(tag)
        return returned
