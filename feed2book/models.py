"""The values that flow between pipeline stages: frozen dataclasses, no I/O.

``Article`` is what ``parse`` produces from a feed entry (its ``content_html`` already cleaned
to safe XHTML); ``Book`` is what ``group`` produces for the writers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Author:
    """A person credited with an article.

    ``handle`` is the stable, lower-case key used for selection and grouping: on dev.to and
    forem.com the first path segment of the article link (``matt_frank_usa``), otherwise a slug
    of the display name.
    """

    name: str
    handle: str


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """Where an article came from."""

    title: str
    url: str  # the feed's own address (URL or file path as given)
    site: str  # the site's home page, when the feed says


@dataclass(frozen=True, slots=True)
class SeriesRef:
    """An article's place in a series: ``name`` is the stable part of the titles."""

    name: str
    index: float

    @property
    def index_label(self) -> str:
        """The index as a person writes it: ``3`` rather than ``3.0``."""
        return str(int(self.index)) if float(self.index).is_integer() else str(self.index)


@dataclass(frozen=True, slots=True)
class Enclosure:
    """A file an entry carries (a podcast episode's audio, a video, a PDF): RSS ``<enclosure>``,
    Atom ``rel="enclosure"``, Media RSS ``media:content``, a JSON Feed attachment.

    ``type`` is the media type, lower case ("" when unknown); ``length`` the size in bytes and
    ``duration`` the playing time in seconds, ``None`` when the feed does not tell (a length of 0
    means unknown in feeds, and is ``None`` here too).
    """

    url: str
    type: str
    length: int | None = None
    duration: int | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """One article, normalised.

    ``content_html`` is clean, well-formed XHTML (a fragment of block elements); the raw feed HTML
    never leaves ``parse``. ``published`` is always set (a fallback is chosen and warned about when
    the feed has no date); both datetimes are timezone-aware UTC.
    """

    id: str
    url: str
    title: str
    authors: tuple[Author, ...]
    published: datetime
    updated: datetime | None
    tags: tuple[str, ...]
    feed: FeedInfo
    language: str
    content_html: str
    word_count: int
    series: SeriesRef | None = None
    revision_key: str = ""  # author handle + normalised title: republished posts share it
    enclosures: tuple[Enclosure, ...] = ()
    # Where the body came from: "feed" (full text), "page" (fetched from ``url`` at
    # ``fetched``), or "summary" (the feed's teaser; see ``feed2book.fulltext``).
    content_source: str = "feed"
    fetched: datetime | None = None

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.word_count)

    @property
    def author_handles(self) -> tuple[str, ...]:
        return tuple(author.handle for author in self.authors)

    def with_series(self, series: SeriesRef | None) -> Article:
        return replace(self, series=series)


WORDS_PER_MINUTE = 230


def reading_minutes(word_count: int) -> int:
    """Minutes to read ``word_count`` words at an adult's silent-reading pace (at least 1)."""
    return max(1, round(word_count / WORDS_PER_MINUTE))


@dataclass(frozen=True, slots=True)
class Section:
    """A first-level TOC entry inside a book (a series, a month, a tag)."""

    title: str
    articles: tuple[Article, ...]


@dataclass(frozen=True, slots=True)
class Book:
    """A group of articles that becomes one EPUB, bundle or volume.

    ``key`` identifies the book across rebuilds ("author:matt_frank_usa"); the EPUB identifier,
    cover colours and file name derive from it.
    """

    key: str
    title: str
    authors: tuple[Author, ...]
    language: str
    sections: tuple[Section, ...]
    series: SeriesRef | None = None
    subtitle: str = ""
    slug: str = ""

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(article for section in self.sections for article in section.articles)

    def with_each_article(self, change: Callable[[Article], Article]) -> Book:
        """This book with ``change`` applied to every article, sections and order kept."""
        sections = tuple(
            replace(section, articles=tuple(map(change, section.articles)))
            for section in self.sections
        )
        return replace(self, sections=sections)


class Severity(StrEnum):
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something worth telling the user about one source: errors as data, like feedparser's bozo."""

    source: str
    message: str
    severity: Severity = Severity.WARNING
    hint: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


def book_identifier(key: str) -> str:
    """The book's stable identifier (EPUB ``dc:identifier``): a UUID5 of its key."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "feed2book:" + key))
