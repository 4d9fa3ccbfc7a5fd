"""The library store: schema and migrations, upsert and revisions, loading, pre-filters, builds."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feed2book.identity import revision_key
from feed2book.library import Library, LibraryError, default_library_path, schema
from feed2book.library.reading import collect_library
from feed2book.models import Article, Author, FeedInfo, SeriesRef
from feed2book.pipeline import Collection
from feed2book.select import Selection
from tests.factory import make_article

DAY = datetime(2026, 5, 1, 12, tzinfo=UTC)


def clock(start: datetime = DAY) -> Iterator[datetime]:
    for minutes in count():
        yield start + timedelta(minutes=minutes)


def open_library(path: Path, ticks: Iterator[datetime] | None = None) -> Library:
    ticks = ticks or clock()
    return Library.open(path, now=lambda: next(ticks))


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    with open_library(tmp_path / "library.sqlite3") as opened:
        yield opened


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """One library for many hypothesis examples (opening one costs ~50 ms of fsyncs)."""
    with open_library(tmp_path_factory.mktemp("scratch") / "library.sqlite3") as opened:
        yield opened


def emptied(library: Library) -> Library:
    library.db.execute("DELETE FROM articles")  # revisions, authors, tags follow (cascade)
    return library


# --- the file ---------------------------------------------------------------------------------


def test_a_new_library_is_wal_with_foreign_keys_at_the_current_version(library: Library) -> None:
    assert library.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert library.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert library.db.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    assert schema.version(library.db) == schema.CURRENT_VERSION == len(schema.MIGRATIONS)
    assert library.integrity_check() == "ok"


def test_the_default_path_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED2BOOK_LIBRARY", "~/books/lib.sqlite3")
    assert default_library_path() == Path("~/books/lib.sqlite3").expanduser()
    monkeypatch.delenv("FEED2BOOK_LIBRARY")
    assert default_library_path().name == "library.sqlite3"
    assert "feed2book" in default_library_path().parts


def test_a_version_1_library_migrates_to_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    assert schema.migrate(db, target=1) == 1
    db.execute("INSERT INTO sources (spec, kind, added) VALUES ('https://x/feed', 'url', 't')")
    db.close()
    with pytest.raises(sqlite3.OperationalError):  # builds arrive in version 2
        sqlite3.connect(path).execute("SELECT * FROM builds")

    with open_library(path) as library:
        assert schema.version(library.db) == schema.CURRENT_VERSION
        assert [source.spec for source in library.sources()] == ["https://x/feed"]
        library.record_build("all", ["a"])
        assert library.built_article_ids("all") == {"a"}


def test_a_library_from_a_newer_feed2book_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {schema.CURRENT_VERSION + 1}")
    with pytest.raises(LibraryError, match="written by a newer feed2book"):
        Library.open(path)


def test_files_that_are_not_libraries_are_refused_untouched(tmp_path: Path) -> None:
    garbage = tmp_path / "notes.txt"
    garbage.write_bytes(b"not a database at all, just some text " * 100)
    with pytest.raises(LibraryError, match="not a feed2book library"):
        Library.open(garbage)
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    with pytest.raises(LibraryError, match="not a feed2book library"):
        Library.open(other)
    assert sqlite3.connect(other).execute("PRAGMA user_version").fetchone()[0] == 0


def test_opening_without_create_never_creates(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="no library at"):
        Library.open(tmp_path / "missing.sqlite3", create=False)
    assert not (tmp_path / "missing.sqlite3").exists()


# --- storing ----------------------------------------------------------------------------------


def test_new_unchanged_and_updated(library: Library) -> None:
    first = make_article(id="a", content="<p>One.</p>")
    assert library.store("feed", [first, make_article(id="b")]).new == 2
    again = library.store("feed", [first])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    edited = make_article(id="a", content="<p>One, edited.</p>", updated=DAY + timedelta(days=1))
    result = library.store("feed", [edited])
    assert (result.new, result.updated, result.unchanged) == (0, 1, 0)
    assert {a.id: a for a in library.articles()}["a"] == edited
    assert library.stats().revisions == 3 and len(library) == 2


def test_the_current_copy_is_the_one_select_would_keep(tmp_path: Path) -> None:
    short, longer = "<p>Short.</p>", "<p>A longer text.</p>"
    path = tmp_path / "library.sqlite3"
    with open_library(path, clock(DAY)) as library:  # one run: like reading both files at once
        library.store("dev.to", [make_article(id="a", content=longer)])
        library.store("forem", [make_article(id="a", content=short)])
        assert next(library.articles()).content_html == longer
        library.store("forem", [make_article(id="a", content="<p>Other!</p>" + " " * 7)])
        assert next(library.articles()).content_html == longer  # same size: the first seen
    with open_library(path, clock(DAY + timedelta(days=1))) as library:  # a later run
        library.store("forem", [make_article(id="a", content=short)])
        assert next(library.articles()).content_html == short  # seen last, same date
        older = make_article(id="a", content="<p>x</p>", published=DAY - timedelta(days=9))
        assert library.store("mirror", [older]).updated == 1
        assert next(library.articles()).content_html == short  # an older date never wins
    assert library.path.is_file()
    with open_library(path) as library:
        assert library.stats().revisions == 4


def test_one_store_is_one_transaction(library: Library) -> None:
    library.add_source("feed", "file")
    broken = make_article(id="z", title="\ud800 lone surrogate")  # cannot be encoded
    with pytest.raises(UnicodeEncodeError):
        library.store("feed", [make_article(id="a"), make_article(id="b"), broken], error=None)
    assert len(library) == 0
    assert library.sources()[0].last_synced is None
    assert library.db.in_transaction is False


def test_big_batches_store_in_chunks_with_duplicates_across_chunks(library: Library) -> None:
    articles = [make_article(id=f"id-{n % 700}", content=f"<p>{n}</p>") for n in range(1500)]
    result = library.store("feed", articles)
    assert (result.new, result.updated) == (700, 800)
    assert len(library) == 700


def test_sources_are_remembered_and_forgotten_but_articles_stay(library: Library) -> None:
    assert library.add_source("https://a/feed", "url") is True
    assert library.add_source("https://a/feed", "opml") is False
    library.store("https://a/feed", [make_article(id="a")], error=None)
    (source,) = library.sources()
    assert (source.kind, source.last_status, source.last_new, source.articles) == (
        "opml",
        "ok",
        1,
        1,
    )
    library.store("https://a/feed", [], error="https://a/feed: HTTP 500")
    assert library.sources()[0].last_status == "failed"
    assert library.remove_source("https://a/feed") is True
    assert library.remove_source("https://a/feed") is False
    assert library.sources() == [] and len(library) == 1


def test_builds_are_recorded_per_book_key(library: Library) -> None:
    library.record_build("author:ben", ["a", "b"])
    library.record_build("author:ben", ["b", "c"])
    library.record_build("all", ["z"])
    assert library.built_article_ids("author:ben") == {"a", "b", "c"}
    assert library.built_article_ids("author:ann") == set()


def test_stats(library: Library) -> None:
    library.store(
        "feed",
        [
            make_article(id="a", author=("Ann", "ann")),
            make_article(id="b", author=("Ann", "ann"), published=DAY + timedelta(days=40)),
            make_article(id="c", author=("Ben", "ben")),
        ],
    )
    stats = library.stats()
    assert (stats.articles, stats.authors, stats.feeds) == (3, 2, 1)
    assert [(a.handle, a.articles) for a in stats.by_author] == [("ann", 2), ("ben", 1)]
    assert [(m.month, m.articles) for m in stats.by_month] == [("2026-05", 2), ("2026-06", 1)]
    assert (stats.first_published, stats.last_published) == ("2026-05-01", "2026-06-10")


def test_stored_keys_are_recomputed_when_the_detection_code_changes(library: Library) -> None:
    library.store("feed", [make_article(id="a", title="Weekly Links #3")])
    library.db.execute("UPDATE articles SET series_key = 'stale'")
    library.db.execute("UPDATE meta SET value = 'older code' WHERE key = 'derived'")
    with Library.open(library.path) as reopened:
        row = reopened.db.execute("SELECT series_key FROM articles").fetchone()
        assert row[0] == "weekly links"


# --- loading: exact round trip ------------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
_stamps = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


_AUTHORS = st.lists(st.builds(Author, _text, _text), max_size=3)
_MAYBE_STAMP = st.none() | _stamps
_TAGS = st.lists(_text, max_size=4)
_FEEDS = st.builds(FeedInfo, _text, _text, _text)
_HTML = st.text(st.characters(exclude_categories=("Cs",)), max_size=400)
_SERIES = st.none() | st.builds(
    SeriesRef, _text, st.floats(0, 1e6, allow_nan=False) | st.integers(0, 99)
)


@st.composite
def articles(draw: st.DrawFn) -> Article:
    return Article(
        id=draw(_text),
        url=draw(_text),
        title=draw(_text),
        authors=tuple(draw(_AUTHORS)),
        published=draw(_stamps),
        updated=draw(_MAYBE_STAMP),
        tags=tuple(draw(_TAGS)),
        feed=draw(_FEEDS),
        language=draw(_text),
        content_html=draw(_HTML),
        word_count=draw(st.integers(0, 10**9)),
        series=draw(_SERIES),
        revision_key=draw(_text),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(articles(), min_size=1, max_size=8, unique_by=lambda a: a.id))
def test_what_is_stored_loads_back_equal(scratch: Library, stored: list[Article]) -> None:
    library = emptied(scratch)
    library.store("feed", stored)
    loaded = {article.id: article for article in library.articles()}
    assert loaded == {article.id: article for article in stored}
    assert library.store("feed", stored).unchanged == len(stored)


# --- loading: pre-filtered reading is exactly reading everything --------------------------------

PEOPLE = [
    ("Ana Lima", "ana_lima"),
    ("Ana L.", "ana_lima"),
    ("Bo", "bo"),
    ("bo", "bo_b"),
    ("Cy", "cy"),
]
TITLES = [
    "Day {n}: Queues - Systems in Seconds",
    "Day {n}: Caches - Systems in Seconds",
    "Building a Parser, Part {n}",
    "Weekly Links #{n}",
    "Rust for Pythonistas ({n}/5)",
    "Notes on Nothing",
    "Notes on nothing!",
    "A Post About {n} Things",
]
TAGS = ["Rust", "rust", "#python", "go", "Python"]
SERIES_NAMES = ["Systems in Seconds", "systems IN seconds", "Weekly Links", "Building a Parser"]


_PERSON = st.sampled_from(PEOPLE)
_TITLE = st.sampled_from(TITLES)
_CARRIED = st.none() | st.builds(SeriesRef, st.sampled_from(SERIES_NAMES), st.just(9))
_DAYS = st.integers(0, 60)
_UPDATED = st.none() | st.just(DAY + timedelta(days=90))
_TAG_LISTS = st.lists(st.sampled_from(TAGS), max_size=2)


@st.composite
def corpus_article(draw: st.DrawFn) -> Article:
    name, handle = draw(_PERSON)
    return make_article(
        id=f"id-{draw(st.integers(0, 30))}",
        title=draw(_TITLE).format(n=draw(st.integers(1, 4))),
        author=(name, handle),
        published=DAY + timedelta(days=draw(_DAYS)),
        updated=draw(_UPDATED),
        tags=tuple(draw(_TAG_LISTS)),
        content="<p>" + "x" * draw(st.integers(1, 3)) + "</p>",
        series=draw(_CARRIED),
    )


_WANTED_AUTHORS = st.lists(
    st.sampled_from([p[0] for p in PEOPLE] + [p[1] for p in PEOPLE] + ["@BO", " ana_LIMA", "x"]),
    max_size=2,
)
_WANTED_TAGS = st.lists(st.sampled_from([*TAGS, "#Rust", "GO"]), max_size=2)
_WANTED_SERIES = st.lists(st.sampled_from([*SERIES_NAMES, "rust for pythonistas"]), max_size=1)
_BOUND = st.none() | st.integers(0, 61).map(lambda days: DAY + timedelta(days=days))


@st.composite
def selections(draw: st.DrawFn) -> Selection:
    return Selection(
        authors=tuple(draw(_WANTED_AUTHORS)),
        tags=tuple(draw(_WANTED_TAGS)),
        series=tuple(draw(_WANTED_SERIES)),
        since=draw(_BOUND),
        until=draw(_BOUND),
        limit=draw(st.none() | st.integers(1, 5)),
        all_revisions=draw(st.booleans()),
    )


def via_collection(articles: list[Article], selection: Selection) -> list[Article]:
    with Collection() as collection:
        for article in articles:
            collection.add(article)
        collection.finish(all_revisions=selection.all_revisions)
        return list(collection.select(selection))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(corpus_article(), min_size=1, max_size=40),
    st.lists(selections(), min_size=1, max_size=6),
)
def test_reading_the_library_selects_exactly_what_reading_everything_does(
    scratch: Library, corpus: list[Article], chosen: list[Selection]
) -> None:
    library = emptied(scratch)
    library.store("feed", corpus)
    for selection in chosen:
        with collect_library(library, selection) as collection:
            collection.finish(all_revisions=selection.all_revisions)
            assert list(collection.select(selection)) == via_collection(corpus, selection)


def test_the_pre_filter_keeps_series_members_of_other_authors(library: Library) -> None:
    """Detection needs both "Weekly Links" posts, though only one is by the chosen author."""
    library.store(
        "feed",
        [
            make_article(id="a", title="Weekly Links #1", author=("Ann", "ann")),
            make_article(id="b", title="Weekly Links #2", author=("Ben", "ben")),
            make_article(id="c", title="Something else", author=("Ben", "ben")),
        ],
    )
    selection = Selection(authors=("ann",))
    with collect_library(library, selection) as collection:
        assert len(collection) == 2  # a, and b for detection; never c
        (article,) = collection.select(selection)
    assert article.series == SeriesRef("Weekly Links", 2 - 1)
    assert revision_key(("ann",), "Weekly Links #1") == article.revision_key
