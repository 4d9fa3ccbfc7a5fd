"""Selection: duplicates, revisions, filters and dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from feed2book.errors import UsageError
from feed2book.models import SeriesRef
from feed2book.select import (
    Candidate,
    Selection,
    compile_title_match,
    deduplicate,
    parse_when,
    republished_text,
)
from tests.factory import make_article

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def cand(id: str, key: str, day: int, size: int = 10, updated: int | None = None) -> Candidate:
    return Candidate(
        id,
        key,
        datetime(2026, 5, day, tzinfo=UTC),
        datetime(2026, 5, updated, tzinfo=UTC) if updated else None,
        size,
    )


def test_same_id_twice_is_one_article_and_the_fresher_copy_wins() -> None:
    outcome = deduplicate([cand("a", "k1", 1), cand("a", "k1", 1, updated=3), cand("b", "k2", 2)])
    assert outcome.keep == {1, 2}
    assert (outcome.duplicates, outcome.revisions) == (1, 0)


def test_republished_posts_keep_the_newest_unless_all_revisions() -> None:
    candidates = [cand("old", "k", 1), cand("new", "k", 5), cand("other", "j", 2)]
    near_same = lambda a, b: {a, b} == {0, 1}  # noqa: E731
    outcome = deduplicate(candidates, same_text=near_same)
    assert outcome.keep == {1, 2} and outcome.revisions == 1
    assert [(d.position, d.kept, d.revision) for d in outcome.dropped] == [(0, 1, True)]
    assert outcome.dropped[0].reason == "republished: same author, title and near-same text"
    everything = deduplicate(candidates, all_revisions=True, same_text=near_same)
    assert everything.keep == {0, 1, 2} and everything.revisions == 0


def test_a_title_alone_never_makes_two_posts_one() -> None:
    candidates = [cand("part-1", "k", 1), cand("part-2", "k", 5)]
    assert deduplicate(candidates).keep == {0, 1}
    assert deduplicate(candidates, same_text=lambda a, b: False).keep == {0, 1}


def test_the_same_forem_slug_is_evidence_within_a_month() -> None:
    def forem(id: str, day: datetime) -> Candidate:
        return Candidate(id, "k", day, None, 10, "same dev.to/Forem post", id[:-5])

    first = datetime(2026, 4, 27, 13, tzinfo=UTC)
    next_day = first + timedelta(hours=31)
    repost = [forem("forem:m/day-21-x-3ef2", first), forem("forem:m/day-21-x-4jg9", next_day)]
    assert deduplicate(repost).keep == {1}
    assert deduplicate(repost).dropped[0].reason == "republished: same author, title and Forem slug"
    a_year_on = [repost[0], forem("forem:m/day-21-x-4jg9", first + timedelta(days=365))]
    assert deduplicate(a_year_on).keep == {0, 1}


def test_near_same_text_needs_the_same_numbers() -> None:
    shared = [
        "high",
        "water",
        "in",
        "the",
        "evening",
        "wind",
        "from",
        "the",
        "west",
        "slipway",
        "covered",
    ]
    assert republished_text(["day", "4", *shared], ["day", "4", *shared, "updated"])
    assert not republished_text(["day", "4", *shared], ["day", "5", *shared])
    assert not republished_text(["the", "2019", *shared], ["the", "2020", *shared])
    assert not republished_text(shared, ["an", "entirely", "different", "post", "about", "boats"])
    assert not republished_text([], [])


def test_author_matches_handle_or_name_in_any_case() -> None:
    article = make_article(author=("Matt Frank", "matt_frank_usa"))
    assert Selection(authors=("MATT_FRANK_USA",)).matches(article)
    assert Selection(authors=("matt frank",)).matches(article)
    assert Selection(authors=("@matt_frank_usa",)).matches(article)
    assert not Selection(authors=("matt",)).matches(article)


def test_tag_series_title_and_dates() -> None:
    article = make_article(
        title="Day 3: Enums - Rust Bites",
        tags=("Rust", "beginners"),
        published=datetime(2026, 5, 10, 8, tzinfo=UTC),
        series=SeriesRef("Rust Bites", 3),
    )
    assert Selection(tags=("rust",)).matches(article)
    assert Selection(tags=("#beginners",)).matches(article)
    assert not Selection(tags=("go",)).matches(article)
    assert Selection(series=("rust bites",)).matches(article)
    assert not Selection(series=("Other",)).matches(make_article())
    assert Selection(title_match=compile_title_match(r"^day \d+")).matches(article)
    assert not Selection(title_match=re.compile("Go")).matches(article)
    assert Selection(since=parse_when("2026-05-10", NOW)).matches(article)
    assert not Selection(since=parse_when("2026-05-11", NOW)).matches(article)
    assert Selection(until=parse_when("2026-05-10", NOW, end_of_day=True)).matches(article)
    assert not Selection(until=parse_when("2026-05-09", NOW, end_of_day=True)).matches(article)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", NOW - timedelta(days=30)),
        ("2w", NOW - timedelta(days=14)),
        ("6m", NOW - timedelta(days=180)),
        ("1y", NOW - timedelta(days=365)),
        ("12h", NOW - timedelta(hours=12)),
        ("2026-05-01", datetime(2026, 5, 1, tzinfo=UTC)),
        ("2026-05-01T10:00:00+02:00", datetime(2026, 5, 1, 8, tzinfo=UTC)),
    ],
)
def test_parse_when(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected


def test_bad_dates_and_patterns_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="cannot read 'yesterday' as a date"):
        parse_when("yesterday", NOW)
    with pytest.raises(UsageError, match="not a valid regular expression"):
        compile_title_match("(")
