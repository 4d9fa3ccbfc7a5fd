"""Building articles by hand for tests that should not depend on parsing."""

from __future__ import annotations

from datetime import UTC, datetime

from feed2book.identity import revision_key
from feed2book.models import Article, Author, FeedInfo, SeriesRef

FEED = FeedInfo("DEV Community: Test", "https://dev.to/feed/test", "https://dev.to/test")


def make_article(
    *,
    id: str = "forem:test/post-1",
    title: str = "A Post",
    author: tuple[str, str] = ("Test Author", "test"),
    published: datetime = datetime(2026, 5, 1, 12, tzinfo=UTC),
    updated: datetime | None = None,
    tags: tuple[str, ...] = (),
    content: str = "<p>Hello.</p>",
    language: str = "en",
    series: SeriesRef | None = None,
    word_count: int = 1,
) -> Article:
    authors = (Author(*author),)
    return Article(
        id=id,
        url=f"https://dev.to/{author[1]}/{id.rsplit('/', 1)[-1]}",
        title=title,
        authors=authors,
        published=published,
        updated=updated,
        tags=tags,
        feed=FEED,
        language=language,
        content_html=content,
        word_count=word_count,
        series=series,
        revision_key=revision_key((author[1],), title),
    )
