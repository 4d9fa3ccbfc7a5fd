"""Building commands and the library: read it instead of files, or save what files gave.

Both fill the same ``pipeline.Collection`` that reading files fills, so deduplication, series
detection, selection and order are the ones every command already has.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from feed2book.library.store import DamageHandler, Library
from feed2book.models import Article, Severity
from feed2book.pipeline import Collection, ProblemHandler, SourceHandler
from feed2book.select import Selection

if TYPE_CHECKING:
    from feed2book.sources.resolver import SourceContext

LIBRARY_SOURCE = "library"


def collect_library(
    library: Library,
    selection: Selection | None = None,
    *,
    debug: bool = False,
    on_damage: DamageHandler | None = None,
) -> Collection:
    """The library's articles that ``selection`` needs (see ``query``), in a ``Collection``
    that reads each again from the library when it is wanted (it may outlive ``library``);
    damaged records are left out and given to ``on_damage``."""
    collection = _StoredCollection(library.reader())
    try:
        collection.debug = debug
        for row, article in collection.rows.articles_by_row(selection, on_damage=on_damage):
            collection.add_stored(row, article)
    except BaseException:
        collection.close()
        raise
    collection.report.items = len(collection)
    collection.report.sources_read = 1
    return collection


class _StoredCollection(Collection):
    """A ``Collection`` whose articles are read again from the library, by row, when wanted,
    instead of being pickled to a spool and read back from it (a third of a rebuild's
    reading). Memory stays as flat as with the spool: the index holds a row number where it
    holds a spool offset, and an article read back shares, as from the spool, the values its
    index entry holds and one copy of each feed and list of authors."""

    def __init__(self, rows: Library) -> None:
        super().__init__(spooled=False)
        self.rows = rows  # its own connection, in one read transaction until ``close``

    def add_stored(self, row: int, article: Article) -> None:
        self._add_to_index(article, row, 0)

    def _read(self, position: int) -> Article:
        index = self._index
        article = self.rows.article_at(index.offsets[position], index.revision_keys[position])
        return self._as_indexed(article, position)

    def close(self) -> None:
        super().close()
        self.rows.close()


def collect_and_save(
    specs: Iterable[str],
    context: SourceContext,
    library: Library,
    *,
    on_problem: ProblemHandler | None = None,
    on_source: SourceHandler | None = None,
    debug: bool = False,
) -> Collection:
    """``pipeline.collect``, and each source's articles stored (one transaction per source).

    A source saved this way is named in the library as ``add`` would name it; it is not
    remembered for ``sync`` (``feed2book add`` does that).
    """
    # The parsing stack is imported here: reading the library alone (``list``) never needs it.
    from feed2book.library.intake import normalise_spec, read_source
    from feed2book.sources.resolver import STDIN

    collection = Collection()
    collection.debug = debug
    report = collection.report
    for spec in specs:
        read = read_source(spec, context, debug=debug)
        for problem in read.problems:
            report.problems.append(problem)
            failed = problem.severity is Severity.ERROR
            if failed and problem.source not in report.failed_sources:
                report.failed_sources.append(problem.source)
            if on_problem is not None:
                on_problem(problem)
        for article in read.articles:
            collection.add(article)
        report.sources_read += read.documents
        report.items += len(read.articles)
        if read.articles:
            library.store("<stdin>" if spec == STDIN else normalise_spec(spec), read.articles)
        if on_source is not None:
            on_source(spec, len(read.articles))
    return collection
