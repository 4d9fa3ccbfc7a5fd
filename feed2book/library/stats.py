"""What the library holds: totals, and counts per author, feed and month.

Counts are of stored articles (every id, the current revision of each), before the
deduplication of republished posts that building a book applies.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from feed2book.library.records import from_micros, text_stamp


@dataclass(frozen=True, slots=True)
class AuthorCount:
    handle: str
    name: str
    articles: int


@dataclass(frozen=True, slots=True)
class FeedCount:
    url: str
    title: str
    articles: int


@dataclass(frozen=True, slots=True)
class MonthCount:
    month: str  # YYYY-MM
    articles: int


@dataclass(frozen=True, slots=True)
class LibraryStats:
    articles: int
    revisions: int  # stored copies, the current ones included
    sources: int
    authors: int
    feeds: int
    builds: int
    first_published: str | None
    last_published: str | None
    by_author: tuple[AuthorCount, ...]
    by_feed: tuple[FeedCount, ...]
    by_month: tuple[MonthCount, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def library_stats(db: sqlite3.Connection) -> LibraryStats:
    """Gathered in one read transaction (the caller's), so the numbers agree with each other."""

    def one(sql: str) -> Any:
        return db.execute(sql).fetchone()[0]

    by_author = tuple(
        AuthorCount(*row)
        for row in db.execute(
            "SELECT handle, MAX(name), COUNT(DISTINCT article_id) AS n FROM article_authors "
            "GROUP BY handle ORDER BY n DESC, handle"
        )
    )
    by_feed = tuple(
        FeedCount(*row)
        for row in db.execute(
            "SELECT feed_url, MAX(feed_title), COUNT(*) AS n FROM articles "
            "GROUP BY feed_url ORDER BY n DESC, feed_url"
        )
    )
    by_month = tuple(
        MonthCount(*row)
        for row in db.execute(
            "SELECT strftime('%Y-%m', published / 1000000.0, 'unixepoch') AS month, COUNT(*) "
            "FROM articles GROUP BY month ORDER BY month"
        )
    )
    first, last = db.execute("SELECT MIN(published), MAX(published) FROM articles").fetchone()
    return LibraryStats(
        articles=one("SELECT COUNT(*) FROM articles"),
        revisions=one("SELECT COUNT(*) FROM revisions"),
        sources=one("SELECT COUNT(*) FROM sources"),
        authors=len(by_author),
        feeds=len(by_feed),
        builds=one("SELECT COUNT(*) FROM builds"),
        first_published=_day(first),
        last_published=_day(last),
        by_author=by_author,
        by_feed=by_feed,
        by_month=by_month,
    )


def _day(stamp: int | None) -> str | None:
    return text_stamp(from_micros(stamp))[:10] if stamp is not None else None
