"""Series detection from titles."""

from __future__ import annotations

import pytest

from feed2book.models import SeriesRef
from feed2book.series import candidate, detect


@pytest.mark.parametrize(
    ("title", "name", "index"),
    [
        (
            "Day 33: Group Chat System - AI System Design in Seconds",
            "AI System Design in Seconds",
            33,
        ),
        (
            "Day 48: Forum & Q&A Platform - AI System Design in Seconds",
            "AI System Design in Seconds",
            48,
        ),
        ("Building a Parser, Part 2: Tokens", "Building a Parser", 2),
        ("Building a Parser - Part 10", "Building a Parser", 10),
        ("Rust for Pythonistas (3/5)", "Rust for Pythonistas", 3),
        ("Rust for Pythonistas [4 of 5]", "Rust for Pythonistas", 4),
        ("Weekly Links #12", "Weekly Links", 12),
        ("Episode 4: Cold Starts | The Debug Show", "The Debug Show", 4),
        ("Chapter 7: The End", "Chapter", 7),
        ("Learning Go, Episode 3", "Learning Go", 3),
    ],
)
def test_candidates(title: str, name: str, index: int) -> None:
    found = candidate(title)
    assert found is not None
    assert (found.name, found.index) == (name, index)


@pytest.mark.parametrize(
    "title",
    [
        "Infrastructure Drift: Detection and Prevention",
        "How Google Docs Lets 10 People Edit the Same Sentence",
        "Top 10 Tips for Remote Work",
        "Web 2.0 Is Dead",
        "",
    ],
)
def test_ordinary_titles_are_not_series(title: str) -> None:
    assert candidate(title) is None


def test_a_series_needs_two_articles() -> None:
    found = detect(
        [
            ("a", "Day 1: Start - Rust Bites"),
            ("b", "Day 2: Borrow - Rust Bites"),
            ("c", "Lonely Part 1"),
        ]
    )
    assert found == {"a": SeriesRef("Rust Bites", 1), "b": SeriesRef("Rust Bites", 2)}


def test_name_is_the_most_common_spelling() -> None:
    found = detect(
        [
            ("a", "Day 1: x - Rust bites"),
            ("b", "Day 2: y - Rust Bites"),
            ("c", "Day 3: z - Rust Bites"),
        ]
    )
    assert {ref.name for ref in found.values()} == {"Rust Bites"}
