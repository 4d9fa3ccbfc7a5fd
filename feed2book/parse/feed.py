"""Parse: bytes of one source -> ``Article``s plus ``Problem``s.

feedparser does the reading (RSS 0.9x/1.0/2.0, Atom, encodings, dates), always on bytes we fetched
ourselves, with its sanitiser and URI resolver switched off: we clean once, in ``clean``, which
keeps the iframes feedparser would delete. JSON Feed and feed2book's own JSON Lines are read here
too. Missing titles, dates and authors get fallbacks and a warning, never an exception; a source
that is not a feed at all raises ``NotAFeedError``.
"""

from __future__ import annotations

import calendar
import io
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import feedparser

from feed2book import parallel
from feed2book.clean.html import clean_html, clean_html_tree
from feed2book.clean.rules import escape_url
from feed2book.convert.text import text_as_html, to_text, tree_word_count
from feed2book.defaults import LANGUAGE as DEFAULT_LANGUAGE
from feed2book.defaults import MAX_FEED_BYTES, STREAM_MIN_ITEMS
from feed2book.errors import NotAFeedError
from feed2book.headstart import items_in
from feed2book.i18n import plural
from feed2book.identity import (
    ItemFacts,
    article_id,
    author_handle,
    digest,
    feed_ids,
    forem_handle_and_slug,
    forem_handle_from_feed,
    revision_key,
)
from feed2book.lang.detect import language_of
from feed2book.models import Article, Author, FeedInfo, Problem, SeriesRef
from feed2book.parse import _fast as fastfeed
from feed2book.parse import charsets, enclosures, json_text
from feed2book.parse.summary import (
    ContentSource,
    ItemSignals,
    entry_signals,
    json_item_signals,
    summary_flags,
)
from feed2book.sources.fetch import Fetched
from feed2book.sources.resolver import Kind, sniff

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_YEAR = 1971  # earlier dates in feeds are placeholders ("0001-01-01", the Unix epoch)
_UNTITLED_WORDS = 10


@dataclass
class ParsedSource:
    """What one source yielded."""

    origin: str
    feed: FeedInfo
    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse_source(
    fetched: Fetched, on_article: Callable[[Article], None] | None = None
) -> ParsedSource:
    """Read one fetched document of any supported kind.

    ``on_article``: each article is handed to it as soon as it is made, in order, instead of
    being collected in ``articles`` (a big feed then never holds all its articles at once).
    """
    kind = sniff(fetched.data)
    if kind is Kind.JSONL:
        return _hand_over(parse_jsonl(fetched), on_article)
    if len(fetched.data) > MAX_FEED_BYTES:
        # feedparser holds several copies of a document: the same cap as for a download.
        raise NotAFeedError(
            fetched.origin,
            f"larger than {MAX_FEED_BYTES // 1024 // 1024} MB; not read",
            hint="feeds are rarely over a few MB: is this the right file?",
        )
    if kind is Kind.JSON_FEED:
        return _hand_over(parse_json_feed(fetched), on_article)
    if _blank(_without_boms(fetched.data)):
        raise NotAFeedError(fetched.origin, "empty file")
    return parse_feed(fetched, kind, on_article)


def _hand_over(parsed: ParsedSource, on_article: Callable[[Article], None] | None) -> ParsedSource:
    if on_article is not None:
        for article in parsed.articles:
            on_article(article)
        parsed.articles = []
    return parsed


def _blank(data: bytes) -> bool:
    """``not data.strip()``, without copying a big document to find out."""
    return not data or data.isspace()


def _without_boms(data: bytes) -> bytes:
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        data = data.removeprefix(bom)
    return data


# --- RSS and Atom -------------------------------------------------------------------------------


def parse_feed(
    fetched: Fetched, kind: Kind = Kind.FEED, on_article: Callable[[Article], None] | None = None
) -> ParsedSource:
    headers: dict[str, str] = {}
    if fetched.headers.get("content-type"):
        headers["content-type"] = fetched.headers["content-type"]
    if fetched.url and not fetched.is_local:
        headers["content-location"] = fetched.url
    data = _sane_declaration(fetched.data)
    guessed = charsets.guess(data, _charset(headers.get("content-type", "")))
    if guessed is not None:
        data = _redeclared_utf8(guessed.text)
        headers["content-type"] = "application/xml"  # the bytes now say what they are
    data = _without_impossible_references(data)
    expected = items_in(data)
    parallel.prepare(expected)  # helpers import meanwhile
    # A big feed handed over article by article is read three times rather than held: the
    # channel, then what ids and summaries need, then each entry into its article.
    stream = on_article is not None and expected >= STREAM_MIN_ITEMS
    early = None
    if not stream and expected >= parallel.MIN_ITEMS and parallel.worker_count() > 1:
        early = _Early(fetched, expected)
    try:
        parsed = fastfeed.parse(
            data, headers, stream=stream, on_entry=early.add if early is not None else None
        )
        return _read_entries(fetched, parsed, kind, guessed, early, on_article)
    finally:
        if early is not None:
            early.cancel()  # nothing, once its results were taken


def _read_entries(
    fetched: Fetched,
    parsed: Any,
    kind: Kind,
    guessed: charsets.Guess | None,
    early: _Early | None,
    on_article: Callable[[Article], None] | None,
) -> ParsedSource:
    if not parsed.entries and (not parsed.get("version") or kind is Kind.UNKNOWN):
        reason = _bozo_reason(parsed) if parsed.get("bozo") else "no feed entries found"
        raise NotAFeedError(fetched.origin, f"not an RSS, Atom or JSON feed ({reason})")
    if not parsed.entries and parsed.get("bozo"):
        raise NotAFeedError(
            fetched.origin,
            f"feed is not well-formed and no item could be read ({_bozo_reason(parsed)})",
        )
    context = _feed_context(fetched, parsed.feed)
    result = ParsedSource(fetched.origin, context.feed)
    if guessed is not None:
        result.problems.append(Problem(fetched.origin, _encoding_message(guessed)))
    if parsed.get("bozo"):
        result.problems.append(
            Problem(
                fetched.origin,
                f"feed is not well-formed ({_bozo_reason(parsed)}); read what could be recovered",
            )
        )
    fallbacks: dict[str, int] = {}
    portable = _portable(context)  # helpers need no bytes
    convert = partial(_entry_to_article, context=portable)
    keep = on_article or result.articles.append
    # Ids are decided for the whole feed first: a fragment or a shared link only tells whether
    # it distinguishes items once every item is seen (``identity.feed_ids``).
    done: Iterable[tuple[Article, list[str]]]
    if isinstance(parsed.entries, list):
        if early is not None and not early.valid_for(parsed.entries, portable):
            early.cancel()  # at once: its helpers are needed for the entries read again
            early = None
        if early is not None:
            plain, located = early.plain, early.located
        else:
            plain = [plain_entry(entry) for entry in parsed.entries]
            located = [_locate(entry, context) for entry in plain]
        parsed.entries.clear()
        ids = feed_ids([_entry_facts(*item, context) for item in zip(plain, located, strict=True)])
        summaries = summary_flags(
            [entry_signals(entry, where.link) for entry, where in zip(plain, located, strict=True)]
        )
        if early is not None:
            done = early.articles(ids)
        else:
            entries = list(zip(plain, ids, located, strict=True))
            done = parallel.map_in_order(convert, entries, consume=True)
        plain.clear()
        located.clear()
    else:  # a big feed, read again rather than held: ids and signals first, then the articles
        facts, signals = [], []
        alike: dict[ItemSignals, ItemSignals] = {}  # most entries' signals are equal: one each
        for entry in parsed.entries:
            item = plain_entry(entry)
            where = _locate(item, context)
            facts.append(_entry_facts(item, where, context))
            signal = entry_signals(item, where.link)
            signals.append(alike.setdefault(signal, signal))
        ids = feed_ids(facts)
        summaries = summary_flags(signals)
        del facts, signals
        done = _in_batches(convert, _located_again(parsed.entries, ids, context))
    for (article, used), summary in zip(done, summaries, strict=True):
        keep(replace(article, content_source=ContentSource.SUMMARY.value) if summary else article)
        for name in used:
            fallbacks[name] = fallbacks.get(name, 0) + 1
    for name, count in sorted(fallbacks.items()):
        result.problems.append(Problem(fetched.origin, _fallback_message(name, count)))
    return result


def _feed_context(fetched: Fetched, channel: Any) -> _FeedContext:
    """What every entry of the feed is read with, from its channel (as read so far)."""
    feed = FeedInfo(
        title=_clean_text(channel.get("title", ""))
        or _host(channel.get("link", ""))
        or fetched.origin,
        url=fetched.url if fetched.url and not fetched.is_local else fetched.origin,
        site=_web_url(channel.get("link", "") or ""),
    )
    return _FeedContext(
        fetched=fetched,
        feed=feed,
        language=_language(channel.get("language")),
        forem_handle=forem_handle_from_feed(channel.get("subtitle", "") or ""),
        feed_author=_first_author(channel),
        feed_date=_struct_to_datetime(
            _raw(channel, "updated_parsed") or _raw(channel, "published_parsed")
        ),
        header_date=_header_date(fetched.headers),
    )


def _portable(context: _FeedContext) -> _FeedContext:
    """The context without the document's bytes, as helpers receive it."""
    return replace(context, fetched=replace(context.fetched, data=b""))


class _Early:
    """Entries turned into articles by the helpers while the rest of the feed is still being
    read (``parallel.Ahead``). Each is read with the context its channel gave up to the first
    entry, and with a blank id (ids are decided once every entry is seen); the articles are
    used only if the whole document was read by that same reading (the same entry objects)
    and its whole channel gives the same context, which makes them exactly the articles the
    entries give read afterwards. Otherwise they are dropped and the entries read again."""

    def __init__(self, fetched: Fetched, expected: int) -> None:
        self.fetched = fetched
        self.expected = expected
        self.context: _FeedContext | None = None
        self.portable: _FeedContext | None = None
        self.ahead: parallel.Ahead | None = None
        self.entries: list[Any] = []
        self.plain: list[dict[str, Any]] = []
        self.located: list[_Located] = []

    def add(self, entry: Any, channel: Any) -> None:
        if self.context is None:
            self.context = _feed_context(self.fetched, channel)
            self.portable = _portable(self.context)
            convert = partial(_entry_to_article, context=self.portable)
            self.ahead = parallel.Ahead(convert, expected=self.expected)
        assert self.ahead is not None
        item = plain_entry(entry)
        where = _locate(item, self.context)
        self.entries.append(entry)
        self.plain.append(item)
        self.located.append(where)
        self.ahead.add((item, "", where))

    def valid_for(self, entries: list[Any], portable: _FeedContext) -> bool:
        """Whether the articles made early are the ones ``entries`` give with ``portable``."""
        seen, self.entries = self.entries, []
        return (
            self.portable == portable
            and len(seen) == len(entries)
            and all(mine is theirs for mine, theirs in zip(seen, entries, strict=True))
        )

    def articles(self, ids: list[str]) -> Iterator[tuple[Article, list[str]]]:
        assert self.ahead is not None
        ahead, self.ahead = self.ahead, None
        for (article, used), decided_id in zip(ahead.results(), ids, strict=True):
            yield replace(article, id=decided_id), used

    def cancel(self) -> None:
        if self.ahead is not None:
            self.ahead.cancel()
            self.ahead = None
        self.entries, self.plain, self.located = [], [], []


def _located_again(
    entries: Iterable[Any], ids: list[str], context: _FeedContext
) -> Iterator[tuple[dict[str, Any], str, _Located]]:
    """A feed's entries read again, one at a time, with their ids and where they point."""
    for entry, decided_id in zip(entries, ids, strict=True):
        item = plain_entry(entry)
        yield item, decided_id, _locate(item, context)


def _in_batches(
    convert: Callable[[tuple[Any, str, _Located]], tuple[Article, list[str]]],
    entries: Iterable[tuple[Any, str, _Located]],
) -> Iterator[tuple[Article, list[str]]]:
    """``parallel.map_in_order(convert, entries)``, holding ``STREAM_MIN_ITEMS`` entries at a
    time."""
    iterator = iter(entries)
    while batch := list(itertools.islice(iterator, STREAM_MIN_ITEMS)):
        yield from parallel.map_in_order(convert, batch, consume=True)


_FALLBACK_MESSAGES = {
    "title": "{n} without a title; titled from their first words",
    "date": "{n} without a date; dated from the feed or, failing that, 1970-01-01",
    "author": "{n} without an author; credited to the feed's title",
}


def _fallback_message(name: str, count: int) -> str:
    """What a fallback (or a limit the clean stage applied, ``clean:<what>``) did, how often."""
    if name.startswith("clean:"):
        return f"{plural(count, 'item', 'items')} with {name.removeprefix('clean:')}"
    return _FALLBACK_MESSAGES[name].format(n=plural(count, "item", "items"))


def _charset(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip()
    return None


_XML_DECLARATION = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")


def _redeclared_utf8(text: str) -> bytes:
    """``text`` as UTF-8 bytes whose XML declaration (if any) says so."""
    return _XML_DECLARATION.sub(r"\1\2utf-8\2", text, count=1).encode("utf-8")


_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>")
_ENCODING_NAME = re.compile(rb"""encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._:-]{0,39})["']""")


def _sane_declaration(data: bytes) -> bytes:
    """``data`` with an XML declaration feedparser can read: one holding a NUL, a non-ASCII
    byte or an encoding name that is none made it raise (ValueError, UnicodeDecodeError)."""
    match = _DECLARATION.match(data)
    if match is None:
        return data
    declaration = match.group()
    plain = all(0x20 <= byte < 0x7F or byte in b"\t\r\n" for byte in declaration)
    encoding = _ENCODING_NAME.search(declaration)
    if plain and (encoding is not None or b"encoding" not in declaration):
        return data
    named = b' encoding="' + encoding.group(1) + b'"' if encoding else b""
    return b'<?xml version="1.0"' + named + b"?>" + data[match.end() :]


# A character reference to no character (beyond U+10FFFF, or a UTF-16 surrogate): feedparser's
# lenient parser calls chr() on it and fails with ValueError, losing the whole feed.
_REFERENCE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _without_impossible_references(data: bytes) -> bytes:
    """``data`` with ``&#x110000;``-like references replaced by U+FFFD's."""
    if b"&#" not in data and not data.startswith(_UTF16_BOMS):
        return data
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16", errors="surrogatepass")
        except UnicodeDecodeError:
            return data  # not UTF-16 after all (cut in a character): feedparser copes
        fixed = _without_impossible_references(text.encode("utf-8", errors="surrogatepass"))
        return fixed.decode("utf-8", errors="surrogatepass").encode("utf-16", "surrogatepass")
    return _REFERENCE.sub(_possible_reference, data)


def _possible_reference(match: re.Match[bytes]) -> bytes:
    hexadecimal, decimal = match.groups()
    digits = hexadecimal or decimal
    if len(digits) > 8:
        return b"&#xFFFD;"
    code = int(digits, 16) if hexadecimal else int(digits)
    return b"&#xFFFD;" if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF else match.group(0)


_ENCODING_LABELS = {"cp1251": "windows-1251", "koi8_r": "KOI8-R", "euc_kr": "EUC-KR"}


def _encoding_message(guessed: charsets.Guess) -> str:
    label = _ENCODING_LABELS.get(guessed.encoding, guessed.encoding)
    if guessed.encoding == "utf-8":
        return "bytes that are not UTF-8 (a character cut short, or a stray byte) were dropped"
    said = (
        f"declared character encoding {guessed.declared} does not fit the bytes"
        if guessed.declared
        else "no character encoding declared and the bytes are not UTF-8"
    )
    return f"{said}; read as {label} (a guess)"


# The parts of an entry read as the details they hold: every key read of them is stored under its
# own name (``value``, ``base``, ``type``, ``language``, ``name``, ``term``, ``label``).
_DETAILS = ("content", "summary_detail", "title_detail", "authors", "tags")


def plain_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A feedparser entry as plain dicts, made once: each look-up in a ``FeedParserDict`` is a
    Python call (aliases, computed keys), and an entry is read some forty times.

    The same values for every key read here: none is an alias; ``enclosures``, the one
    computed key read (from ``links``), is computed by feedparser; ``updated_parsed`` is the
    feed's own (``FeedParserDict`` would fall back to ``published_parsed``, which ``_raw``
    avoids anyway). ``media_content`` is kept as feedparser gave it (its ``url`` is an alias).
    """
    plain = dict(entry)
    plain["enclosures"] = entry.get("enclosures")
    for key in _DETAILS:
        value = plain.get(key)
        if isinstance(value, dict):
            plain[key] = dict(value)
        elif isinstance(value, list):
            plain[key] = [dict(item) if isinstance(item, dict) else item for item in value]
    return plain


@dataclass(frozen=True)
class _FeedContext:
    fetched: Fetched
    feed: FeedInfo
    language: str | None  # None: the feed declares none (each entry's is then guessed)
    forem_handle: str | None
    feed_author: str
    feed_date: datetime | None
    header_date: datetime | None


def _link_and_forem(entry: Any, context: _FeedContext) -> tuple[str, tuple[str, str] | None]:
    link = _absolute(entry.get("link", "") or "", context)
    forem = forem_handle_and_slug(link) if link else None
    if forem is None and context.forem_handle and link:
        # A Forem community on another host: the feed names the handle, the link starts with it.
        segments = [s for s in urlsplit(link).path.split("/") if s]
        if len(segments) >= 2 and segments[0].lower() == context.forem_handle:
            forem = (segments[0].lower(), segments[1].lower())
    return link, forem


class _Located(NamedTuple):
    """Where an entry points and what its body is, worked out once per entry."""

    link: str
    forem: tuple[str, str] | None
    html: str  # the fullest HTML the entry carries (``_content``)
    base: str  # what its relative links resolve against


def _locate(entry: Any, context: _FeedContext) -> _Located:
    link, forem = _link_and_forem(entry, context)
    return _Located(link, forem, *_content(entry, link, context))


def _entry_facts(entry: Any, where: _Located, context: _FeedContext) -> ItemFacts:
    """What ``feed_ids`` needs of an entry: cheap (the body is hashed as the feed gives it, not
    cleaned), except for an entry with no guid, link or title, whose fallback id needs the
    title ``_entry_to_article`` takes from its cleaned text."""
    link, forem, raw_html, base = where
    guid = entry.get("id", "") or ""
    title = _clean_text(entry.get("title", ""))
    if not title and not guid.strip() and not link and forem is None:
        title = _title_from_text(to_text(clean_html(raw_html, base_url=base or None))) or "Untitled"
    own = _struct_to_datetime(_raw(entry, "published_parsed")) or _struct_to_datetime(
        _raw(entry, "updated_parsed")
    )
    published = own or context.feed_date or context.header_date or EPOCH
    fallback = f"{context.feed.url}|{title}|{published.isoformat()}"
    article_id = _article_id(guid, link, forem, fallback)
    exact = _article_id(guid, link, forem, fallback, keep_fragment=True)
    return ItemFacts(
        id=article_id,
        exact=article_id if exact == article_id else exact,  # one string while all are held
        date=own.isoformat() if own else "",
        title=title,
        body=digest(raw_html),
    )


def _entry_to_article(
    item: tuple[Any, str, _Located], context: _FeedContext
) -> tuple[Article, list[str]]:
    """An entry, the id ``feed_ids`` gave it and where it points, as an ``Article``."""
    entry, decided_id, (link, forem, raw_html, base) = item
    used: list[str] = []
    xhtml, tree = clean_html_tree(
        raw_html, base_url=base or None, on_problem=lambda what: used.append(f"clean:{what}")
    )
    title = _clean_text(entry.get("title", ""))
    if not title:
        title = _title_from_text(to_text(xhtml)) or "Untitled"
        used.append("title")
    published = _struct_to_datetime(_raw(entry, "published_parsed"))
    updated = _struct_to_datetime(_raw(entry, "updated_parsed"))
    if published is None:
        if updated is None:
            used.append("date")
        published = updated or context.feed_date or context.header_date or EPOCH
    authors = _authors(entry, forem)
    if not authors:
        # Atom and RSS let an entry inherit the feed's author; only the feed title is a guess.
        name = context.feed_author or context.feed.title
        authors = (Author(name, forem[0] if forem else author_handle(name)),)
        if not context.feed_author:
            used.append("author")
    handles = tuple(author.handle for author in authors)
    article = Article(
        id=decided_id,
        url=link,
        title=title,
        authors=authors,
        published=published,
        updated=updated if updated and updated != published else None,
        tags=_tags(entry),
        feed=context.feed,
        language=_entry_language(entry) or context.language or _guessed_language(title, xhtml),
        content_html=xhtml,
        word_count=tree_word_count(tree),
        revision_key=revision_key(handles, title),
        enclosures=enclosures.from_entry(entry, partial(_resolved, base or link)),
    )
    return article, used


def _absolute(link: str, context: _FeedContext) -> str:
    """The entry link as an absolute http(s) URL, or "" when it is not a usable one."""
    link = link.strip()
    if not link:
        return link
    if is_web_url(link):
        return escape_url(link)
    base = context.feed.site or (context.fetched.url if not context.fetched.is_local else "")
    joined = _join(base, link) if base else ""
    return escape_url(joined) if is_web_url(joined) else ""


def _article_id(
    guid: str,
    link: str,
    forem: tuple[str, str] | None,
    fallback: str,
    *,
    keep_fragment: bool = False,
) -> str:
    """``identity.article_id``; a guid that only looks like a URL (``http://[::1/x``, which
    ``normalise_url`` cannot parse) is kept as the opaque string it is."""
    try:
        return article_id(guid, link, forem, fallback, keep_fragment=keep_fragment)
    except ValueError:
        return guid.strip()


def _join(base: str, reference: str) -> str:
    """``urljoin``, or "" where it raises (``http://[::1/x`` is no URL)."""
    try:
        return urljoin(base, reference)
    except ValueError:
        return ""


def _resolved(base: str, url: str) -> str:
    """``url`` made absolute against ``base``, when that gives an http(s) address, else ""."""
    return _web_url(_join(base, url) if base else url)


def _web_url(url: str) -> str:
    """``url`` when it is an http(s) address, else "" (a feed's ``<link>`` may hold anything)."""
    url = url.strip()
    return escape_url(url) if is_web_url(url) else ""


def is_web_url(url: str) -> bool:
    """An http(s) URL with a plausible host (feeds put names and mail addresses in <link>)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(host)
        and all(c.isalnum() or c in ".-_" for c in host)
        and "%20" not in parts.netloc
    )


def _content(entry: Any, link: str, context: _FeedContext) -> tuple[str, str]:
    """The fullest HTML the entry carries, and the base URL its relative links resolve against.

    ``content:encoded`` / Atom content are preferred; when a summary is longer it wins (some feeds
    put the full text in ``description`` and a teaser in ``content``).
    """
    candidates: list[tuple[str, str]] = []
    for detail in entry.get("content", []) or []:
        candidates.append((detail.get("value", "") or "", detail.get("base", "") or ""))
    summary = entry.get("summary_detail") or {}
    if entry.get("summary"):
        candidates.append((entry.get("summary", ""), summary.get("base", "") or ""))
    if not candidates:
        return "", link
    value, xml_base = max(candidates, key=lambda candidate: len(candidate[0]))
    content_type = summary.get("type", "") if value == entry.get("summary") else ""
    for detail in entry.get("content", []) or []:
        if detail.get("value") == value:
            content_type = detail.get("type", "")
    if content_type == "text/plain":  # declared text: its paragraphs and line breaks kept
        value = text_as_html(value)
    return value, _base_url(xml_base, link, context)


def _base_url(xml_base: str, link: str, context: _FeedContext) -> str:
    """xml:base when the feed declares one, else the item link, else the feed's site."""
    fetched = context.fetched
    declared = xml_base and xml_base != (fetched.url or "") and not xml_base.startswith("file:")
    if declared:
        return _join(link or context.feed.site, xml_base)
    if link:
        return link
    if context.feed.site:
        return context.feed.site
    return fetched.url or "" if not fetched.is_local else ""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _authors(entry: Any, forem: tuple[str, str] | None) -> tuple[Author, ...]:
    names: list[str] = []
    raw = _clean_text(entry.get("author", "") or "")
    if not _EMAIL_THEN_NAMES.fullmatch(raw):
        for detail in entry.get("authors", []) or []:
            name = _clean_text(detail.get("name", "") or "")
            if name:
                names.append(name)
    if not names and raw:
        names.append(raw)
    names = _split_names(names)
    if forem is not None:
        # The link names the account; the feed names the person.
        return (Author(names[0] if names else forem[0], forem[0]),)
    unique: dict[str, Author] = {}
    for name in names:
        author = Author(name, author_handle(name))
        unique.setdefault(author.handle, author)
    return tuple(unique.values())


def _split_names(names: list[str]) -> list[str]:
    """``"rene@example.com (Guy English, Rene Ritchie)"`` -> the two names."""
    result: list[str] = []
    for name in names:
        if "(" in name and name.endswith(")") and "@" in name.split("(")[0]:
            name = name.split("(", 1)[1][:-1]
        name = name.removeprefix("mailto:").strip()
        parts = [part.strip() for part in name.split(",")] if "," in name else [name]
        result.extend(part for part in parts if part and "@" not in part)
    return result


# RSS's "email (Name)". feedparser splits it with an e-mail pattern that stops a top-level
# domain at four letters: "x@news.example (Ann Lee)" gives the name "ple (Ann Lee".
_EMAIL_THEN_NAMES = re.compile(r"\S+@\S+\s*\(.+\)")


def _first_author(channel: Any) -> str:
    raw = _clean_text(channel.get("author", "") or "")
    if _EMAIL_THEN_NAMES.fullmatch(raw):
        return next(iter(_split_names([raw])), "")
    detail = channel.get("author_detail") or {}
    return _clean_text(detail.get("name", "") or raw)


def _tags(entry: Any) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for tag in entry.get("tags", []) or []:
        term = _clean_text(tag.get("term") or tag.get("label") or "")
        if term and term.casefold() not in seen:
            seen[term.casefold()] = term
    return tuple(seen.values())


def _entry_language(entry: Any) -> str | None:
    for detail in [
        *(entry.get("content", []) or []),
        entry.get("summary_detail") or {},
        entry.get("title_detail") or {},
    ]:
        language = _language(detail.get("language"))
        if language:
            return language
    return None


def _guessed_language(title: str, xhtml: str) -> str:
    """The language of an article that declares none: from its script, else the default."""
    return language_of(title, xhtml) or DEFAULT_LANGUAGE


def _language(value: str | None) -> str | None:
    """A BCP 47-ish tag (``en``, ``en-US``, ``zh-Hans``), or ``None`` when unusable."""
    if not value:
        return None
    parts = value.strip().replace("_", "-").split("-")
    primary = parts[0].lower()
    if not (2 <= len(primary) <= 3 and primary.isalpha() and primary.isascii()):
        return None
    rest = [
        part.upper() if len(part) == 2 else part.title()
        for part in parts[1:]
        if part.isalnum() and part.isascii() and 2 <= len(part) <= 8
    ]
    return "-".join([primary, *rest])


def _raw(container: Any, key: str) -> Any:
    """A key as the feed wrote it: feedparser's dict otherwise maps a missing ``updated`` to
    ``published`` (with a DeprecationWarning)."""
    return dict.get(container, key)


def _struct_to_datetime(value: Any) -> datetime | None:
    """A feedparser time tuple as aware UTC; placeholder dates (Hugo's year 1) count as none."""
    if not value:
        return None
    try:
        stamp = datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError, OSError):
        return None
    return stamp if stamp.year >= MIN_YEAR else None


def _header_date(headers: Mapping[str, str]) -> datetime | None:
    stamp = headers.get("last-modified")
    if not stamp:
        return None
    return _struct_to_datetime(feedparser.datetimes._parse_date(stamp))


# Control characters (C0 but the whitespace split() folds, DEL, C1): never part of a title or a
# name, and on a terminal they ring, clear the screen or retitle the window (ESC sequences).
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def _clean_text(value: str) -> str:
    """One line of text: whitespace runs folded to one space, control characters dropped."""
    return " ".join(_CONTROL_CHARACTERS.sub("", value or "").split())


def _title_from_text(text: str) -> str:
    words = _clean_text(text).split()
    if not words:
        return ""
    title = " ".join(words[:_UNTITLED_WORDS])
    return title + ("…" if len(words) > _UNTITLED_WORDS else "")


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def _bozo_reason(parsed: Any) -> str:
    exception = parsed.get("bozo_exception")
    name = type(exception).__name__ if exception else "unknown error"
    message = str(getattr(exception, "getMessage", lambda: exception)()) if exception else ""
    if name == "CharacterEncodingOverride":
        return f"declared character encoding was wrong; read as {parsed.get('encoding')}"
    return f"{name}: {message}".strip().rstrip(":") if message else name


# --- JSON Feed and JSON Lines -------------------------------------------------------------------


def parse_json_feed(fetched: Fetched) -> ParsedSource:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1). Values of the wrong JSON type are
    ignored, as a missing value would be; items that are not objects are skipped."""
    try:
        document = json_text.loads(fetched.data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise NotAFeedError(fetched.origin, f"JSON Feed is not valid JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise NotAFeedError(fetched.origin, "JSON Feed without an items list")
    home = _web_url(_json_text(document.get("home_page_url")))
    feed = FeedInfo(
        title=_clean_text(_json_text(document.get("title"))) or _host(home) or fetched.origin,
        # fetched over the network: where it really came from (a feed_url naming localhost
        # would let its images reach internal addresses); a file: what it says of itself
        url=(fetched.url if fetched.url and not fetched.is_local else "")
        or _web_url(_json_text(document.get("feed_url")))
        or fetched.origin,
        site=home,
    )
    result = ParsedSource(fetched.origin, feed)
    feed_authors = _json_authors(document)
    language = _language(_json_text(document.get("language")))
    skipped = 0
    used: list[str] = []
    facts: list[ItemFacts] = []
    signals: list[ItemSignals] = []
    for item in document["items"]:
        if not isinstance(item, dict):
            skipped += 1
            continue
        article = _json_item(item, feed, feed_authors, language, used.append)
        result.articles.append(article)
        facts.append(_json_facts(item, article))
        signals.append(json_item_signals(item, article.url))
    ids = feed_ids(facts)
    summaries = summary_flags(signals)
    result.articles = [
        replace(
            article,
            id=decided,
            content_source=ContentSource.SUMMARY.value if summary else article.content_source,
        )
        for article, decided, summary in zip(result.articles, ids, summaries, strict=True)
    ]
    if skipped:
        result.problems.append(
            Problem(fetched.origin, f"{plural(skipped, 'item', 'items')} not an object; skipped")
        )
    for name in sorted(set(used)):
        result.problems.append(Problem(fetched.origin, _fallback_message(name, used.count(name))))
    return result


def _json_facts(item: Mapping[str, Any], article: Article) -> ItemFacts:
    """What ``feed_ids`` needs of a JSON Feed item (read already: the feed is in memory)."""
    forem = forem_handle_and_slug(article.url) if article.url else None
    own = _iso(item.get("date_published")) or _iso(item.get("date_modified"))
    guid, fallback = _json_text(item.get("id")), f"{article.feed.url}|{article.title}"
    return ItemFacts(
        id=article.id,
        exact=_article_id(guid, article.url, forem, fallback, keep_fragment=True),
        date=own.isoformat() if own else "",
        title=article.title,
        body=digest(article.content_html),
    )


def _json_text(value: Any) -> str:
    """A JSON value meant to be a string: a number is written out, anything else counts as ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    return ""


def _json_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _json_authors(container: Mapping[str, Any]) -> tuple[Author, ...]:
    raw = _json_list(container.get("authors")) or [container.get("author")]
    authors = []
    for value in raw:
        name = _clean_text(_json_text(value.get("name"))) if isinstance(value, dict) else ""
        if name:
            authors.append(Author(name, author_handle(name)))
    return tuple(authors)


def _json_item(
    item: Mapping[str, Any],
    feed: FeedInfo,
    feed_authors: tuple[Author, ...],
    language: str | None,
    used: Callable[[str], None],
) -> Article:
    url = _web_url(_json_text(item.get("url")))
    html = _json_text(item.get("content_html"))
    if not html and item.get("content_text"):
        paragraphs = _json_text(item["content_text"]).split("\n\n")
        html = "".join(f"<p>{_escape(p)}</p>" for p in paragraphs)
    base = url or feed.site or None
    xhtml, tree = clean_html_tree(
        html, base_url=base, on_problem=lambda what: used(f"clean:{what}")
    )
    title = (
        _clean_text(_json_text(item.get("title"))) or _title_from_text(to_text(xhtml)) or "Untitled"
    )
    published = _iso(item.get("date_published")) or _iso(item.get("date_modified")) or EPOCH
    authors = (
        _json_authors(item) or feed_authors or (Author(feed.title, author_handle(feed.title)),)
    )
    handles = tuple(author.handle for author in authors)
    forem = forem_handle_and_slug(url) if url else None
    tags = (_clean_text(_json_text(tag)) for tag in _json_list(item.get("tags")))
    return Article(
        id=_article_id(_json_text(item.get("id")), url, forem, f"{feed.url}|{title}"),
        url=url,
        title=title,
        authors=authors,
        published=published,
        updated=_iso(item.get("date_modified")),
        tags=tuple(dict.fromkeys(tag for tag in tags if tag)),
        feed=feed,
        language=_language(_json_text(item.get("language")))
        or language
        or _guessed_language(title, xhtml),
        content_html=xhtml,
        word_count=tree_word_count(tree),
        revision_key=revision_key(handles, title),
        enclosures=enclosures.from_json(item.get("attachments"), partial(_resolved, base or "")),
    )


def _iso(value: Any) -> datetime | None:
    """An ISO 8601 string as aware UTC; placeholders and dates out of range count as none."""
    if not isinstance(value, str) or not value:
        return None
    try:
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        stamp = stamp.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return stamp if stamp.year >= MIN_YEAR else None


def parse_jsonl(fetched: Fetched) -> ParsedSource:
    """feed2book's own JSON Lines (see ``schema/article.schema.json``): articles as we wrote them.

    Lines that are not articles become warnings naming the line number. Read line by line: a
    large file is never held twice.
    """
    result = ParsedSource(fetched.origin, FeedInfo(fetched.origin, fetched.origin, ""))
    for number, raw in enumerate(io.BytesIO(fetched.data), 1):
        line = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
        if not line.strip():
            continue
        try:
            result.articles.append(article_from_record(json_text.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, RecursionError) as error:
            result.problems.append(
                Problem(fetched.origin, f"line {number} is not a feed2book article ({error})")
            )
    if not result.articles and result.problems:
        raise NotAFeedError(fetched.origin, "JSON Lines without any feed2book article")
    return result


def article_from_record(record: Mapping[str, Any]) -> Article:
    """The inverse of ``writers.jsonl.article_record`` (needs the ``content_html`` field).

    Raises ``ValueError`` for what is not an article: not an object, no string ``id``, or none
    of ``title``, ``url`` and ``content_html``.
    """
    if not isinstance(record, dict) or not _json_text(record.get("id")):
        raise ValueError("not an object with an id")
    if not any(isinstance(record.get(key), str) for key in ("title", "url", "content_html")):
        raise ValueError("no title, url or content_html")
    authors = tuple(
        Author(name, _json_text(a.get("handle")) or author_handle(name))
        for a in _json_list(record.get("authors"))
        if isinstance(a, dict) and (name := _clean_text(_json_text(a.get("name"))))
    )
    feed_record: Mapping[str, Any] = record["feed"] if isinstance(record.get("feed"), dict) else {}
    title = _clean_text(_json_text(record.get("title"))) or "Untitled"
    url = _web_url(_json_text(record.get("url")))
    # Cleaned again (a JSON Lines file may come from anywhere), but not re-resolved: the links
    # were resolved against the article's own base when it was first read.
    xhtml, tree = clean_html_tree(_json_text(record.get("content_html")))
    word_count = record.get("word_count")
    return Article(
        id=_json_text(record["id"]),
        url=url,
        title=title,
        authors=authors,
        published=_iso(record.get("published")) or EPOCH,
        updated=_iso(record.get("updated")),
        tags=tuple(
            tag
            for tag in (_clean_text(_json_text(t)) for t in _json_list(record.get("tags")))
            if tag
        ),
        feed=FeedInfo(
            _clean_text(_json_text(feed_record.get("title"))),
            _json_text(feed_record.get("url")),
            _web_url(_json_text(feed_record.get("site"))),
        ),
        language=_language(_json_text(record.get("language"))) or _guessed_language(title, xhtml),
        content_html=xhtml,
        word_count=(
            word_count
            if isinstance(word_count, int) and not isinstance(word_count, bool) and word_count >= 0
            else tree_word_count(tree)
        ),
        series=_series(record.get("series")),
        revision_key=revision_key(tuple(a.handle for a in authors), title),
        enclosures=enclosures.from_records(record.get("enclosures"), _web_url),
        content_source=_content_source(record.get("content_source")),
        fetched=_iso(record.get("fetched")),
    )


def _content_source(value: Any) -> str:
    """A record's ``content_source`` when it is one of the known values, else ``feed``."""
    known = {source.value for source in ContentSource}
    return value if isinstance(value, str) and value in known else ContentSource.FEED.value


def _series(value: Any) -> SeriesRef | None:
    if not isinstance(value, dict) or not _json_text(value.get("name")):
        return None
    index = value.get("index")
    if not isinstance(index, int | float) or isinstance(index, bool) or not math.isfinite(index):
        return None
    return SeriesRef(_json_text(value["name"]), float(index))
