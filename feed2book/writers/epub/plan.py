"""What goes into the EPUB and under which names: computed once, read by every page template.

Every name, id and date in the book derives from the ``Book`` alone (never from the clock or a
random source), which is what makes rebuilds byte-identical.
"""

from __future__ import annotations

import array
import bisect
import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from feed2book.lang.tags import normalise_language, text_direction
from feed2book.models import Article, Author, Book, FeedInfo, book_identifier
from feed2book.xhtml.content import url_key

ARTICLE_FILE_PREFIX = "a-"
ARTICLE_HASH_LENGTH = 12
_PAGE_SUFFIX = ".xhtml"  # an article's file name: its item id and this
MAX_SUBJECTS = 20  # tags become dc:subject; calibre shows them all, so keep the most used
MAX_CREATORS = 10  # when the book names no author, its articles' authors are credited
UNTITLED = "Untitled"

# Our own files, at the root of the content folder next to the articles and resources.
STYLESHEET_FILE = "style.css"
NAV_FILE = "nav.xhtml"
NCX_FILE = "toc.ncx"
COVER_PAGE_FILE = "cover.xhtml"
TITLE_PAGE_FILE = "title.xhtml"
TOC_PAGE_FILE = "toc.xhtml"
OPF_FILE = "content.opf"
RESERVED_FILES = frozenset(
    {STYLESHEET_FILE, NAV_FILE, NCX_FILE, COVER_PAGE_FILE, TITLE_PAGE_FILE, TOC_PAGE_FILE, OPF_FILE}
)
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_RESOURCE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")


@dataclass(frozen=True, slots=True)
class Chapter:
    """One article and the file it becomes."""

    article: Article
    item_id: str
    title: str
    language: str
    direction: str

    @property
    def file_name(self) -> str:
        return self.item_id + _PAGE_SUFFIX  # made when asked: one string fewer per article held


@dataclass(frozen=True, slots=True)
class TocGroup:
    """A first-level TOC entry; ``title == ""`` means the chapters sit at the top level."""

    title: str
    chapters: tuple[Chapter, ...]


@dataclass(frozen=True, slots=True)
class Resource:
    file_name: str
    item_id: str
    media_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class BookPlan:
    book: Book
    title: str
    language: str
    direction: str
    identifier: str
    creators: tuple[Author, ...]
    chapters: tuple[Chapter, ...]
    groups: tuple[TocGroup, ...]
    resources: tuple[Resource, ...]
    cover: Resource | None
    subjects: tuple[str, ...]
    feeds: tuple[FeedInfo, ...]
    first_published: datetime
    last_published: datetime
    last_modified: datetime
    book_files: AbstractSet[str]  # articles and resources, as content documents refer to them
    articles_by_url: Mapping[str, str]  # article file by url_key(article.url); first one wins

    @property
    def nested(self) -> bool:
        return any(group.title for group in self.groups)


def make_plan(
    book: Book, cover: Resource | None, resources: Mapping[str, tuple[str, bytes]]
) -> BookPlan:
    articles = book.articles
    if not articles:
        raise ValueError(f"book {book.key!r} has no articles; an EPUB needs at least one")
    language = normalise_language(book.language)
    chapters = _chapters(book, language)
    in_order = iter(chapters)  # chapters follow book.articles, i.e. the sections in order
    groups = tuple(
        TocGroup(xml_text(section.title), tuple(next(in_order) for _ in section.articles))
        for section in book.sections
        if section.articles
    )
    if len(groups) == 1 or not any(group.title for group in groups):
        groups = (TocGroup("", chapters),)
    published = [utc(article.published) for article in articles]
    planned_resources = _resources(resources)
    return BookPlan(
        book=book,
        title=xml_text(book.title) or UNTITLED,
        language=language,
        direction=text_direction(language),
        identifier=book_identifier(book.key),
        creators=book.authors or _article_authors(articles),
        chapters=chapters,
        groups=groups,
        resources=planned_resources,
        cover=cover,
        subjects=_subjects(articles),
        feeds=_feeds(articles),
        first_published=min(published),
        last_published=max(published),
        last_modified=max(utc(a.updated) if a.updated else utc(a.published) for a in articles),
        book_files=_BookFiles(chapters, planned_resources),
        articles_by_url=_ArticleFiles(chapters),
    )


# A book of 380,000 notes: the names below are made when asked from the chapters' item ids,
# rather than held as a second string per page (twice: in the set and in the url map).


class _BookFiles(AbstractSet[str]):
    """The article and resource file names of a book, as content documents refer to them."""

    def __init__(self, chapters: tuple[Chapter, ...], resources: tuple[Resource, ...]) -> None:
        self._item_ids = sorted(chapter.item_id for chapter in chapters)  # a list: 8 B a page
        self._resources = frozenset(resource.file_name for resource in resources)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        if name in self._resources:
            return True
        item_id = name.removesuffix(_PAGE_SUFFIX)
        at = bisect.bisect_left(self._item_ids, item_id)
        return item_id != name and at < len(self._item_ids) and self._item_ids[at] == item_id

    def __iter__(self) -> Iterator[str]:
        yield from (item_id + _PAGE_SUFFIX for item_id in self._item_ids)
        yield from self._resources

    def __len__(self) -> int:
        return len(self._item_ids) + len(self._resources)


class _ArticleFiles(Mapping[str, str]):
    """An article's file name by ``url_key`` of its url, the first chapter's when several
    share it. Held as each key's hash, sorted, beside its chapter's position (12 bytes a
    page); a key found by its hash is made again from the chapter's url to be compared."""

    def __init__(self, chapters: tuple[Chapter, ...]) -> None:
        self._chapters = chapters
        hashes = array.array("q", (hash(url_key(c.article.url)) for c in chapters))
        # Stable: chapters with equal hashes stay in book order, so the first one is found first.
        self._positions = array.array("L", sorted(range(len(chapters)), key=hashes.__getitem__))
        self._hashes = array.array("q", (hashes[position] for position in self._positions))
        self._count = sum(1 for _ in self)

    def _first(self, key: str) -> Chapter | None:
        if not key:
            return None  # no http(s) url: not an article's address
        wanted = hash(key)
        at = bisect.bisect_left(self._hashes, wanted)
        while at < len(self._hashes) and self._hashes[at] == wanted:
            chapter = self._chapters[self._positions[at]]
            if url_key(chapter.article.url) == key:
                return chapter
            at += 1
        return None

    def __getitem__(self, key: str) -> str:
        chapter = self._first(key)
        if chapter is None:
            raise KeyError(key)
        return chapter.file_name

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for chapter in self._chapters:
            key = url_key(chapter.article.url)
            if key and key not in seen:
                seen.add(key)
                yield key

    def __len__(self) -> int:
        return self._count


def _chapters(book: Book, book_language: str) -> tuple[Chapter, ...]:
    chapters: list[Chapter] = []
    used: set[str] = set()
    languages: dict[str, str] = {}  # one string per language, not one per article
    for article in book.articles:
        stem = (
            ARTICLE_FILE_PREFIX
            + hashlib.sha1(article.id.encode()).hexdigest()[:ARTICLE_HASH_LENGTH]
        )
        item_id, counter = stem, 1
        while item_id in used:  # the same id twice in one book: keep both, deterministically
            counter += 1
            item_id = f"{stem}-{counter}"
        used.add(item_id)
        language = languages.get(article.language)
        if language is None:
            language = normalise_language(article.language, default=book_language)
            language = languages.setdefault(article.language, language)
        chapters.append(
            Chapter(
                article=article,
                item_id=item_id,
                title=xml_text(article.title) or UNTITLED,
                language=language,
                direction=text_direction(language),
            )
        )
    return tuple(chapters)


def _resources(resources: Mapping[str, tuple[str, bytes]]) -> tuple[Resource, ...]:
    planned = []
    for name in sorted(resources):
        media_type, data = resources[name]
        if not _RESOURCE_NAME.fullmatch(name) or name in RESERVED_FILES:
            raise ValueError(f"resource name {name!r} is not a safe relative path of the book")
        if name.startswith(ARTICLE_FILE_PREFIX) and name.endswith(".xhtml"):
            raise ValueError(f"resource name {name!r} could clash with an article file")
        item_id = "r-" + hashlib.sha1(name.encode()).hexdigest()[:ARTICLE_HASH_LENGTH]
        planned.append(Resource(name, item_id, media_type, data))
    return tuple(planned)


def _article_authors(articles: tuple[Article, ...]) -> tuple[Author, ...]:
    unique: dict[str, Author] = {}
    for article in articles:
        for author in article.authors:
            unique.setdefault(author.handle or author.name, author)
    return tuple(unique.values())[:MAX_CREATORS]


def _feeds(articles: tuple[Article, ...]) -> tuple[FeedInfo, ...]:
    unique: dict[str, FeedInfo] = {}
    for article in articles:
        unique.setdefault(article.feed.url or article.feed.title, article.feed)
    return tuple(unique.values())


def _subjects(articles: tuple[Article, ...]) -> tuple[str, ...]:
    spelling: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for article in articles:
        for tag in dict.fromkeys(xml_text(t) for t in article.tags):
            if tag:
                spelling.setdefault(tag.casefold(), tag)
                counts[tag.casefold()] += 1
    ranked = sorted(spelling, key=lambda key: -counts[key])  # stable: first seen breaks ties
    return tuple(spelling[key] for key in ranked[:MAX_SUBJECTS])


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; naive datetimes are taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso_datetime(moment: datetime) -> str:
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_date(moment: datetime) -> str:
    return utc(moment).strftime("%Y-%m-%d")


def xml_text(text: str) -> str:
    """``text`` stripped of the characters XML 1.0 forbids, whitespace collapsed (``text``
    itself when that changes nothing: a book's titles are not copied)."""
    cleaned = " ".join(_NOT_IN_XML.sub("", text).split())
    return text if cleaned == text else cleaned


def esc(text: str) -> str:
    """Escape for XML text and double-quoted attributes (apostrophes stay readable)."""
    return escape(xml_text(text), quote=False).replace('"', "&quot;")


def lang_attrs(language: str, direction: str | None = None) -> str:
    """``lang``/``xml:lang`` (and ``dir`` when given) attributes for an element."""
    attrs = f' lang="{esc(language)}" xml:lang="{esc(language)}"'
    return attrs + (f' dir="{direction}"' if direction else "")
