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
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from feed2book.defaults import MAX_LOCAL_BYTES
from feed2book.errors import Feed2BookError, NotAFeedError, SourceError
from feed2book.i18n import plural
from feed2book.models import Problem, Severity
from feed2book.sources.fetch import Fetch, Fetched
from feed2book.sources.limits import Budget

STDIN = "-"
MAX_OPML_DEPTH = 8
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


class Trust(StrEnum):
    """Who named a source; it decides what the source may name in turn (see ``refusal``)."""

    TYPED = "typed"  # the user: the command line, a source the library remembers
    LOCAL = "local"  # a local file the user's sources led to (an OPML list, an HTML page)
    NETWORK = "network"  # a document fetched over http(s), or read from standard input


@dataclass(frozen=True, slots=True)
class Reference:
    """A source to read: ``spec`` as ``_expand`` understands it, who named it (``trust``) and,
    for a source an OPML list or an HTML page named, that list's name (``named_by``)."""

    spec: str
    trust: Trust = Trust.TYPED
    named_by: str = ""


def refusal(reference: Reference) -> str | None:
    """Why ``reference`` must not be read, or ``None``: the one place the provenance rule lives.

    What the user typed is read, and so is what a local list names (paths relative to the list,
    globs, directories, ``file:`` and http(s) URLs). A document that came from the network or
    from standard input may only lead to http(s) URLs: never to a local file.
    """
    if reference.trust is Trust.NETWORK and not is_url(reference.spec):
        return "a list from the network or standard input may name only http(s) URLs"
    if reference.spec == STDIN and reference.trust is not Trust.TYPED:
        return "only the command line may name standard input"
    return None


@dataclass
class SourceContext:
    """What resolving sources needs from the outside world; inject fakes in tests."""

    fetch: Fetch
    stdin: IO[bytes] | None = None
    read_file: Callable[[Path], bytes] = field(default=lambda path: _read_local(path))
    budget: Budget = field(default_factory=Budget)


_SPECIAL_FILES = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def _not_regular(mode: int) -> str | None:
    """What a file that is not a regular file is (``None`` for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _SPECIAL_FILES if test(mode)), "not a regular file")


def _read_local(path: Path) -> bytes:
    """A regular file's bytes. Opened without blocking and checked on the open descriptor, so
    a FIFO or a device put in the file's place is refused, never read or waited on."""
    name = display(str(path))
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(descriptor)
        special = _not_regular(status.st_mode)
        if special is not None:
            raise SourceError(name, f"not read: {special}, not a regular file")
        if status.st_size > MAX_LOCAL_BYTES:
            raise SourceError(name, f"file is larger than {MAX_LOCAL_BYTES // 1024 // 1024} MB")
        return handle.read()


_SURROGATE = re.compile("[\ud800-\udfff]")


def display(text: str) -> str:
    """``text`` fit for a message or an output: the bytes of a file name that are not UTF-8
    (which Python holds as lone surrogates) are written ``\\xff``."""
    return _SURROGATE.sub(_escape_surrogate, text)


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def resolve(specs: Iterable[str], context: SourceContext) -> Iterator[Fetched | Problem]:
    """Yield the bytes of every feed the specs name, in order, expanding OPML and autodiscovery.

    Each failure becomes an error ``Problem`` naming its source; the walk goes on. What lists
    name is checked against ``refusal`` and counted against ``context.budget``; what was left
    out for that is said in one warning at the end.
    """
    walk = _Walk(context)
    for spec in specs:
        yield from walk.resolve(Reference(spec), depth=0)
    summary = walk.summary()
    if summary is not None:
        yield summary


@dataclass(frozen=True, slots=True)
class _Document:
    """A document read, and the trust the sources it names get."""

    fetched: Fetched
    links: Trust


class _Walk:
    """One ``resolve`` call: what was read already, and what was left out and why."""

    def __init__(self, context: SourceContext) -> None:
        self.context = context
        self.seen: set[str] = set()
        self.skipped = 0  # listed sources not read: the budget was spent
        self.skip_reason = ""
        self.too_deep = 0  # OPML lists nested more than MAX_OPML_DEPTH deep, not followed
        self.first_list = ""  # the first list something was left out of, for the warning

    def resolve(self, reference: Reference, depth: int) -> Iterator[Fetched | Problem]:
        spec = reference.spec
        if not spec.strip():
            yield Problem('""', "an empty source names nothing", Severity.ERROR)
            return
        refused = refusal(reference)
        if refused is not None:
            yield Problem(display(reference.named_by), f"{display(spec)} not read: {refused}")
            return
        listed = reference.trust is not Trust.TYPED
        if listed:
            reason = self.context.budget.spent()
            if reason is not None:
                self._leave_out(reference.named_by, reason)
                return
            self.context.budget.followed += 1
        try:
            for document in self._expand(reference, listed):
                yield from self._follow(document, depth)
        except Feed2BookError as error:
            yield _error_problem(spec, error)
        except ValueError as error:  # an address urllib cannot take apart (OPML lists are input)
            yield Problem(display(spec), f"not a valid address ({error})", Severity.ERROR)

    def _leave_out(self, named_by: str, reason: str) -> None:
        self.skipped += 1
        self.skip_reason = self.skip_reason or reason
        self.first_list = self.first_list or named_by

    def _expand(self, reference: Reference, listed: bool) -> Iterator[_Document]:
        """``_expand`` of the spec; a listed source's reading time goes to the budget."""
        documents = _expand(reference.spec, self.context)
        budget = self.context.budget
        while True:
            started = budget.clock()
            try:
                document = next(documents)
            except StopIteration:
                return
            finally:
                if listed:
                    budget.seconds += budget.clock() - started
            yield document

    def _follow(self, document: _Document, depth: int) -> Iterator[Fetched | Problem]:
        """Pass feeds through; expand OPML and HTML pages into the feeds they name."""
        fetched = document.fetched
        identity = fetched.url or fetched.origin
        if identity in self.seen and fetched.origin != "<stdin>":
            return  # already read in this run (an OPML cycle, or a feed named twice)
        self.seen.add(identity)
        kind = sniff(fetched.data)
        if kind is Kind.OPML:
            if depth >= MAX_OPML_DEPTH:
                self.too_deep += 1
                self.first_list = self.first_list or fetched.origin
                return
            for child in opml_feed_urls(fetched):
                reference = Reference(child, document.links, fetched.origin)
                yield from self.resolve(reference, depth + 1)
        elif kind is Kind.HTML:
            feed_url = discover_feed(fetched)
            if feed_url is None:
                raise NotAFeedError(
                    fetched.origin,
                    "an HTML page that advertises no feed",
                    hint="give the feed's own URL (look for an RSS or Atom link on the page)",
                )
            yield from self.resolve(Reference(feed_url, document.links, fetched.origin), depth + 1)
        else:
            yield fetched

    def summary(self) -> Problem | None:
        """One warning saying what the lists named that was not read, or ``None``."""
        parts = []
        if self.skipped:
            parts.append(
                f"{plural(self.skipped, 'source', 'sources')} named by OPML lists or HTML pages"
                " not read: "
                f"{self.skip_reason}"
            )
        if self.too_deep:
            parts.append(
                f"{plural(self.too_deep, 'OPML list', 'OPML lists')} nested more than"
                f" {MAX_OPML_DEPTH} deep not followed"
            )
        if not parts:
            return None
        return Problem(self.first_list, "; ".join(parts), Severity.WARNING)


def _error_problem(spec: str, error: Feed2BookError) -> Problem:
    message = error.reason if isinstance(error, SourceError) else str(error)
    source = error.source if isinstance(error, SourceError) else spec
    return Problem(display(source), message, Severity.ERROR, hint=error.hint)


def _expand(spec: str, context: SourceContext) -> Iterator[_Document]:
    """One spec -> the raw documents it names (a glob or directory names several), each with
    the trust of the sources it may name in turn (see ``refusal``)."""
    if spec == STDIN:
        if context.stdin is None:
            raise SourceError("<stdin>", "no standard input to read")
        fetched = Fetched("<stdin>", context.stdin.read(), None, {}, is_local=True)
        yield _Document(fetched, Trust.NETWORK)  # whatever was piped in: no local file
        return
    if is_url(spec):
        yield _Document(context.fetch(spec), Trust.NETWORK)
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


def _local(path: Path, context: SourceContext) -> _Document:
    name = display(str(path))
    try:
        special = _not_regular(path.stat().st_mode)
        if special is not None:  # checked before ``read_file``: a FIFO would block it
            raise SourceError(name, f"not read: {special}, not a regular file")
        data = context.read_file(path)
    except OSError as error:
        raise SourceError(name, f"cannot read: {error.strerror or error}") from None
    return _Document(Fetched(name, data, path.resolve().as_uri(), {}, is_local=True), Trust.LOCAL)


def _directory(path: Path, context: SourceContext) -> Iterator[_Document]:
    """The feed files directly inside ``path`` (sniffed; other files, devices, FIFOs and
    sockets are skipped silently)."""
    found = False
    for child in sorted(path.iterdir()):
        if not child.is_file() or child.name.startswith("."):
            continue
        document = _local(child, context)
        if sniff(document.fetched.data) in (Kind.FEED, Kind.JSON_FEED, Kind.JSONL, Kind.OPML):
            found = True
            yield document
    if not found:
        raise SourceError(display(str(path)), "directory holds no feed files")


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
