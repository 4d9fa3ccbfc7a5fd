"""Grouping articles into books and sections."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from feed2book.group import BookOptions, GroupBy, Sections, TagMode, date_range, group_articles
from feed2book.models import Article, FeedInfo, SeriesRef
from tests.factory import make_article


def day(n: int, month: int = 5) -> datetime:
    return datetime(2026, month, n, 9, tzinfo=UTC)


ARTICLES = [
    make_article(
        id="a3",
        title="Day 3: C - Rust Bites",
        published=day(3),
        series=SeriesRef("Rust Bites", 3),
        tags=("rust",),
    ),
    make_article(
        id="a1",
        title="Day 1: A - Rust Bites",
        published=day(5),
        series=SeriesRef("Rust Bites", 1),
        tags=("rust",),
    ),
    make_article(id="b1", title="Unrelated", published=day(2), tags=("misc",)),
    make_article(
        id="c1", title="Someone else", author=("Other Person", "other"), published=day(1, 6)
    ),
]


def test_group_by_author_orders_books_by_key_and_series_by_index() -> None:
    books = group_articles(ARTICLES).books
    assert [b.key for b in books] == ["author:other", "author:test"]
    test_book = books[1]
    assert test_book.title == "Test Author"
    # auto sections: a series plus other articles -> series sections, "Other articles" last.
    assert [s.title for s in test_book.sections] == ["Rust Bites", "Other articles"]
    assert [a.id for a in test_book.sections[0].articles] == ["a1", "a3"]
    assert test_book.subtitle == "2–5 May 2026"
    assert test_book.slug == "test-author-2026-05-02--2026-05-05"


def test_group_by_series_leaves_out_and_counts_the_rest() -> None:
    grouping = group_articles(ARTICLES, BookOptions(group_by=GroupBy.SERIES))
    assert grouping.left_out == 2
    [book] = grouping.books
    assert book.series == SeriesRef("Rust Bites", 1)
    assert book.subtitle == "Days 1, 3"  # day 2 is not in the book: the range says so
    assert [a.id for a in book.articles] == ["a1", "a3"]


def test_newest_first_and_month_sections() -> None:
    options = BookOptions(
        group_by=GroupBy.NONE,
        sections=Sections.MONTH,
        newest_first=True,
        title="All of it",
        language="fr",
    )
    [book] = group_articles(ARTICLES, options).books
    assert (book.title, book.language) == ("All of it", "fr")
    assert book.key.startswith("all:")
    assert [s.title for s in book.sections] == ["juin 2026", "mai 2026"]  # the book's language
    assert [a.id for a in book.sections[1].articles] == ["a1", "a3", "b1"]


def test_other_groupings() -> None:
    keys = lambda by: [b.key for b in group_articles(ARTICLES, BookOptions(group_by=by)).books]  # noqa: E731
    assert keys(GroupBy.MONTH) == ["month:2026-05", "month:2026-06"]
    assert keys(GroupBy.YEAR) == ["year:2026"]
    assert keys(GroupBy.TAG) == ["tag:misc", "tag:rust", "tag:untagged"]
    assert keys(GroupBy.WEEK) == ["week:2026-W18", "week:2026-W19", "week:2026-W23"]
    assert keys(GroupBy.FEED) == ["feed:https://dev.to/feed/test"]


def test_by_tag_an_article_is_in_every_tag_book_or_with_tag_mode_first_only_its_first() -> None:
    articles = [
        make_article(id="x1", title="Both", published=day(1), tags=("rust", "cli")),
        make_article(id="x2", title="Rust only", published=day(2), tags=("Rust",)),
        make_article(id="x3", title="No tags", published=day(3)),
    ]

    def books(options: BookOptions) -> dict[str, list[str]]:
        grouping = group_articles(articles, options)
        return {b.key: [a.id for a in b.articles] for b in grouping.books}

    assert BookOptions().tag_mode is TagMode.ALL
    assert books(BookOptions(group_by=GroupBy.TAG)) == {
        "tag:cli": ["x1"],
        "tag:rust": ["x1", "x2"],
        "tag:untagged": ["x3"],
    }
    assert books(BookOptions(group_by=GroupBy.TAG, tag_mode=TagMode.FIRST)) == {
        "tag:rust": ["x1", "x2"],
        "tag:untagged": ["x3"],
    }
    # the mode is about tags only
    assert books(BookOptions(tag_mode=TagMode.ALL)) == {"author:test": ["x1", "x2", "x3"]}


def test_date_ranges() -> None:
    assert date_range(day(2), day(2)) == "2 May 2026"
    assert date_range(day(26, 4), day(25)) == "26 April – 25 May 2026"
    assert date_range(datetime(2025, 12, 1, tzinfo=UTC), day(3)) == "December 2025 – May 2026"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 28),
            st.integers(1, 12),
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from([(), ("x",), ("y", "x")]),
            st.integers(0, 3),
        ),
        max_size=30,
    ),
    st.sampled_from(list(GroupBy)),
    st.sampled_from(list(Sections)),
)
def test_every_article_lands_in_exactly_one_book(rows, by, sections) -> None:  # type: ignore[no-untyped-def]
    articles = [
        make_article(
            id=f"id{i}",
            title=f"T{i}",
            author=(handle.upper(), handle),
            published=datetime(2026, month, d, tzinfo=UTC),
            tags=tags,
            series=SeriesRef("S", n) if n else None,
        )
        for i, (d, month, handle, tags, n) in enumerate(rows)
    ]
    options = BookOptions(group_by=by, sections=sections, tag_mode=TagMode.FIRST)
    grouping = group_articles(articles, options)
    ids = [a.id for book in grouping.books for a in book.articles]
    assert len(ids) == len(set(ids))
    assert len(ids) + grouping.left_out == len(articles)
    assert all(book.articles for book in grouping.books)
    # by tag, in every tag's book by default: once in each, never twice in one
    every_tag = group_articles(articles, BookOptions(group_by=GroupBy.TAG, sections=sections))
    for book in every_tag.books:
        assert len({a.id for a in book.articles}) == len(book.articles)
    held = [a.id for book in every_tag.books for a in book.articles]
    assert all(held.count(a.id) == max(1, len(set(a.tags))) for a in articles)


def _series_book(days: list[float]) -> str:
    articles = [
        make_article(
            id=f"d{n}",
            title=f"Day {SeriesRef('', n).index_label}: Topic - Daily Notes",
            published=day(1),
            series=SeriesRef("Daily Notes", n),
        )
        for n in days
    ]
    [book] = group_articles(articles, BookOptions(group_by=GroupBy.SERIES)).books
    return book.subtitle


def test_series_subtitle_lists_the_runs_the_book_really_holds() -> None:
    seeds = [*range(19, 26), *range(28, 34), *range(45, 50)]  # the seeds' series: 18 days
    assert _series_book(seeds) == "Days 19–25, 28–33, 45–49"
    assert _series_book(list(range(19, 50))) == "Days 19–49"
    assert _series_book([1, 1.5, 2, 5]) == "Days 1–2, 5"
    assert _series_book([7]) == "Day 7"


def test_series_subtitle_counts_when_the_runs_are_too_many_to_list() -> None:
    assert _series_book([1, 2, 4, 6, 8, 9]) == "6 of Days 1–9"


def test_group_by_none_books_of_other_feeds_have_other_keys() -> None:
    """The key names the book (identifier, cover, earlier builds): books of other sources differ,
    the same sources give the same key on every build."""

    def key(articles: list[Article]) -> str:
        [book] = group_articles(articles, BookOptions(group_by=GroupBy.NONE)).books
        return book.key

    elsewhere = FeedInfo("Elsewhere", "https://example.org/feed.xml", "https://example.org/")
    other = [replace(article, feed=elsewhere) for article in ARTICLES]
    assert key(ARTICLES) == key(list(reversed(ARTICLES))) == key(ARTICLES[:2])
    assert key(other) != key(ARTICLES)
    assert key(ARTICLES + other) not in {key(ARTICLES), key(other)}
