"""``--new``: a build leaves out what an earlier build of the same book held, and is recorded.

A ``Digest`` works on grouped books and the library's build records; where "earlier" means
something else (``--send``: delivered to an address) the caller hands it what was ``held``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from feed2book.errors import NothingToOutput
from feed2book.group import BookOptions, GroupBy, Grouping, group_articles
from feed2book.i18n import plural
from feed2book.models import Book

if TYPE_CHECKING:
    from feed2book.library.store import Library


class Digest:
    """``--new``: leave out what an earlier build of the same book held; record every build."""

    def __init__(
        self,
        library: Library | None,
        on_info: Callable[[str], None],
        held: Callable[[str], set[str]] | None = None,
    ) -> None:
        self._library = library
        self._on_info = on_info
        self._held = held  # what counts as "earlier" (default: the book's earlier builds)
        self.earlier = "in earlier builds of these books" if held is None else "delivered before"

    def only_new(self, grouping: Grouping, options: BookOptions) -> Grouping:
        """The books again, made of the articles no earlier build with the same key held.

        Raises ``NothingToOutput`` (exit 3) when every article was in an earlier build.
        """
        if self._library is None:
            return grouping
        fresh = []
        for book in grouping.books:
            built = (self._held or self._library.built_article_ids)(book.key)
            fresh += [article for article in book.articles if article.id not in built]
        fresh = list({article.id: article for article in fresh}.values())  # tag books share
        left_out = len({a.id for book in grouping.books for a in book.articles}) - len(fresh)
        if grouping.books and not fresh:
            raise NothingToOutput(
                f"nothing new: all {plural(left_out, 'article', 'articles')} were {self.earlier}"
            )
        if left_out:
            self._on_info(
                f"--new: {plural(left_out, 'article', 'articles')} of earlier builds left out"
            )
        fresh.sort(key=lambda article: (article.published, article.id))
        regrouped = group_articles(fresh, options)
        if options.group_by is GroupBy.NONE and len(grouping.books) == 1:
            # One book of everything: its new articles may come from fewer feeds than the whole
            # selection, which names the book (its key, where its builds are recorded).
            books = tuple(replace(book, key=grouping.books[0].key) for book in regrouped.books)
            regrouped = replace(regrouped, books=books)
        return replace(regrouped, left_out=grouping.left_out)

    def record(self, book: Book) -> None:
        """Call once the book is written."""
        if self._library is not None:
            self._library.record_build(book.key, [article.id for article in book.articles])
