"""The one call the CLI and library users share: sources in, selected articles out.

    with pipeline.collect(["feeds/*.xml"], SourceContext(fetch)) as collection:
        for article in collection.select(Selection(authors=("matt_frank_usa",))):
            ...

Articles are spooled to a temporary file as they are parsed, so memory stays flat however many
sources a run reads; only a small index (ids, dates, titles) stays in memory for deduplication,
series detection and ordering. Output order is oldest first, ties broken by id: the same inputs
always give the same order.
"""

from __future__ import annotations

import array
import io
import pickle
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, TypeVar

from feed2book import series as series_detection
from feed2book.errors import Feed2BookError, OutputError, SourceError
from feed2book.identity import forem_slug_stem, id_evidence
from feed2book.models import Article, Problem, SeriesRef, Severity
from feed2book.select import (
    Body,
    Candidate,
    Deduplicated,
    Selection,
    deduplicate,
    republished_text,
)

if TYPE_CHECKING:
    from feed2book.sources.fetch import Fetched
    from feed2book.sources.resolver import SourceContext

ProblemHandler = Callable[[Problem], None]
SourceHandler = Callable[[str, int], None]  # (origin, articles read from it)


@dataclass
class Report:
    """What a run saw, for the summary line and the exit code."""

    sources_read: int = 0
    failed_sources: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    items: int = 0
    duplicates: int = 0
    revisions: int = 0
    dropped: list[DroppedItem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]


@dataclass(frozen=True, slots=True)
class DroppedItem:
    """An item deduplication left out: its title, the id of the article kept instead, why."""

    title: str
    kept_id: str
    reason: str
    revision: bool  # an older revision of a republished post (``--all-revisions`` keeps it)


class _Index:
    """What stays in memory of each spooled article, by position: where its bytes are, and
    what deduplication, series detection and ordering read (its ``Candidate``'s fields, its
    title). Kept in arrays and lists rather than an object per article (a feed of 380,000
    notes); the article read back shares these strings and dates (``_Shared.article``)."""

    def __init__(self) -> None:
        self.offsets = array.array("Q")
        self.lengths = array.array("Q")
        self.sizes = array.array("Q")  # ``Candidate.size``
        self.ids: list[str] = []
        self.titles: list[str] = []
        self.revision_keys: list[str] = []
        self.published: list[datetime] = []
        self.updated: list[datetime | None] = []
        self.evidence: list[str] = []  # a few distinct strings (``identity.id_evidence``)
        self.slugs: list[str] = []  # "" but for Forem posts

    def append(self, offset: int, length: int, candidate: Candidate, title: str) -> None:
        self.offsets.append(offset)
        self.lengths.append(length)
        self.sizes.append(candidate.size)
        self.ids.append(candidate.id)
        self.titles.append(title)
        self.revision_keys.append(candidate.revision_key)
        self.published.append(candidate.published)
        self.updated.append(candidate.updated)
        self.evidence.append(candidate.evidence)
        self.slugs.append(candidate.slug)

    def __len__(self) -> int:
        return len(self.ids)

    def candidate(self, position: int) -> Candidate:
        return Candidate(
            self.ids[position],
            self.revision_keys[position],
            self.published[position],
            self.updated[position],
            self.sizes[position],
            self.evidence[position],
            self.slugs[position],
        )

    def own_fields(self, position: int) -> tuple[object, ...]:
        """The values an article's pickle names by ``_OWN`` number instead of holding."""
        return (
            self.ids[position],
            self.titles[position],
            self.revision_keys[position],
            self.published[position],
            self.updated[position],
        )

    def truncate(self, count: int) -> None:
        for column in vars(self).values():
            del column[count:]


# An article's fields its index entry holds (``_Index.own_fields``), in that order: pickled as
# a number (-1 the id, -2 the title…) and read back as the index's own object.
_OWN = ("id", "title", "revision_key", "published", "updated")


class Collection:
    """Articles read in one run, spooled to disk, deduplicated on ``finish``."""

    def __init__(self, *, spooled: bool = True) -> None:
        # ``spooled=False``: a subclass that reads its articles back from elsewhere
        # (``library.reading``) and overrides ``_read``.
        try:
            self._spool: IO[bytes] = (
                tempfile.TemporaryFile(prefix="feed2book-")  # noqa: SIM115
                if spooled
                else io.BytesIO()
            )
        except OSError as error:
            raise _spool_error(error) from None
        self._index = _Index()
        self._kept: array.array[int] | None = None  # positions in the index, in output order
        self._series: dict[str, SeriesRef] = {}
        self._shared = _Shared()
        self.report = Report()
        self.debug = False  # let unexpected exceptions through (``--debug``)

    # -- filling --------------------------------------------------------------------------------
    def add(self, article: Article) -> None:
        data = pickle.dumps(self._shared.flat(article), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            offset = self._spool.seek(0, 2)
            self._spool.write(data)
        except OSError as error:
            raise _spool_error(error) from None
        self._add_to_index(article, offset, len(data))

    def _add_to_index(self, article: Article, offset: int, length: int) -> None:
        """What stays in memory of an article whose bytes are at ``offset`` (or, for a
        subclass, wherever that number says)."""
        candidate = Candidate(
            article.id,
            article.revision_key,
            article.published,
            article.updated,
            len(article.content_html),
            id_evidence(article.id, article.url),
            forem_slug_stem(article.id),
        )
        self._index.append(offset, length, candidate, article.title)
        self._kept = None

    def forget_since(self, count: int) -> None:
        """Drop the articles added after the first ``count`` (their spooled bytes stay unused)."""
        self._index.truncate(count)
        self._kept = None

    def finish(self, *, all_revisions: bool = False) -> Deduplicated:
        """Drop duplicates (and older revisions), detect series, fix the order."""
        bodies: dict[int, Body] = {}  # only of articles whose title another one has

        def same_text(a: int, b: int) -> bool:
            for position in (a, b):
                if position not in bodies:
                    bodies[position] = Body.of(self._words(position))
            return republished_text(bodies[a], bodies[b])

        index = self._index
        outcome = deduplicate(
            [index.candidate(position) for position in range(len(index))],
            all_revisions=all_revisions,
            same_text=same_text,
        )
        kept = sorted(outcome.keep)
        kept.sort(key=lambda position: (index.published[position], index.ids[position]))
        self._kept = array.array("Q", kept)  # not an int object per article
        self._series = series_detection.detect((index.ids[p], index.titles[p]) for p in kept)
        self.report.duplicates = outcome.duplicates
        self.report.revisions = outcome.revisions
        self.report.dropped = [
            DroppedItem(
                index.titles[drop.position], index.ids[drop.kept], drop.reason, drop.revision
            )
            for drop in outcome.dropped
        ]
        return outcome

    def _words(self, position: int) -> list[str]:
        """A spooled article's words and link targets, for ``select.republished_text``."""
        from feed2book.convert.text import to_text  # lxml: only when two titles meet

        article = self._load(position)
        words = _WORD.findall(to_text(article.content_html).casefold())
        return words + _LINK_TARGET.findall(article.content_html)

    # -- reading --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._kept) if self._kept is not None else len(self._index)

    def select(self, selection: Selection | None = None) -> Iterator[Article]:
        """The kept articles ``selection`` matches, oldest first (the N newest with a limit)."""
        selection = selection or Selection()
        if self._kept is None:
            self.finish(all_revisions=selection.all_revisions)
        assert self._kept is not None
        if selection.limit is None:
            for position in self._kept:
                article = self._load(position)
                if selection.matches(article):
                    yield article
            return
        matching = [p for p in self._kept if selection.matches(self._load(p))]
        for position in matching[max(0, len(matching) - selection.limit) :]:
            yield self._load(position)

    def _load(self, position: int) -> Article:
        article = self._read(position)
        detected = self._series.get(self._index.ids[position])
        if detected is not None and detected != article.series:
            return article.with_series(detected)
        return article

    def _as_indexed(self, article: Article, position: int) -> Article:
        """``article`` read back from elsewhere (a subclass's ``_read``) holding, as one read
        from the spool does, the values its index entry holds and the one copy of its feed
        and of its authors."""
        own: dict[str, Any] = dict(zip(_OWN, self._index.own_fields(position), strict=True))
        feed, authors = self._shared.one(article.feed), self._shared.one(article.authors)
        return replace(article, **own, feed=feed, authors=authors)

    def _read(self, position: int) -> Article:
        """The article as it was added, read back from the spool."""
        index = self._index
        self._spool.seek(index.offsets[position])
        flat = pickle.loads(self._spool.read(index.lengths[position]))
        return self._shared.article(flat, index.own_fields(position))

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> Collection:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_WORD = re.compile(r"\w+")
_LINK_TARGET = re.compile(r'(?:href|src)="([^"]+)"')


Shared = TypeVar("Shared")


@dataclass
class _Shared:
    """Values many articles hold equal copies of (the feed, the authors' tuple, the language,
    where the text came from), spooled once: every article loaded back shares one object each
    instead of its own copies (a feed of 380,000 short notes held 380,000 equal ``FeedInfo``s
    and ``Author``s)."""

    keys: dict[object, int] = field(default_factory=dict)
    objects: list[Any] = field(default_factory=list)

    def key(self, value: object) -> int:
        number = self.keys.get(value)
        if number is None:
            number = self.keys[value] = len(self.objects)
            self.objects.append(value)
        return number

    def one(self, value: Shared) -> Shared:
        """The one copy kept of values equal to ``value``."""
        return self.objects[self.key(value)]  # type: ignore[no-any-return]

    def flat(self, article: Article) -> tuple[object, ...]:
        """What the spool keeps of ``article``: its fields (``_FLAT``) but those its index entry
        holds (``_OWN``), the shared values by their number, its url as None when that is its
        id. A plain tuple, so pickling it never calls back into Python (a ``persistent_id``
        per object cost a third of a real article's spooling)."""
        return (
            None if article.url == article.id else article.url,
            self.key(article.authors) if article.authors else (),
            article.tags,
            self.key(article.feed),
            self.key(article.language),
            article.content_html,
            article.word_count,
            article.series,
            article.enclosures,
            self.key(article.content_source),
            article.fetched,
        )

    def article(self, flat: tuple[Any, ...], own: tuple[Any, ...]) -> Article:
        """``flat`` and the index's ``own`` values made into the article they were taken from."""
        url, authors, tags, feed, language, html, words, series, enclosures, source, fetched = flat
        objects = self.objects
        article_id, title, revision_key, published, updated = own
        return Article(
            id=article_id,
            url=article_id if url is None else url,
            title=title,
            authors=objects[authors] if type(authors) is int else authors,
            published=published,
            updated=updated,
            tags=tags,
            feed=objects[feed],
            language=objects[language],
            content_html=html,
            word_count=words,
            series=series,
            revision_key=revision_key,
            enclosures=enclosures,
            content_source=objects[source],
            fetched=fetched,
        )


# The fields ``_Shared.flat`` keeps, in its order; with ``_OWN``, every field of ``Article``.
_FLAT = (
    "url", "authors", "tags", "feed", "language", "content_html", "word_count", "series",
    "enclosures", "content_source", "fetched",
)  # fmt: skip


def _spool_error(error: OSError) -> OutputError:
    """Articles are spooled to a temporary file: say so when that space runs out."""
    return OutputError(
        f"cannot write the temporary spool in {tempfile.gettempdir()} ({error.strerror or error})",
        hint="the temporary space may be full: set TMPDIR to a directory with room",
    )


def collect(
    specs: Iterable[str],
    context: SourceContext,
    *,
    on_problem: ProblemHandler | None = None,
    on_source: SourceHandler | None = None,
    debug: bool = False,
) -> Collection:
    """Read every source; problems are reported as they happen and kept in ``report``."""
    from feed2book import parallel
    from feed2book.sources.resolver import resolve  # parsing stack: not needed to read a library

    collection = Collection()
    collection.debug = debug
    report = collection.report

    def tell(problem: Problem) -> None:
        report.problems.append(problem)
        if problem.severity is Severity.ERROR and problem.source not in report.failed_sources:
            report.failed_sources.append(problem.source)
        if on_problem is not None:
            on_problem(problem)

    try:
        for item in resolve(specs, context):
            if isinstance(item, Problem):
                tell(item)
                continue
            count = _read_one(item, collection, tell)
            if on_source is not None:
                on_source(item.origin, count)
            del item  # a big document goes before the next one is read
    finally:
        parallel.shutdown()  # the helpers that cleaned articles: their memory is not needed now
    return collection


def _failure(fetched: Fetched, error: Exception) -> Problem:
    """The one error line for a source that could not be read (the other sources still are)."""
    if isinstance(error, SourceError):
        return Problem(error.source, error.reason, Severity.ERROR, hint=error.hint)
    if isinstance(error, Feed2BookError):
        return Problem(fetched.origin, str(error), Severity.ERROR, hint=error.hint)
    if isinstance(error, RecursionError):
        return Problem(fetched.origin, "nested too deeply to read", Severity.ERROR)
    return Problem(  # a bug or a parser failure: isolated to this source
        fetched.origin,
        f"could not be read ({type(error).__name__}: {error})",
        Severity.ERROR,
        hint="run with --debug for the traceback",
    )


class _SpoolFailed(Exception):
    """Writing an article to the spool failed: not the source's fault, so not isolated."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _read_one(fetched: Fetched, collection: Collection, tell: ProblemHandler) -> int:
    """Read one source; its articles go to the spool as they are made (a big feed never sits in
    memory whole) and are taken back out if the source fails halfway: it counts as unread."""
    from feed2book.parse.feed import parse_source

    before = len(collection._index)

    def spool(article: Article) -> None:
        try:
            collection.add(article)
        except Exception as error:
            raise _SpoolFailed(error) from error

    try:
        parsed = parse_source(fetched, on_article=spool)
    except _SpoolFailed as failure:
        raise failure.error from None
    except Exception as error:
        if collection.debug and not isinstance(error, (Feed2BookError, RecursionError)):
            raise  # a bug: --debug shows its traceback
        collection.forget_since(before)  # a source that fails halfway counts as unread
        tell(_failure(fetched, error))
        return 0
    collection.report.sources_read += 1
    for problem in parsed.problems:
        tell(problem)
    count = len(collection._index) - before
    collection.report.items += count
    return count
