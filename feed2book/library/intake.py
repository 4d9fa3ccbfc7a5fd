"""Reading one source for the library: its articles, its problems, its fetch validators.

``read_source`` is ``sources.resolve`` plus ``parse.parse_source`` for a single spec (an OPML
list or a directory is one source of several documents), with the error isolation of
``pipeline.collect``: a document that fails becomes an error ``Problem``, the others are read.
A document answered ``304 Not Modified`` is counted and not parsed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from feed2book.errors import Feed2BookError, SourceError, UsageError
from feed2book.library.store import FetchState
from feed2book.models import Article, Problem, Severity
from feed2book.parse.feed import ParsedSource, parse_source
from feed2book.sources.fetch import Fetch, Fetched
from feed2book.sources.limits import Budget
from feed2book.sources.resolver import STDIN, Kind, SourceContext, display, is_url, resolve, sniff


@runtime_checkable
class ConditionalFetch(Protocol):
    """A fetch function that can also send request headers (``HttpFetcher`` is one)."""

    def __call__(self, url: str) -> Fetched: ...

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Fetched: ...


@dataclass
class SourceRead:
    spec: str
    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    fetch_states: list[FetchState] = field(default_factory=list)  # of the feeds parsed
    documents: int = 0  # documents parsed
    not_modified: int = 0  # documents the server said had not changed (304)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def error(self) -> str | None:
        """The first error, for a one-line status."""
        return str(self.errors[0]) if self.errors else None


class Recorder:
    """The fetch and read functions one source is read with.

    With ``known`` (the library's validators), a URL read before is fetched with
    ``If-None-Match`` / ``If-Modified-Since``. Only feeds that parsed ever get validators, so an
    OPML list or an HTML page is always fetched in full (its links are needed). ``first_kind``
    is what the first document turned out to be (the spec itself: a feed, an OPML list…).
    """

    def __init__(self, fetch: Fetch, known: Callable[[str], FetchState | None] | None = None):
        self._fetch = fetch
        self._known = known
        self.first_kind: Kind | None = None

    def context(self, budget: Budget | None = None) -> SourceContext:
        """The context to read with; ``budget`` is the run's, when several sources share it."""
        context = SourceContext(fetch=self.fetch, budget=budget or Budget())
        read_file = context.read_file

        def read_and_note(path: Path) -> bytes:
            return self._note(read_file(path))

        context.read_file = read_and_note
        return context

    def fetch(self, url: str) -> Fetched:
        state = self._known(url) if self._known is not None else None
        headers = state.request_headers() if state is not None else {}
        if headers and isinstance(self._fetch, ConditionalFetch):
            fetched = self._fetch.get(url, headers)
        else:
            fetched = self._fetch(url)
        if not fetched.not_modified:
            self._note(fetched.data)
        return fetched

    def _note(self, data: bytes) -> bytes:
        if self.first_kind is None:
            self.first_kind = sniff(data)
        return data


def read_source(spec: str, context: SourceContext, *, debug: bool = False) -> SourceRead:
    """Every document ``spec`` names, parsed; failures become problems, never exceptions."""
    read = SourceRead(spec)
    for item in resolve([spec], context):
        if isinstance(item, Problem):
            read.problems.append(item)
        elif item.not_modified:
            read.not_modified += 1
        else:
            parsed = _parse(item, debug)
            if isinstance(parsed, Problem):
                read.problems.append(parsed)
                continue
            read.documents += 1
            read.articles += parsed.articles
            read.problems += parsed.problems
            if not item.is_local:
                headers = item.headers
                state = FetchState(item.origin, headers.get("etag"), headers.get("last-modified"))
                read.fetch_states.append(state)
    return read


def _parse(fetched: Fetched, debug: bool) -> ParsedSource | Problem:
    try:
        return parse_source(fetched)
    except SourceError as error:
        return Problem(error.source, error.reason, Severity.ERROR, hint=error.hint)
    except Feed2BookError as error:
        return Problem(fetched.origin, str(error), Severity.ERROR, hint=error.hint)
    except RecursionError:
        return Problem(fetched.origin, "nested too deeply to read", Severity.ERROR)
    except Exception as error:  # a bug or a parser failure: isolate it to this document
        if debug:
            raise
        return Problem(
            fetched.origin,
            f"could not be read ({type(error).__name__}: {error})",
            Severity.ERROR,
            hint="run with --debug for the traceback",
        )


def normalise_spec(spec: str) -> str:
    """How the library names a source: URLs as given, local paths and globs made absolute (so
    ``sync`` works from any directory and the articles' feed paths never change)."""
    spec = spec.strip()
    if not spec:
        raise UsageError("an empty SOURCE names nothing", hint="give a file, directory or URL")
    if spec == STDIN:
        raise UsageError(
            "standard input (`-`) cannot be remembered as a source",
            hint="`feed2book library import -` stores JSON Lines from stdin",
        )
    if is_url(spec):
        return spec
    if urlsplit(spec).scheme.lower() == "file":
        spec = urlsplit(spec).path
    if display(spec) != spec:  # bytes that are not UTF-8: the library stores text
        raise UsageError(
            f"{display(spec)}: a path that is not UTF-8 cannot be remembered",
            hint="rename it, or add the directory that holds it",
        )
    return os.path.abspath(os.path.expanduser(spec))


def source_kind(spec: str, first_kind: Kind | None) -> str:
    """url, file, directory, glob or opml (an OPML list, local or not, is one source)."""
    if first_kind is Kind.OPML and (is_url(spec) or Path(spec).is_file()):
        return "opml"
    if is_url(spec):
        return "url"
    path = Path(spec)
    if path.is_dir():
        return "directory"
    return "file" if path.exists() else "glob"
