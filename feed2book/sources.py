"""Sources: turn what the user names (paths, globs, directories, URLs, OPML, ``-``) into bytes.

Nothing here parses feeds. ``resolve`` walks the user's list in order and yields either a
``Fetched`` (bytes plus origin) or a ``Problem`` naming the source that failed, so one bad source
never stops the others. OPML lists are expanded recursively (cycles ignored) and HTML pages are
followed to the feed they advertise (autodiscovery). File contents are sniffed: extensions are
never trusted.
"""

from __future__ import annotations

import glob as globmod
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from feed2book.errors import Feed2BookError, NotAFeedError, SourceError
from feed2book.fetch import Fetch, Fetched
from feed2book.models import Problem, Severity

STDIN = "-"
MAX_OPML_DEPTH = 8
MAX_LOCAL_BYTES = 200 * 1024 * 1024
_GLOB_CHARS = re.compile(r"[*?\[]")
_SNIFF_BYTES = 4096


class Kind(StrEnum):
    FEED = "feed"  # RSS 0.9x/1.0/2.0 or Atom
    JSON_FEED = "jsonfeed"
    JSONL = "jsonl"  # feed2book's own JSON Lines
    OPML = "opml"
    HTML = "html"
    UNKNOWN = "unknown"


def is_url(spec: str) -> bool:
    try:
        return urlsplit(spec).scheme.lower() in ("http", "https")
    except ValueError:  # "http://[::1/x": an address, but not a valid one (the fetch says so)
        return spec[:8].lower().startswith(("http://", "https://"))


def sniff(data: bytes) -> Kind:
    """Tell what ``data`` is from its first bytes (after any BOM, XML declaration or comments)."""
    head = _decode_head(data[:_SNIFF_BYTES])
    stripped = head.lstrip()
    if stripped.startswith("{"):
        if '"jsonfeed.org/version' in head or "jsonfeed.org/version" in head:
            return Kind.JSON_FEED
        if '"content_html"' in head or '"feed2book' in head or '"id"' in head:
            return Kind.JSONL
        return Kind.UNKNOWN
    body = _skip_prolog(stripped)
    lowered = body[:200].lower()
    if lowered.startswith(("<rss", "<feed", "<rdf:rdf", "<rdf ", "<channel")):
        return Kind.FEED
    if lowered.startswith("<opml"):
        return Kind.OPML
    if lowered.startswith(("<!doctype html", "<html", "<head", "<body")):
        return Kind.HTML
    # A prefixed root element such as <atom:feed> or <rss:rss>.
    if re.match(r"<[a-z0-9_-]+:(feed|rss|rdf)\b", lowered):
        return Kind.FEED
    return Kind.UNKNOWN


def _decode_head(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if len(head) > 1 and head[0] == 0 and head[1] != 0:
        return head.decode("utf-16-be", errors="replace")
    if len(head) > 1 and head[1] == 0 and head[0] != 0:
        return head.decode("utf-16-le", errors="replace")
    return head.decode("latin-1")


_PROLOG = re.compile(r"^(?:\s+|<\?.*?\?>|<!--.*?-->|<!doctype(?!\s+html)[^>]*>)*", re.I | re.S)


def _skip_prolog(text: str) -> str:
    match = _PROLOG.match(text)
    return text[match.end() :] if match else text


@dataclass
class SourceContext:
    """What resolving sources needs from the outside world; inject fakes in tests."""

    fetch: Fetch
    stdin: IO[bytes] | None = None
    read_file: Callable[[Path], bytes] = field(default=lambda path: _read_local(path))


def _read_local(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_LOCAL_BYTES:
        raise SourceError(str(path), f"file is larger than {MAX_LOCAL_BYTES // 1024 // 1024} MB")
    return path.read_bytes()


def resolve(specs: Iterable[str], context: SourceContext) -> Iterator[Fetched | Problem]:
    """Yield the bytes of every feed the specs name, in order, expanding OPML and autodiscovery.

    Each failure becomes an error ``Problem`` naming its source; the walk goes on.
    """
    seen: set[str] = set()
    for spec in specs:
        yield from _resolve_one(spec, context, seen, depth=0)


def _resolve_one(
    spec: str, context: SourceContext, seen: set[str], depth: int
) -> Iterator[Fetched | Problem]:
    try:
        for fetched in _expand(spec, context):
            yield from _follow(fetched, context, seen, depth)
    except Feed2BookError as error:
        yield _error_problem(spec, error)
    except ValueError as error:  # an address urllib cannot take apart (OPML lists are input)
        yield Problem(spec, f"not a valid address ({error})", Severity.ERROR)


def _error_problem(spec: str, error: Feed2BookError) -> Problem:
    message = error.reason if isinstance(error, SourceError) else str(error)
    source = error.source if isinstance(error, SourceError) else spec
    return Problem(source, message, Severity.ERROR, hint=error.hint)


def _expand(spec: str, context: SourceContext) -> Iterator[Fetched]:
    """One spec -> the raw documents it names (a glob or directory names several)."""
    if spec == STDIN:
        if context.stdin is None:
            raise SourceError("<stdin>", "no standard input to read")
        yield Fetched("<stdin>", context.stdin.read(), None, {}, is_local=True)
        return
    if is_url(spec):
        yield context.fetch(spec)
        return
    if urlsplit(spec).scheme.lower() == "file":
        spec = urlsplit(spec).path
    path = Path(spec).expanduser()
    if path.is_dir():
        yield from _directory(path, context)
        return
    if not path.exists() and _GLOB_CHARS.search(spec):
        matches = sorted(globmod.glob(str(path), recursive=True))
        if not matches:
            raise SourceError(spec, "no file matches this pattern")
        for match in matches:
            if Path(match).is_file():
                yield _local(Path(match), context)
        return
    if not path.exists():
        raise SourceError(spec, "no such file or directory")
    yield _local(path, context)


def _local(path: Path, context: SourceContext) -> Fetched:
    try:
        data = context.read_file(path)
    except OSError as error:
        raise SourceError(str(path), f"cannot read: {error.strerror or error}") from None
    return Fetched(str(path), data, path.resolve().as_uri(), {}, is_local=True)


def _directory(path: Path, context: SourceContext) -> Iterator[Fetched]:
    """The feed files directly inside ``path`` (sniffed; other files are skipped silently)."""
    found = False
    for child in sorted(path.iterdir()):
        if not child.is_file() or child.name.startswith("."):
            continue
        fetched = _local(child, context)
        if sniff(fetched.data) in (Kind.FEED, Kind.JSON_FEED, Kind.JSONL, Kind.OPML):
            found = True
            yield fetched
    if not found:
        raise SourceError(str(path), "directory holds no feed files")


def _follow(
    fetched: Fetched, context: SourceContext, seen: set[str], depth: int
) -> Iterator[Fetched | Problem]:
    """Pass feeds through; expand OPML and HTML pages into the feeds they name."""
    identity = fetched.url or fetched.origin
    if identity in seen and fetched.origin != "<stdin>":
        return  # already read in this run (an OPML cycle, or a feed named twice)
    seen.add(identity)
    kind = sniff(fetched.data)
    if kind is Kind.OPML:
        if depth >= MAX_OPML_DEPTH:
            yield Problem(fetched.origin, "OPML nested too deeply; not followed", Severity.WARNING)
            return
        for child in opml_feed_urls(fetched):
            yield from _resolve_one(child, context, seen, depth + 1)
    elif kind is Kind.HTML:
        feed_url = discover_feed(fetched)
        if feed_url is None:
            raise NotAFeedError(
                fetched.origin,
                "an HTML page that advertises no feed",
                hint="give the feed's own URL (look for an RSS or Atom link on the page)",
            )
        yield from _resolve_one(feed_url, context, seen, depth + 1)
    else:
        yield fetched


def opml_feed_urls(fetched: Fetched) -> list[str]:
    """Every ``xmlUrl`` in an OPML document, in document order, resolved against its location."""
    try:
        root = etree.fromstring(fetched.data, parser=_safe_xml_parser())
    except etree.XMLSyntaxError as error:
        raise NotAFeedError(fetched.origin, f"OPML is not well-formed XML ({error})") from None
    urls: list[str] = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url:
            urls.append(_resolve_reference(fetched, url))
    return urls


def _resolve_reference(fetched: Fetched, reference: str) -> str:
    """A link found inside ``fetched``, as a spec ``_expand`` understands (an invalid one is
    returned as it is, for ``_expand`` to report)."""
    try:
        return _resolved(fetched, reference)
    except ValueError:
        return reference


def _resolved(fetched: Fetched, reference: str) -> str:
    if is_url(reference):
        return reference
    if fetched.is_local and fetched.url and fetched.url.startswith("file:"):
        base_dir = Path(fetched.origin).parent
        target = urlsplit(reference).path if reference.startswith("file:") else reference
        return str(base_dir / target) if not os.path.isabs(target) else target
    if fetched.url:
        return urljoin(fetched.url, reference)
    return reference


def discover_feed(fetched: Fetched) -> str | None:
    """The first RSS/Atom/JSON feed an HTML page advertises with ``<link rel="alternate">``."""
    try:
        document = lxml_html.document_fromstring(fetched.data)
    except (etree.ParserError, ValueError):
        return None
    feed_types = (
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/rdf+xml",
    )
    base = document.find(".//base")
    for link in document.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().strip()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in feed_types and href:
            if base is not None and base.get("href") and not fetched.is_local:
                href = urljoin(base.get("href") or "", href)
            return _resolve_reference(fetched, href)
    return None


def _safe_xml_parser() -> etree.XMLParser:
    """An XML parser that never resolves entities, loads DTDs or touches the network."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
