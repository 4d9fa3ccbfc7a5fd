"""Adding sources to the library and syncing them: re-read, store what is new or changed.

    with HttpFetcher() as fetch, Library.open(path) as library:
        for result in sync(library, fetch):
            print(result.source, result.status, result.stored.new)

Every source is read and stored on its own: one transaction each, so a source's articles are
stored fully or not at all, and one failing source is reported while the others still sync.
URLs are fetched with conditional GET (a ``304 Not Modified`` feed is not parsed); local files
are simply read again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from feed2book.errors import UsageError
from feed2book.library.connection import LibraryError, LibraryGone
from feed2book.library.intake import Recorder, SourceRead, normalise_spec, read_source, source_kind
from feed2book.library.store import Library
from feed2book.library.upsert import StoreResult
from feed2book.models import Problem, Severity
from feed2book.sources.fetch import Fetch
from feed2book.sources.limits import Budget

ProgressHandler = Callable[["SourceResult"], None]
ProblemHandler = Callable[[Problem], None]


@dataclass(frozen=True, slots=True)
class SourceResult:
    """What syncing (or adding) one source did."""

    source: str
    stored: StoreResult
    documents: int = 0  # documents read and parsed
    not_modified: int = 0  # documents answered 304 (not parsed)
    error: str | None = None  # the first error, when any part of the source failed
    remembered: bool = True  # False when ``add`` could read nothing (the source is not kept)

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def status(self) -> str:
        if self.failed:
            return "failed"
        return "ok" if self.stored.changed else "unchanged"


def sync(
    library: Library,
    fetch: Fetch,
    specs: Iterable[str] | None = None,
    *,
    on_progress: ProgressHandler | None = None,
    on_problem: ProblemHandler | None = None,
    debug: bool = False,
    budget: Budget | None = None,
) -> list[SourceResult]:
    """Re-read every remembered source (or the ones named), in the order they were added.

    The sources OPML lists name count against one ``budget`` for the whole run."""
    remembered = [source.spec for source in library.sources()]
    chosen = remembered if specs is None else [normalise_spec(spec) for spec in specs]
    unknown = [spec for spec in chosen if spec not in remembered]
    if unknown:
        raise UsageError(
            f"not a source of the library: {', '.join(unknown)}",
            hint="`feed2book sources` lists them; `feed2book add SOURCE` adds one",
        )
    results = []
    budget = budget or Budget()
    for spec in chosen:
        recorder = Recorder(fetch, library.fetch_state)
        read = read_source(spec, recorder.context(budget), debug=debug)
        result = _store(library, read, on_problem, debug)
        results.append(result)
        if on_progress is not None:
            on_progress(result)
    return results


def add_source(
    library: Library,
    fetch: Fetch,
    spec: str,
    *,
    on_problem: ProblemHandler | None = None,
    debug: bool = False,
    budget: Budget | None = None,
) -> SourceResult:
    """Read a source in full (no conditional GET) and, when anything could be read, remember it
    and store its articles. A source nothing could be read from is reported, not remembered.
    ``budget`` is the run's, when one run adds several sources."""
    spec = normalise_spec(spec)
    recorder = Recorder(fetch)
    read = read_source(spec, recorder.context(budget), debug=debug)
    if not read.documents:
        for problem in read.problems:
            _tell(on_problem, problem)
        error = read.error or "nothing could be read"
        return SourceResult(spec, StoreResult(), error=error, remembered=False)
    library.add_source(spec, source_kind(spec, recorder.first_kind))
    return _store(library, read, on_problem, debug)


def _store(
    library: Library, read: SourceRead, on_problem: ProblemHandler | None, debug: bool
) -> SourceResult:
    for problem in read.problems:
        _tell(on_problem, problem)
    error = read.error
    try:
        stored = library.store(
            read.spec, read.articles, fetch_states=read.fetch_states, error=error
        )
    except LibraryGone:
        raise  # every later source would fail the same way: stop here
    except (LibraryError, sqlite3.Error) as failure:
        if debug:
            raise
        message = str(failure)
        _tell(on_problem, Problem(read.spec, f"could not be stored: {message}", Severity.ERROR))
        return SourceResult(read.spec, StoreResult(), read.documents, error=message)
    return SourceResult(read.spec, stored, read.documents, read.not_modified, error)


def _tell(on_problem: ProblemHandler | None, problem: Problem) -> None:
    if on_problem is not None:
        on_problem(problem)
