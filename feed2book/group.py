"""Grouping selected articles into books, and books into sections. Pure functions.

Every article lands in exactly one book (``--group-by series`` leaves out articles outside any
series, and says how many). Books come out ordered by key; inside a book, articles are in
reading order (oldest first, a series by its index) unless ``newest_first``.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from feed2book import i18n
from feed2book.identity import normalise_title, slugify
from feed2book.models import Article, Author, Book, Section, SeriesRef

OTHER_ARTICLES = "Other articles"


class GroupBy(StrEnum):
    AUTHOR = "author"
    SERIES = "series"
    MONTH = "month"
    WEEK = "week"
    YEAR = "year"
    TAG = "tag"
    FEED = "feed"
    NONE = "none"


class TagMode(StrEnum):
    """With ``--group-by tag``: which tags' books an article goes into."""

    ALL = "all"  # every tag's book (an article tagged rust and cli is in both)
    FIRST = "first"  # only its first tag's book


class Sections(StrEnum):
    AUTO = "auto"  # series when the book has one, else months when it spans several, else none
    SERIES = "series"
    MONTH = "month"
    TAG = "tag"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class BookOptions:
    group_by: GroupBy = GroupBy.AUTHOR
    sections: Sections = Sections.AUTO
    newest_first: bool = False
    title: str | None = None
    language: str | None = None
    tag_mode: TagMode = TagMode.ALL


@dataclass(frozen=True, slots=True)
class Grouping:
    books: tuple[Book, ...]
    left_out: int  # articles outside any series, with --group-by series


@dataclass(frozen=True, slots=True)
class _Group:
    key: str
    label: str  # what the book is "of": an author's name, a series, a month…
    series: SeriesRef | None


def group_articles(articles: Iterable[Article], options: BookOptions = BookOptions()) -> Grouping:
    groups: dict[str, list[Article]] = defaultdict(list)
    labels: dict[str, _Group] = {}
    left_out = 0
    every_tag = options.group_by is GroupBy.TAG and options.tag_mode is TagMode.ALL
    for article in articles:
        if every_tag:
            for group in _by_each_tag(article):
                groups[group.key].append(article)
                labels.setdefault(group.key, group)
            continue
        found = _GROUPERS[options.group_by](article)
        if found is None:
            left_out += 1
            continue
        groups[found.key].append(article)
        labels.setdefault(found.key, found)
    books = tuple(_book(labels[key], members, options) for key, members in sorted(groups.items()))
    return Grouping(books, left_out)


def _by_author(article: Article) -> _Group:
    author = article.authors[0]
    return _Group(f"author:{author.handle}", author.name, None)


def _by_series(article: Article) -> _Group | None:
    if article.series is None:
        return None
    name = article.series.name
    return _Group(f"series:{normalise_title(name)}", name, SeriesRef(name, 1))


def _by_month(article: Article) -> _Group:
    stamp = article.published
    return _Group(f"month:{stamp:%Y-%m}", f"{stamp:%B %Y}", None)


def _by_week(article: Article) -> _Group:
    year, week, _ = article.published.isocalendar()
    return _Group(f"week:{year}-W{week:02d}", f"Week {week}, {year}", None)


def _by_year(article: Article) -> _Group:
    return _Group(f"year:{article.published:%Y}", f"{article.published:%Y}", None)


def _by_tag(article: Article) -> _Group:
    tag = article.tags[0] if article.tags else "untagged"
    return _Group(f"tag:{tag.casefold()}", f"#{tag}" if article.tags else "Untagged", None)


def _by_each_tag(article: Article) -> list[_Group]:
    """One group per distinct tag (compared without case), named as ``_by_tag`` names them."""
    if not article.tags:
        return [_by_tag(article)]
    seen: dict[str, _Group] = {}
    for tag in article.tags:
        seen.setdefault(f"tag:{tag.casefold()}", _Group(f"tag:{tag.casefold()}", f"#{tag}", None))
    return list(seen.values())


def _by_feed(article: Article) -> _Group:
    return _Group(f"feed:{article.feed.url}", article.feed.title or article.feed.url, None)


def _all(article: Article) -> _Group:
    return _Group("all", "", None)


_GROUPERS: dict[GroupBy, Callable[[Article], _Group | None]] = {
    GroupBy.AUTHOR: _by_author,
    GroupBy.SERIES: _by_series,
    GroupBy.MONTH: _by_month,
    GroupBy.WEEK: _by_week,
    GroupBy.YEAR: _by_year,
    GroupBy.TAG: _by_tag,
    GroupBy.FEED: _by_feed,
    GroupBy.NONE: _all,
}


def _book(group: _Group, members: list[Article], options: BookOptions) -> Book:
    authors = _authors(members)
    title = options.title or _title(group, members, authors, options.group_by)
    first, last = min(a.published for a in members), max(a.published for a in members)
    language = options.language or _language(members)
    subtitle = _series_range(members) if group.series else date_range(first, last, language)
    slug_source = group.label if options.group_by is not GroupBy.NONE else title
    slug = f"{slugify(slug_source, 50) or 'feed2book'}-{first:%Y-%m-%d}--{last:%Y-%m-%d}"
    return Book(
        key=_collection_key(members, options.title)
        if options.group_by is GroupBy.NONE
        else group.key,
        title=title,
        authors=authors,
        language=language,
        sections=make_sections(
            members, options.sections, newest_first=options.newest_first, language=language
        ),
        series=group.series,
        subtitle=subtitle,
        slug=slug,
    )


def _collection_key(members: Sequence[Article], title: str | None) -> str:
    """``--group-by none``: one book of everything, named by its ``--title`` when given (a
    digest built every week stays one book), else by the feeds it comes from, so that books
    of other sources get their own identifier, cover and file (never each other's earlier
    build)."""
    name = (
        f"title\n{normalise_title(title)}"
        if title
        else "\n".join(sorted({article.feed.url for article in members}))
    )
    return f"all:{hashlib.sha256(name.encode()).hexdigest()[:16]}"


def _title(group: _Group, members: list[Article], authors: tuple[Author, ...], by: GroupBy) -> str:
    if by in (GroupBy.AUTHOR, GroupBy.SERIES, GroupBy.FEED):
        return group.label
    who = authors[0].name if len(authors) == 1 else _single_feed_title(members)
    if by is GroupBy.NONE:
        return who or "Collected Articles"
    return f"{who}: {group.label}" if who else group.label


def _single_feed_title(members: list[Article]) -> str:
    titles = {article.feed.title for article in members}
    return titles.pop() if len(titles) == 1 else ""


def _authors(members: Sequence[Article]) -> tuple[Author, ...]:
    """Every author, most articles first; the newest spelling of each name."""
    counts: Counter[str] = Counter()
    names: dict[str, Author] = {}
    for article in sorted(members, key=lambda a: a.published):
        for author in article.authors:
            counts[author.handle] += 1
            names[author.handle] = author
    return tuple(names[handle] for handle, _ in sorted(counts.items(), key=lambda i: (-i[1], i[0])))


def _language(members: Sequence[Article]) -> str:
    counts = Counter(article.language for article in members)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]


def date_range(first: datetime, last: datetime, language: str = i18n.ENGLISH) -> str:
    """``12 May 2026``, ``2–9 May 2026``, ``26 April – 25 May 2026``, ``Dec 2025 – Jan 2026``;
    in the book's language (CLDR's month names and order) when it is not English."""
    return i18n.date_range(first, last, language)


MAX_LISTED_RUNS = 3


def _series_range(members: Sequence[Article]) -> str:
    """The numbers the book really holds: ``Days 19–25, 28–33, 45–49`` (up to three runs of
    consecutive numbers), else ``18 of Days 19–49``; ``Parts`` / ``Nos.`` when titles say so."""
    indexes = sorted({a.series.index for a in members if a.series is not None})
    if not indexes:
        return ""
    label = _ordinal_label(members)
    runs = series_runs(indexes)
    if len(runs) > MAX_LISTED_RUNS:
        return f"{len(indexes)} of {_plural(label)} {_run_text((runs[0][0], runs[-1][1]))}"
    listed = ", ".join(_run_text(run) for run in runs)
    return f"{label} {listed}" if len(indexes) == 1 else f"{_plural(label)} {listed}"


def series_runs(indexes: Sequence[float]) -> list[tuple[float, float]]:
    """Sorted indexes as runs ``(first, last)``: a run goes on while each index is at most one
    more than the one before (``1, 1.5, 2`` is one run, ``1, 3`` two)."""
    runs: list[tuple[float, float]] = []
    for index in sorted(indexes):
        if runs and index <= runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def _run_text(run: tuple[float, float]) -> str:
    low, high = (SeriesRef("", n).index_label for n in run)
    return low if low == high else f"{low}–{high}"


def _plural(label: str) -> str:
    return label if label.endswith(".") else f"{label}s"


def _ordinal_label(members: Sequence[Article]) -> str:
    words = Counter(a.title.split()[0].rstrip(":.").title() for a in members if a.title.split())
    common, count = words.most_common(1)[0] if words else ("", 0)
    if count * 2 > len(members) and common in {
        "Day",
        "Part",
        "Episode",
        "Chapter",
        "Lesson",
        "Week",
        "Issue",
        "Session",
        "Volume",
    }:
        return common
    return "Part"


# --- sections ----------------------------------------------------------------------------------


def make_sections(
    members: Sequence[Article],
    kind: Sections,
    *,
    newest_first: bool = False,
    language: str = i18n.ENGLISH,
) -> tuple[Section, ...]:
    if kind is Sections.AUTO:
        kind = _auto_sections(members)
    buckets: dict[str, list[Article]] = defaultdict(list)
    for article in members:
        buckets[_section_title(article, kind, language)].append(article)
    sections = [Section(title, _ordered(items, newest_first)) for title, items in buckets.items()]
    sections.sort(key=lambda s: _section_order(s, kind), reverse=newest_first)
    if kind is Sections.SERIES:
        # "Other articles" goes last whichever way the book runs.
        other = i18n.text(language, "other_articles")
        sections.sort(key=lambda s: s.title == other)
    return tuple(sections)


def _auto_sections(members: Sequence[Article]) -> Sections:
    in_series = {a.series.name for a in members if a.series is not None}
    if in_series and (
        len(in_series) > 1 or (len(in_series) == 1 and any(a.series is None for a in members))
    ):
        return Sections.SERIES
    months = {(a.published.year, a.published.month) for a in members}
    if not in_series and len(months) > 1 and len(members) > 12:
        return Sections.MONTH
    return Sections.NONE


def _section_title(article: Article, kind: Sections, language: str = i18n.ENGLISH) -> str:
    if kind is Sections.SERIES:
        return article.series.name if article.series else i18n.text(language, "other_articles")
    if kind is Sections.MONTH:
        return i18n.month_year(article.published, language)
    if kind is Sections.TAG:
        return f"#{article.tags[0]}" if article.tags else "Untagged"
    return ""


def _section_order(section: Section, kind: Sections) -> tuple[object, ...]:
    first = min(a.published for a in section.articles)
    if kind is Sections.TAG:
        return (section.title.casefold(),)
    return (first, section.title)


def _ordered(items: list[Article], newest_first: bool) -> tuple[Article, ...]:
    if (
        items
        and all(a.series is not None for a in items)
        and len({a.series.name for a in items if a.series}) == 1
    ):
        ordered = sorted(
            items, key=lambda a: (a.series.index if a.series else 0, a.published, a.id)
        )
    else:
        ordered = sorted(items, key=lambda a: (a.published, a.id))
    return tuple(reversed(ordered)) if newest_first else tuple(ordered)
