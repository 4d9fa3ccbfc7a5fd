"""The OPDS catalogue as plain values: shelves of books built from the library. Pure functions.

A ``Catalogue`` has one shelf per facet (``authors``, ``series``, ``feeds``, ``months``), each a
list of books grouped exactly as ``feed2book epub --group-by author|series|feed|month`` groups
them; the serialisers (``atom``, ``opds2``) turn a shelf into an OPDS feed and the server or the
static writer into files. A book is named by its content: ``BookEntry.file_name`` ends in a
digest of everything the EPUB is made of (articles, titles, build settings, feed2book's version),
so a changed library gives a new name and the cached file is never stale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from feed2book import __version__
from feed2book.filenames import safe_stem
from feed2book.group import BookOptions, GroupBy, group_articles
from feed2book.identity import normalise_title
from feed2book.models import Article, Book, book_identifier

DIGEST_CHARS = 16  # of the content digest in a book's file name: 64 bits


@dataclass(frozen=True, slots=True)
class Facet:
    """A way of browsing the library: one shelf, books grouped as ``epub --group-by`` does."""

    name: str  # the shelf's file name (``authors.xml``) and the last part of its id
    title: str
    group_by: GroupBy


FACETS: tuple[Facet, ...] = (
    Facet("authors", "By author", GroupBy.AUTHOR),
    Facet("series", "By series", GroupBy.SERIES),
    Facet("feeds", "By feed", GroupBy.FEED),
    Facet("months", "By month", GroupBy.MONTH),
)
NEW = "new"  # the per-visitor shelf: what arrived since the last visit (server only)
SEARCH = "search"


@dataclass(frozen=True, slots=True)
class BookEntry:
    """A book the catalogue offers, named by its content."""

    book: Book
    digest: str  # hex digest of what the book is made of
    updated: datetime  # the newest article's date (``updated``, else ``published``)

    @property
    def identifier(self) -> str:
        return book_identifier(self.book.key)

    @property
    def file_name(self) -> str:
        """The stem of the book's files (``books/NAME.epub``, ``covers/NAME.jpg``): ASCII,
        safe on every file system and in a URL, unique per content."""
        readable = safe_stem(self.book.slug or self.book.title, 60)
        ascii_only = readable.encode("ascii", "ignore").decode().strip(" .-") or "book"
        return f"{safe_stem(ascii_only, 60)}-{self.digest[:DIGEST_CHARS]}"

    @property
    def article_count(self) -> int:
        return len(self.book.articles)


@dataclass(frozen=True, slots=True)
class Shelf:
    """An acquisition feed: books, newest first."""

    name: str  # ``authors``, ``new``, ``search``…
    title: str
    entries: tuple[BookEntry, ...]
    updated: datetime
    query: str = ""  # what a search shelf was asked for


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every shelf, built from one reading of the library."""

    id: str  # a URN naming this catalogue (the library's), the root of every feed id
    title: str
    updated: datetime
    shelves: tuple[Shelf, ...]
    articles: tuple[Article, ...]  # what the shelves were built from (for the ``new`` shelf)
    build_label: str  # the build settings that are part of every digest

    def shelf(self, name: str) -> Shelf | None:
        return next((shelf for shelf in self.shelves if shelf.name == name), None)

    def books(self) -> dict[str, BookEntry]:
        """Every book on any shelf, by ``file_name``."""
        return {entry.file_name: entry for shelf in self.shelves for entry in shelf.entries}

    def search(self, query: str) -> Shelf:
        """Books whose title, authors (name or handle) or series hold every word of ``query``
        (compared without case or punctuation), on every shelf, each book once."""
        words = normalise_title(query).split()
        found: dict[str, BookEntry] = {}
        for shelf in self.shelves:
            for entry in shelf.entries:
                if words and all(word in _searchable(entry.book) for word in words):
                    found.setdefault(entry.file_name, entry)
        entries = _newest_first(found.values())
        return Shelf(SEARCH, f"Search: {query.strip()}", entries, self.updated, query.strip())

    def new_shelf(self, new_ids: frozenset[str], since: datetime) -> Shelf:
        """What arrived after ``since``: one book of the articles ``new_ids`` names (those the
        library first saw after ``since``), then one per author of them."""
        new = [article for article in self.articles if article.id in new_ids]
        title = f"New since {since:%d %b %Y %H:%M} UTC"
        if not new:
            return Shelf(NEW, title, (), self.updated)
        everything = group_articles(new, BookOptions(group_by=GroupBy.NONE, title=title))
        by_author = group_articles(new, BookOptions(group_by=GroupBy.AUTHOR))
        digests: dict[str, str] = {}
        entries = [entry_for(book, self.build_label, digests) for book in everything.books]
        if len(by_author.books) > 1:
            entries += _newest_first(
                entry_for(book, self.build_label, digests) for book in by_author.books
            )
        return Shelf(NEW, title, tuple(entries), max(entry.updated for entry in entries))


def build_catalogue(
    articles: Sequence[Article], *, catalogue_id: str, title: str, build_label: str
) -> Catalogue:
    """Every facet's shelf over ``articles`` (selected and deduplicated, as ``epub`` reads
    them); ``build_label`` names the build settings, so a book built otherwise gets a new
    digest."""
    digests: dict[str, str] = {}  # article id -> digest, computed once for every shelf
    shelves = []
    for facet in FACETS:
        grouping = group_articles(articles, BookOptions(group_by=facet.group_by))
        entries = _newest_first(entry_for(book, build_label, digests) for book in grouping.books)
        updated = max((entry.updated for entry in entries), default=_EPOCH)
        shelves.append(Shelf(facet.name, facet.title, entries, updated))
    updated = max((shelf.updated for shelf in shelves), default=_EPOCH)
    return Catalogue(catalogue_id, title, updated, tuple(shelves), tuple(articles), build_label)


def entry_for(book: Book, build_label: str, digests: dict[str, str] | None = None) -> BookEntry:
    """``book`` named by its content (``digests`` memoises each article's own digest)."""
    memo = {} if digests is None else digests
    content = hashlib.sha256(f"feed2book {__version__}\n{build_label}\n".encode())
    described = (book.key, book.title, book.subtitle, book.slug, book.language, book.series)
    content.update(repr((*described, book.authors)).encode())
    for section in book.sections:
        content.update(f"\nsection {section.title}\n".encode())
        for article in section.articles:
            digest = memo.get(article.id)
            if digest is None:
                # A frozen dataclass of strings, tuples and datetimes: its repr is every field.
                digest = memo[article.id] = hashlib.sha256(repr(article).encode()).hexdigest()
            content.update(digest.encode())
    updated = max(article.updated or article.published for article in book.articles)
    return BookEntry(book, content.hexdigest(), updated)


def _searchable(book: Book) -> str:
    words = [book.title, *(a.name for a in book.authors), *(a.handle for a in book.authors)]
    if book.series is not None:
        words.append(book.series.name)
    return normalise_title(" ".join(words))


def _newest_first(entries: Iterable[BookEntry]) -> tuple[BookEntry, ...]:
    return tuple(sorted(entries, key=lambda entry: (-entry.updated.timestamp(), entry.book.key)))


_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
