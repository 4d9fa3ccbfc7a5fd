"""Plain RSS 2.0 read by a small expat handler that builds exactly what feedparser builds.

``fastfeed`` makes feedparser itself fast enough for most feeds; for the common shape (an RSS
2.0 channel of items with the usual elements, as dev.to, WordPress and most blogs write it) even
feedparser's handler is the bottleneck: ~50 µs of Python per element. This reader handles that
shape only, with the same expat parser (same well-formedness, same text) and the same helpers
(``_urljoin``, ``_parse_date``, ``looks_like_html``, the cp1252 and double-encoding repairs,
``_add_tag``, ``_sync_author_detail``, ``track_namespace``), applied in the order feedparser
applies them, and gives the same ``FeedParserDict`` result.

The shape it accepts, and nothing else: ``rss > channel > (fields, image > fields, item >
fields)``; each field an element of a fixed list (or one feedparser has no handler for and
stores as it is), without child elements, without attributes but the few listed, at most once
per container (but ``category``); no xml:base, xml:lang, DOCTYPE or unknown namespace; read from
a file or stdin (no base URL or language from HTTP headers). Anything else raises ``Unsure`` as
soon as it is seen, and ``fastfeed`` reads the document with feedparser's own handler instead.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any
from xml.parsers import expat

from feedparser import api as _api
from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin
from feedparser.util import FeedParserDict

from feed2book.parse._fast import require

__all__ = ["Stream", "Unsure", "read"]

_MIXIN: Any = _FeedParserMixin  # feedparser's helpers, called with a stand-in for ``self``
_HANDLER: Any = _api.StrictFeedParser
require(
    _MIXIN,
    *("_add_tag", "_enforce_href", "_sync_author_detail", "html_types", "looks_like_html"),
    *("map_content_type", "namespaces", "track_namespace"),
)
require(_HANDLER, "can_be_relative_uri")
# What feedparser's handler builds in its first __init__ (its class attribute starts empty).
_MATCH_NAMESPACES = {uri.lower(): prefix for uri, prefix in _MIXIN.namespaces.items()}
_TEXT_BUFFER = 1 << 18
PIECE = 1 << 18  # bytes handed to expat at a time: the entries they close are given at once
_XLINK = "http://www.w3.org/1999/xlink"
_VERSIONS = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
_LINK_QUERY = re.compile("&([A-Za-z0-9_]+);")  # feedparser's repair of "&b;=2" in links
# The characters ``_cp1252`` maps (all C1 controls): a text without any needs no ``translate``,
# which looks every character of a non-ASCII text up one by one (~80 ms per MB).
_C1_CONTROL = re.compile("[\x80-\x9f]")


class Unsure(Exception):
    """The document is not of the shape this reader promises feedparser's result for."""


class _Context:
    """What feedparser's helpers need of ``self``: the dictionary being filled."""

    def __init__(self, context: FeedParserDict) -> None:
        self.context = context

    def _get_context(self) -> FeedParserDict:
        return self.context

    def _sync_author_detail(self, key: str = "author") -> None:
        _MIXIN._sync_author_detail(self, key)


class _Namespaces:
    """What ``track_namespace`` needs of ``self``."""

    _matchnamespaces = _MATCH_NAMESPACES

    def __init__(self) -> None:
        self.version = ""
        self.namespacemap: dict[str | None, str] = {}
        self.namespaces_in_use: dict[str, str] = {}


def read(data: bytes) -> tuple[FeedParserDict, list[FeedParserDict], str, dict[str, str]]:
    """(feed, entries, version, namespaces) of an RSS 2.0 document feedparser would read with
    its strict parser; raises ``Unsure`` for any other document."""
    stream = Stream(data)
    entries = list(stream)
    return stream.feed, entries, stream.version, stream.namespaces


class Stream:
    """One reading of a document, entry by entry: iterating yields each item's dictionary once
    the piece of the document that closes it is read, and keeps none, so a feed of 380,000
    items is never held whole. ``feed``, ``version`` and ``namespaces`` are the channel as read
    so far (all of it once the iteration has ended). Iterating raises ``Unsure`` where ``read``
    would, possibly after some entries were given. The same bytes give the same entries."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._reader = _Reader()

    @property
    def feed(self) -> FeedParserDict:
        return self._reader.feed

    @property
    def version(self) -> str:
        return self._reader.namespaces.version

    @property
    def namespaces(self) -> dict[str, str]:
        return self._reader.namespaces.namespaces_in_use

    def __iter__(self) -> Iterator[FeedParserDict]:
        reader, data = self._reader, self._data
        parser = expat.ParserCreate(None, " ")
        parser.namespace_prefixes = True
        parser.buffer_text = True
        parser.buffer_size = _TEXT_BUFFER
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_UNLESS_STANDALONE)
        parser.StartNamespaceDeclHandler = reader.namespace
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.characters
        parser.StartDoctypeDeclHandler = reader.refuse
        parser.ExternalEntityRefHandler = reader.refuse
        parser.SkippedEntityHandler = reader.refuse
        # The reader joins every text before it looks at it: where a piece ends changes nothing.
        for start in range(0, max(len(data), 1), PIECE):
            try:
                parser.Parse(data[start : start + PIECE], start + PIECE >= len(data))
            except expat.ExpatError as error:  # feedparser's strict parser fails too
                raise Unsure(str(error)) from None
            finished, reader.finished = reader.finished, []
            yield from finished
            del finished
        if not reader.in_channel or reader.depth != 0:
            raise Unsure("no channel")


# Leaf elements by where they may appear. The value says how feedparser treats them.
_CHANNEL_FIELDS = {
    "title": "title", "link": "link", "description": "description", "language": "language",
    "lastbuilddate": "updated", "pubdate": "published", "generator": "generator",
    "category": "category", "dc:date": "updated", "dc:language": "language",
    "copyright": "rights", "managingeditor": "author", "webmaster": "publisher",
    "updated": "updated",
}  # fmt: skip
_ITEM_FIELDS = {
    "title": "title", "link": "link", "guid": "guid", "description": "description",
    "content:encoded": "content", "pubdate": "published", "dc:date": "updated",
    "dc:creator": "author", "author": "author", "category": "category", "updated": "updated",
    "enclosure": "enclosure",
}  # fmt: skip
_IMAGE_FIELDS = {"url": "href", "title": "title", "link": "link", "width": "size", "height": "size"}
# Attributes allowed, per kind (lower case, as feedparser sees them).
_ATTRIBUTES = {
    "guid": {"ispermalink"},
    "category": {"domain"},
    "enclosure": {"url", "length", "type"},
}
_ATOM_LINK_ATTRIBUTES = {"rel", "type", "href", "title", "hreflang", "length"}


class _Reader:
    """The handler: expat events in, feedparser's dictionaries out."""

    def __init__(self) -> None:
        self.namespaces = _Namespaces()
        self.feed = FeedParserDict()
        self.in_channel = False  # the channel has begun
        self.entry = FeedParserDict()  # the item being read
        self.finished: list[FeedParserDict] = []  # items closed since the stream last looked
        self.depth = 0
        self.title_depth = -1
        self.guidislink = False
        self.has_content = False
        self.path: list[str] = []  # "rss", "channel", "item", "image"
        self.seen: list[set[str]] = []  # the fields met in each open container
        self.leaf: tuple[str, str, dict[str, str]] | None = None  # (name, kind, attributes)
        self.text: list[str] = []

    # -- expat events ------------------------------------------------------------------------

    def refuse(self, *_: object) -> int:
        raise Unsure("DOCTYPE or entity")

    def namespace(self, prefix: str | None, uri: str | None) -> None:
        if not uri:
            return
        if prefix and uri == _XLINK:
            raise Unsure("xlink")  # feedparser adds an attribute for it to the next element
        _MIXIN.track_namespace(self.namespaces, prefix or None, uri)

    def characters(self, data: str) -> None:
        if self.leaf is not None:
            self.text.append(data)
        # Text between the elements of rss, channel, item and image: feedparser drops it.

    def start(self, name: str, raw: dict[str, str]) -> None:
        self.depth += 1
        if self.leaf is not None:
            raise Unsure("an element inside a field")
        tag = self._tag(name)
        attributes = self._attributes(raw)
        where = self.path[-1] if self.path else ""
        if where == "":
            self._start_rss(tag, attributes)
        elif where == "rss":
            if tag != "channel" or attributes or self.in_channel:
                raise Unsure(f"{tag} in rss")
            self._open("channel")
            self.in_channel = True
        elif where == "channel" and tag == "item" and not attributes:
            self.entry = FeedParserDict()
            self.title_depth = -1
            self.guidislink = False
            self._open("item")
        elif where == "channel" and tag == "image" and not attributes:
            self._once("image")
            self.feed.setdefault("image", FeedParserDict())
            self.title_depth = -1
            self._open("image")
        else:
            fields = {"channel": _CHANNEL_FIELDS, "item": _ITEM_FIELDS, "image": _IMAGE_FIELDS}
            self._start_field(tag, fields[where].get(tag) or _plain(tag), attributes)

    def end(self, name: str) -> None:
        if self.leaf is not None:
            tag, kind, attributes = self.leaf
            self.leaf = None
            self._end_field(tag, kind, attributes, "".join(self.text))
            self.text = []
        else:
            closed = self.path.pop()
            self.seen.pop()
            if closed == "item":
                self.has_content = False
                self.finished.append(self.entry)
        self.depth -= 1

    # -- containers --------------------------------------------------------------------------

    def _start_rss(self, tag: str, attributes: dict[str, str]) -> None:
        if tag != "rss" or set(attributes) - {"version"}:
            raise Unsure(f"root {tag}")
        namespaces = self.namespaces
        if not namespaces.version or not namespaces.version.startswith("rss"):
            given = attributes.get("version", "")
            namespaces.version = _VERSIONS.get(given) or (
                "rss20" if given.startswith("2.") else "rss"
            )
        self._open("rss")

    def _open(self, where: str) -> None:
        self.path.append(where)
        self.seen.append(set())

    def _once(self, slot: str) -> None:
        if slot in self.seen[-1]:
            raise Unsure(f"second {slot}")
        self.seen[-1].add(slot)

    @property
    def context(self) -> FeedParserDict:
        where = self.path[-1]
        if where == "item":
            return self.entry
        if where == "image":
            return self.feed["image"]
        return self.feed

    # -- fields ------------------------------------------------------------------------------

    def _start_field(self, tag: str, kind: str, attributes: dict[str, str]) -> None:
        if tag == "link" and attributes and self.path[-1] in ("channel", "item"):
            if set(attributes) - _ATOM_LINK_ATTRIBUTES:
                raise Unsure("attributes of atom:link")
            self._atom_link(attributes)  # atom:link: all in its attributes, no text
            kind = "atom-link"
        elif set(attributes) - _ATTRIBUTES.get(kind, set()):
            raise Unsure(f"attributes of {tag}")
        if kind not in ("category", "atom-link", "enclosure"):
            self._once("author" if kind == "author" else tag)
        context = self.context
        if kind == "link":
            context.setdefault("links", []).append(
                FeedParserDict({"rel": "alternate", "type": "text/html"})
            )
        elif kind == "author":
            context.setdefault("authors", []).append(FeedParserDict())
        elif kind == "guid":
            self.guidislink = attributes.get("ispermalink", "true") == "true"
        elif kind == "category":
            _MIXIN._add_tag(_Context(context), None, attributes.get("domain"), None)
        elif kind == "enclosure":  # feedparser's _start_enclosure; its text is not read
            found = _MIXIN._enforce_href(dict(attributes))
            found["rel"] = "enclosure"
            context.setdefault("links", []).append(FeedParserDict(found))
        elif kind == "content":
            self.has_content = True
        elif kind == "generator":
            context["generator_detail"] = FeedParserDict()
        elif kind == "description" and "summary" in context and not self.has_content:
            raise Unsure("a second summary")  # feedparser would make it content
        self.leaf = (tag, kind, attributes)
        self.text = []

    def _atom_link(self, attributes: dict[str, str]) -> None:
        """feedparser's ``_start_link`` for a link with attributes (its text is not read)."""
        found = dict(attributes)
        found.setdefault("rel", "alternate")
        found.setdefault("type", "application/atom+xml" if found["rel"] == "self" else "text/html")
        if "href" not in found:
            raise Unsure("atom:link without href")
        found["href"] = _urljoin("", found["href"])
        context = self.context
        context.setdefault("links", []).append(FeedParserDict(found))
        content_type = _MIXIN.map_content_type(found.get("type"))
        if found.get("rel") == "alternate" and content_type in _MIXIN.html_types:
            context["link"] = found["href"]

    def _end_field(self, tag: str, kind: str, attributes: dict[str, str], text: str) -> None:
        if kind in ("atom-link", "enclosure"):
            if text.strip():
                raise Unsure(f"text in {tag}")
            return
        if kind == "size":  # width, height: pushed without expecting text
            try:
                number = int(text.strip())
            except ValueError:
                number = 0
            self.context[tag] = number
            return
        element, content_type = _ELEMENTS.get(kind, (kind, None))
        if kind not in _ELEMENTS:
            element = tag.replace(":", "_")
        output, content_type = self._output(element, text, content_type)
        if kind == "category":
            self._end_category(output)
            return
        if kind == "title" and -1 < self.title_depth <= self.depth:
            raise Unsure("a title feedparser would drop")
        self._store(element, output, content_type)
        if kind == "title" and output:
            self.title_depth = self.depth
        elif kind in ("published", "updated"):
            self.context[f"{kind}_parsed"] = _parse_date(output)
        elif kind in ("author", "publisher"):
            _Context(self.context)._sync_author_detail(kind)
        elif kind == "guid":
            context = self.context
            context.setdefault("guidislink", self.guidislink and "link" not in context)
            if self.guidislink:
                context.setdefault("link", output)
        elif kind == "content":
            self.context.setdefault("summary", output)
        elif kind == "generator" and "generator_detail" in self.context:
            self.context["generator_detail"]["name"] = output

    def _output(self, element: str, text: str, content_type: str | None) -> tuple[str, str | None]:
        """What feedparser's ``pop`` makes of a text, and the content type it ends with."""
        output = text.strip()
        relative = element in _HANDLER.can_be_relative_uri and output
        if relative and (element != "id" or self.guidislink):
            output = _urljoin("", output)
        if content_type == "text/plain" and _MIXIN.looks_like_html(output):
            content_type = "text/html"
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            output = output.encode("iso-8859-1").decode("utf-8")  # UTF-8 once read as Latin-1
        if _C1_CONTROL.search(output):
            output = output.translate(_cp1252)
        return output, content_type

    def _store(self, element: str, output: str, content_type: str | None) -> None:
        """The end of feedparser's ``pop``: where the value goes."""
        context = self.context
        detail = None
        if content_type is not None:
            detail = FeedParserDict(
                {"type": content_type, "language": None, "base": "", "value": output}
            )
        if self.path[-1] == "item":
            if element == "content":
                assert detail is not None
                context.setdefault("content", []).append(detail)
            elif element == "link":
                output = _LINK_QUERY.sub(r"&\g<1>", output.replace("&amp;", "&"))
                context["link"] = output
                if output:
                    context["links"][-1]["href"] = output
            else:
                if element == "description":
                    element = "summary"
                context[element] = output  # at most once per item: feedparser's depth rule agrees
                if detail is not None:
                    context[element + "_detail"] = detail
        else:
            if element == "description":
                element = "subtitle"
            context[element] = output
            if element == "link":
                output = _LINK_QUERY.sub(r"&\g<1>", output)
                context[element] = output
                context["links"][-1]["href"] = output
            elif detail is not None:
                context[element + "_detail"] = detail

    def _end_category(self, value: str) -> None:
        if not value:
            return
        context = self.context
        tags = context["tags"]
        if len(tags) and not tags[-1]["term"]:
            tags[-1]["term"] = value
        else:
            _MIXIN._add_tag(_Context(context), value, None, None)

    # -- names -------------------------------------------------------------------------------

    def _tag(self, name: str) -> str:
        """The element's name as feedparser's handler methods know it (``dc:creator``)."""
        parts = name.split(" ")
        if len(parts) == 1:
            return name.lower()
        if len(parts) not in (2, 3):
            raise Unsure("a namespace with spaces")
        uri = parts[0].lower()
        if "backend.userland.com/rss" in uri:
            uri = "http://backend.userland.com/rss"
        prefix = _MATCH_NAMESPACES.get(uri)
        if prefix is None:
            raise Unsure(f"namespace {parts[0]}")
        local = parts[1].lower()
        if not prefix:
            return local
        # feedparser looks the canonical prefix up among the document's prefixes once more
        return f"{self.namespaces.namespacemap.get(prefix, prefix)}:{local}"

    def _attributes(self, raw: dict[str, str]) -> dict[str, str]:
        attributes: dict[str, str] = {}
        for name, value in raw.items():
            if " " in name:
                raise Unsure("a namespaced attribute")  # xml:base, xml:lang and the like
            key = name.lower()
            if key in attributes or key in ("lang", "base"):
                raise Unsure(f"attribute {name}")
            attributes[key] = value.lower() if key in ("rel", "type") else value
        return attributes


# kind -> (feedparser's element name, content type for push_content or None)
_ELEMENTS: dict[str, tuple[str, str | None]] = {
    "title": ("title", "text/plain"),
    "description": ("description", "text/html"),
    "content": ("content", "text/html"),
    "link": ("link", None),
    "guid": ("id", None),
    "published": ("published", None),
    "updated": ("updated", None),
    "author": ("author", None),
    "category": ("category", None),
    "language": ("language", None),
    "generator": ("generator", None),
    "rights": ("rights", "text/plain"),
    "publisher": ("publisher", None),
    "href": ("href", None),
}


def _plain(tag: str) -> str:
    """The kind of an element feedparser has no handler for: stored under its own name when
    it has no attributes (checked later); one it has a handler for is refused."""
    key = tag.replace(":", "_")
    if hasattr(_HANDLER, f"_start_{key}") or hasattr(_HANDLER, f"_end_{key}"):
        raise Unsure(f"element {tag}")
    return "plain"
